package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/credentials"
)

var _ credentials.Store = (*DB)(nil)

// CreateConnection stores c and its sealed credentials, generation 1. It
// returns CodeConflict when c.ID exists, or when c is a platform
// connection and c.AppID has one.
func (db *DB) CreateConnection(ctx context.Context, c credentials.StoredConnection) error {
	const op = "create connection"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, qCreateConnection, c.ID, c.AppID, c.Principal,
			string(c.Kind), c.Label, string(c.Status), c.LastError, nullTime(c.ExpiresAt),
			int64(1), utc(c.CreatedAt), utc(c.UpdatedAt))
		if err != nil {
			return translate(err, op, "connection "+c.ID)
		}
		_, err = tx.Exec(ctx, qPutConnectionSecret, c.ID, blob(c.Sealed))
		return translate(err, op, "connection "+c.ID)
	})
}

// Connection returns connection id with its sealed credentials, or
// CodeNotFound.
func (db *DB) Connection(ctx context.Context, id string) (credentials.StoredConnection, error) {
	var r connectionRow
	var sealed []byte
	err := db.pool.QueryRow(ctx, qConnection, id).Scan(append(r.dest(), &sealed)...)
	if err != nil {
		return credentials.StoredConnection{}, translate(err, "get connection", "connection "+id)
	}
	return credentials.StoredConnection{
		Connection: r.connection(), Sealed: sealed, Generation: r.generation,
	}, nil
}

// Connections returns the connections of appID owned by principal ("" is
// the platform), oldest first.
func (db *DB) Connections(ctx context.Context, appID, principal string,
) ([]credentials.Connection, error) {
	const op = "list connections"
	rows, err := db.pool.Query(ctx, qConnections, appID, principal)
	if err != nil {
		return nil, translate(err, op, "connection")
	}
	return scanConnections(rows, op)
}

// connectionRow receives one row of connectionCols.
type connectionRow struct {
	c          credentials.Connection
	generation int64
	expires    *time.Time
}

// dest returns the scan targets of connectionCols, in order.
func (r *connectionRow) dest() []any {
	c := &r.c
	return []any{&c.ID, &c.AppID, &c.Principal, (*string)(&c.Kind), &c.Label,
		(*string)(&c.Status), &c.LastError, &r.expires, &r.generation, &c.CreatedAt,
		&c.UpdatedAt}
}

// connection returns the row as a connection, its times in UTC.
func (r *connectionRow) connection() credentials.Connection {
	c := r.c
	if r.expires != nil {
		c.ExpiresAt = r.expires.UTC()
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c
}

func scanConnections(rows pgx.Rows, op string) ([]credentials.Connection, error) {
	out, err := pgx.AppendRows([]credentials.Connection(nil), rows,
		func(row pgx.CollectableRow) (credentials.Connection, error) {
			var r connectionRow
			err := row.Scan(r.dest()...)
			return r.connection(), err
		})
	if err != nil {
		return nil, translate(err, op, "connection")
	}
	return out, nil
}

// UpdateConnection applies u to connection id, under holder's lease when
// holder is not "" (releasing it), or returns CodeNotFound, or
// CodeConflict when the lease is not holder's.
func (db *DB) UpdateConnection(ctx context.Context, id, holder string,
	u credentials.ConnectionUpdate,
) error {
	const op = "update connection"
	what := "connection " + id
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		if holder != "" {
			tag, err := tx.Exec(ctx, qReleaseLease, id, holder)
			if err != nil {
				return translate(err, op, what)
			}
			if tag.RowsAffected() == 0 {
				return switchboard.Errorf(switchboard.CodeConflict,
					"refresh lease of %s is not held by %s", what, holder)
			}
		}
		q, args := qUpdateConnectionStatus, []any{string(u.Status), u.LastError, utc(u.At), id}
		if u.Sealed != nil {
			q = qUpdateConnectionSealed
			args = []any{string(u.Status), u.LastError, utc(u.At), nullTime(u.ExpiresAt), id}
		}
		tag, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return translate(err, op, what)
		}
		if tag.RowsAffected() == 0 {
			return notFound(what)
		}
		if u.Sealed == nil {
			return nil
		}
		_, err = tx.Exec(ctx, qPutConnectionSecret, id, blob(u.Sealed))
		return translate(err, op, what)
	})
}

// RenameConnection sets the label of connection id, or returns
// CodeNotFound.
func (db *DB) RenameConnection(ctx context.Context, id, label string, at time.Time) error {
	const op = "rename connection"
	tag, err := db.pool.Exec(ctx, qRenameConnection, label, utc(at), id)
	if err != nil {
		return translate(err, op, "connection "+id)
	}
	if tag.RowsAffected() == 0 {
		return notFound("connection " + id)
	}
	return nil
}

// DeleteConnection removes connection id, its credentials, its lease and
// its grants, or returns CodeNotFound.
func (db *DB) DeleteConnection(ctx context.Context, id string) error {
	const op = "delete connection"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, qDeleteConnectionSecret, id); err != nil {
			return translate(err, op, "connection "+id)
		}
		tag, err := tx.Exec(ctx, qDeleteConnection, id)
		if err != nil {
			return translate(err, op, "connection "+id)
		}
		if tag.RowsAffected() == 0 {
			return notFound("connection " + id)
		}
		return nil
	})
}

// DeleteConnections removes the connections f selects, with their
// credentials, leases and grants, and the states and links it selects. It returns
// the connections removed, by id.
func (db *DB) DeleteConnections(ctx context.Context, f credentials.Filter,
) ([]credentials.Connection, error) {
	const op = "delete connections"
	if f.AppID == "" && f.Principal == "" {
		return nil, switchboard.Errorf(switchboard.CodeInvalidInput,
			"%s: name an integration, a principal or both", op)
	}
	var gone []credentials.Connection
	err := db.inTx(ctx, op, func(tx pgx.Tx) error {
		for _, q := range []string{qDeleteFilteredSecrets, qDeleteFilteredStates,
			qDeleteFilteredLinks} {
			if _, err := tx.Exec(ctx, q, f.AppID, f.Principal); err != nil {
				return translate(err, op, "connection")
			}
		}
		rows, err := tx.Query(ctx, qDeleteFilteredConnections, f.AppID, f.Principal)
		if err != nil {
			return translate(err, op, "connection")
		}
		gone, err = scanConnections(rows, op)
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(gone, func(a, b credentials.Connection) int {
		return strings.Compare(a.ID, b.ID)
	})
	return gone, nil
}

// AcquireRefreshLease gives holder the lease of connection id until until
// unless another holds one unexpired at now, and reports whether it did.
// It returns CodeNotFound when the connection does not exist.
func (db *DB) AcquireRefreshLease(ctx context.Context, id, holder string,
	now, until time.Time,
) (bool, error) {
	const op = "acquire refresh lease"
	var h string
	err := db.pool.QueryRow(ctx, qAcquireLease, id, holder, utc(now), utc(until)).Scan(&h)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case isForeignKey(err):
		return false, notFound("connection " + id)
	case err != nil:
		return false, translate(err, op, "connection "+id)
	}
	return h == holder, nil
}

// ReleaseRefreshLease removes holder's lease of connection id, if held.
func (db *DB) ReleaseRefreshLease(ctx context.Context, id, holder string) error {
	_, err := db.pool.Exec(ctx, qReleaseLease, id, holder)
	return translate(err, "release refresh lease", "connection "+id)
}

// PutOAuthState stores s and removes the states expired at s.CreatedAt.
// It returns CodeConflict when s.Hash exists.
func (db *DB) PutOAuthState(ctx context.Context, s credentials.OAuthState) error {
	const op = "put oauth state"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, qDeleteExpiredStates, utc(s.CreatedAt)); err != nil {
			return translate(err, op, "oauth state")
		}
		_, err := tx.Exec(ctx, qPutState, blob(s.Hash), s.AppID, s.Principal,
			s.ConnectionID, s.ReturnTo, blob(s.Verifier), utc(s.CreatedAt), utc(s.ExpiresAt))
		return translate(err, op, "oauth state")
	})
}

// TakeOAuthState removes and returns the state whose hash is hash, or
// returns CodeNotFound.
func (db *DB) TakeOAuthState(ctx context.Context, hash []byte) (credentials.OAuthState, error) {
	var s credentials.OAuthState
	err := db.pool.QueryRow(ctx, qTakeState, blob(hash)).Scan(&s.Hash, &s.AppID,
		&s.Principal, &s.ConnectionID, &s.ReturnTo, &s.Verifier, &s.CreatedAt, &s.ExpiresAt)
	if err != nil {
		return credentials.OAuthState{}, translate(err, "take oauth state", "oauth state")
	}
	s.CreatedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.ExpiresAt.UTC()
	return s, nil
}

// PutConnectLink stores l and removes the links expired at l.CreatedAt.
// It returns CodeConflict when l.Hash exists.
func (db *DB) PutConnectLink(ctx context.Context, l credentials.LinkRecord) error {
	const op = "put connect link"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, qDeleteExpiredLinks, utc(l.CreatedAt)); err != nil {
			return translate(err, op, "connect link")
		}
		_, err := tx.Exec(ctx, qPutLink, blob(l.Hash), l.AppID, l.Principal,
			l.ConnectionID, utc(l.CreatedAt), utc(l.ExpiresAt))
		return translate(err, op, "connect link")
	})
}

// ConnectLink returns the link whose hash is hash, or CodeNotFound.
func (db *DB) ConnectLink(ctx context.Context, hash []byte) (credentials.LinkRecord, error) {
	return scanLink(db.pool.QueryRow(ctx, qLink, blob(hash)), "get connect link")
}

// TakeConnectLink removes and returns the link whose hash is hash, or
// returns CodeNotFound.
func (db *DB) TakeConnectLink(ctx context.Context, hash []byte) (credentials.LinkRecord, error) {
	return scanLink(db.pool.QueryRow(ctx, qTakeLink, blob(hash)), "take connect link")
}

func scanLink(row pgx.Row, op string) (credentials.LinkRecord, error) {
	var l credentials.LinkRecord
	err := row.Scan(&l.Hash, &l.AppID, &l.Principal, &l.ConnectionID, &l.CreatedAt, &l.ExpiresAt)
	if err != nil {
		return credentials.LinkRecord{}, translate(err, op, "connect link")
	}
	l.CreatedAt, l.ExpiresAt = l.CreatedAt.UTC(), l.ExpiresAt.UTC()
	return l, nil
}

// nullTime writes a zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := utc(t)
	return &u
}
