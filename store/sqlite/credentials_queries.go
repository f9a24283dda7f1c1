package sqlite

// Credentials: connections with their sealed credentials (in secrets,
// scope 'connection'), refresh leases, OAuth states and connect links.
// Listings are oldest first, ties by id.
const (
	connectionCols = `id, app_id, principal, kind, label, status, last_error, expires_at,
	generation, created_at, updated_at`

	qCreateConnection = `INSERT INTO connections (` + connectionCols + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qPutConnectionSecret = `
INSERT INTO secrets (scope, name, sealed) VALUES ('connection', ?, ?)
ON CONFLICT (scope, name) DO UPDATE SET sealed = excluded.sealed`
	qConnection = `
SELECT c.id, c.app_id, c.principal, c.kind, c.label, c.status, c.last_error, c.expires_at,
	c.generation, c.created_at, c.updated_at, coalesce(s.sealed, x'')
FROM connections c
LEFT JOIN secrets s ON s.scope = 'connection' AND s.name = c.id
WHERE c.id = ?`
	qConnections = `SELECT ` + connectionCols + ` FROM connections
WHERE app_id = ? AND principal = ? ORDER BY created_at, id`
	qConnectionExists = `SELECT count(*) FROM connections WHERE id = ?`

	qUpdateConnectionStatus = `
UPDATE connections SET status = ?, last_error = ?, updated_at = ? WHERE id = ?`
	qUpdateConnectionSealed = `
UPDATE connections SET status = ?, last_error = ?, updated_at = ?, expires_at = ?,
	generation = generation + 1
WHERE id = ?`
	qRenameConnection       = `UPDATE connections SET label = ?, updated_at = ? WHERE id = ?`
	qDeleteConnectionSecret = `DELETE FROM secrets WHERE scope = 'connection' AND name = ?`
	qDeleteConnection       = `DELETE FROM connections WHERE id = ?`

	// The filters take the app id as ?1 and the principal as ?2; "" is
	// any.
	filterWhere            = `(?1 = '' OR app_id = ?1) AND (?2 = '' OR principal = ?2)`
	qDeleteFilteredSecrets = `
DELETE FROM secrets WHERE scope = 'connection' AND name IN
	(SELECT id FROM connections WHERE ` + filterWhere + `)`
	qDeleteFilteredConnections = `DELETE FROM connections WHERE ` + filterWhere +
		` RETURNING ` + connectionCols
	qDeleteFilteredStates = `DELETE FROM oauth_states WHERE ` + filterWhere
	qDeleteFilteredLinks  = `DELETE FROM connect_links WHERE ` + filterWhere

	// qAcquireLease takes the lease of ?1 for ?2 until ?4 unless another
	// holds one that has not expired at ?3; it returns a row when it did.
	qAcquireLease = `
INSERT INTO refresh_leases (connection_id, holder, expires_at) VALUES (?1, ?2, ?4)
ON CONFLICT (connection_id) DO UPDATE SET
	holder = excluded.holder,
	expires_at = excluded.expires_at
WHERE refresh_leases.expires_at <= ?3
RETURNING holder`
	qReleaseLease = `DELETE FROM refresh_leases WHERE connection_id = ? AND holder = ?`

	stateCols = `hash, app_id, principal, connection_id, return_to, verifier, created_at,
	expires_at`
	qDeleteExpiredStates = `DELETE FROM oauth_states WHERE expires_at <= ?`
	qPutState            = `INSERT INTO oauth_states (` + stateCols + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	qTakeState = `DELETE FROM oauth_states WHERE hash = ? RETURNING ` + stateCols

	linkCols            = `hash, app_id, principal, connection_id, created_at, expires_at`
	qDeleteExpiredLinks = `DELETE FROM connect_links WHERE expires_at <= ?`
	qPutLink            = `INSERT INTO connect_links (` + linkCols + `) VALUES (?, ?, ?, ?, ?, ?)`
	qLink               = `SELECT ` + linkCols + ` FROM connect_links WHERE hash = ?`
	qTakeLink           = `DELETE FROM connect_links WHERE hash = ? RETURNING ` + linkCols
)
