package sqlite

// Every statement of the store lives here. Arguments are always bound, never
// spliced into the text.

// Migrations.
const (
	qCreateMigrations = `
CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at INTEGER NOT NULL
) STRICT`
	qMigrationsTable = `
SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	qAppliedVersions  = `SELECT version FROM schema_migrations`
	qMigrationApplied = `SELECT count(*) FROM schema_migrations WHERE version = ?`
	qInsertMigration  = `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`
)

// Change feed.
const (
	qInsertChange = `INSERT INTO changes (kind, subject, created_at) VALUES (?, ?, ?)`
	qLastChange   = `SELECT coalesce(max(id), 0) FROM changes`
	qChanges      = `
SELECT id, kind, subject, created_at FROM changes WHERE id > ? ORDER BY id LIMIT ?`
)

// Registry: uploaded manifests, installed set, plain config.
const (
	qPutUploaded = `
INSERT INTO uploaded_manifests (app_id, version, manifest, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (app_id) DO UPDATE SET
	version = excluded.version,
	manifest = excluded.manifest,
	updated_at = excluded.updated_at`
	qUploaded = `
SELECT app_id, version, manifest, updated_at FROM uploaded_manifests ORDER BY app_id`
	qDeleteUploaded = `DELETE FROM uploaded_manifests WHERE app_id = ?`

	// qNextSeq advances the counter on every Install, as a sequence would,
	// and returns the new value: the Seq of a new row and the stamp of the
	// actions an install adds. Transactions take the file's write lock
	// first, so values grow in the order installs commit.
	qNextSeq      = `UPDATE install_seq SET last = last + 1 WHERE id = 1 RETURNING last`
	installedCols = `app_id, version, manifest, seq, deployed_at, updated_at, action_since`
	qInstalledRow = `SELECT ` + installedCols + ` FROM installed WHERE app_id = ?`
	qInstall      = `
INSERT INTO installed (` + installedCols + `) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (app_id) DO UPDATE SET
	version = excluded.version,
	manifest = excluded.manifest,
	updated_at = excluded.updated_at,
	action_since = excluded.action_since
RETURNING ` + installedCols
	qUninstall    = `DELETE FROM installed WHERE app_id = ?`
	qInstalledSet = `SELECT ` + installedCols + ` FROM installed ORDER BY seq`

	qConfigs   = `SELECT app_id, config FROM configs ORDER BY app_id`
	qConfig    = `SELECT config FROM configs WHERE app_id = ?`
	qPutConfig = `
INSERT INTO configs (app_id, config) VALUES (?, ?)
ON CONFLICT (app_id) DO UPDATE SET config = excluded.config`
	qDeleteConfig = `DELETE FROM configs WHERE app_id = ?`
)

// Vault: key ring and sealed secrets.
const (
	qVaultKeys   = `SELECT version, wrapped, created_at FROM vault_keys ORDER BY version`
	qAddVaultKey = `INSERT INTO vault_keys (version, wrapped, created_at) VALUES (?, ?, ?)`

	qSecret    = `SELECT sealed FROM secrets WHERE scope = ? AND name = ?`
	qPutSecret = `
INSERT INTO secrets (scope, name, sealed) VALUES (?, ?, ?)
ON CONFLICT (scope, name) DO UPDATE SET sealed = excluded.sealed`
	qCreateSecret = `INSERT INTO secrets (scope, name, sealed) VALUES (?, ?, ?)
ON CONFLICT (scope, name) DO NOTHING`
	qDeleteSecret = `DELETE FROM secrets WHERE scope = ? AND name = ?`
	qSecretNames  = `SELECT name FROM secrets WHERE scope = ? ORDER BY name`
	qAllSecrets   = `SELECT scope, name, sealed FROM secrets ORDER BY scope, name`
	qRewrapSecret = `UPDATE secrets SET sealed = ? WHERE scope = ? AND name = ?`
)

// Identity: API keys.
const (
	qCreateAPIKey = `
INSERT INTO api_keys (id, principal, name, hash, created_at) VALUES (?, ?, ?, ?, ?)`
	qAPIKeyByHash = `
SELECT id, principal, name, hash, created_at FROM api_keys WHERE hash = ?`
	qCountAPIKeys = `SELECT count(*) FROM api_keys`
)
