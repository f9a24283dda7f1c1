package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/switchboard-dev/switchboard/identity"
)

// CreateAPIKey stores k and records an "api_key" change. It returns
// CodeConflict when a key with k's id or hash exists. k.LastUsedAt is not
// stored: a new key has not been used.
func (db *DB) CreateAPIKey(ctx context.Context, k identity.APIKey) error {
	const op = "create api key"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, qCreateAPIKey,
			k.ID, k.Principal, k.Name, blob(k.Hash), micros(k.CreatedAt))
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
	var at int64
	err := db.hot.apiKeyByHash.QueryRowContext(ctx, blob(hash)).
		Scan(&k.ID, &k.Principal, &k.Name, &k.Hash, &at)
	if err != nil {
		return identity.APIKey{}, translate(err, "get api key", "api key")
	}
	k.CreatedAt = fromMicros(at)
	return k, nil
}

// CountAPIKeys returns how many API keys are stored.
func (db *DB) CountAPIKeys(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, qCountAPIKeys).Scan(&n); err != nil {
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
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, translate(err, op, "api key")
	}
	defer rows.Close()

	var keys []identity.APIKey
	for rows.Next() {
		var k identity.APIKey
		var created int64
		var used sql.NullInt64
		err := rows.Scan(&k.ID, &k.Principal, &k.Name, &k.Hash, &created, &used)
		if err != nil {
			return nil, translate(err, op, "api key")
		}
		k.CreatedAt = fromMicros(created)
		if used.Valid {
			at := fromMicros(used.Int64)
			k.LastUsedAt = &at
		}
		keys = append(keys, k)
	}
	return keys, translate(rows.Err(), op, "api key")
}

// DeleteAPIKey deletes the key with id and records an "api_key" change, or
// returns CodeNotFound.
func (db *DB) DeleteAPIKey(ctx context.Context, id string) error {
	const op = "delete api key"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		n, err := exec(ctx, tx, qDeleteAPIKey, id)
		if err != nil {
			return translate(err, op, "api key")
		}
		if n == 0 {
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
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		ids, err := deleteKeysOf(ctx, tx, principal)
		if err != nil {
			return translate(err, op, "api key")
		}
		changes := make([]change, len(ids))
		for i, id := range ids {
			changes[i] = change{kindAPIKey, id}
		}
		n = len(ids)
		return db.record(ctx, tx, changes...)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// deleteKeysOf deletes principal's keys in tx and returns their ids, sorted.
func deleteKeysOf(ctx context.Context, tx *sql.Tx, principal string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, qDeleteAPIKeysOf, principal)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, rows.Close()
}

// TouchAPIKey moves the key's last use forward to at, recording no change.
// A key that does not exist is not an error.
func (db *DB) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	const op = "touch api key"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, qTouchAPIKey, micros(at), id)
		return translate(err, op, "api key")
	})
}
