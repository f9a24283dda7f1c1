package webhook_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/webhook"
)

// token returns the listener token of f's integration, provisioning it.
func (f *fixture) token(t *testing.T) string {
	t.Helper()
	l, ok, err := f.svc.Provision(t.Context(), f.in)
	require.NoError(t, err)
	require.True(t, ok)
	tok, found := strings.CutPrefix(l.URL, "https://sb.example"+webhook.HookPath)
	require.True(t, found, l.URL)
	return tok
}

func (f *fixture) receive(t *testing.T, h http.Header, body string) webhook.Answer {
	t.Helper()
	target, err := f.svc.Target(t.Context(), f.token(t))
	require.NoError(t, err)
	a, err := f.svc.Receive(t.Context(), target, h, []byte(body))
	require.NoError(t, err)
	return a
}

func githubDelivery(secret, id, body string) http.Header {
	return headers("X-GitHub-Delivery", id, "X-GitHub-Event", "issues",
		"X-Hub-Signature-256", "sha256="+hmacHex([]byte(secret), body),
		"Content-Type", "application/json")
}

func TestSameDeliveryTwiceIsOneEvent(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, b.open(t), options{manifest: hookManifest("github", ""), secret: "gh"})
			body := `{"action":"edited","issue":{"number":7}}`
			for range 2 {
				a := f.receive(t, githubDelivery("gh", "d-1", body), body)
				require.Equal(t, http.StatusOK, a.Status)
			}
			// Two deliveries about the same issue are two events.
			second := `{"action":"labeled","issue":{"number":7}}`
			a := f.receive(t, githubDelivery("gh", "d-2", second), second)
			require.Equal(t, http.StatusOK, a.Status)
			// A captured delivery replayed under a new id is a duplicate:
			// GitHub signs the body, not the id.
			a = f.receive(t, githubDelivery("gh", "d-3-replayed", body), body)
			require.Equal(t, http.StatusOK, a.Status)

			evs, err := f.svc.Events(t.Context(), "svc", 0, 10)
			require.NoError(t, err)
			require.Len(t, evs, 2)
			require.Equal(t, "d-1", evs[0].DeliveryID)
			require.Equal(t, "issues", evs[0].Name)
			require.Equal(t, int64(2), evs[0].Duplicates)
			require.Equal(t, "d-2", evs[1].DeliveryID)
			require.JSONEq(t, second, string(evs[1].Payload))

			var dups []string
			for _, e := range f.audit.all() {
				require.Equal(t, audit.SurfaceWebhook, e.Surface)
				require.Equal(t, audit.EventWebhookReceive, e.Event)
				require.Equal(t, audit.OutcomeOK, e.Outcome)
				dups = append(dups, e.Detail["delivery"]+"="+e.Detail["duplicate"])
			}
			require.Equal(t, []string{"d-1=false", "d-1=true", "d-2=false", "d-1=true"}, dups)
		})
	}
}

func TestDeliveryIDs(t *testing.T) {
	t.Parallel()
	db := backends[0].open(t)
	f := newFixture(t, db, options{manifest: hookManifest("hmac-sha256",
		`,"header":"X-Sig","idPath":"meta.delivery","eventPath":"kind"`), secret: "k"})
	post := func(body string) {
		h := headers("X-Sig", hmacHex([]byte("k"), body))
		require.Equal(t, http.StatusOK, f.receive(t, h, body).Status)
	}
	post(`{"kind":"push","meta":{"delivery":"abc"}}`)
	post(`{"kind":"push","meta":{"delivery":"abc"},"retry":1}`) // same id: a duplicate
	post(`{"kind":"issues"}`)                                   // no id: the body's digest
	post(`{"kind":"issues"}`)
	evs, err := f.svc.Events(t.Context(), "svc", 0, 10)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	require.Equal(t, "abc", evs[0].DeliveryID)
	require.Equal(t, "push", evs[0].Name)
	require.True(t, strings.HasPrefix(evs[1].DeliveryID, "sha256:"), evs[1].DeliveryID)
	require.Equal(t, int64(1), evs[1].Duplicates)
}

func slackHeaders(secret string, ts int64, body string) http.Header {
	s := strconv.FormatInt(ts, 10)
	return headers("X-Slack-Request-Timestamp", s,
		"X-Slack-Signature", "v0="+hmacHex([]byte(secret), "v0:"+s+":"+body))
}

func TestSlackChallengeNeedsTheSignature(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backends[0].open(t), options{
		manifest: hookManifest("slack", `,"eventPath":"event.type"`), secret: "slack-secret"})
	now := f.clock.Now().Unix()
	body := `{"token":"x","challenge":"echo-me-3eZbrw1aB","type":"url_verification"}`

	a := f.receive(t, slackHeaders("wrong-secret", now, body), body)
	require.Equal(t, http.StatusUnauthorized, a.Status)
	require.NotContains(t, string(a.Body), "echo-me")
	a = f.receive(t, headers(), body)
	require.Equal(t, http.StatusUnauthorized, a.Status)
	require.NotContains(t, string(a.Body), "echo-me")

	a = f.receive(t, slackHeaders("slack-secret", now, body), body)
	require.Equal(t, http.StatusOK, a.Status)
	require.JSONEq(t, `{"challenge":"echo-me-3eZbrw1aB"}`, string(a.Body))

	evs, err := f.svc.Events(t.Context(), "svc", 0, 10)
	require.NoError(t, err)
	require.Empty(t, evs, "a challenge is not an event")
}

func TestSlackEventsAndInteractivePayloads(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backends[0].open(t), options{manifest: hookManifest("slack", ""),
		secret: "slack-secret"})
	now := f.clock.Now().Unix()
	body := `{"type":"event_callback","event_id":"Ev01","event":{"type":"push","text":"hi"}}`
	require.Equal(t, http.StatusOK, f.receive(t, slackHeaders("slack-secret", now, body), body).Status)

	form := "payload=" + url.QueryEscape(`{"type":"issues","trigger_id":"t1"}`)
	h := slackHeaders("slack-secret", now, form)
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	require.Equal(t, http.StatusOK, f.receive(t, h, form).Status)

	evs, err := f.svc.Events(t.Context(), "svc", 0, 10)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	require.Equal(t, "Ev01", evs[0].DeliveryID)
	require.Equal(t, "push", evs[0].Name)
	require.Equal(t, "issues", evs[1].Name)
	require.JSONEq(t, `{"type":"issues","trigger_id":"t1"}`, string(evs[1].Payload))
}

func TestRefusalsAreAuditedNotExplained(t *testing.T) {
	t.Parallel()
	body := `{"action":"opened"}`
	tests := []struct {
		name   string
		secret string
		header http.Header
		reason string
	}{
		{"unsigned", "gh", headers("X-GitHub-Delivery", "d"), "signature missing"},
		{"wrong signature", "gh", githubDelivery("other", "d", body), "signature does not match"},
		{"secret not set", "", githubDelivery("gh", "d", body), "signing secret sig is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, backends[0].open(t), options{manifest: hookManifest("github", ""),
				secret: tt.secret})
			a := f.receive(t, tt.header, body)
			require.Equal(t, http.StatusUnauthorized, a.Status)
			require.JSONEq(t, `{"received":false}`, string(a.Body))
			entries := f.audit.all()
			require.Len(t, entries, 1)
			e := entries[0]
			require.Equal(t, audit.SurfaceWebhook, e.Surface)
			require.Equal(t, audit.OutcomeDenied, e.Outcome)
			require.Equal(t, switchboard.CodeUnauthenticated, e.ErrorCode)
			require.Equal(t, tt.reason, e.Detail["reason"])
			evs, err := f.svc.Events(t.Context(), "svc", 0, 10)
			require.NoError(t, err)
			require.Empty(t, evs)
		})
	}
}

func TestListenerStableAcrossRedeployAndRotatable(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backends[0].open(t), options{manifest: hookManifest("github", ""), secret: "gh"})
	ctx := t.Context()
	first := f.token(t)
	require.True(t, strings.HasPrefix(first, "sbh_"))
	require.Len(t, first, len("sbh_")+43)
	in, err := f.reg.Deploy(ctx, "svc")
	require.NoError(t, err)
	l, ok, err := f.svc.Provision(ctx, in)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "https://sb.example/api/v1/hooks/"+first, l.URL)
	require.Equal(t, []string{"push", "issues"}, l.Events)

	rotated, err := f.svc.Rotate(ctx, in)
	require.NoError(t, err)
	require.NotEqual(t, l.URL, rotated.URL)
	_, err = f.svc.Target(ctx, first)
	require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err))
	again, err := f.svc.Listener(ctx, in)
	require.NoError(t, err)
	require.Equal(t, rotated.URL, again.URL)

	// The token never reaches the store in the clear.
	sealed, err := f.db.Listener(ctx, "svc")
	require.NoError(t, err)
	tok := strings.TrimPrefix(rotated.URL, "https://sb.example/api/v1/hooks/")
	require.NotContains(t, string(sealed), tok)

	// Undeployed, the listener leads nowhere; purged, it is gone.
	require.NoError(t, f.reg.Undeploy(ctx, "svc", false))
	_, err = f.svc.Target(ctx, tok)
	require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err))
	require.NoError(t, f.svc.Purge(ctx, "svc"))
	_, err = f.db.Listener(ctx, "svc")
	require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err))
}

func TestUnknownTokenIsNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t, backends[0].open(t), options{manifest: hookManifest("github", ""), secret: "gh"})
	_, err := f.svc.Target(t.Context(), "sbh_"+strings.Repeat("A", 43))
	require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err))
}

func TestConcurrentProvisionAgrees(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, b.open(t), options{manifest: hookManifest("github", ""), secret: "gh"})
			const n = 8
			urls := make([]string, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					var l webhook.Listener
					l, _, errs[i] = f.svc.Provision(t.Context(), f.in)
					urls[i] = l.URL
				})
			}
			wg.Wait()
			for i, u := range urls {
				require.NoError(t, errs[i])
				require.Equal(t, urls[0], u)
			}
			again, err := f.svc.Listener(t.Context(), f.in)
			require.NoError(t, err)
			require.Equal(t, urls[0], again.URL)
		})
	}
}
