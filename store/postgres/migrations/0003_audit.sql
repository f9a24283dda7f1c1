-- The audit: entries, append-only, and the head of each writer's chain.
-- Appends record nothing in changes: the audit is not state to react to.
-- Latency is in nanoseconds; detail is a JSON object of strings, kept as
-- text so that it comes back byte for byte.

CREATE TABLE audit_entries (
    chain        text COLLATE "C" NOT NULL,
    seq          bigint      NOT NULL CHECK (seq > 0),
    id           text COLLATE "C" NOT NULL UNIQUE,
    at           timestamptz NOT NULL,
    actor        text COLLATE "C" NOT NULL,
    on_behalf_of text        NOT NULL,
    surface      text        NOT NULL,
    event        text        NOT NULL,
    integration  text COLLATE "C" NOT NULL,
    action       text COLLATE "C" NOT NULL,
    outcome      text COLLATE "C" NOT NULL,
    error_code   text        NOT NULL,
    latency_ns   bigint      NOT NULL,
    request_id   text        NOT NULL,
    input_mac    text        NOT NULL,
    detail       text        NOT NULL,
    prev_hash    text        NOT NULL,
    hash         text        NOT NULL,
    PRIMARY KEY (chain, seq)
);

-- Queries filter on these and page by id, which begins with the time.
CREATE INDEX audit_entries_actor ON audit_entries (actor, id);
CREATE INDEX audit_entries_integration ON audit_entries (integration, action, id);
CREATE INDEX audit_entries_outcome ON audit_entries (outcome, id);

CREATE TABLE audit_heads (
    chain     text COLLATE "C" PRIMARY KEY,
    last_seq  bigint NOT NULL CHECK (last_seq > 0),
    last_hash text   NOT NULL
);
