package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

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
	rows, err := db.pool.Query(ctx, qDelegationKeys)
	if err != nil {
		return nil, translate(err, op, "delegation key")
	}
	keys, err := pgx.AppendRows([]delegation.Key(nil), rows,
		func(row pgx.CollectableRow) (delegation.Key, error) {
			var k delegation.Key
			var retired *time.Time
			err := row.Scan(&k.ID, &k.Public, &k.CreatedAt, &retired)
			k.CreatedAt, k.RetiredAt = k.CreatedAt.UTC(), fromNullTime(retired)
			return k, err
		})
	if err != nil {
		return nil, translate(err, op, "delegation key")
	}
	return keys, nil
}

// AddDelegationKey stores k and retires at k.CreatedAt every other key not
// retired yet, in one transaction. It returns CodeConflict when k.ID
// exists. Additions take turns on a lock of the table, so of keys added at
// once, on any replica, exactly one is left to sign.
func (db *DB) AddDelegationKey(ctx context.Context, k delegation.Key) error {
	const op = "add delegation key"
	what := "delegation key " + k.ID
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, qLockDelegationKeys); err != nil {
			return translate(err, op, what)
		}
		_, err := tx.Exec(ctx, qAddDelegationKey, k.ID, blob(k.Public), utc(k.CreatedAt))
		if err != nil {
			return translate(err, op, what)
		}
		_, err = tx.Exec(ctx, qRetireDelegationKeys, utc(k.CreatedAt), k.ID)
		return translate(err, op, what)
	})
}

// DeleteDelegationKeys removes the keys retired before before and returns
// their ids, sorted.
func (db *DB) DeleteDelegationKeys(ctx context.Context, before time.Time) ([]string, error) {
	const op = "delete delegation keys"
	rows, err := db.pool.Query(ctx, qDeleteDelegationKeys, utc(before))
	if err != nil {
		return nil, translate(err, op, "delegation key")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, translate(err, op, "delegation key")
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
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, qInsertDelegation, r.JTI, r.User, r.Agent, codec.NonNil(r.Scope),
			codec.NonNil(r.UserRoles), r.Via, utc(r.IssuedAt), utc(r.ExpiresAt))
		if err != nil {
			return translate(err, op, what)
		}
		_, err = tx.Exec(ctx, qPruneDelegations, utc(r.IssuedAt.Add(-pruneAfter)))
		return translate(err, op, what)
	})
}

// Delegation returns the record of jti, or CodeNotFound.
func (db *DB) Delegation(ctx context.Context, jti string) (delegation.Record, error) {
	r, err := scanDelegation(db.pool.QueryRow(ctx, qDelegation, jti))
	if err != nil {
		return delegation.Record{}, translate(err, "get delegation", "delegation "+jti)
	}
	return r, nil
}

// Delegations returns the records principal issued or received that had
// not expired at now, revoked or not, newest first, ties by jti.
func (db *DB) Delegations(ctx context.Context, principal string, now time.Time,
) ([]delegation.Record, error) {
	const op = "list delegations"
	rows, err := db.pool.Query(ctx, qDelegations, principal, utc(now))
	if err != nil {
		return nil, translate(err, op, "delegation")
	}
	out, err := pgx.AppendRows([]delegation.Record(nil), rows,
		func(row pgx.CollectableRow) (delegation.Record, error) {
			return scanDelegation(row)
		})
	if err != nil {
		return nil, translate(err, op, "delegation")
	}
	return out, nil
}

// RevokeDelegation sets the RevokedAt of jti to at unless it is set, and
// returns the record as it now is, or CodeNotFound.
func (db *DB) RevokeDelegation(ctx context.Context, jti string, at time.Time,
) (delegation.Record, error) {
	r, err := scanDelegation(db.pool.QueryRow(ctx, qRevokeDelegation, jti, utc(at)))
	if err != nil {
		return delegation.Record{}, translate(err, "revoke delegation", "delegation "+jti)
	}
	return r, nil
}

// RevokeDelegationsOf revokes at at every record principal issued or
// received that is neither revoked nor expired at at, and returns how many.
func (db *DB) RevokeDelegationsOf(ctx context.Context, principal string, at time.Time,
) (int, error) {
	tag, err := db.pool.Exec(ctx, qRevokeDelegationsOf, principal, utc(at))
	if err != nil {
		return 0, translate(err, "revoke delegations", "delegation")
	}
	return int(tag.RowsAffected()), nil
}

// scanDelegation reads one row of delegationCols, its times in UTC and
// its empty lists nil.
func scanDelegation(row pgx.Row) (delegation.Record, error) {
	var r delegation.Record
	var revoked *time.Time
	err := row.Scan(&r.JTI, &r.User, &r.Agent, &r.Scope, &r.UserRoles, &r.Via,
		&r.IssuedAt, &r.ExpiresAt, &revoked)
	if err != nil {
		return delegation.Record{}, err
	}
	if len(r.Scope) == 0 {
		r.Scope = nil
	}
	if len(r.UserRoles) == 0 {
		r.UserRoles = nil
	}
	r.IssuedAt, r.ExpiresAt = r.IssuedAt.UTC(), r.ExpiresAt.UTC()
	r.RevokedAt = fromNullTime(revoked)
	return r, nil
}

// fromNullTime reads a nullable time back in UTC; NULL is the zero time.
func fromNullTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
