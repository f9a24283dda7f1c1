-- Webhooks: each integration's listener (the SHA-256 of its token; the
-- token itself sealed in secrets, scope 'webhook' and the app id), the
-- events taken in, outbound subscriptions (their secrets sealed in
-- secrets, scope 'subscription' and the subscription's id) and one
-- delivery row per event and subscription. None of these writes records a
-- change: no process caches them. Events are inserted under an advisory
-- lock held to commit, so that their ids commit in order and a reader
-- paging by id never skips one.

CREATE TABLE webhook_listeners (
    app_id     text COLLATE "C" PRIMARY KEY,
    hash       bytea       NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

-- A delivery id is taken in once per integration; a repeat counts as a
-- duplicate of the first.
CREATE TABLE webhook_events (
    id          bigserial   PRIMARY KEY,
    app_id      text COLLATE "C" NOT NULL,
    name        text        NOT NULL,
    delivery_id text COLLATE "C" NOT NULL,
    payload     text        NOT NULL,
    received_at timestamptz NOT NULL,
    body_digest text COLLATE "C",
    duplicates  bigint      NOT NULL DEFAULT 0,
    UNIQUE (app_id, delivery_id)
);

CREATE INDEX webhook_events_app ON webhook_events (app_id, id);
-- Schemes that sign the body alone: one event per body, whatever id a
-- delivery claims.
CREATE UNIQUE INDEX webhook_events_digest ON webhook_events (app_id, body_digest)
    WHERE body_digest IS NOT NULL;

-- events are names; empty is every event.
CREATE TABLE webhook_subscriptions (
    id         text COLLATE "C" PRIMARY KEY,
    app_id     text COLLATE "C" NOT NULL,
    events     text[]      NOT NULL,
    url        text        NOT NULL,
    principal  text        NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE INDEX webhook_subscriptions_app ON webhook_subscriptions (app_id, created_at, id);

CREATE TABLE webhook_deliveries (
    id              bigserial   PRIMARY KEY,
    subscription_id text COLLATE "C" NOT NULL
                        REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id        bigint      NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    status          text        NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer     NOT NULL,
    next_at         timestamptz NOT NULL,
    started_at      timestamptz NOT NULL,
    last_error      text        NOT NULL,
    delivered_at    timestamptz,
    updated_at      timestamptz NOT NULL,
    UNIQUE (subscription_id, event_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
