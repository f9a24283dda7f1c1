package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, q, appID, hash, utc(at))
		if err != nil {
			return translate(err, op, "webhook listener of "+appID)
		}
		if tag.RowsAffected() == 0 {
			return switchboard.Errorf(switchboard.CodeConflict,
				"webhook listener of %s exists already", appID)
		}
		_, err = tx.Exec(ctx, qPutSealed, webhook.ScopeListener, appID, blob(sealed))
		return translate(err, op, "webhook listener of "+appID)
	})
}

// Listener returns appID's sealed listener token, or CodeNotFound.
func (db *DB) Listener(ctx context.Context, appID string) ([]byte, error) {
	var sealed []byte
	err := db.pool.QueryRow(ctx, qListener, appID).Scan(&sealed)
	return sealed, translate(err, "get webhook listener", "webhook listener of "+appID)
}

// ListenerApp returns the app id of the listener whose token hashes to
// hash, or CodeNotFound.
func (db *DB) ListenerApp(ctx context.Context, hash []byte) (string, error) {
	var appID string
	err := db.pool.QueryRow(ctx, qListenerApp, hash).Scan(&appID)
	return appID, translate(err, "find webhook listener", "webhook listener")
}

// PutEvent stores e, with a delivery for each matching subscription, or
// counts a duplicate of the event with e's delivery id. Inserts take turns
// under an advisory lock, so that ids commit in order.
func (db *DB) PutEvent(ctx context.Context, e webhook.Event) (webhook.Event, bool, error) {
	const op = "put webhook event"
	var out webhook.Event
	dup := false
	err := db.inTx(ctx, op, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, qLockEvents); err != nil {
			return translate(err, op, "webhook event")
		}
		var r eventRow
		err := tx.QueryRow(ctx, qInsertEvent, e.AppID, e.Name, e.DeliveryID,
			string(e.Payload), utc(e.ReceivedAt), e.Digest).Scan(r.dest()...)
		if errors.Is(err, pgx.ErrNoRows) {
			dup = true
			err = tx.QueryRow(ctx, qDuplicateEvent, e.AppID, e.DeliveryID, e.Digest).Scan(r.dest()...)
		}
		if err != nil {
			return translate(err, op, "webhook event")
		}
		out = r.event()
		if dup {
			return nil
		}
		_, err = tx.Exec(ctx, qEnqueueDeliveries, out.ID, utc(e.ReceivedAt), e.AppID, e.Name)
		return translate(err, op, "webhook delivery")
	})
	return out, dup, err
}

// Events returns at most limit events of appID after the cursor after.
func (db *DB) Events(ctx context.Context, appID string, after int64, limit int) ([]webhook.Event, error) {
	const op = "list webhook events"
	rows, err := db.pool.Query(ctx, qEvents, appID, after, limit)
	if err != nil {
		return nil, translate(err, op, "webhook event")
	}
	out, err := pgx.AppendRows([]webhook.Event{}, rows,
		func(row pgx.CollectableRow) (webhook.Event, error) {
			var r eventRow
			err := row.Scan(r.dest()...)
			return r.event(), err
		})
	return out, translate(err, op, "webhook event")
}

type eventRow struct {
	e       webhook.Event
	payload string
}

func (r *eventRow) dest() []any {
	e := &r.e
	return []any{&e.ID, &e.AppID, &e.Name, &e.DeliveryID, &r.payload, &e.ReceivedAt, &e.Duplicates}
}

func (r *eventRow) event() webhook.Event {
	e := r.e
	e.Payload = json.RawMessage(r.payload)
	e.ReceivedAt = e.ReceivedAt.UTC()
	return e
}

// CreateSubscription stores s and its sealed secret, or returns
// CodeConflict when s.ID exists.
func (db *DB) CreateSubscription(ctx context.Context, s webhook.Subscription, sealed []byte) error {
	const op = "create subscription"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, qCreateSubscription, s.ID, s.AppID, codec.NonNil(s.Events), s.URL,
			s.Principal, utc(s.CreatedAt))
		if err != nil {
			return translate(err, op, "subscription "+s.ID)
		}
		_, err = tx.Exec(ctx, qPutSealed, webhook.ScopeSubscription, s.ID, blob(sealed))
		return translate(err, op, "subscription "+s.ID)
	})
}

// Subscription returns subscription id with its sealed secret, or
// CodeNotFound.
func (db *DB) Subscription(ctx context.Context, id string) (webhook.Subscription, []byte, error) {
	var r subscriptionRow
	var sealed []byte
	err := db.pool.QueryRow(ctx, qSubscription, id).Scan(append(r.dest(), &sealed)...)
	if err != nil {
		return webhook.Subscription{}, nil, translate(err, "get subscription", "subscription "+id)
	}
	return r.subscription(), sealed, nil
}

// Subscriptions returns the subscriptions of appID ("" for all), oldest
// first.
func (db *DB) Subscriptions(ctx context.Context, appID string) ([]webhook.Subscription, error) {
	const op = "list subscriptions"
	rows, err := db.pool.Query(ctx, qSubscriptions, appID)
	if err != nil {
		return nil, translate(err, op, "subscription")
	}
	out, err := pgx.AppendRows([]webhook.Subscription{}, rows,
		func(row pgx.CollectableRow) (webhook.Subscription, error) {
			var r subscriptionRow
			err := row.Scan(r.dest()...)
			return r.subscription(), err
		})
	return out, translate(err, op, "subscription")
}

type subscriptionRow struct{ s webhook.Subscription }

func (r *subscriptionRow) dest() []any {
	s := &r.s
	return []any{&s.ID, &s.AppID, &s.Events, &s.URL, &s.Principal, &s.CreatedAt}
}

func (r *subscriptionRow) subscription() webhook.Subscription {
	s := r.s
	s.CreatedAt = s.CreatedAt.UTC()
	s.Events = codec.NonNil(s.Events)
	return s
}

// DeleteSubscription removes a subscription, its secret and its
// deliveries, or returns CodeNotFound.
func (db *DB) DeleteSubscription(ctx context.Context, id string) error {
	const op = "delete subscription"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, qDeleteSubscription, id)
		if err != nil {
			return translate(err, op, "subscription "+id)
		}
		if tag.RowsAffected() == 0 {
			return notFound("subscription " + id)
		}
		_, err = tx.Exec(ctx, qDeleteSealed, webhook.ScopeSubscription, id)
		return translate(err, op, "subscription "+id)
	})
}

// ClaimDeliveries moves at most limit due pending deliveries to
// leaseUntil and returns them with their events; rows another transaction
// is claiming are skipped.
func (db *DB) ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int,
) ([]webhook.Claimed, error) {
	const op = "claim webhook deliveries"
	var out []webhook.Claimed
	err := db.inTx(ctx, op, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, qClaimDeliveries, utc(leaseUntil), utc(now), limit)
		if err != nil {
			return translate(err, op, "webhook delivery")
		}
		ds, err := scanDeliveries(rows, op)
		if err != nil {
			return err
		}
		for _, d := range ds {
			var r eventRow
			if err := tx.QueryRow(ctx, qEvent, d.EventID).Scan(r.dest()...); err != nil {
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
	tag, err := db.pool.Exec(ctx, qUpdateDelivery, string(d.Status), d.Attempts, utc(d.NextAt),
		utc(d.StartedAt), d.LastError, nullTime(d.DeliveredAt), utc(d.UpdatedAt), d.ID)
	if err != nil {
		return translate(err, op, "webhook delivery")
	}
	if tag.RowsAffected() == 0 {
		return notFound(fmt.Sprintf("webhook delivery %d", d.ID))
	}
	return nil
}

// Delivery returns one delivery, or CodeNotFound.
func (db *DB) Delivery(ctx context.Context, id int64) (webhook.Delivery, error) {
	var r deliveryRow
	err := db.pool.QueryRow(ctx, qDelivery, id).Scan(r.dest()...)
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
	rows, err := db.pool.Query(ctx, qDeliveries, subscriptionID, limit)
	if err != nil {
		return nil, translate(err, op, "webhook delivery")
	}
	return scanDeliveries(rows, op)
}

func scanDeliveries(rows pgx.Rows, op string) ([]webhook.Delivery, error) {
	out, err := pgx.AppendRows([]webhook.Delivery{}, rows,
		func(row pgx.CollectableRow) (webhook.Delivery, error) {
			var r deliveryRow
			err := row.Scan(r.dest()...)
			return r.delivery(), err
		})
	if err != nil {
		return nil, translate(err, op, "webhook delivery")
	}
	return out, nil
}

type deliveryRow struct {
	d         webhook.Delivery
	status    string
	delivered *time.Time
}

func (r *deliveryRow) dest() []any {
	d := &r.d
	return []any{&d.ID, &d.SubscriptionID, &d.EventID, &r.status, &d.Attempts, &d.NextAt,
		&d.StartedAt, &d.LastError, &r.delivered, &d.UpdatedAt}
}

func (r *deliveryRow) delivery() webhook.Delivery {
	d := r.d
	d.Status = webhook.DeliveryStatus(r.status)
	d.NextAt, d.StartedAt, d.UpdatedAt = d.NextAt.UTC(), d.StartedAt.UTC(), d.UpdatedAt.UTC()
	if r.delivered != nil {
		d.DeliveredAt = r.delivered.UTC()
	}
	return d
}

// PurgeWebhooks deletes appID's listener, token, events, subscriptions,
// their secrets and deliveries, in one transaction.
func (db *DB) PurgeWebhooks(ctx context.Context, appID string) error {
	const op = "purge webhooks"
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
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
			if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
				return translate(err, op, "webhooks of "+appID)
			}
		}
		return nil
	})
}
