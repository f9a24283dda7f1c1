package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
	"github.com/switchboard-dev/switchboard/webhook"
)

var _ Webhooks = (*webhook.Service)(nil)

// fakeHooks is a webhook service holding events in memory; its one
// listener token is "tok" and caps bodies at 16 bytes.
type fakeHooks struct {
	mu       sync.Mutex
	owner    string // of sub_1
	events   []webhook.Event
	received [][]byte
	wake     chan struct{}
	done     chan struct{}
}

func newFakeHooks() *fakeHooks {
	return &fakeHooks{wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (f *fakeHooks) Provision(_ context.Context, in *registry.Integration) (webhook.Listener, bool, error) {
	return webhook.Listener{URL: "https://sb.test/api/v1/hooks/tok", Events: []string{"message"}},
		len(in.Manifest.Webhooks) > 0, nil
}

func (f *fakeHooks) Rotate(context.Context, *registry.Integration) (webhook.Listener, error) {
	return webhook.Listener{URL: "https://sb.test/api/v1/hooks/tok2"}, nil
}

func (f *fakeHooks) Target(_ context.Context, token string) (webhook.Target, error) {
	if token != "tok" {
		return webhook.Target{}, switchboard.Errorf(switchboard.CodeNotFound, "no such listener")
	}
	return webhook.Target{MaxBodyBytes: 16}, nil
}

func (f *fakeHooks) Receive(_ context.Context, _ webhook.Target, _ http.Header, body []byte,
) (webhook.Answer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.received = append(f.received, body)
	return webhook.Answer{Status: http.StatusOK, Body: json.RawMessage(`{"received":true}`)}, nil
}

func (f *fakeHooks) add(name string) {
	f.mu.Lock()
	f.events = append(f.events, webhook.Event{ID: int64(len(f.events) + 1), AppID: "slack",
		Name: name, DeliveryID: name, Payload: json.RawMessage(`{}`)})
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *fakeHooks) Events(_ context.Context, _ string, after int64, limit int) ([]webhook.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []webhook.Event{}
	for _, e := range f.events {
		if e.ID > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeHooks) Wait() (<-chan struct{}, func()) { return f.wake, func() {} }
func (f *fakeHooks) Done() <-chan struct{}           { return f.done }

// Subscribe makes sub_1, owned by the caller; the fake keeps one.
func (f *fakeHooks) Subscribe(_ context.Context, n webhook.NewSubscription) (webhook.Subscription, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.owner = n.Principal.String()
	return webhook.Subscription{ID: "sub_1", AppID: "slack", Events: []string{},
		Principal: f.owner}, "whsec_x", nil
}
func (f *fakeHooks) Subscriptions(ctx context.Context, _ string) ([]webhook.Subscription, error) {
	sub, _ := f.Subscription(ctx, "sub_1")
	return []webhook.Subscription{sub}, nil
}
func (f *fakeHooks) Subscription(context.Context, string) (webhook.Subscription, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return webhook.Subscription{ID: "sub_1", AppID: "slack", Principal: f.owner}, nil
}
func (f *fakeHooks) Unsubscribe(context.Context, string) error { return nil }
func (f *fakeHooks) Deliveries(context.Context, string, int) ([]webhook.Delivery, error) {
	return nil, nil
}
func (f *fakeHooks) Redeliver(context.Context, string, int64) (webhook.Delivery, error) {
	return webhook.Delivery{}, nil
}

func (f *fakeHooks) RemovePrincipal(context.Context, switchboard.Principal) (int, error) {
	return 0, nil
}

func hooksEnv(t *testing.T) (*testEnv, *fakeHooks) {
	hooks := newFakeHooks()
	return newEnv(t, func(c *Config) { c.Webhooks = hooks }), hooks
}

func TestHookBodyCap(t *testing.T) {
	t.Parallel()
	e, hooks := hooksEnv(t)
	rec := e.do(http.MethodPost, "/api/v1/hooks/tok", "", strings.NewReader(`{"a":1}`))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.JSONEq(t, `{"received":true}`, rec.Body.String())

	// Declared too long: refused before the body is read.
	body := &countingReader{r: strings.NewReader(strings.Repeat("x", 64))}
	req := httptest.NewRequest(http.MethodPost, "/api/v1/hooks/tok", body)
	req.ContentLength = 64
	rec = httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	require.Zero(t, body.n, "nothing of the body is read")

	// Chunked: refused as soon as it passes the cap.
	body = &countingReader{r: strings.NewReader(strings.Repeat("x", 1<<20))}
	req = httptest.NewRequest(http.MethodPost, "/api/v1/hooks/tok", body)
	req.ContentLength = -1
	rec = httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	require.Less(t, body.n, 64<<10, "reading stops near the cap")
	require.Len(t, hooks.received, 1)

	rec = e.do(http.MethodPost, "/api/v1/hooks/nope", "", strings.NewReader(`{}`))
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.NotContains(t, e.logs.String(), "/hooks/tok", "the log shows the route, not the token")
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestEventsNeedTheEventsPermission(t *testing.T) {
	t.Parallel()
	e, hooks := hooksEnv(t)
	hooks.add("message")
	rec := e.do(http.MethodGet, "/api/v1/integrations/slack/events", memberToken, nil)
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Equal(t, "integration:slack:events", jsonOf2(t, rec)["permission"])
	rec = e.do(http.MethodGet, "/api/v1/integrations/slack/webhooks", memberToken, nil)
	require.Equal(t, http.StatusForbidden, rec.Code)

	e.authz.grants = []string{"integration:slack:events"}
	rec = e.do(http.MethodGet, "/api/v1/integrations/slack/events?after=0&limit=5", memberToken, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	page := jsonOf(t, rec)
	require.Equal(t, "1", page["next"])
	require.Len(t, page["events"], 1)
	rec = e.do(http.MethodGet, "/api/v1/integrations/slack/events?after=x", memberToken, nil)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	rec = e.do(http.MethodGet, "/api/v1/integrations/notes/events", memberToken, nil)
	require.Equal(t, http.StatusNotFound, rec.Code, "notes declares no webhooks")

	rec = e.do(http.MethodPost, "/api/v1/subscriptions", memberToken,
		strings.NewReader(`{"integration":"slack","url":"https://r.example"}`))
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	require.Equal(t, "whsec_x", jsonOf(t, rec)["secret"])
	rec = e.do(http.MethodGet, "/api/v1/subscriptions/sub_1", memberToken, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.NotContains(t, rec.Body.String(), "whsec_x", "the secret is shown once")

	// Another reader of the events sees nothing of the member's
	// subscription; the integration's manager does.
	hooks.mu.Lock()
	hooks.owner = "user:someone-else"
	hooks.mu.Unlock()
	rec = e.do(http.MethodGet, "/api/v1/subscriptions/sub_1", memberToken, nil)
	require.Equal(t, http.StatusNotFound, rec.Code)
	rec = e.do(http.MethodGet, "/api/v1/subscriptions", memberToken, nil)
	require.JSONEq(t, `{"subscriptions":[]}`, rec.Body.String())
	rec = e.do(http.MethodDelete, "/api/v1/subscriptions/sub_1", memberToken, nil)
	require.Equal(t, http.StatusNotFound, rec.Code)
	rec = e.do(http.MethodGet, "/api/v1/subscriptions/sub_1", adminToken, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	rec = e.do(http.MethodPost, "/api/v1/subscriptions", memberToken,
		strings.NewReader(`{"url":"https://r.example"}`))
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	require.Contains(t, rec.Body.String(), `"path":"integration"`)
}

func jsonOf2(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &v))
	return v
}

func TestDeployAnswerCarriesTheWebhookURL(t *testing.T) {
	t.Parallel()
	e, _ := hooksEnv(t)
	rec := e.do(http.MethodPost, "/api/v1/integrations/catalog/slack/deploy", adminToken, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "https://sb.test/api/v1/hooks/tok", jsonOf(t, rec)["webhookUrl"])
	rec = e.do(http.MethodPost, "/api/v1/integrations/catalog/notes/deploy", adminToken, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.NotContains(t, jsonOf(t, rec), "webhookUrl")
}

func TestEventStreamResumes(t *testing.T) {
	t.Parallel()
	e, hooks := hooksEnv(t)
	hooks.add("one")
	hooks.add("two")
	srv := httptest.NewServer(e.srv.Handler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		srv.URL+"/api/v1/events/stream?integration=slack", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Last-Event-ID", "1")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))

	lines := bufio.NewScanner(resp.Body)
	next := func() string {
		require.True(t, lines.Scan(), "stream ended: %v", lines.Err())
		return lines.Text()
	}
	require.Equal(t, "id: 2", next())
	require.Equal(t, "event: two", next())
	require.Contains(t, next(), `"deliveryId":"two"`)
	require.Equal(t, "", next())

	hooks.add("three\nid: 99") // a name cannot forge a field
	require.Equal(t, "id: 3", next())
	require.Equal(t, "event: three id: 99", next())
}

func TestEventStreamEndsWhenAccessGoes(t *testing.T) {
	t.Parallel()
	e, hooks := hooksEnv(t)
	e.authz.mu.Lock()
	e.authz.grants = []string{"integration:slack:events"}
	e.authz.mu.Unlock()
	hooks.add("one")
	srv := httptest.NewServer(e.srv.Handler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		srv.URL+"/api/v1/events/stream?integration=slack", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+memberToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	lines := bufio.NewScanner(resp.Body)
	require.True(t, lines.Scan())
	require.Equal(t, "id: 1", lines.Text())

	// The member loses the permission; the next event is not sent, and
	// the stream ends.
	e.authz.mu.Lock()
	e.authz.grants = nil
	e.authz.mu.Unlock()
	hooks.add("secret-after-revocation")
	var rest []string
	for lines.Scan() {
		rest = append(rest, lines.Text())
	}
	require.Contains(t, rest, ": access revoked")
	for _, l := range rest {
		require.NotContains(t, l, "secret-after-revocation")
	}
}
