package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/credentials"
)

// CreateGrant stores g. It returns CodeNotFound when g.ConnectionID does
// not exist, and CodeConflict when g.ID exists or the connection is lent
// to g.Agent already.
func (db *DB) CreateGrant(ctx context.Context, g credentials.Grant) error {
	tag, err := db.pool.Exec(ctx, qCreateGrant, g.ID, g.AppID, g.ConnectionID, g.Owner,
		g.Agent, utc(g.CreatedAt))
	switch {
	case isForeignKey(err):
		return notFound("connection " + g.ConnectionID)
	case err != nil:
		return translate(err, "create grant", "grant "+g.ID)
	case tag.RowsAffected() == 0:
		return switchboard.Errorf(switchboard.CodeConflict,
			"connection %s is lent to %s already", g.ConnectionID, g.Agent)
	}
	return nil
}

// Grants returns the grants of appID's connections ("" for every
// integration) that principal owns or received, oldest first, ties by id.
func (db *DB) Grants(ctx context.Context, appID, principal string,
) ([]credentials.Grant, error) {
	const op = "list grants"
	rows, err := db.pool.Query(ctx, qGrants, appID, principal)
	if err != nil {
		return nil, translate(err, op, "grant")
	}
	out, err := pgx.AppendRows([]credentials.Grant(nil), rows,
		func(row pgx.CollectableRow) (credentials.Grant, error) {
			var g credentials.Grant
			var created time.Time
			err := row.Scan(&g.ID, &g.AppID, &g.ConnectionID, &g.Owner, &g.Agent, &created)
			g.CreatedAt = created.UTC()
			return g, err
		})
	if err != nil {
		return nil, translate(err, op, "grant")
	}
	return out, nil
}

// DeleteGrant removes grant id, or returns CodeNotFound.
func (db *DB) DeleteGrant(ctx context.Context, id string) error {
	tag, err := db.pool.Exec(ctx, qDeleteGrant, id)
	if err != nil {
		return translate(err, "delete grant", "grant "+id)
	}
	if tag.RowsAffected() == 0 {
		return notFound("grant " + id)
	}
	return nil
}

// DeleteGrantsTo removes every grant agent received and returns how many.
func (db *DB) DeleteGrantsTo(ctx context.Context, agent string) (int, error) {
	tag, err := db.pool.Exec(ctx, qDeleteGrantsTo, agent)
	if err != nil {
		return 0, translate(err, "delete grants", "grant")
	}
	return int(tag.RowsAffected()), nil
}
