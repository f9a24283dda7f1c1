-- Connections: a principal's credentials for one integration, or the
-- platform's own (principal ''), with OAuth states and connect links in
-- flight and refresh leases. Credentials are sealed in secrets, scope
-- 'connection' and the connection's id as name, written in the same
-- transaction as the row, so that vault rotation re-wraps them. None of
-- these writes records a change: no process caches them. expires_at NULL
-- is unknown.

CREATE TABLE connections (
    id         text COLLATE "C" PRIMARY KEY,
    app_id     text COLLATE "C" NOT NULL,
    principal  text COLLATE "C" NOT NULL,
    kind       text        NOT NULL
                   CHECK (kind IN ('oauth2', 'credentials', 'client_credentials')),
    label      text        NOT NULL,
    status     text        NOT NULL CHECK (status IN ('active', 'dead')),
    last_error text        NOT NULL,
    expires_at timestamptz,
    generation bigint      NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Calls pick a principal's oldest connection to an integration.
CREATE INDEX connections_owner ON connections (app_id, principal, created_at, id);
CREATE INDEX connections_principal ON connections (principal);
-- An integration has at most one platform connection.
CREATE UNIQUE INDEX connections_platform ON connections (app_id) WHERE principal = '';

-- One process at a time renews a connection's token: the holder of its
-- lease, until expires_at.
CREATE TABLE refresh_leases (
    connection_id text COLLATE "C" PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    holder        text        NOT NULL,
    expires_at    timestamptz NOT NULL
);

-- OAuth authorization requests in flight, by the SHA-256 of their state;
-- verifier is the sealed PKCE verifier, empty without PKCE.
CREATE TABLE oauth_states (
    hash          bytea PRIMARY KEY,
    app_id        text COLLATE "C" NOT NULL,
    principal     text COLLATE "C" NOT NULL,
    connection_id text COLLATE "C" NOT NULL,
    return_to     text        NOT NULL,
    verifier      bytea       NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);

CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
CREATE INDEX oauth_states_owner ON oauth_states (app_id, principal);
CREATE INDEX oauth_states_principal ON oauth_states (principal);

-- Connect links, by the SHA-256 of their token.
CREATE TABLE connect_links (
    hash          bytea PRIMARY KEY,
    app_id        text COLLATE "C" NOT NULL,
    principal     text COLLATE "C" NOT NULL,
    connection_id text COLLATE "C" NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);

CREATE INDEX connect_links_expires ON connect_links (expires_at);
CREATE INDEX connect_links_owner ON connect_links (app_id, principal);
CREATE INDEX connect_links_principal ON connect_links (principal);
