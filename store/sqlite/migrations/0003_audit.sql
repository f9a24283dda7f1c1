-- The audit: entries, append-only, and the head of each writer's chain.
-- Appends record nothing in changes: the audit is not state to react to.
-- Times are microseconds since the Unix epoch; latency is in nanoseconds;
-- detail is a JSON object of strings.

CREATE TABLE audit_entries (
    chain        TEXT    NOT NULL,
    seq          INTEGER NOT NULL CHECK (seq > 0),
    id           TEXT    NOT NULL UNIQUE,
    at           INTEGER NOT NULL,
    actor        TEXT    NOT NULL,
    on_behalf_of TEXT    NOT NULL,
    surface      TEXT    NOT NULL,
    event        TEXT    NOT NULL,
    integration  TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    outcome      TEXT    NOT NULL,
    error_code   TEXT    NOT NULL,
    latency_ns   INTEGER NOT NULL,
    request_id   TEXT    NOT NULL,
    input_mac    TEXT    NOT NULL,
    detail       TEXT    NOT NULL,
    prev_hash    TEXT    NOT NULL,
    hash         TEXT    NOT NULL,
    PRIMARY KEY (chain, seq)
) STRICT, WITHOUT ROWID;

-- Queries filter on these and page by id, which begins with the time.
CREATE INDEX audit_entries_actor ON audit_entries (actor, id);
CREATE INDEX audit_entries_integration ON audit_entries (integration, action, id);
CREATE INDEX audit_entries_outcome ON audit_entries (outcome, id);

CREATE TABLE audit_heads (
    chain     TEXT    PRIMARY KEY,
    last_seq  INTEGER NOT NULL CHECK (last_seq > 0),
    last_hash TEXT    NOT NULL
) STRICT, WITHOUT ROWID;
