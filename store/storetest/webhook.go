package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/vault"
	"github.com/switchboard-dev/switchboard/webhook"
)

// WebhookStore is what the webhook cases need of a store: webhook.Store,
// the vault's secrets (where sealed tokens and subscription secrets land)
// and the change feed's position.
type WebhookStore interface {
	webhook.Store
	vault.Store
	LastChange(ctx context.Context) (int64, error)
}

// RunWebhooks runs the conformance cases of webhook.Store, each on a store
// that open returns empty. open must close the store with t.Cleanup.
//
// Beyond the interface's contract, the suite holds stores to keeping a
// listener's sealed token as the secret of scope "webhook" and the app id,
// a subscription's as the secret of scope "subscription" and its id, and
// to recording no change for any of these writes.
func RunWebhooks(t *testing.T, open func(t *testing.T) WebhookStore) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s WebhookStore)
	}{
		{"listener", testListener},
		{"events are deduplicated by delivery id", testEventDedupe},
		{"events with a digest are deduplicated by it too", testEventDigest},
		{"events page by cursor", testEventPages},
		{"subscriptions", testSubscriptions},
		{"events enqueue deliveries to matching subscriptions", testEnqueue},
		{"claimed deliveries are leased", testClaim},
		{"update and list deliveries", testUpdateDelivery},
		{"purge removes one integration's webhooks", testPurgeWebhooks},
		{"webhooks record no change", testWebhooksNoChange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, open(t))
		})
	}
}

// RunWebhooksShared runs the cases that need two handles on one database.
// open returns both, on an empty database, and must close both with
// t.Cleanup.
func RunWebhooksShared(t *testing.T, open func(t *testing.T) (WebhookStore, WebhookStore)) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, a, b WebhookStore)
	}{
		{"one delivery id is one event across handles", testSharedDedupe},
		{"a delivery is claimed once across handles", testSharedClaim},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := open(t)
			tt.run(t, a, b)
		})
	}
}

func hookEvent(app, name, id string) webhook.Event {
	return webhook.Event{AppID: app, Name: name, DeliveryID: id,
		Payload: json.RawMessage(`{"id":"` + id + `","n":[1,2]}`), ReceivedAt: t0}
}

func testListener(t *testing.T, s WebhookStore) {
	ctx := t.Context()
	_, err := s.Listener(ctx, "slack")
	requireCode(t, err, switchboard.CodeNotFound)
	_, err = s.ListenerApp(ctx, []byte("nope"))
	requireCode(t, err, switchboard.CodeNotFound)

	require.NoError(t, s.PutListener(ctx, "slack", []byte("hash-1"), []byte("sealed-1"), t0, false))
	require.NoError(t, s.PutListener(ctx, "stripe", []byte("hash-2"), []byte("sealed-2"), t0, false))
	// Without replace, an existing listener stays.
	err = s.PutListener(ctx, "slack", []byte("hash-x"), []byte("sealed-x"), t0, false)
	requireCode(t, err, switchboard.CodeConflict)
	_, err = s.ListenerApp(ctx, []byte("hash-x"))
	requireCode(t, err, switchboard.CodeNotFound)
	sealed, err := s.Listener(ctx, "slack")
	require.NoError(t, err)
	require.Equal(t, []byte("sealed-1"), sealed)
	app, err := s.ListenerApp(ctx, []byte("hash-2"))
	require.NoError(t, err)
	require.Equal(t, "stripe", app)
	inVault, err := s.Secret(ctx, webhook.ScopeListener, "slack")
	require.NoError(t, err)
	require.Equal(t, []byte("sealed-1"), inVault)

	// Rotation replaces hash and token at once; the old hash leads nowhere.
	require.NoError(t, s.PutListener(ctx, "slack", []byte("hash-3"), []byte("sealed-3"), t0, true))
	_, err = s.ListenerApp(ctx, []byte("hash-1"))
	requireCode(t, err, switchboard.CodeNotFound)
	app, err = s.ListenerApp(ctx, []byte("hash-3"))
	require.NoError(t, err)
	require.Equal(t, "slack", app)
	sealed, err = s.Listener(ctx, "slack")
	require.NoError(t, err)
	require.Equal(t, []byte("sealed-3"), sealed)
}

func testEventDedupe(t *testing.T, s WebhookStore) {
	ctx := t.Context()
	first, dup, err := s.PutEvent(ctx, hookEvent("github", "issues", "d-1"))
	require.NoError(t, err)
	require.False(t, dup)
	require.Positive(t, first.ID)
	require.Equal(t, stored(t0), first.ReceivedAt)
	require.JSONEq(t, `{"id":"d-1","n":[1,2]}`, string(first.Payload))

	again := hookEvent("github", "issues", "d-1")
	again.Payload = json.RawMessage(`{"other":true}`)
	got, dup, err := s.PutEvent(ctx, again)
	require.NoError(t, err)
	require.True(t, dup)
	require.Equal(t, first.ID, got.ID)
	require.Equal(t, int64(1), got.Duplicates)
	require.JSONEq(t, `{"id":"d-1","n":[1,2]}`, string(got.Payload), "the first one is kept")

	// Another delivery about the same resource is another event; the same
	// delivery id of another integration too.
	second, dup, err := s.PutEvent(ctx, hookEvent("github", "issues", "d-2"))
	require.NoError(t, err)
	require.False(t, dup)
	require.Greater(t, second.ID, first.ID)
	_, dup, err = s.PutEvent(ctx, hookEvent("stripe", "issues", "d-1"))
	require.NoError(t, err)
	require.False(t, dup)

	evs, err := s.Events(ctx, "github", 0, 10)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	require.Equal(t, int64(1), evs[0].Duplicates)
	requireUTC(t, evs[0].ReceivedAt, evs[1].ReceivedAt)
}

func testEventPages(t *testing.T, s WebhookStore) {
	ctx := t.Context()
	for i := range 5 {
		_, _, err := s.PutEvent(ctx, hookEvent("slack", "message", fmt.Sprint("e", i)))
		require.NoError(t, err)
		_, _, err = s.PutEvent(ctx, hookEvent("other", "message", fmt.Sprint("e", i)))
		require.NoError(t, err)
	}
	page, err := s.Events(ctx, "slack", 0, 2)
	require.NoError(t, err)
	require.Len(t, page, 2)
	var ids []string
	for len(page) > 0 {
		for _, e := range page {
			require.Equal(t, "slack", e.AppID)
			ids = append(ids, e.DeliveryID)
		}
		page, err = s.Events(ctx, "slack", page[len(page)-1].ID, 2)
		require.NoError(t, err)
	}
	require.Equal(t, []string{"e0", "e1", "e2", "e3", "e4"}, ids)
	none, err := s.Events(ctx, "nobody", 0, 10)
	require.NoError(t, err)
	require.NotNil(t, none)
	require.Empty(t, none)
}

func subscription(id, app string, events ...string) webhook.Subscription {
	return webhook.Subscription{ID: id, AppID: app, Events: events,
		URL: "https://receiver.example/" + id, Principal: "app:ci", CreatedAt: t0}
}

func testSubscriptions(t *testing.T, s WebhookStore) {
	ctx := t.Context()
	_, _, err := s.Subscription(ctx, "sub_1")
	requireCode(t, err, switchboard.CodeNotFound)
	require.NoError(t, s.CreateSubscription(ctx, subscription("sub_1", "github", "push"), []byte("s1")))
	require.NoError(t, s.CreateSubscription(ctx, subscription("sub_2", "github"), []byte("s2")))
	require.NoError(t, s.CreateSubscription(ctx, subscription("sub_3", "stripe"), []byte("s3")))
	err = s.CreateSubscription(ctx, subscription("sub_1", "github"), []byte("x"))
	requireCode(t, err, switchboard.CodeConflict)

	sub, sealed, err := s.Subscription(ctx, "sub_1")
	require.NoError(t, err)
	require.Equal(t, []byte("s1"), sealed)
	want := subscription("sub_1", "github", "push")
	want.CreatedAt = stored(t0)
	require.Equal(t, want, sub)
	inVault, err := s.Secret(ctx, webhook.ScopeSubscription, "sub_1")
	require.NoError(t, err)
	require.Equal(t, []byte("s1"), inVault)

	subs, err := s.Subscriptions(ctx, "github")
	require.NoError(t, err)
	require.Len(t, subs, 2)
	require.Equal(t, []string{}, subs[1].Events)
	all, err := s.Subscriptions(ctx, "")
	require.NoError(t, err)
	require.Len(t, all, 3)

	require.NoError(t, s.DeleteSubscription(ctx, "sub_1"))
	requireCode(t, s.DeleteSubscription(ctx, "sub_1"), switchboard.CodeNotFound)
	_, err = s.Secret(ctx, webhook.ScopeSubscription, "sub_1")
	requireCode(t, err, switchboard.CodeNotFound)
}

func testEnqueue(t *testing.T, s WebhookStore) {
	ctx := t.Context()
	require.NoError(t, s.CreateSubscription(ctx, subscription("sub_push", "github", "push"), nil))
	require.NoError(t, s.CreateSubscription(ctx, subscription("sub_all", "github"), nil))
	require.NoError(t, s.CreateSubscription(ctx, subscription("sub_else", "stripe"), nil))

	push, _, err := s.PutEvent(ctx, hookEvent("github", "push", "d-1"))
	require.NoError(t, err)
	issue, _, err := s.PutEvent(ctx, hookEvent("github", "issues", "d-2"))
	require.NoError(t, err)
	_, _, err = s.PutEvent(ctx, hookEvent("github", "push", "d-1")) // duplicate
	require.NoError(t, err)

	perSub := func(id string) []int64 {
		ds, err := s.Deliveries(ctx, id, 10)
		require.NoError(t, err)
		var events []int64
		for _, d := range ds {
			require.Equal(t, webhook.StatusPending, d.Status)
			require.Equal(t, stored(t0), d.NextAt)
			require.Equal(t, stored(t0), d.StartedAt)
			events = append(events, d.EventID)
		}
		return events
	}
	require.Equal(t, []int64{push.ID}, perSub("sub_push"))
	require.Equal(t, []int64{issue.ID, push.ID}, perSub("sub_all"), "newest first")
	require.Empty(t, perSub("sub_else"))
}

func testClaim(t *testing.T, s WebhookStore) {
	ctx := t.Context()
	require.NoError(t, s.CreateSubscription(ctx, subscription("sub_1", "github"), nil))
	for i := range 3 {
		_, _, err := s.PutEvent(ctx, hookEvent("github", "push", fmt.Sprint("d", i)))
		require.NoError(t, err)
	}
	_, err := s.ClaimDeliveries(ctx, t0.Add(-time.Second), t0.Add(time.Minute), 10)
	require.NoError(t, err)

	lease := t0.Add(time.Minute)
	got, err := s.ClaimDeliveries(ctx, t0, lease, 2)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "d0", got[0].Event.DeliveryID)
	require.Equal(t, "d1", got[1].Event.DeliveryID)
	require.Equal(t, stored(lease), got[0].Delivery.NextAt)
	require.JSONEq(t, `{"id":"d0","n":[1,2]}`, string(got[0].Event.Payload))

	rest, err := s.ClaimDeliveries(ctx, t0, lease, 10)
	require.NoError(t, err)
	require.Len(t, rest, 1, "leased deliveries are not claimed again")
	none, err := s.ClaimDeliveries(ctx, t0.Add(30*time.Second), lease, 10)
	require.NoError(t, err)
	require.Empty(t, none)
	again, err := s.ClaimDeliveries(ctx, lease, lease.Add(time.Minute), 10)
	require.NoError(t, err)
	require.Len(t, again, 3, "an expired lease frees the delivery")
}

func testUpdateDelivery(t *testing.T, s WebhookStore) {
	ctx := t.Context()
	require.NoError(t, s.CreateSubscription(ctx, subscription("sub_1", "github"), nil))
	_, _, err := s.PutEvent(ctx, hookEvent("github", "push", "d0"))
	require.NoError(t, err)
	claimed, err := s.ClaimDeliveries(ctx, t0, t0.Add(time.Minute), 1)
	require.NoError(t, err)
	require.Len(t, claimed, 1)

	d := claimed[0].Delivery
	d.Attempts, d.LastError, d.NextAt = 1, "subscriber answered 500", t0.Add(time.Hour)
	d.UpdatedAt = t0.Add(time.Second)
	require.NoError(t, s.UpdateDelivery(ctx, d))
	got, err := s.Delivery(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, webhook.StatusPending, got.Status)
	require.Equal(t, 1, got.Attempts)
	require.Equal(t, "subscriber answered 500", got.LastError)
	require.Equal(t, stored(t0.Add(time.Hour)), got.NextAt)
	require.True(t, got.DeliveredAt.IsZero())

	d.Status, d.Attempts, d.DeliveredAt, d.LastError = webhook.StatusDelivered, 2, t0.Add(time.Hour), ""
	require.NoError(t, s.UpdateDelivery(ctx, d))
	got, err = s.Delivery(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, webhook.StatusDelivered, got.Status)
	require.Equal(t, stored(t0.Add(time.Hour)), got.DeliveredAt)
	requireUTC(t, got.DeliveredAt, got.NextAt, got.StartedAt, got.UpdatedAt)
	none, err := s.ClaimDeliveries(ctx, t0.Add(48*time.Hour), t0.Add(49*time.Hour), 10)
	require.NoError(t, err)
	require.Empty(t, none, "a delivered delivery is not claimed")

	d.ID = 1 << 40
	requireCode(t, s.UpdateDelivery(ctx, d), switchboard.CodeNotFound)
	_, err = s.Delivery(ctx, d.ID)
	requireCode(t, err, switchboard.CodeNotFound)
}

func testPurgeWebhooks(t *testing.T, s WebhookStore) {
	ctx := t.Context()
	for _, app := range []string{"github", "stripe"} {
		require.NoError(t, s.PutListener(ctx, app, []byte("hash-"+app), []byte("sealed"), t0, false))
		require.NoError(t, s.CreateSubscription(ctx, subscription("sub_"+app, app), []byte("s")))
		_, _, err := s.PutEvent(ctx, hookEvent(app, "push", "d0"))
		require.NoError(t, err)
	}
	require.NoError(t, s.PurgeWebhooks(ctx, "github"))
	require.NoError(t, s.PurgeWebhooks(ctx, "github"), "purging twice is fine")

	_, err := s.Listener(ctx, "github")
	requireCode(t, err, switchboard.CodeNotFound)
	_, err = s.ListenerApp(ctx, []byte("hash-github"))
	requireCode(t, err, switchboard.CodeNotFound)
	_, err = s.Secret(ctx, webhook.ScopeListener, "github")
	requireCode(t, err, switchboard.CodeNotFound)
	_, err = s.Secret(ctx, webhook.ScopeSubscription, "sub_github")
	requireCode(t, err, switchboard.CodeNotFound)
	evs, err := s.Events(ctx, "github", 0, 10)
	require.NoError(t, err)
	require.Empty(t, evs)
	subs, err := s.Subscriptions(ctx, "")
	require.NoError(t, err)
	require.Len(t, subs, 1)
	require.Equal(t, "stripe", subs[0].AppID)

	evs, err = s.Events(ctx, "stripe", 0, 10)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	claimed, err := s.ClaimDeliveries(ctx, t0, t0.Add(time.Minute), 10)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.Equal(t, "sub_stripe", claimed[0].Delivery.SubscriptionID)
}

func testWebhooksNoChange(t *testing.T, s WebhookStore) {
	ctx := t.Context()
	before := lastChange(t, s)
	require.NoError(t, s.PutListener(ctx, "github", []byte("h"), []byte("s"), t0, false))
	require.NoError(t, s.CreateSubscription(ctx, subscription("sub_1", "github"), nil))
	_, _, err := s.PutEvent(ctx, hookEvent("github", "push", "d0"))
	require.NoError(t, err)
	_, err = s.ClaimDeliveries(ctx, t0, t0.Add(time.Minute), 10)
	require.NoError(t, err)
	require.NoError(t, s.DeleteSubscription(ctx, "sub_1"))
	require.NoError(t, s.PurgeWebhooks(ctx, "github"))
	require.Equal(t, before, lastChange(t, s))
}

func testSharedDedupe(t *testing.T, a, b WebhookStore) {
	ctx := t.Context()
	const n = 16
	dups := make([]bool, n)
	ids := make([]int64, n)
	errs := concurrently(n, func(i int) error {
		s := a
		if i%2 == 1 {
			s = b
		}
		e, dup, err := s.PutEvent(ctx, hookEvent("github", "push", "same"))
		dups[i], ids[i] = dup, e.ID
		return err
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	fresh := 0
	for i := range n {
		require.Equal(t, ids[0], ids[i])
		if !dups[i] {
			fresh++
		}
	}
	require.Equal(t, 1, fresh)
	evs, err := a.Events(ctx, "github", 0, 10)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Equal(t, int64(n-1), evs[0].Duplicates)
}

func testSharedClaim(t *testing.T, a, b WebhookStore) {
	ctx := t.Context()
	require.NoError(t, a.CreateSubscription(ctx, subscription("sub_1", "github"), nil))
	const events = 40
	for i := range events {
		_, _, err := a.PutEvent(ctx, hookEvent("github", "push", fmt.Sprint("d", i)))
		require.NoError(t, err)
	}
	const claimers = 8
	got := make([][]webhook.Claimed, claimers)
	errs := concurrently(claimers, func(i int) error {
		s := a
		if i%2 == 1 {
			s = b
		}
		var err error
		got[i], err = s.ClaimDeliveries(ctx, t0, t0.Add(time.Minute), 10)
		return err
	})
	seen := map[int64]bool{}
	for i, err := range errs {
		require.NoError(t, err)
		for _, c := range got[i] {
			require.False(t, seen[c.Delivery.ID], "delivery %d claimed twice", c.Delivery.ID)
			seen[c.Delivery.ID] = true
		}
	}
	require.Len(t, seen, events)
}

func testEventDigest(t *testing.T, s WebhookStore) {
	ctx := t.Context()
	put := func(id, digest string) (webhook.Event, bool) {
		t.Helper()
		e := hookEvent("github", "push", id)
		e.Digest = digest
		got, dup, err := s.PutEvent(ctx, e)
		require.NoError(t, err)
		return got, dup
	}
	first, dup := put("d-1", "aa11")
	require.False(t, dup)
	require.Empty(t, first.Digest, "the digest is kept, not returned")
	// Another id with the same digest is the same delivery.
	again, dup := put("d-2", "aa11")
	require.True(t, dup)
	require.Equal(t, first.ID, again.ID)
	require.Equal(t, int64(1), again.Duplicates)
	// Without a digest, or with another, ids alone decide.
	_, dup = put("d-3", "")
	require.False(t, dup)
	_, dup = put("d-4", "")
	require.False(t, dup)
	_, dup = put("d-5", "bb22")
	require.False(t, dup)
	// The same digest in another integration is another event.
	e := hookEvent("stripe", "charge", "d-1")
	e.Digest = "aa11"
	_, dup, err := s.PutEvent(ctx, e)
	require.NoError(t, err)
	require.False(t, dup)
	evs, err := s.Events(ctx, "github", 0, 10)
	require.NoError(t, err)
	require.Len(t, evs, 4)
}
