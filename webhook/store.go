package webhook

import (
	"context"
	"encoding/json"
	"time"
)

// Store is what the webhook service keeps in the database. Sealed values
// (listener tokens, subscription secrets) are stored as vault secrets, so
// that key rotation re-wraps them: the listener's under scope
// [ScopeListener] and the app id, a subscription's under
// [ScopeSubscription] and its id. None of these writes records a change
// of the change feed: no process caches them.
//
// Methods return a *switchboard.Error with CodeNotFound where they say so;
// any other error is a fault of the database.
type Store interface {
	// PutListener sets appID's listener: the SHA-256 of its token and the
	// token sealed, in one transaction. With replace it replaces any
	// earlier one; without, an existing one is kept and CodeConflict
	// returned.
	PutListener(ctx context.Context, appID string, hash, sealed []byte, at time.Time,
		replace bool) error
	// Listener returns appID's sealed token, or CodeNotFound.
	Listener(ctx context.Context, appID string) ([]byte, error)
	// ListenerApp returns the app id whose token has the SHA-256 hash, or
	// CodeNotFound.
	ListenerApp(ctx context.Context, hash []byte) (string, error)

	// PutEvent stores e unless e.AppID has an event with e.DeliveryID, or
	// with e.Digest when it is set, already: then it counts a duplicate on
	// that event (the oldest, should both match) and returns it with
	// duplicate true. A new event gets the next ID, greater than every
	// ID committed before it, and, in the same transaction, a pending
	// delivery due at e.ReceivedAt for each subscription of e.AppID whose
	// events are empty or include e.Name.
	PutEvent(ctx context.Context, e Event) (stored Event, duplicate bool, err error)
	// Events returns at most limit events of appID with IDs above after,
	// in order of ID.
	Events(ctx context.Context, appID string, after int64, limit int) ([]Event, error)

	// CreateSubscription stores s and its sealed secret; CodeConflict when
	// s.ID exists.
	CreateSubscription(ctx context.Context, s Subscription, sealed []byte) error
	// Subscription returns subscription id with its sealed secret, or
	// CodeNotFound.
	Subscription(ctx context.Context, id string) (Subscription, []byte, error)
	// Subscriptions returns the subscriptions of appID, or of every
	// integration when appID is "", oldest first.
	Subscriptions(ctx context.Context, appID string) ([]Subscription, error)
	// DeleteSubscription removes a subscription with its secret and
	// deliveries, or returns CodeNotFound.
	DeleteSubscription(ctx context.Context, id string) error

	// ClaimDeliveries takes at most limit pending deliveries due at now,
	// oldest due first, and moves each one's due time to leaseUntil, so
	// that no other process claims it while it is attempted. Each comes
	// with its event.
	ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Claimed, error)
	// UpdateDelivery writes d's status, attempts, due time, last error and
	// times; CodeNotFound when it is gone.
	UpdateDelivery(ctx context.Context, d Delivery) error
	// Delivery returns one delivery, or CodeNotFound.
	Delivery(ctx context.Context, id int64) (Delivery, error)
	// Deliveries returns at most limit deliveries of a subscription, newest
	// first.
	Deliveries(ctx context.Context, subscriptionID string, limit int) ([]Delivery, error)

	// PurgeWebhooks deletes appID's listener and its token, its events,
	// and its subscriptions with their secrets and deliveries.
	PurgeWebhooks(ctx context.Context, appID string) error
}

// The vault scopes of the sealed values the store keeps.
const (
	ScopeListener     = "webhook"
	ScopeSubscription = "subscription"
)

// Event is one verified delivery from a service.
type Event struct {
	// ID orders the events of an installation; it is the cursor of
	// listings and streams.
	ID    int64
	AppID string
	// Name is the event, read at the manifest's eventPath.
	Name string
	// DeliveryID is the provider's id of the delivery, or a digest of it.
	DeliveryID string
	// Payload is the delivery's body as JSON (a form body becomes an
	// object).
	Payload    json.RawMessage
	ReceivedAt time.Time
	// Duplicates counts the deliveries with the same id received since.
	Duplicates int64
	// Digest, when set, is the SHA-256 of the signed body, hex: for
	// schemes whose signature covers the body alone (not the delivery id,
	// nor a time), a delivery with the same body is a duplicate whatever
	// id it claims, so a captured delivery cannot be replayed as new.
	// Stores keep it, and do not return it.
	Digest string
}

// Subscription asks for an integration's events at a URL.
type Subscription struct {
	ID    string
	AppID string
	// Events are the event names delivered; empty is all.
	Events []string
	URL    string
	// Principal created it.
	Principal string
	CreatedAt time.Time
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// The statuses of a delivery.
const (
	StatusPending   DeliveryStatus = "pending"
	StatusDelivered DeliveryStatus = "delivered"
	StatusFailed    DeliveryStatus = "failed"
)

// Delivery is one event on its way to one subscription.
type Delivery struct {
	ID             int64
	SubscriptionID string
	EventID        int64
	Status         DeliveryStatus
	Attempts       int
	// NextAt is when the next attempt is due (pending only).
	NextAt time.Time
	// StartedAt starts the retry window: the event's arrival, or the last
	// redelivery.
	StartedAt   time.Time
	LastError   string
	DeliveredAt time.Time
	UpdatedAt   time.Time
}

// Claimed is a delivery taken for an attempt, with its event.
type Claimed struct {
	Delivery Delivery
	Event    Event
}
