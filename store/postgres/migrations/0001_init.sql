-- Text keys collate as "C" so that every listing sorts by bytes, as Go does,
-- whatever the database's locale.

CREATE TABLE changes (
    id         bigserial   PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN
                   ('catalog', 'installed', 'config', 'secret', 'vault_key', 'api_key')),
    subject    text        NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE uploaded_manifests (
    app_id     text COLLATE "C" PRIMARY KEY,
    version    text        NOT NULL,
    manifest   bytea       NOT NULL,
    updated_at timestamptz NOT NULL
);

-- installed_seq hands out Seq values; it only grows, so an integration
-- installed again after an uninstall gets a greater Seq than any before,
-- and concurrent first installs never share one.
CREATE SEQUENCE installed_seq AS bigint;

CREATE TABLE installed (
    app_id      text COLLATE "C" PRIMARY KEY,
    version     text        NOT NULL,
    manifest    bytea       NOT NULL,
    seq         bigint      NOT NULL UNIQUE DEFAULT nextval('installed_seq'),
    deployed_at timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

ALTER SEQUENCE installed_seq OWNED BY installed.seq;

-- json, not jsonb: the config comes back byte for byte as it was written.
CREATE TABLE configs (
    app_id text COLLATE "C" PRIMARY KEY,
    config json NOT NULL
);

CREATE TABLE vault_keys (
    version    bigint      PRIMARY KEY CHECK (version BETWEEN 0 AND 4294967295),
    wrapped    bytea       NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE secrets (
    scope  text COLLATE "C" NOT NULL,
    name   text COLLATE "C" NOT NULL,
    sealed bytea NOT NULL,
    PRIMARY KEY (scope, name)
);

CREATE TABLE api_keys (
    id         text COLLATE "C" PRIMARY KEY,
    principal  text        NOT NULL,
    name       text        NOT NULL,
    hash       bytea       NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);
