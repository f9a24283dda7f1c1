package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/credentials"
)

var _ credentials.Store = (*DB)(nil)

// CreateConnection stores c and its sealed credentials, generation 1. It
// returns CodeConflict when c.ID exists, or when c is a platform
// connection and c.AppID has one.
func (db *DB) CreateConnection(ctx context.Context, c credentials.StoredConnection) error {
	const op = "create connection"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, qCreateConnection, c.ID, c.AppID, c.Principal,
			string(c.Kind), c.Label, string(c.Status), c.LastError, nullMicros(c.ExpiresAt),
			int64(1), micros(c.CreatedAt), micros(c.UpdatedAt))
		if err != nil {
			return translate(err, op, "connection "+c.ID)
		}
		_, err = tx.ExecContext(ctx, qPutConnectionSecret, c.ID, blob(c.Sealed))
		return translate(err, op, "connection "+c.ID)
	})
}

// Connection returns connection id with its sealed credentials, or
// CodeNotFound.
func (db *DB) Connection(ctx context.Context, id string) (credentials.StoredConnection, error) {
	var r connectionRow
	var sealed []byte
	err := db.read.QueryRowContext(ctx, qConnection, id).Scan(append(r.dest(), &sealed)...)
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
	rows, err := db.read.QueryContext(ctx, qConnections, appID, principal)
	if err != nil {
		return nil, translate(err, op, "connection")
	}
	return scanConnections(rows, op)
}

// connectionRow receives one row of connectionCols.
type connectionRow struct {
	c                credentials.Connection
	generation       int64
	expires          sql.NullInt64
	created, updated int64
}

// dest returns the scan targets of connectionCols, in order.
func (r *connectionRow) dest() []any {
	c := &r.c
	return []any{&c.ID, &c.AppID, &c.Principal, (*string)(&c.Kind), &c.Label,
		(*string)(&c.Status), &c.LastError, &r.expires, &r.generation, &r.created, &r.updated}
}

// connection returns the row as a connection, its times in UTC.
func (r *connectionRow) connection() credentials.Connection {
	c := r.c
	if r.expires.Valid {
		c.ExpiresAt = fromMicros(r.expires.Int64)
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(r.created), fromMicros(r.updated)
	return c
}

func scanConnections(rows *sql.Rows, op string) ([]credentials.Connection, error) {
	defer rows.Close()
	var out []credentials.Connection
	for rows.Next() {
		var r connectionRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, translate(err, op, "connection")
		}
		out = append(out, r.connection())
	}
	return out, translate(rows.Err(), op, "connection")
}

// UpdateConnection applies u to connection id, under holder's lease when
// holder is not "" (releasing it), or returns CodeNotFound, or
// CodeConflict when the lease is not holder's.
func (db *DB) UpdateConnection(ctx context.Context, id, holder string,
	u credentials.ConnectionUpdate,
) error {
	const op = "update connection"
	what := "connection " + id
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if holder != "" {
			n, err := exec(ctx, tx, qReleaseLease, id, holder)
			if err != nil {
				return translate(err, op, what)
			}
			if n == 0 {
				return switchboard.Errorf(switchboard.CodeConflict,
					"refresh lease of %s is not held by %s", what, holder)
			}
		}
		q, args := qUpdateConnectionStatus, []any{string(u.Status), u.LastError, micros(u.At), id}
		if u.Sealed != nil {
			q = qUpdateConnectionSealed
			args = []any{string(u.Status), u.LastError, micros(u.At), nullMicros(u.ExpiresAt), id}
		}
		n, err := exec(ctx, tx, q, args...)
		if err != nil {
			return translate(err, op, what)
		}
		if n == 0 {
			return notFound(what)
		}
		if u.Sealed == nil {
			return nil
		}
		_, err = tx.ExecContext(ctx, qPutConnectionSecret, id, blob(u.Sealed))
		return translate(err, op, what)
	})
}

// RenameConnection sets the label of connection id, or returns
// CodeNotFound.
func (db *DB) RenameConnection(ctx context.Context, id, label string, at time.Time) error {
	const op = "rename connection"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		n, err := exec(ctx, tx, qRenameConnection, label, micros(at), id)
		if err != nil {
			return translate(err, op, "connection "+id)
		}
		if n == 0 {
			return notFound("connection " + id)
		}
		return nil
	})
}

// DeleteConnection removes connection id, its credentials, its lease and
// its grants, or returns CodeNotFound.
func (db *DB) DeleteConnection(ctx context.Context, id string) error {
	const op = "delete connection"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, qDeleteConnectionSecret, id); err != nil {
			return translate(err, op, "connection "+id)
		}
		n, err := exec(ctx, tx, qDeleteConnection, id)
		if err != nil {
			return translate(err, op, "connection "+id)
		}
		if n == 0 {
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
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		for _, q := range []string{qDeleteFilteredSecrets, qDeleteFilteredStates,
			qDeleteFilteredLinks} {
			if _, err := tx.ExecContext(ctx, q, f.AppID, f.Principal); err != nil {
				return translate(err, op, "connection")
			}
		}
		rows, err := tx.QueryContext(ctx, qDeleteFilteredConnections, f.AppID, f.Principal)
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
	got := false
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, qConnectionExists, id).Scan(&n); err != nil {
			return translate(err, op, "connection "+id)
		}
		if n == 0 {
			return notFound("connection " + id)
		}
		var h string
		err := tx.QueryRowContext(ctx, qAcquireLease, id, holder, micros(now), micros(until)).
			Scan(&h)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return translate(err, op, "connection "+id)
		}
		got = h == holder
		return nil
	})
	return got, err
}

// ReleaseRefreshLease removes holder's lease of connection id, if held.
func (db *DB) ReleaseRefreshLease(ctx context.Context, id, holder string) error {
	const op = "release refresh lease"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, qReleaseLease, id, holder)
		return translate(err, op, "connection "+id)
	})
}

// PutOAuthState stores s and removes the states expired at s.CreatedAt.
// It returns CodeConflict when s.Hash exists.
func (db *DB) PutOAuthState(ctx context.Context, s credentials.OAuthState) error {
	const op = "put oauth state"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, qDeleteExpiredStates, micros(s.CreatedAt)); err != nil {
			return translate(err, op, "oauth state")
		}
		_, err := tx.ExecContext(ctx, qPutState, blob(s.Hash), s.AppID, s.Principal,
			s.ConnectionID, s.ReturnTo, blob(s.Verifier), micros(s.CreatedAt),
			micros(s.ExpiresAt))
		return translate(err, op, "oauth state")
	})
}

// TakeOAuthState removes and returns the state whose hash is hash, or
// returns CodeNotFound.
func (db *DB) TakeOAuthState(ctx context.Context, hash []byte) (credentials.OAuthState, error) {
	const op = "take oauth state"
	var s credentials.OAuthState
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		var created, expires int64
		err := tx.QueryRowContext(ctx, qTakeState, blob(hash)).Scan(&s.Hash, &s.AppID,
			&s.Principal, &s.ConnectionID, &s.ReturnTo, &s.Verifier, &created, &expires)
		if err != nil {
			return translate(err, op, "oauth state")
		}
		s.CreatedAt, s.ExpiresAt = fromMicros(created), fromMicros(expires)
		return nil
	})
	if err != nil {
		return credentials.OAuthState{}, err
	}
	return s, nil
}

// PutConnectLink stores l and removes the links expired at l.CreatedAt.
// It returns CodeConflict when l.Hash exists.
func (db *DB) PutConnectLink(ctx context.Context, l credentials.LinkRecord) error {
	const op = "put connect link"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, qDeleteExpiredLinks, micros(l.CreatedAt)); err != nil {
			return translate(err, op, "connect link")
		}
		_, err := tx.ExecContext(ctx, qPutLink, blob(l.Hash), l.AppID, l.Principal,
			l.ConnectionID, micros(l.CreatedAt), micros(l.ExpiresAt))
		return translate(err, op, "connect link")
	})
}

// ConnectLink returns the link whose hash is hash, or CodeNotFound.
func (db *DB) ConnectLink(ctx context.Context, hash []byte) (credentials.LinkRecord, error) {
	return scanLink(db.read.QueryRowContext(ctx, qLink, blob(hash)), "get connect link")
}

// TakeConnectLink removes and returns the link whose hash is hash, or
// returns CodeNotFound.
func (db *DB) TakeConnectLink(ctx context.Context, hash []byte) (credentials.LinkRecord, error) {
	const op = "take connect link"
	var l credentials.LinkRecord
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		var err error
		l, err = scanLink(tx.QueryRowContext(ctx, qTakeLink, blob(hash)), op)
		return err
	})
	if err != nil {
		return credentials.LinkRecord{}, err
	}
	return l, nil
}

func scanLink(row *sql.Row, op string) (credentials.LinkRecord, error) {
	var l credentials.LinkRecord
	var created, expires int64
	err := row.Scan(&l.Hash, &l.AppID, &l.Principal, &l.ConnectionID, &created, &expires)
	if err != nil {
		return credentials.LinkRecord{}, translate(err, op, "connect link")
	}
	l.CreatedAt, l.ExpiresAt = fromMicros(created), fromMicros(expires)
	return l, nil
}

// nullMicros stores a zero time as NULL.
func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(t), Valid: true}
}
