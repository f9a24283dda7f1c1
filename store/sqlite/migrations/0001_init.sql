-- Times are integers: microseconds since the Unix epoch, UTC.

CREATE TABLE changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT    NOT NULL CHECK (kind IN
                   ('catalog', 'installed', 'config', 'secret', 'vault_key', 'api_key')),
    subject    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE uploaded_manifests (
    app_id     TEXT    PRIMARY KEY,
    version    TEXT    NOT NULL,
    manifest   BLOB    NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- install_seq hands out Seq values; it only grows, so an integration
-- installed again after an uninstall gets a greater Seq than any before.
CREATE TABLE install_seq (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last INTEGER NOT NULL
) STRICT;

INSERT INTO install_seq (id, last) VALUES (1, 0);

CREATE TABLE installed (
    app_id      TEXT    PRIMARY KEY,
    version     TEXT    NOT NULL,
    manifest    BLOB    NOT NULL,
    seq         INTEGER NOT NULL UNIQUE,
    deployed_at INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE configs (
    app_id TEXT PRIMARY KEY,
    config TEXT NOT NULL CHECK (json_valid(config))
) STRICT;

CREATE TABLE vault_keys (
    version    INTEGER PRIMARY KEY CHECK (version BETWEEN 0 AND 4294967295),
    wrapped    BLOB    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE secrets (
    scope  TEXT NOT NULL,
    name   TEXT NOT NULL,
    sealed BLOB NOT NULL,
    PRIMARY KEY (scope, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE api_keys (
    id         TEXT    PRIMARY KEY,
    principal  TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    hash       BLOB    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;
