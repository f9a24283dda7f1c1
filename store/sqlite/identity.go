package sqlite

import (
	"context"
	"database/sql"

	"github.com/switchboard-dev/switchboard/identity"
)

// CreateAPIKey stores k and records an "api_key" change. It returns
// CodeConflict when a key with k's id or hash exists.
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

// APIKeyByHash returns the key whose SHA-256 is hash, or CodeNotFound.
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
