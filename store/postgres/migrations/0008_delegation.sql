-- Delegation: the keys that sign delegation tokens, the tokens issued
-- (never the tokens themselves), and standing delegations, a connection
-- lent to an agent. A key's private half is a vault secret; the table
-- keeps the public one. None of these writes records a change. retired_at
-- and revoked_at NULL are not yet.

CREATE TABLE delegation_keys (
    id         text COLLATE "C" PRIMARY KEY,
    public     bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    retired_at timestamptz
);

CREATE TABLE delegations (
    jti             text COLLATE "C" PRIMARY KEY,
    user_principal  text COLLATE "C" NOT NULL,
    agent_principal text COLLATE "C" NOT NULL,
    scope           text[]      NOT NULL,
    user_roles      text[]      NOT NULL,
    via             text        NOT NULL,
    issued_at       timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz
);

-- Listing and revoking read a principal's delegations, given or received;
-- issuing prunes the long expired.
CREATE INDEX delegations_user ON delegations (user_principal, expires_at);
CREATE INDEX delegations_agent ON delegations (agent_principal, expires_at);
CREATE INDEX delegations_expires ON delegations (expires_at);

-- A connection is lent to an agent once, and its grants go with it: the
-- unique index also finds them when the connection is deleted.
CREATE TABLE connection_grants (
    id            text COLLATE "C" PRIMARY KEY,
    app_id        text COLLATE "C" NOT NULL,
    connection_id text COLLATE "C" NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    owner         text COLLATE "C" NOT NULL,
    agent         text COLLATE "C" NOT NULL,
    created_at    timestamptz NOT NULL,
    UNIQUE (connection_id, agent)
);

-- Grants are read by owner or by agent, for one integration or all.
CREATE INDEX connection_grants_owner ON connection_grants (owner, app_id);
CREATE INDEX connection_grants_agent ON connection_grants (agent, app_id);
