package httpapi

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/credentials"
)

// requirePage checks that rec is an HTML page answered with status under
// the pages' security headers, and returns its body.
func requirePage(t *testing.T, rec *httptest.ResponseRecorder, status int) string {
	t.Helper()
	body := rec.Body.String()
	require.Equal(t, status, rec.Code, body)
	require.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	requirePageHeaders(t, rec.Header())
	require.True(t, strings.HasPrefix(body, "<!doctype html>"), body)
	require.NotContains(t, body, "<script")
	return body
}

func requirePageHeaders(t *testing.T, h http.Header) {
	t.Helper()
	require.Equal(t, "no-store", h.Get("Cache-Control"))
	csp := h.Get("Content-Security-Policy")
	require.Contains(t, csp, "default-src 'none'")
	require.Contains(t, csp, "frame-ancestors 'none'")
	require.NotContains(t, csp, "script-src")
	require.Equal(t, "DENY", h.Get("X-Frame-Options"))
	require.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
	require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	require.Empty(t, h.Get("Access-Control-Allow-Origin"))
}

// callbackURL is the callback as a provider sends the browser back.
func callbackURL(q url.Values) string {
	return credentials.CallbackPath + "?" + q.Encode()
}

// callbackRequest is the callback of q from the browser that started the
// flow: it carries the cookie binding q's state to it.
func callbackRequest(q url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodGet, callbackURL(q), nil)
	name, value := bindingCookie(q.Get("state"))
	req.AddCookie(&http.Cookie{Name: name, Value: value})
	return req
}

func TestCallbackPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		state   *fakeState // nil for a state never issued
		query   url.Values // besides the state
		replay  bool       // the state is used once before
		status  int
		want    []string // in the page
		notWant []string
	}{
		{name: "connected", state: &fakeState{appID: "github", principal: "user:member"},
			query: url.Values{"code": {codeSecret}}, status: 200,
			want: []string{"<title>Connected to GitHub", "“GitHub” is ready to use",
				"You can close this window"}},
		{name: "provider refused, with markup in its description",
			state: &fakeState{appID: "github", principal: "user:member"},
			query: url.Values{"error": {"access_denied"},
				"error_description": {`<script>alert("x")</script><b>no</b>`}},
			status: 502,
			want: []string{"GitHub was not connected", "access_denied",
				"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;no&lt;/b&gt;"},
			notWant: []string{"<b>no", "You can close"}},
		{name: "replayed", state: &fakeState{appID: "github", principal: "user:member"},
			query: url.Values{"code": {codeSecret}}, replay: true, status: 400,
			want: []string{"The account was not connected", "already used"}},
		{name: "expired", state: &fakeState{appID: "github", principal: "user:member",
			expired: true}, query: url.Values{"code": {codeSecret}}, status: 400,
			want: []string{"expired"}},
		{name: "unknown state", query: url.Values{"code": {codeSecret}}, status: 400,
			want: []string{"unknown"}},
		{name: "no code", state: &fakeState{appID: "github", principal: "user:member"},
			status: 400, want: []string{"no authorization code"}},
		{name: "integration gone", state: &fakeState{appID: "gone", principal: "user:member"},
			query: url.Values{"code": {codeSecret}}, status: 404,
			want: []string{"gone was not connected", "not deployed"}},
		{name: "returnTo no longer allowed", state: &fakeState{appID: "github",
			principal: "user:member", returnTo: "https://old.example.com/"},
			query: url.Values{"code": {codeSecret}}, status: 200,
			want: []string{"Connected to GitHub"}, notWant: []string{"old.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newConnEnv(t, func(c *Config) { c.CORSOrigins = []string{"https://app.example"} })
			q := url.Values{}
			for k, v := range tt.query {
				q[k] = v
			}
			q.Set("state", stateSecret+"-never-issued")
			if tt.state != nil {
				q.Set("state", e.conns.addState(*tt.state))
			}
			if tt.replay {
				e.serve(callbackRequest(q))
			}
			req := callbackRequest(q)
			req.Header.Set("Origin", "https://app.example")
			body := requirePage(t, e.serve(req), tt.status)
			for _, s := range tt.want {
				require.Contains(t, body, s)
			}
			for _, s := range append(tt.notWant, stateSecret, codeSecret) {
				require.NotContains(t, body, s)
			}
		})
	}
}

func TestCallbackReturnsTo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		returnTo string
		query    url.Values
		want     url.Values
	}{
		{name: "connected", returnTo: "https://app.example.com/settings?tab=apps#top",
			query: url.Values{"code": {codeSecret}},
			want: url.Values{"tab": {"apps"}, "connected": {"github"},
				"connection": {"conn_1"}}},
		{name: "refused", returnTo: "https://app.example.com/",
			query: url.Values{"error": {"access_denied"},
				"error_description": {"<script>x</script>"}},
			want: url.Values{"error": {"upstream_error"}, "integration": {"github"}}},
		{name: "no code", returnTo: "https://admin.example.com/done",
			want: url.Values{"error": {"invalid_request"}, "integration": {"github"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newConnEnv(t)
			q := url.Values{"state": {e.conns.addState(fakeState{appID: "github",
				principal: "user:member", returnTo: tt.returnTo})}}
			for k, v := range tt.query {
				q[k] = v
			}
			rec := e.serve(callbackRequest(q))
			require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
			requirePageHeaders(t, rec.Header())
			require.Empty(t, rec.Body.String())

			loc, err := url.Parse(rec.Header().Get("Location"))
			require.NoError(t, err)
			from, err := url.Parse(tt.returnTo)
			require.NoError(t, err)
			require.Equal(t, from.Scheme+"://"+from.Host+from.Path,
				loc.Scheme+"://"+loc.Host+loc.Path)
			require.Equal(t, from.Fragment, loc.Fragment)
			require.Equal(t, tt.want, loc.Query())
			require.NotContains(t, loc.String(), codeSecret)
			require.NotContains(t, loc.String(), stateSecret)
		})
	}
}

func TestCallbackNeedsNoToken(t *testing.T) {
	t.Parallel()
	e := newConnEnv(t)
	state := e.conns.addState(fakeState{appID: "github", principal: "user:member"})
	req := callbackRequest(url.Values{"state": {state}, "code": {codeSecret}})
	req.Header.Set("Authorization", "Bearer not-a-valid-token")
	requirePage(t, e.serve(req), http.StatusOK)

	list, err := e.conns.Connections(t.Context(), "github", member)
	require.NoError(t, err)
	require.Len(t, list, 1, "the connection is the state's user's")
}

func TestCallbackNeedsTheBrowserThatStarted(t *testing.T) {
	t.Parallel()
	e := newConnEnv(t)
	state := e.conns.addState(fakeState{appID: "github", principal: "user:member"})
	other := e.conns.addState(fakeState{appID: "github", principal: "user:member"})
	q := url.Values{"state": {state}, "code": {codeSecret}}

	// A victim's browser, sent the provider's URL of someone else's flow,
	// carries no cookie, or another flow's: nothing is connected, and the
	// state is not used up.
	bare := httptest.NewRequest(http.MethodGet, callbackURL(q), nil)
	body := requirePage(t, e.serve(bare), http.StatusBadRequest)
	require.Contains(t, body, "not started in this browser")
	wrong := httptest.NewRequest(http.MethodGet, callbackURL(q), nil)
	name, _ := bindingCookie(state)
	_, otherValue := bindingCookie(other)
	wrong.AddCookie(&http.Cookie{Name: name, Value: otherValue})
	requirePage(t, e.serve(wrong), http.StatusBadRequest)
	list, err := e.conns.Connections(t.Context(), "github", member)
	require.NoError(t, err)
	require.Empty(t, list)

	// The browser that started it finishes it, and the cookie is cleared.
	rec := e.serve(callbackRequest(q))
	requirePage(t, rec, http.StatusOK)
	cleared := rec.Result().Cookies()
	require.Len(t, cleared, 1)
	require.Equal(t, name, cleared[0].Name)
	require.Negative(t, cleared[0].MaxAge)
	list, err = e.conns.Connections(t.Context(), "github", member)
	require.NoError(t, err)
	require.Len(t, list, 1)
}
