package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/switchboard-dev/switchboard/delegation"
	"github.com/switchboard-dev/switchboard/store/internal/codec"
)

var _ delegation.Store = (*DB)(nil)

// pruneAfter is how long an expired delegation is kept: InsertDelegation
// removes those that expired a day before the new one was issued.
const pruneAfter = 24 * time.Hour

// DelegationKeys returns every signing key, newest first, ties by id.
func (db *DB) DelegationKeys(ctx context.Context) ([]delegation.Key, error) {
	const op = "list delegation keys"
	rows, err := db.read.QueryContext(ctx, qDelegationKeys)
	if err != nil {
		return nil, translate(err, op, "delegation key")
	}
	defer rows.Close()

	var keys []delegation.Key
	for rows.Next() {
		var k delegation.Key
		var created int64
		var retired sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Public, &created, &retired); err != nil {
			return nil, translate(err, op, "delegation key")
		}
		k.CreatedAt, k.RetiredAt = fromMicros(created), fromNullMicros(retired)
		keys = append(keys, k)
	}
	return keys, translate(rows.Err(), op, "delegation key")
}

// AddDelegationKey stores k and retires at k.CreatedAt every other key not
// retired yet, in one transaction. It returns CodeConflict when k.ID
// exists. Write transactions take turns on the file, so of keys added at
// once exactly one is left to sign.
func (db *DB) AddDelegationKey(ctx context.Context, k delegation.Key) error {
	const op = "add delegation key"
	what := "delegation key " + k.ID
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, qAddDelegationKey, k.ID, blob(k.Public), micros(k.CreatedAt))
		if err != nil {
			return translate(err, op, what)
		}
		_, err = tx.ExecContext(ctx, qRetireDelegationKeys, micros(k.CreatedAt), k.ID)
		return translate(err, op, what)
	})
}

// DeleteDelegationKeys removes the keys retired before before and returns
// their ids, sorted.
func (db *DB) DeleteDelegationKeys(ctx context.Context, before time.Time) ([]string, error) {
	const op = "delete delegation keys"
	var ids []string
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, qDeleteDelegationKeys, micros(before))
		if err != nil {
			return translate(err, op, "delegation key")
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return translate(err, op, "delegation key")
			}
			ids = append(ids, id)
		}
		return translate(rows.Err(), op, "delegation key")
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

// InsertDelegation stores r and removes every record that expired more
// than a day before r.IssuedAt, in one transaction. It returns
// CodeConflict when r.JTI exists.
func (db *DB) InsertDelegation(ctx context.Context, r delegation.Record) error {
	const op = "insert delegation"
	what := "delegation " + r.JTI
	scope, err := codec.List(r.Scope)
	if err != nil {
		return fmt.Errorf("%s: scope: %w", op, err)
	}
	roles, err := codec.List(r.UserRoles)
	if err != nil {
		return fmt.Errorf("%s: user roles: %w", op, err)
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, qInsertDelegation, r.JTI, r.User, r.Agent, scope, roles,
			r.Via, micros(r.IssuedAt), micros(r.ExpiresAt))
		if err != nil {
			return translate(err, op, what)
		}
		_, err = tx.ExecContext(ctx, qPruneDelegations, micros(r.IssuedAt.Add(-pruneAfter)))
		return translate(err, op, what)
	})
}

// Delegation returns the record of jti, or CodeNotFound.
func (db *DB) Delegation(ctx context.Context, jti string) (delegation.Record, error) {
	var r delegationRow
	err := db.read.QueryRowContext(ctx, qDelegation, jti).Scan(r.dest()...)
	if err != nil {
		return delegation.Record{}, translate(err, "get delegation", "delegation "+jti)
	}
	return r.record("get delegation")
}

// Delegations returns the records principal issued or received that had
// not expired at now, revoked or not, newest first, ties by jti.
func (db *DB) Delegations(ctx context.Context, principal string, now time.Time,
) ([]delegation.Record, error) {
	const op = "list delegations"
	rows, err := db.read.QueryContext(ctx, qDelegations, principal, micros(now))
	if err != nil {
		return nil, translate(err, op, "delegation")
	}
	defer rows.Close()

	var out []delegation.Record
	for rows.Next() {
		var r delegationRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, translate(err, op, "delegation")
		}
		rec, err := r.record(op)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, translate(rows.Err(), op, "delegation")
}

// RevokeDelegation sets the RevokedAt of jti to at unless it is set, and
// returns the record as it now is, or CodeNotFound.
func (db *DB) RevokeDelegation(ctx context.Context, jti string, at time.Time,
) (delegation.Record, error) {
	const op = "revoke delegation"
	var r delegationRow
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, qRevokeDelegation, jti, micros(at)).Scan(r.dest()...)
		return translate(err, op, "delegation "+jti)
	})
	if err != nil {
		return delegation.Record{}, err
	}
	return r.record(op)
}

// RevokeDelegationsOf revokes at at every record principal issued or
// received that is neither revoked nor expired at at, and returns how many.
func (db *DB) RevokeDelegationsOf(ctx context.Context, principal string, at time.Time,
) (int, error) {
	const op = "revoke delegations"
	var n int64
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		var err error
		n, err = exec(ctx, tx, qRevokeDelegationsOf, principal, micros(at))
		return translate(err, op, "delegation")
	})
	return int(n), err
}

// delegationRow receives one row of delegationCols.
type delegationRow struct {
	r               delegation.Record
	scope, roles    string
	issued, expires int64
	revoked         sql.NullInt64
}

// dest returns the scan targets of delegationCols, in order.
func (d *delegationRow) dest() []any {
	r := &d.r
	return []any{&r.JTI, &r.User, &r.Agent, &d.scope, &d.roles, &r.Via,
		&d.issued, &d.expires, &d.revoked}
}

// record returns the row as a record, its times in UTC.
func (d *delegationRow) record(op string) (delegation.Record, error) {
	r := d.r
	var err error
	if r.Scope, err = codec.ParseList(d.scope); err != nil {
		return delegation.Record{}, fmt.Errorf("%s: scope of %s: %w", op, r.JTI, err)
	}
	if r.UserRoles, err = codec.ParseList(d.roles); err != nil {
		return delegation.Record{}, fmt.Errorf("%s: user roles of %s: %w", op, r.JTI, err)
	}
	r.IssuedAt, r.ExpiresAt = fromMicros(d.issued), fromMicros(d.expires)
	r.RevokedAt = fromNullMicros(d.revoked)
	return r, nil
}

// fromNullMicros reads a nullable time back; NULL is the zero time.
func fromNullMicros(us sql.NullInt64) time.Time {
	if !us.Valid {
		return time.Time{}
	}
	return fromMicros(us.Int64)
}
