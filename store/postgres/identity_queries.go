package postgres

// Identity: listing, deleting and touching API keys. Keys list oldest
// first, ties by id.
const (
	qListAPIKeys = `
SELECT id, principal, name, hash, created_at, last_used_at FROM api_keys
ORDER BY created_at, id`
	qListAPIKeysOf = `
SELECT id, principal, name, hash, created_at, last_used_at FROM api_keys
WHERE principal = $1 ORDER BY created_at, id`
	qDeleteAPIKey    = `DELETE FROM api_keys WHERE id = $1`
	qDeleteAPIKeysOf = `DELETE FROM api_keys WHERE principal = $1 RETURNING id`

	// qTouchAPIKey only moves last_used_at forward, so that replicas
	// writing out of order never set it back.
	qTouchAPIKey = `
UPDATE api_keys SET last_used_at = $2
WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`
)
