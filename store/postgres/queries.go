package postgres

// Every statement of the store lives here. Arguments are always bound, never
// spliced into the text.

// Migrations.
const (
	qMigrateLock      = `SELECT pg_advisory_xact_lock($1)`
	qCreateMigrations = `
CREATE TABLE IF NOT EXISTS schema_migrations (
	version    bigint      PRIMARY KEY,
	applied_at timestamptz NOT NULL
)`
	qMigrationsTable  = `SELECT to_regclass('schema_migrations') IS NOT NULL`
	qAppliedVersions  = `SELECT version FROM schema_migrations`
	qMigrationApplied = `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`
	qInsertMigration  = `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`
)

// Change feed. qLockChanges lets one transaction at a time of the schema
// add changes, from taking an id to commit, so that ids commit in order. It
// is an advisory lock, not a table lock, so that neither readers nor vacuum
// contend with it; its second key is the schema's, so that stores on other
// schemas of the database do not wait for one another.
const (
	qLockChanges = `
SELECT pg_advisory_xact_lock(` + changesLockClass + `, hashtext(current_schema()))`
	qInsertChange = `
WITH c AS (
	INSERT INTO changes (kind, subject, created_at) VALUES ($1, $2, $3) RETURNING id
)
SELECT pg_notify('` + NotifyChannel + `', id::text) FROM c`
	qLastChange = `SELECT coalesce(max(id), 0) FROM changes`
	qChanges    = `
SELECT id, kind, subject, created_at FROM changes WHERE id > $1 ORDER BY id LIMIT $2`
)

// Registry: uploaded manifests, installed set, plain config.
const (
	qPutUploaded = `
INSERT INTO uploaded_manifests (app_id, version, manifest, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (app_id) DO UPDATE SET
	version = excluded.version,
	manifest = excluded.manifest,
	updated_at = excluded.updated_at`
	qUploaded = `
SELECT app_id, version, manifest, updated_at FROM uploaded_manifests ORDER BY app_id`
	qDeleteUploaded = `DELETE FROM uploaded_manifests WHERE app_id = $1`

	// qLockInstalled makes installs take turns, on every replica, from
	// drawing a stamp to commit, so that stamps grow in commit order: a tool
	// name a client saw is never taken by an install that drew an older
	// stamp but committed later. Readers do not wait for it.
	qLockInstalled = `LOCK TABLE installed IN SHARE ROW EXCLUSIVE MODE`
	// qNextSeq is the Seq of a new row and the stamp of the actions an
	// install adds; an update leaves seq as it was (gaps are harmless).
	qNextSeq      = `SELECT nextval('installed_seq')`
	installedCols = `app_id, version, manifest, seq, deployed_at, updated_at, action_since`
	qInstalledRow = `SELECT ` + installedCols + ` FROM installed WHERE app_id = $1`
	qInstall      = `
INSERT INTO installed (` + installedCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
ON CONFLICT (app_id) DO UPDATE SET
	version = excluded.version,
	manifest = excluded.manifest,
	updated_at = excluded.updated_at,
	action_since = excluded.action_since
RETURNING ` + installedCols
	qUninstall    = `DELETE FROM installed WHERE app_id = $1`
	qInstalledSet = `SELECT ` + installedCols + ` FROM installed ORDER BY seq`

	qConfigs         = `SELECT app_id, config::text FROM configs ORDER BY app_id`
	qEnsureConfig    = `INSERT INTO configs (app_id, config) VALUES ($1, '{}') ON CONFLICT DO NOTHING`
	qConfigForUpdate = `SELECT config::text FROM configs WHERE app_id = $1 FOR UPDATE`
	qUpdateConfig    = `UPDATE configs SET config = $2::json WHERE app_id = $1`
	qDeleteConfig    = `DELETE FROM configs WHERE app_id = $1`
)

// Vault: key ring and sealed secrets.
const (
	qVaultKeys   = `SELECT version, wrapped, created_at FROM vault_keys ORDER BY version`
	qAddVaultKey = `INSERT INTO vault_keys (version, wrapped, created_at) VALUES ($1, $2, $3)`

	qSecret    = `SELECT sealed FROM secrets WHERE scope = $1 AND name = $2`
	qPutSecret = `
INSERT INTO secrets (scope, name, sealed) VALUES ($1, $2, $3)
ON CONFLICT (scope, name) DO UPDATE SET sealed = excluded.sealed`
	qCreateSecret = `INSERT INTO secrets (scope, name, sealed) VALUES ($1, $2, $3)
ON CONFLICT (scope, name) DO NOTHING`
	qDeleteSecret = `DELETE FROM secrets WHERE scope = $1 AND name = $2`
	qSecretNames  = `SELECT name FROM secrets WHERE scope = $1 ORDER BY name`
	// qAllSecrets locks every row, so that no concurrent PutSecret lands
	// between the read and the rewrite of a value.
	qAllSecrets   = `SELECT scope, name, sealed FROM secrets ORDER BY scope, name FOR UPDATE`
	qRewrapSecret = `UPDATE secrets SET sealed = $3 WHERE scope = $1 AND name = $2`
)

// Identity: API keys.
const (
	qCreateAPIKey = `
INSERT INTO api_keys (id, principal, name, hash, created_at) VALUES ($1, $2, $3, $4, $5)`
	qAPIKeyByHash = `
SELECT id, principal, name, hash, created_at FROM api_keys WHERE hash = $1`
	qCountAPIKeys = `SELECT count(*) FROM api_keys`
)
