package sqlite

// Webhooks: listeners, events, subscriptions and deliveries. Sealed tokens
// and secrets live in secrets, scopes 'webhook' and 'subscription'.
const (
	qPutListener = `
INSERT INTO webhook_listeners (app_id, hash, created_at) VALUES (?, ?, ?)
ON CONFLICT (app_id) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at`
	qPutSealed = `
INSERT INTO secrets (scope, name, sealed) VALUES (?, ?, ?)
ON CONFLICT (scope, name) DO UPDATE SET sealed = excluded.sealed`
	qListener = `
SELECT s.sealed FROM webhook_listeners l
JOIN secrets s ON s.scope = 'webhook' AND s.name = l.app_id
WHERE l.app_id = ?`
	qCreateListener = `
INSERT INTO webhook_listeners (app_id, hash, created_at) VALUES (?, ?, ?)
ON CONFLICT (app_id) DO NOTHING`
	qListenerApp = `SELECT app_id FROM webhook_listeners WHERE hash = ?`

	eventCols    = `id, app_id, name, delivery_id, payload, received_at, duplicates`
	qInsertEvent = `
INSERT INTO webhook_events (app_id, name, delivery_id, payload, received_at, body_digest)
VALUES (?, ?, ?, ?, ?, NULLIF(?, ''))
ON CONFLICT DO NOTHING
RETURNING ` + eventCols
	qDuplicateEvent = `
UPDATE webhook_events SET duplicates = duplicates + 1
WHERE id = (SELECT id FROM webhook_events
	WHERE app_id = ? AND (delivery_id = ? OR body_digest = NULLIF(?, ''))
	ORDER BY id LIMIT 1)
RETURNING ` + eventCols
	qEnqueueDeliveries = `
INSERT INTO webhook_deliveries (subscription_id, event_id, status, attempts, next_at,
	started_at, last_error, updated_at)
SELECT s.id, ?1, 'pending', 0, ?2, ?2, '', ?2 FROM webhook_subscriptions s
WHERE s.app_id = ?3 AND (s.events = '[]' OR EXISTS
	(SELECT 1 FROM json_each(s.events) WHERE json_each.value = ?4))`
	qEvents = `SELECT ` + eventCols + ` FROM webhook_events
WHERE app_id = ? AND id > ? ORDER BY id LIMIT ?`
	qEvent = `SELECT ` + eventCols + ` FROM webhook_events WHERE id = ?`

	subscriptionCols    = `id, app_id, events, url, principal, created_at`
	qCreateSubscription = `INSERT INTO webhook_subscriptions (` + subscriptionCols + `)
VALUES (?, ?, ?, ?, ?, ?)`
	qSubscription = `
SELECT w.id, w.app_id, w.events, w.url, w.principal, w.created_at, coalesce(s.sealed, x'')
FROM webhook_subscriptions w
LEFT JOIN secrets s ON s.scope = 'subscription' AND s.name = w.id
WHERE w.id = ?`
	qSubscriptions = `SELECT ` + subscriptionCols + ` FROM webhook_subscriptions
WHERE (?1 = '' OR app_id = ?1) ORDER BY created_at, id`
	qDeleteSubscription = `DELETE FROM webhook_subscriptions WHERE id = ?`
	qDeleteSealed       = `DELETE FROM secrets WHERE scope = ? AND name = ?`

	deliveryCols = `id, subscription_id, event_id, status, attempts, next_at, started_at,
	last_error, delivered_at, updated_at`
	qClaimDeliveries = `
UPDATE webhook_deliveries SET next_at = ?1
WHERE id IN (SELECT id FROM webhook_deliveries
	WHERE status = 'pending' AND next_at <= ?2 ORDER BY next_at, id LIMIT ?3)
RETURNING ` + deliveryCols
	qUpdateDelivery = `
UPDATE webhook_deliveries SET status = ?, attempts = ?, next_at = ?, started_at = ?,
	last_error = ?, delivered_at = ?, updated_at = ?
WHERE id = ?`
	qDelivery   = `SELECT ` + deliveryCols + ` FROM webhook_deliveries WHERE id = ?`
	qDeliveries = `SELECT ` + deliveryCols + ` FROM webhook_deliveries
WHERE subscription_id = ? ORDER BY id DESC LIMIT ?`

	qPurgeSubscriptionSecrets = `
DELETE FROM secrets WHERE scope = 'subscription' AND name IN
	(SELECT id FROM webhook_subscriptions WHERE app_id = ?)`
	qPurgeSubscriptions = `DELETE FROM webhook_subscriptions WHERE app_id = ?`
	qPurgeEvents        = `DELETE FROM webhook_events WHERE app_id = ?`
	qPurgeListener      = `DELETE FROM webhook_listeners WHERE app_id = ?`
)
