package postgres

// Delegation: signing keys, newest first, and issued delegations, newest
// first; ties by id.
const (
	delegationKeyCols = `id, public, created_at, retired_at`
	qDelegationKeys   = `SELECT ` + delegationKeyCols + ` FROM delegation_keys
ORDER BY created_at DESC, id DESC`
	// qLockDelegationKeys makes adding keys take turns, so that the key
	// each one retires includes the one added just before; reads go on.
	qLockDelegationKeys = `LOCK TABLE delegation_keys IN SHARE ROW EXCLUSIVE MODE`
	qAddDelegationKey   = `INSERT INTO delegation_keys (` + delegationKeyCols + `)
VALUES ($1, $2, $3, NULL)`
	qRetireDelegationKeys = `
UPDATE delegation_keys SET retired_at = $1 WHERE retired_at IS NULL AND id <> $2`
	qDeleteDelegationKeys = `
DELETE FROM delegation_keys WHERE retired_at < $1 RETURNING id`

	delegationCols = `jti, user_principal, agent_principal, scope, user_roles, via,
	issued_at, expires_at, revoked_at`
	qInsertDelegation = `INSERT INTO delegations (` + delegationCols + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)`
	qPruneDelegations = `DELETE FROM delegations WHERE expires_at < $1`
	qDelegation       = `SELECT ` + delegationCols + ` FROM delegations WHERE jti = $1`
	qDelegations      = `SELECT ` + delegationCols + ` FROM delegations
WHERE (user_principal = $1 OR agent_principal = $1) AND expires_at > $2
ORDER BY issued_at DESC, jti DESC`
	// qRevokeDelegation keeps the first revocation's time.
	qRevokeDelegation = `
UPDATE delegations SET revoked_at = coalesce(revoked_at, $2) WHERE jti = $1
RETURNING ` + delegationCols
	// qRevokeDelegationsOf revokes the records of $1 neither revoked nor
	// expired at $2.
	qRevokeDelegationsOf = `
UPDATE delegations SET revoked_at = $2
WHERE (user_principal = $1 OR agent_principal = $1)
	AND revoked_at IS NULL AND expires_at > $2`
)

// Grants: standing delegations, oldest first, ties by id.
const (
	grantCols = `id, app_id, connection_id, owner, agent, created_at`
	// qCreateGrant inserts nothing when the connection is lent to the
	// agent already; a grant id that exists fails.
	qCreateGrant = `INSERT INTO connection_grants (` + grantCols + `)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (connection_id, agent) DO NOTHING`
	qGrants = `SELECT ` + grantCols + ` FROM connection_grants
WHERE ($1 = '' OR app_id = $1) AND (owner = $2 OR agent = $2)
ORDER BY created_at, id`
	qDeleteGrant    = `DELETE FROM connection_grants WHERE id = $1`
	qDeleteGrantsTo = `DELETE FROM connection_grants WHERE agent = $1`
)
