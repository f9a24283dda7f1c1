package sqlite

import (
	"context"
	"database/sql"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/credentials"
)

// CreateGrant stores g. It returns CodeNotFound when g.ConnectionID does
// not exist, and CodeConflict when g.ID exists or the connection is lent
// to g.Agent already.
func (db *DB) CreateGrant(ctx context.Context, g credentials.Grant) error {
	const op = "create grant"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		n, err := exec(ctx, tx, qCreateGrant, g.ID, g.AppID, g.ConnectionID, g.Owner, g.Agent,
			micros(g.CreatedAt))
		if isForeignKey(err) {
			return notFound("connection " + g.ConnectionID)
		}
		if err != nil {
			return translate(err, op, "grant "+g.ID)
		}
		if n == 0 {
			return switchboard.Errorf(switchboard.CodeConflict,
				"connection %s is lent to %s already", g.ConnectionID, g.Agent)
		}
		return nil
	})
}

// Grants returns the grants of appID's connections ("" for every
// integration) that principal owns or received, oldest first, ties by id.
func (db *DB) Grants(ctx context.Context, appID, principal string,
) ([]credentials.Grant, error) {
	const op = "list grants"
	rows, err := db.read.QueryContext(ctx, qGrants, appID, principal)
	if err != nil {
		return nil, translate(err, op, "grant")
	}
	defer rows.Close()

	var out []credentials.Grant
	for rows.Next() {
		var g credentials.Grant
		var created int64
		err := rows.Scan(&g.ID, &g.AppID, &g.ConnectionID, &g.Owner, &g.Agent, &created)
		if err != nil {
			return nil, translate(err, op, "grant")
		}
		g.CreatedAt = fromMicros(created)
		out = append(out, g)
	}
	return out, translate(rows.Err(), op, "grant")
}

// DeleteGrant removes grant id, or returns CodeNotFound.
func (db *DB) DeleteGrant(ctx context.Context, id string) error {
	const op = "delete grant"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		n, err := exec(ctx, tx, qDeleteGrant, id)
		if err != nil {
			return translate(err, op, "grant "+id)
		}
		if n == 0 {
			return notFound("grant " + id)
		}
		return nil
	})
}

// DeleteGrantsTo removes every grant agent received and returns how many.
func (db *DB) DeleteGrantsTo(ctx context.Context, agent string) (int, error) {
	const op = "delete grants"
	var n int64
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		var err error
		n, err = exec(ctx, tx, qDeleteGrantsTo, agent)
		return translate(err, op, "grant")
	})
	return int(n), err
}
