package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/webhook"
)

// receiver is a subscriber that refuses the first failFirst attempts of
// each message and verifies every signature with secret.
type receiver struct {
	t         *testing.T
	failFirst int
	mu        sync.Mutex
	secret    []byte
	attempts  map[string]int // by webhook-id
	accepted  map[string]webhook.Message
	bad       int
}

func newReceiver(t *testing.T, failFirst int) (*receiver, *httptest.Server) {
	r := &receiver{t: t, failFirst: failFirst, attempts: map[string]int{},
		accepted: map[string]webhook.Message{}}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	id := req.Header.Get("webhook-id")
	ts, _ := strconv.ParseInt(req.Header.Get("webhook-timestamp"), 10, 64)
	key, err := webhook.StandardKey(r.secret)
	if err != nil || req.Header.Get("webhook-signature") !=
		webhook.SignStandard(key, id, time.Unix(ts, 0), body) {
		r.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.attempts[id]++
	if r.attempts[id] <= r.failFirst {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var m webhook.Message
	if json.Unmarshal(body, &m) != nil || m.ID != id {
		r.bad++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	// A receiver deduplicates by webhook-id: a message it has accepted is
	// acknowledged again without being processed twice.
	if _, seen := r.accepted[id]; !seen {
		r.accepted[id] = m
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	r.secret = []byte(s)
	r.mu.Unlock()
}

func (r *receiver) snapshot() (attempts map[string]int, accepted map[string]webhook.Message, bad int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	attempts = map[string]int{}
	for k, v := range r.attempts {
		attempts[k] = v
	}
	accepted = map[string]webhook.Message{}
	for k, v := range r.accepted {
		accepted[k] = v
	}
	return attempts, accepted, r.bad
}

var fastRetry = webhook.Retry{Base: time.Second, Max: 8 * time.Second, Window: 24 * time.Hour,
	AttemptTimeout: 5 * time.Second}

func TestOutboundRetriesUntilTheReceiverAccepts(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, b.open(t), options{manifest: hookManifest("github", ""), secret: "gh",
				allowPrivate: true, retry: fastRetry})
			ctx := t.Context()
			rcv, srv := newReceiver(t, 3)
			sub, secret, err := f.svc.Subscribe(ctx, webhook.NewSubscription{AppID: "svc",
				URL: srv.URL + "/hooks", Principal: switchboard.Principal{Kind: "app", ID: "ci"}})
			require.NoError(t, err)
			rcv.setSecret(secret)
			require.Equal(t, []string{}, sub.Events)

			bodies := []string{`{"n":1}`, `{"n":2}`, `{"n":3}`}
			for i, body := range bodies {
				a := f.receive(t, githubDelivery("gh", "d-"+strconv.Itoa(i), body), body)
				require.Equal(t, http.StatusOK, a.Status)
			}

			// Four rounds: three refused attempts of each event, then one
			// accepted; the clock moves past the longest backoff in between.
			for round := range 6 {
				n, err := f.svc.Dispatch(ctx)
				require.NoError(t, err)
				if round < 4 {
					require.Equal(t, len(bodies), n, "round %d", round)
				} else {
					require.Zero(t, n, "round %d: nothing is due once delivered", round)
				}
				f.clock.Advance(fastRetry.Max + time.Second)
			}

			attempts, accepted, bad := rcv.snapshot()
			require.Zero(t, bad, "every attempt is signed")
			require.Len(t, accepted, len(bodies))
			for i, body := range bodies {
				id := webhook.MessageID(int64(i) + firstEventID(t, f))
				require.Equal(t, 4, attempts[id], "one webhook-id across the attempts of %s", id)
				m := accepted[id]
				require.JSONEq(t, body, string(m.Payload))
				require.Equal(t, "svc", m.Integration)
				require.Equal(t, "issues", m.Event)
				require.Equal(t, "d-"+strconv.Itoa(i), m.DeliveryID)
			}
			ds, err := f.svc.Deliveries(ctx, sub.ID, 10)
			require.NoError(t, err)
			require.Len(t, ds, len(bodies))
			for _, d := range ds {
				require.Equal(t, webhook.StatusDelivered, d.Status)
				require.Equal(t, 4, d.Attempts)
				require.Empty(t, d.LastError)
			}
		})
	}
}

func firstEventID(t *testing.T, f *fixture) int64 {
	t.Helper()
	evs, err := f.svc.Events(t.Context(), "svc", 0, 1)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	return evs[0].ID
}

func TestOutboundGivesUpAfterTheWindowAndRedelivers(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			retry := webhook.Retry{Base: time.Minute, Max: time.Hour, Window: 24 * time.Hour}
			f := newFixture(t, b.open(t), options{manifest: hookManifest("github", ""), secret: "gh",
				allowPrivate: true, retry: retry})
			ctx := t.Context()
			rcv, srv := newReceiver(t, 1<<30)
			sub, secret, err := f.svc.Subscribe(ctx, webhook.NewSubscription{AppID: "svc",
				Events: []string{"issues"}, URL: srv.URL})
			require.NoError(t, err)
			rcv.setSecret(secret)
			body := `{"n":1}`
			require.Equal(t, http.StatusOK, f.receive(t, githubDelivery("gh", "d", body), body).Status)

			var d webhook.Delivery
			for range 60 {
				_, err := f.svc.Dispatch(ctx)
				require.NoError(t, err)
				ds, err := f.svc.Deliveries(ctx, sub.ID, 1)
				require.NoError(t, err)
				d = ds[0]
				if d.Status != webhook.StatusPending {
					break
				}
				f.clock.Advance(time.Hour)
			}
			require.Equal(t, webhook.StatusFailed, d.Status)
			require.Equal(t, "subscriber answered 503", d.LastError)
			require.LessOrEqual(t, d.UpdatedAt.Sub(d.StartedAt), 24*time.Hour)
			require.Greater(t, d.Attempts, 5)
			failedAfter := d.Attempts

			// Failed stays failed until redelivered.
			f.clock.Advance(48 * time.Hour)
			n, err := f.svc.Dispatch(ctx)
			require.NoError(t, err)
			require.Zero(t, n)

			rcv.mu.Lock()
			rcv.failFirst = 0
			rcv.mu.Unlock()
			_, err = f.svc.Redeliver(ctx, "sub_other", d.ID)
			require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err))
			_, err = f.svc.Redeliver(ctx, sub.ID, d.ID)
			require.NoError(t, err)
			n, err = f.svc.Dispatch(ctx)
			require.NoError(t, err)
			require.Equal(t, 1, n)
			ds, err := f.svc.Deliveries(ctx, sub.ID, 1)
			require.NoError(t, err)
			require.Equal(t, webhook.StatusDelivered, ds[0].Status)
			require.Equal(t, failedAfter+1, ds[0].Attempts)
		})
	}
}

func TestOutboundFollowsTheAddressPolicy(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backends[0].open(t), options{manifest: hookManifest("github", ""),
		secret: "gh", retry: fastRetry})
	ctx := t.Context()
	rcv, srv := newReceiver(t, 0)
	sub, secret, err := f.svc.Subscribe(ctx, webhook.NewSubscription{AppID: "svc", URL: srv.URL})
	require.NoError(t, err)
	rcv.setSecret(secret)
	body := `{}`
	require.Equal(t, http.StatusOK, f.receive(t, githubDelivery("gh", "d", body), body).Status)
	n, err := f.svc.Dispatch(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	attempts, _, _ := rcv.snapshot()
	require.Empty(t, attempts, "loopback is refused without AllowPrivateNetwork")
	ds, err := f.svc.Deliveries(ctx, sub.ID, 1)
	require.NoError(t, err)
	require.Equal(t, webhook.StatusPending, ds[0].Status)
	require.Contains(t, ds[0].LastError, "post to subscriber")
	require.NotContains(t, ds[0].LastError, srv.URL)
}

// holders is an Authorizer granting every key to the principals it holds.
type holders struct {
	mu sync.Mutex
	in map[string]bool
}

func (h *holders) Allowed(_ context.Context, p switchboard.Principal, _ string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.in[p.String()]
}

func (h *holders) set(p string, holds bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.in[p] = holds
}

func TestOutboundStopsWhenTheOwnerLosesThePermission(t *testing.T) {
	t.Parallel()
	authz := &holders{in: map[string]bool{"app:ci": true}}
	f := newFixture(t, backends[0].open(t), options{manifest: hookManifest("github", ""),
		secret: "gh", allowPrivate: true, retry: fastRetry, authz: authz})
	ctx := t.Context()
	rcv, srv := newReceiver(t, 0)
	sub, secret, err := f.svc.Subscribe(ctx, webhook.NewSubscription{AppID: "svc", URL: srv.URL,
		Principal: switchboard.Principal{Kind: "app", ID: "ci"}})
	require.NoError(t, err)
	rcv.setSecret(secret)
	send := func(id string) {
		body := `{"id":"` + id + `"}`
		require.Equal(t, http.StatusOK, f.receive(t, githubDelivery("gh", id, body), body).Status)
		_, err := f.svc.Dispatch(ctx)
		require.NoError(t, err)
	}
	send("while-held")
	authz.set("app:ci", false)
	send("after-revocation")
	attempts, accepted, _ := rcv.snapshot()
	require.Equal(t, map[string]int{"evt_1": 1}, attempts,
		"nothing is sent once the owner lost the permission")
	require.Len(t, accepted, 1)
	ds, err := f.svc.Deliveries(ctx, sub.ID, 10)
	require.NoError(t, err)
	require.Len(t, ds, 2)
	require.Equal(t, webhook.StatusFailed, ds[0].Status)
	require.Contains(t, ds[0].LastError, "no longer holds integration:svc:events")

	// Offboarding deletes what the principal subscribed.
	n, err := f.svc.RemovePrincipal(ctx, switchboard.Principal{Kind: "app", ID: "ci"})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	subs, err := f.svc.Subscriptions(ctx, "svc")
	require.NoError(t, err)
	require.Empty(t, subs)
}

func TestSubscribeRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backends[0].open(t), options{manifest: hookManifest("github", ""), secret: "gh"})
	_, _, err := f.svc.Subscribe(t.Context(), webhook.NewSubscription{AppID: "svc",
		Events: []string{"push", "deploy"}, URL: "ftp://x"})
	e, ok := errors.AsType[*switchboard.Error](err)
	require.True(t, ok, "%v", err)
	require.Equal(t, switchboard.CodeInvalidInput, e.Code)
	require.Equal(t, []switchboard.FieldError{
		{Path: "events[1]", Message: `"deploy" is not a webhook of svc`},
		{Path: "url", Message: "must be an absolute http or https URL without credentials"},
	}, e.Errors)
	_, _, err = f.svc.Subscribe(t.Context(), webhook.NewSubscription{AppID: "nope", URL: "https://x"})
	require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err))

	// Addresses no setting lets the server reach are refused at once.
	for _, u := range []string{"http://169.254.169.254/latest", "http://[fe80::1]/x",
		"http://[::ffff:169.254.169.254]/x", "http://0.0.0.0/x"} {
		_, _, err = f.svc.Subscribe(t.Context(), webhook.NewSubscription{AppID: "svc", URL: u})
		e, ok := errors.AsType[*switchboard.Error](err)
		require.True(t, ok, "%s: %v", u, err)
		require.Equal(t, switchboard.CodeInvalidInput, e.Code, u)
		require.Equal(t, "url", e.Errors[0].Path, u)
	}
}

func TestSubscribeNeedsAnOwnerWhoCanKeepIt(t *testing.T) {
	t.Parallel()
	authz := &holders{in: map[string]bool{"app:ci": true}}
	f := newFixture(t, backends[0].open(t), options{manifest: hookManifest("github", ""),
		secret: "gh", authz: authz})
	ci := switchboard.Principal{Kind: "app", ID: "ci"}
	n := webhook.NewSubscription{AppID: "svc", URL: "https://r.example", Principal: ci}

	// Through a delegation: it would outlive it.
	delegated := switchboard.WithDelegation(t.Context(), switchboard.Delegation{ID: "d",
		User: switchboard.Principal{Kind: "user", ID: "alice"}, Scope: []string{"*"}})
	_, _, err := f.svc.Subscribe(delegated, n)
	require.Equal(t, switchboard.CodeForbidden, switchboard.ErrorCode(err))
	require.Contains(t, switchboard.AsError(err).Message, "delegation")

	// Without the permission assigned.
	n.Principal = switchboard.Principal{Kind: "user", ID: "claims-only"}
	_, _, err = f.svc.Subscribe(t.Context(), n)
	require.Equal(t, switchboard.CodeForbidden, switchboard.ErrorCode(err))
	require.Contains(t, switchboard.AsError(err).Message, "integration:svc:events assigned")

	n.Principal = ci
	_, _, err = f.svc.Subscribe(t.Context(), n)
	require.NoError(t, err)
	subs, err := f.svc.Subscriptions(t.Context(), "svc")
	require.NoError(t, err)
	require.Len(t, subs, 1, "only the owner who can keep it")
}
