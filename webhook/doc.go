// Package webhook takes in the events external services send and hands them
// to the applications and agents that subscribe.
//
// # Intake
//
// Deploying an integration that declares webhooks provisions its listener:
// POST /api/v1/hooks/{token}, where the token is 32 random bytes. The store
// keeps the token's SHA-256, to find the integration, and the token sealed
// in the vault (scope "webhook"), to show the URL again; it is the same
// across redeploys until [Service.Rotate] replaces it.
//
// Every delivery is verified over its raw bytes against the scheme the
// manifest's webhookVerification names ([Verify]), with the signing secret
// read from the vault through the config property the block names. A
// delivery without a signature, with a wrong one or with a stale timestamp
// is refused: the sender learns nothing but 401, the audit gets the reason.
// A verified delivery becomes an [Event]: its name read at eventPath, its
// delivery id from the provider's own id (or idPath, or else a digest of
// the body). The event is written durably before the delivery is
// acknowledged; a delivery whose id was seen already (or, for schemes that
// sign the body alone, whose body was) is acknowledged and counted, never
// stored or delivered twice.
//
// # Subscribers
//
// Events are read by cursor ([Service.Events]), streamed, or pushed to
// outbound subscriptions: POSTs signed as Standard Webhooks, with the same
// webhook-id on every attempt of one event, so that receivers can
// deduplicate. A failed attempt is retried with exponential backoff and
// jitter for up to [DefaultRetryWindow], then the delivery is marked failed
// and can be redelivered. Outbound requests go through the caller's client,
// which in Switchboard is the backend's, under its address policy.
package webhook
