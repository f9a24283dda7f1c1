package postgres

// Credentials: connections with their sealed credentials (in secrets,
// scope 'connection'), refresh leases, OAuth states and connect links.
// Listings are oldest first, ties by id.
const (
	connectionCols = `id, app_id, principal, kind, label, status, last_error, expires_at,
	generation, created_at, updated_at`

	qCreateConnection = `INSERT INTO connections (` + connectionCols + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	qPutConnectionSecret = `
INSERT INTO secrets (scope, name, sealed) VALUES ('connection', $1, $2)
ON CONFLICT (scope, name) DO UPDATE SET sealed = excluded.sealed`
	qConnection = `
SELECT c.id, c.app_id, c.principal, c.kind, c.label, c.status, c.last_error, c.expires_at,
	c.generation, c.created_at, c.updated_at, coalesce(s.sealed, ''::bytea)
FROM connections c
LEFT JOIN secrets s ON s.scope = 'connection' AND s.name = c.id
WHERE c.id = $1`
	qConnections = `SELECT ` + connectionCols + ` FROM connections
WHERE app_id = $1 AND principal = $2 ORDER BY created_at, id`
	qConnectionExists = `SELECT count(*) FROM connections WHERE id = $1`

	qUpdateConnectionStatus = `
UPDATE connections SET status = $1, last_error = $2, updated_at = $3 WHERE id = $4`
	qUpdateConnectionSealed = `
UPDATE connections SET status = $1, last_error = $2, updated_at = $3, expires_at = $4,
	generation = generation + 1
WHERE id = $5`
	qRenameConnection       = `UPDATE connections SET label = $1, updated_at = $2 WHERE id = $3`
	qDeleteConnectionSecret = `DELETE FROM secrets WHERE scope = 'connection' AND name = $1`
	qDeleteConnection       = `DELETE FROM connections WHERE id = $1`

	// The filters take the app id as $1 and the principal as $2; "" is
	// any.
	filterWhere            = `($1 = '' OR app_id = $1) AND ($2 = '' OR principal = $2)`
	qDeleteFilteredSecrets = `
DELETE FROM secrets WHERE scope = 'connection' AND name IN
	(SELECT id FROM connections WHERE ` + filterWhere + `)`
	qDeleteFilteredConnections = `DELETE FROM connections WHERE ` + filterWhere +
		` RETURNING ` + connectionCols
	qDeleteFilteredStates = `DELETE FROM oauth_states WHERE ` + filterWhere
	qDeleteFilteredLinks  = `DELETE FROM connect_links WHERE ` + filterWhere

	// qAcquireLease takes the lease of $1 for $2 until $4 unless another
	// holds one that has not expired at $3; it returns a row when it did. A
	// concurrent acquire of the same lease waits for this one to commit.
	qAcquireLease = `
INSERT INTO refresh_leases (connection_id, holder, expires_at) VALUES ($1, $2, $4)
ON CONFLICT (connection_id) DO UPDATE SET
	holder = excluded.holder,
	expires_at = excluded.expires_at
WHERE refresh_leases.expires_at <= $3
RETURNING holder`
	qReleaseLease = `DELETE FROM refresh_leases WHERE connection_id = $1 AND holder = $2`

	stateCols = `hash, app_id, principal, connection_id, return_to, verifier, created_at,
	expires_at`
	qDeleteExpiredStates = `DELETE FROM oauth_states WHERE expires_at <= $1`
	qPutState            = `INSERT INTO oauth_states (` + stateCols + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	qTakeState = `DELETE FROM oauth_states WHERE hash = $1 RETURNING ` + stateCols

	linkCols            = `hash, app_id, principal, connection_id, created_at, expires_at`
	qDeleteExpiredLinks = `DELETE FROM connect_links WHERE expires_at <= $1`
	qPutLink            = `INSERT INTO connect_links (` + linkCols + `)
VALUES ($1, $2, $3, $4, $5, $6)`
	qLink     = `SELECT ` + linkCols + ` FROM connect_links WHERE hash = $1`
	qTakeLink = `DELETE FROM connect_links WHERE hash = $1 RETURNING ` + linkCols
)
