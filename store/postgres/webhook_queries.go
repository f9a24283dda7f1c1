package postgres

// webhookLockClass is the first key of the advisory lock that orders event
// ids ("swhk" as a 32-bit integer).
const webhookLockClass = "1937205355"

// Webhooks: listeners, events, subscriptions and deliveries. Sealed tokens
// and secrets live in secrets, scopes 'webhook' and 'subscription'.
const (
	qPutListener = `
INSERT INTO webhook_listeners (app_id, hash, created_at) VALUES ($1, $2, $3)
ON CONFLICT (app_id) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at`
	qPutSealed = `
INSERT INTO secrets (scope, name, sealed) VALUES ($1, $2, $3)
ON CONFLICT (scope, name) DO UPDATE SET sealed = excluded.sealed`
	qListener = `
SELECT s.sealed FROM webhook_listeners l
JOIN secrets s ON s.scope = 'webhook' AND s.name = l.app_id
WHERE l.app_id = $1`
	qCreateListener = `
INSERT INTO webhook_listeners (app_id, hash, created_at) VALUES ($1, $2, $3)
ON CONFLICT (app_id) DO NOTHING`
	qListenerApp = `SELECT app_id FROM webhook_listeners WHERE hash = $1`

	qLockEvents = `
SELECT pg_advisory_xact_lock(` + webhookLockClass + `, hashtext(current_schema()))`
	eventCols    = `id, app_id, name, delivery_id, payload, received_at, duplicates`
	qInsertEvent = `
INSERT INTO webhook_events (app_id, name, delivery_id, payload, received_at, body_digest)
VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''))
ON CONFLICT DO NOTHING
RETURNING ` + eventCols
	qDuplicateEvent = `
UPDATE webhook_events SET duplicates = duplicates + 1
WHERE id = (SELECT id FROM webhook_events
	WHERE app_id = $1 AND (delivery_id = $2 OR body_digest = NULLIF($3, ''))
	ORDER BY id LIMIT 1)
RETURNING ` + eventCols
	qEnqueueDeliveries = `
INSERT INTO webhook_deliveries (subscription_id, event_id, status, attempts, next_at,
	started_at, last_error, updated_at)
SELECT s.id, $1, 'pending', 0, $2, $2, '', $2 FROM webhook_subscriptions s
WHERE s.app_id = $3 AND (cardinality(s.events) = 0 OR $4 = ANY (s.events))`
	qEvents = `SELECT ` + eventCols + ` FROM webhook_events
WHERE app_id = $1 AND id > $2 ORDER BY id LIMIT $3`
	qEvent = `SELECT ` + eventCols + ` FROM webhook_events WHERE id = $1`

	subscriptionCols    = `id, app_id, events, url, principal, created_at`
	qCreateSubscription = `INSERT INTO webhook_subscriptions (` + subscriptionCols + `)
VALUES ($1, $2, $3, $4, $5, $6)`
	qSubscription = `
SELECT w.id, w.app_id, w.events, w.url, w.principal, w.created_at,
	coalesce(s.sealed, '\x'::bytea)
FROM webhook_subscriptions w
LEFT JOIN secrets s ON s.scope = 'subscription' AND s.name = w.id
WHERE w.id = $1`
	qSubscriptions = `SELECT ` + subscriptionCols + ` FROM webhook_subscriptions
WHERE ($1 = '' OR app_id = $1) ORDER BY created_at, id`
	qDeleteSubscription = `DELETE FROM webhook_subscriptions WHERE id = $1`
	qDeleteSealed       = `DELETE FROM secrets WHERE scope = $1 AND name = $2`

	deliveryCols = `id, subscription_id, event_id, status, attempts, next_at, started_at,
	last_error, delivered_at, updated_at`
	qClaimDeliveries = `
UPDATE webhook_deliveries SET next_at = $1
WHERE id IN (SELECT id FROM webhook_deliveries
	WHERE status = 'pending' AND next_at <= $2 ORDER BY next_at, id LIMIT $3
	FOR UPDATE SKIP LOCKED)
RETURNING ` + deliveryCols
	qUpdateDelivery = `
UPDATE webhook_deliveries SET status = $1, attempts = $2, next_at = $3, started_at = $4,
	last_error = $5, delivered_at = $6, updated_at = $7
WHERE id = $8`
	qDelivery   = `SELECT ` + deliveryCols + ` FROM webhook_deliveries WHERE id = $1`
	qDeliveries = `SELECT ` + deliveryCols + ` FROM webhook_deliveries
WHERE subscription_id = $1 ORDER BY id DESC LIMIT $2`

	qPurgeSubscriptionSecrets = `
DELETE FROM secrets WHERE scope = 'subscription' AND name IN
	(SELECT id FROM webhook_subscriptions WHERE app_id = $1)`
	qPurgeSubscriptions = `DELETE FROM webhook_subscriptions WHERE app_id = $1`
	qPurgeEvents        = `DELETE FROM webhook_events WHERE app_id = $1`
	qPurgeListener      = `DELETE FROM webhook_listeners WHERE app_id = $1`
)
