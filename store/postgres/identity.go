package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/identity"
)

// CreateAPIKey stores k and records an "api_key" change. It returns
// CodeConflict when a key with k's id or hash exists. k.LastUsedAt is not
// stored: a new key has not been used.
func (db *DB) CreateAPIKey(ctx context.Context, k identity.APIKey) error {
	const op = "create api key"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, qCreateAPIKey,
			k.ID, k.Principal, k.Name, blob(k.Hash), utc(k.CreatedAt))
		if err != nil {
			return translate(err, op, "api key")
		}
		return db.record(ctx, tx, change{kindAPIKey, k.ID})
	})
}

// APIKeyByHash returns the key whose SHA-256 is hash, or CodeNotFound. It
// reads what authentication needs and leaves LastUsedAt nil.
func (db *DB) APIKeyByHash(ctx context.Context, hash []byte) (identity.APIKey, error) {
	var k identity.APIKey
	err := db.pool.QueryRow(ctx, qAPIKeyByHash, blob(hash)).
		Scan(&k.ID, &k.Principal, &k.Name, &k.Hash, &k.CreatedAt)
	if err != nil {
		return identity.APIKey{}, translate(err, "get api key", "api key")
	}
	k.CreatedAt = k.CreatedAt.UTC()
	return k, nil
}

// CountAPIKeys returns how many API keys are stored.
func (db *DB) CountAPIKeys(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, qCountAPIKeys).Scan(&n); err != nil {
		return 0, translate(err, "count api keys", "api key")
	}
	return n, nil
}

// ListAPIKeys returns the keys of principal, or all keys when principal is
// "", oldest first.
func (db *DB) ListAPIKeys(ctx context.Context, principal string) ([]identity.APIKey, error) {
	const op = "list api keys"
	q, args := qListAPIKeys, []any(nil)
	if principal != "" {
		q, args = qListAPIKeysOf, []any{principal}
	}
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, op, "api key")
	}
	keys, err := pgx.AppendRows([]identity.APIKey(nil), rows,
		func(row pgx.CollectableRow) (identity.APIKey, error) {
			var k identity.APIKey
			err := row.Scan(&k.ID, &k.Principal, &k.Name, &k.Hash, &k.CreatedAt, &k.LastUsedAt)
			k.CreatedAt = k.CreatedAt.UTC()
			if k.LastUsedAt != nil {
				at := k.LastUsedAt.UTC()
				k.LastUsedAt = &at
			}
			return k, err
		})
	if err != nil {
		return nil, translate(err, op, "api key")
	}
	return keys, nil
}

// DeleteAPIKey deletes the key with id and records an "api_key" change, or
// returns CodeNotFound.
func (db *DB) DeleteAPIKey(ctx context.Context, id string) error {
	const op = "delete api key"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, qDeleteAPIKey, id)
		if err != nil {
			return translate(err, op, "api key")
		}
		if tag.RowsAffected() == 0 {
			return notFound("api key")
		}
		return db.record(ctx, tx, change{kindAPIKey, id})
	})
}

// DeleteAPIKeysOf deletes every key of principal, recording an "api_key"
// change for each, and returns how many it deleted.
func (db *DB) DeleteAPIKeysOf(ctx context.Context, principal string) (int, error) {
	const op = "delete api keys"
	var n int
	err := db.inTx(ctx, op, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, qDeleteAPIKeysOf, principal)
		if err != nil {
			return translate(err, op, "api key")
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return translate(err, op, "api key")
		}
		slices.Sort(ids)
		changes := make([]change, len(ids))
		for i, id := range ids {
			changes[i] = change{kindAPIKey, id}
		}
		n = len(ids)
		if n == 0 {
			return nil
		}
		return db.record(ctx, tx, changes...)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// TouchAPIKey moves the key's last use forward to at, recording no change.
// A key that does not exist is not an error.
func (db *DB) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	_, err := db.pool.Exec(ctx, qTouchAPIKey, id, utc(at))
	return translate(err, "touch api key", "api key")
}
