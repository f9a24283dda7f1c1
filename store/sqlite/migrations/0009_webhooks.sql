-- Webhooks: each integration's listener (the SHA-256 of its token; the
-- token itself sealed in secrets, scope 'webhook' and the app id), the
-- events taken in, outbound subscriptions (their secrets sealed in
-- secrets, scope 'subscription' and the subscription's id) and one
-- delivery row per event and subscription. None of these writes records a
-- change: no process caches them. Times are microseconds since the Unix
-- epoch, UTC.

CREATE TABLE webhook_listeners (
    app_id     TEXT    PRIMARY KEY,
    hash       BLOB    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;

-- A delivery id is taken in once per integration; a repeat counts as a
-- duplicate of the first.
CREATE TABLE webhook_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id      TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    delivery_id TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    body_digest TEXT,
    duplicates  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (app_id, delivery_id)
) STRICT;

CREATE INDEX webhook_events_app ON webhook_events (app_id, id);
-- Schemes that sign the body alone: one event per body, whatever id a
-- delivery claims.
CREATE UNIQUE INDEX webhook_events_digest ON webhook_events (app_id, body_digest)
    WHERE body_digest IS NOT NULL;

-- events is a JSON array of names; [] is every event.
CREATE TABLE webhook_subscriptions (
    id         TEXT    PRIMARY KEY,
    app_id     TEXT    NOT NULL,
    events     TEXT    NOT NULL,
    url        TEXT    NOT NULL,
    principal  TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX webhook_subscriptions_app ON webhook_subscriptions (app_id, created_at, id);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id TEXT    NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id        INTEGER NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL,
    next_at         INTEGER NOT NULL,
    started_at      INTEGER NOT NULL,
    last_error      TEXT    NOT NULL,
    delivered_at    INTEGER,
    updated_at      INTEGER NOT NULL,
    UNIQUE (subscription_id, event_id)
) STRICT;

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
