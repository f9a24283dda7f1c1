package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/store/internal/codec"
	"github.com/switchboard-dev/switchboard/webhook"
)

var _ webhook.Store = (*DB)(nil)

// PutListener sets appID's listener hash and sealed token in one
// transaction, replacing any earlier one with replace, or else returning
// CodeConflict when there is one.
func (db *DB) PutListener(ctx context.Context, appID string, hash, sealed []byte, at time.Time,
	replace bool) error {
	const op = "put webhook listener"
	q := qCreateListener
	if replace {
		q = qPutListener
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		n, err := exec(ctx, tx, q, appID, hash, micros(at))
		if err != nil {
			return translate(err, op, "webhook listener of "+appID)
		}
		if n == 0 {
			return switchboard.Errorf(switchboard.CodeConflict,
				"webhook listener of %s exists already", appID)
		}
		_, err = tx.ExecContext(ctx, qPutSealed, webhook.ScopeListener, appID, blob(sealed))
		return translate(err, op, "webhook listener of "+appID)
	})
}

// Listener returns appID's sealed listener token, or CodeNotFound.
func (db *DB) Listener(ctx context.Context, appID string) ([]byte, error) {
	var sealed []byte
	err := db.read.QueryRowContext(ctx, qListener, appID).Scan(&sealed)
	return sealed, translate(err, "get webhook listener", "webhook listener of "+appID)
}

// ListenerApp returns the app id of the listener whose token hashes to
// hash, or CodeNotFound.
func (db *DB) ListenerApp(ctx context.Context, hash []byte) (string, error) {
	var appID string
	err := db.read.QueryRowContext(ctx, qListenerApp, hash).Scan(&appID)
	return appID, translate(err, "find webhook listener", "webhook listener")
}

// PutEvent stores e, with a delivery for each matching subscription, or
// counts a duplicate of the event with e's delivery id.
func (db *DB) PutEvent(ctx context.Context, e webhook.Event) (webhook.Event, bool, error) {
	const op = "put webhook event"
	var out webhook.Event
	dup := false
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		var r eventRow
		err := tx.QueryRowContext(ctx, qInsertEvent, e.AppID, e.Name, e.DeliveryID,
			string(e.Payload), micros(e.ReceivedAt), e.Digest).Scan(r.dest()...)
		if errors.Is(err, sql.ErrNoRows) {
			dup = true
			err = tx.QueryRowContext(ctx, qDuplicateEvent, e.AppID, e.DeliveryID, e.Digest).Scan(r.dest()...)
		}
		if err != nil {
			return translate(err, op, "webhook event")
		}
		out = r.event()
		if dup {
			return nil
		}
		_, err = tx.ExecContext(ctx, qEnqueueDeliveries, out.ID, micros(e.ReceivedAt),
			e.AppID, e.Name)
		return translate(err, op, "webhook delivery")
	})
	return out, dup, err
}

// Events returns at most limit events of appID after the cursor after.
func (db *DB) Events(ctx context.Context, appID string, after int64, limit int) ([]webhook.Event, error) {
	const op = "list webhook events"
	rows, err := db.read.QueryContext(ctx, qEvents, appID, after, limit)
	if err != nil {
		return nil, translate(err, op, "webhook event")
	}
	defer rows.Close()
	out := []webhook.Event{}
	for rows.Next() {
		var r eventRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, translate(err, op, "webhook event")
		}
		out = append(out, r.event())
	}
	return out, translate(rows.Err(), op, "webhook event")
}

type eventRow struct {
	e        webhook.Event
	payload  string
	received int64
}

func (r *eventRow) dest() []any {
	e := &r.e
	return []any{&e.ID, &e.AppID, &e.Name, &e.DeliveryID, &r.payload, &r.received, &e.Duplicates}
}

func (r *eventRow) event() webhook.Event {
	e := r.e
	e.Payload = json.RawMessage(r.payload)
	e.ReceivedAt = fromMicros(r.received)
	return e
}

// CreateSubscription stores s and its sealed secret, or returns
// CodeConflict when s.ID exists.
func (db *DB) CreateSubscription(ctx context.Context, s webhook.Subscription, sealed []byte) error {
	const op = "create subscription"
	events, err := codec.List(s.Events)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, qCreateSubscription, s.ID, s.AppID, events, s.URL,
			s.Principal, micros(s.CreatedAt))
		if err != nil {
			return translate(err, op, "subscription "+s.ID)
		}
		_, err = tx.ExecContext(ctx, qPutSealed, webhook.ScopeSubscription, s.ID, blob(sealed))
		return translate(err, op, "subscription "+s.ID)
	})
}

// Subscription returns subscription id with its sealed secret, or
// CodeNotFound.
func (db *DB) Subscription(ctx context.Context, id string) (webhook.Subscription, []byte, error) {
	var r subscriptionRow
	var sealed []byte
	err := db.read.QueryRowContext(ctx, qSubscription, id).Scan(append(r.dest(), &sealed)...)
	if err != nil {
		return webhook.Subscription{}, nil, translate(err, "get subscription", "subscription "+id)
	}
	s, err := r.subscription()
	return s, sealed, err
}

// Subscriptions returns the subscriptions of appID ("" for all), oldest
// first.
func (db *DB) Subscriptions(ctx context.Context, appID string) ([]webhook.Subscription, error) {
	const op = "list subscriptions"
	rows, err := db.read.QueryContext(ctx, qSubscriptions, appID)
	if err != nil {
		return nil, translate(err, op, "subscription")
	}
	defer rows.Close()
	out := []webhook.Subscription{}
	for rows.Next() {
		var r subscriptionRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, translate(err, op, "subscription")
		}
		s, err := r.subscription()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, translate(rows.Err(), op, "subscription")
}

type subscriptionRow struct {
	s       webhook.Subscription
	events  string
	created int64
}

func (r *subscriptionRow) dest() []any {
	s := &r.s
	return []any{&s.ID, &s.AppID, &r.events, &s.URL, &s.Principal, &r.created}
}

func (r *subscriptionRow) subscription() (webhook.Subscription, error) {
	s := r.s
	s.CreatedAt = fromMicros(r.created)
	if err := json.Unmarshal([]byte(r.events), &s.Events); err != nil {
		return webhook.Subscription{}, fmt.Errorf("subscription %s: events: %w", s.ID, err)
	}
	s.Events = codec.NonNil(s.Events)
	return s, nil
}

// DeleteSubscription removes a subscription, its secret and its
// deliveries, or returns CodeNotFound.
func (db *DB) DeleteSubscription(ctx context.Context, id string) error {
	const op = "delete subscription"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		n, err := exec(ctx, tx, qDeleteSubscription, id)
		if err != nil {
			return translate(err, op, "subscription "+id)
		}
		if n == 0 {
			return notFound("subscription " + id)
		}
		_, err = tx.ExecContext(ctx, qDeleteSealed, webhook.ScopeSubscription, id)
		return translate(err, op, "subscription "+id)
	})
}

// ClaimDeliveries moves at most limit due pending deliveries to
// leaseUntil and returns them with their events.
func (db *DB) ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int,
) ([]webhook.Claimed, error) {
	const op = "claim webhook deliveries"
	var out []webhook.Claimed
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, qClaimDeliveries, micros(leaseUntil), micros(now), limit)
		if err != nil {
			return translate(err, op, "webhook delivery")
		}
		ds, err := scanDeliveries(rows, op)
		if err != nil {
			return err
		}
		for _, d := range ds {
			var r eventRow
			err := tx.QueryRowContext(ctx, qEvent, d.EventID).Scan(r.dest()...)
			if err != nil {
				return translate(err, op, "webhook event")
			}
			out = append(out, webhook.Claimed{Delivery: d, Event: r.event()})
		}
		return nil
	})
	return out, err
}

// UpdateDelivery writes d's state, or returns CodeNotFound.
func (db *DB) UpdateDelivery(ctx context.Context, d webhook.Delivery) error {
	const op = "update webhook delivery"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		n, err := exec(ctx, tx, qUpdateDelivery, string(d.Status), d.Attempts,
			micros(d.NextAt), micros(d.StartedAt), d.LastError, nullMicros(d.DeliveredAt),
			micros(d.UpdatedAt), d.ID)
		if err != nil {
			return translate(err, op, "webhook delivery")
		}
		if n == 0 {
			return notFound(fmt.Sprintf("webhook delivery %d", d.ID))
		}
		return nil
	})
}

// Delivery returns one delivery, or CodeNotFound.
func (db *DB) Delivery(ctx context.Context, id int64) (webhook.Delivery, error) {
	var r deliveryRow
	err := db.read.QueryRowContext(ctx, qDelivery, id).Scan(r.dest()...)
	if err != nil {
		return webhook.Delivery{}, translate(err, "get webhook delivery",
			fmt.Sprintf("webhook delivery %d", id))
	}
	return r.delivery(), nil
}

// Deliveries returns at most limit deliveries of a subscription, newest
// first.
func (db *DB) Deliveries(ctx context.Context, subscriptionID string, limit int,
) ([]webhook.Delivery, error) {
	const op = "list webhook deliveries"
	rows, err := db.read.QueryContext(ctx, qDeliveries, subscriptionID, limit)
	if err != nil {
		return nil, translate(err, op, "webhook delivery")
	}
	return scanDeliveries(rows, op)
}

func scanDeliveries(rows *sql.Rows, op string) ([]webhook.Delivery, error) {
	defer rows.Close()
	out := []webhook.Delivery{}
	for rows.Next() {
		var r deliveryRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, translate(err, op, "webhook delivery")
		}
		out = append(out, r.delivery())
	}
	return out, translate(rows.Err(), op, "webhook delivery")
}

type deliveryRow struct {
	d                      webhook.Delivery
	status                 string
	next, started, updated int64
	delivered              sql.NullInt64
}

func (r *deliveryRow) dest() []any {
	d := &r.d
	return []any{&d.ID, &d.SubscriptionID, &d.EventID, &r.status, &d.Attempts, &r.next,
		&r.started, &d.LastError, &r.delivered, &r.updated}
}

func (r *deliveryRow) delivery() webhook.Delivery {
	d := r.d
	d.Status = webhook.DeliveryStatus(r.status)
	d.NextAt, d.StartedAt, d.UpdatedAt = fromMicros(r.next), fromMicros(r.started), fromMicros(r.updated)
	d.DeliveredAt = fromNullMicros(r.delivered)
	return d
}

// PurgeWebhooks deletes appID's listener, token, events, subscriptions,
// their secrets and deliveries, in one transaction.
func (db *DB) PurgeWebhooks(ctx context.Context, appID string) error {
	const op = "purge webhooks"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{qPurgeSubscriptionSecrets, []any{appID}},
			{qPurgeSubscriptions, []any{appID}},
			{qPurgeEvents, []any{appID}},
			{qPurgeListener, []any{appID}},
			{qDeleteSealed, []any{webhook.ScopeListener, appID}},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return translate(err, op, "webhooks of "+appID)
			}
		}
		return nil
	})
}
