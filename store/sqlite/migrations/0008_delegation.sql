-- Delegation: the keys that sign delegation tokens, the tokens issued
-- (never the tokens themselves), and standing delegations, a connection
-- lent to an agent. A key's private half is a vault secret; the table
-- keeps the public one. None of these writes records a change. Times are
-- microseconds since the Unix epoch, UTC; retired_at and revoked_at NULL
-- are not yet.

CREATE TABLE delegation_keys (
    id         TEXT    PRIMARY KEY,
    public     BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
) STRICT;

-- scope and user_roles are JSON arrays of strings.
CREATE TABLE delegations (
    jti             TEXT    PRIMARY KEY,
    user_principal  TEXT    NOT NULL,
    agent_principal TEXT    NOT NULL,
    scope           TEXT    NOT NULL CHECK (json_type(scope) = 'array'),
    user_roles      TEXT    NOT NULL CHECK (json_type(user_roles) = 'array'),
    via             TEXT    NOT NULL,
    issued_at       INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    revoked_at      INTEGER
) STRICT;

-- Listing and revoking read a principal's delegations, given or received;
-- issuing prunes the long expired.
CREATE INDEX delegations_user ON delegations (user_principal, expires_at);
CREATE INDEX delegations_agent ON delegations (agent_principal, expires_at);
CREATE INDEX delegations_expires ON delegations (expires_at);

-- A connection is lent to an agent once, and its grants go with it: the
-- unique index also finds them when the connection is deleted.
CREATE TABLE connection_grants (
    id            TEXT    PRIMARY KEY,
    app_id        TEXT    NOT NULL,
    connection_id TEXT    NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    owner         TEXT    NOT NULL,
    agent         TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (connection_id, agent)
) STRICT;

-- Grants are read by owner or by agent, for one integration or all.
CREATE INDEX connection_grants_owner ON connection_grants (owner, app_id);
CREATE INDEX connection_grants_agent ON connection_grants (agent, app_id);
