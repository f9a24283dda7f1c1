package httpapi

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/credentials"
)

// TestBrowserRoutesLogNoSecret serves every browser route, in success and
// failure, and looks for the link tokens, states and codes in the log.
func TestBrowserRoutesLogNoSecret(t *testing.T) {
	t.Parallel()
	e := newConnEnv(t)
	oauthLink := e.conns.addLink("github", carol)
	formLink := e.conns.addLink("notion", carol)
	state := e.conns.addState(fakeState{appID: "github", principal: "user:member"})
	badState := e.conns.addState(fakeState{appID: "github", principal: "user:member",
		returnTo: appPrefix})

	requests := []struct {
		method, target, body string
		route                string
	}{
		{http.MethodGet, credentials.ConnectPath + oauthLink, "", "/api/v1/connect/{token}"},
		{http.MethodGet, credentials.ConnectPath + oauthLink, "", "/api/v1/connect/{token}"},
		{http.MethodGet, credentials.ConnectPath + formLink, "", "/api/v1/connect/{token}"},
		{http.MethodPost, credentials.ConnectPath + formLink, "port=x", "/api/v1/connect/{token}"},
		{http.MethodPost, credentials.ConnectPath + formLink, "token=" + codeSecret,
			"/api/v1/connect/{token}"},
		{http.MethodPut, credentials.ConnectPath + formLink, "", "/api/v1/*"},
		{http.MethodGet, callbackURL(url.Values{"state": {state}, "code": {codeSecret}}), "",
			credentials.CallbackPath},
		{http.MethodGet, callbackURL(url.Values{"state": {state}, "code": {codeSecret}}), "",
			credentials.CallbackPath},
		{http.MethodGet, callbackURL(url.Values{"state": {badState},
			"error": {"server_error"}, "error_description": {codeSecret}}), "",
			credentials.CallbackPath},
	}
	for _, rq := range requests {
		req := httptest.NewRequest(rq.method, rq.target, strings.NewReader(rq.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if state := req.URL.Query().Get("state"); state != "" {
			name, value := bindingCookie(state)
			req.AddCookie(&http.Cookie{Name: name, Value: value})
		}
		e.serve(req)
	}

	logs := e.logs.String()
	for _, secret := range []string{linkSecret, stateSecret, codeSecret} {
		require.NotContains(t, logs, secret)
	}
	var routes []string
	for _, rec := range e.logs.lines(t) {
		if rec["msg"] == "request served" {
			routes = append(routes, rec["route"].(string))
		}
	}
	var want []string
	for _, rq := range requests {
		want = append(want, rq.route)
	}
	require.Equal(t, want, routes)
}

func TestBrowserPathsAreTheManagers(t *testing.T) {
	t.Parallel()
	require.Equal(t, "/api/v1/integrations/auth/callback", credentials.CallbackPath)
	require.Equal(t, "/api/v1/connect/", credentials.ConnectPath)
}

func TestBrowserRoutesSkipCORS(t *testing.T) {
	t.Parallel()
	const origin = "https://app.example"
	e := newConnEnv(t, func(c *Config) { c.CORSOrigins = []string{origin} })
	tests := []struct {
		name, method, target string
		cors                 bool
	}{
		{"callback", http.MethodGet, credentials.CallbackPath + "?state=x", false},
		{"callback preflight", http.MethodOptions, credentials.CallbackPath, false},
		{"connect link", http.MethodGet, credentials.ConnectPath + "x", false},
		{"connect link preflight", http.MethodOptions, credentials.ConnectPath + "x", false},
		{"an API route still", http.MethodOptions, "/api/v1/integrations/github/auth", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, tt.target, nil)
			req.Header.Set("Origin", origin)
			if tt.method == http.MethodOptions {
				req.Header.Set("Access-Control-Request-Method", "GET")
			}
			rec := e.serve(req)
			if tt.cors {
				require.Equal(t, origin, rec.Header().Get("Access-Control-Allow-Origin"))
				return
			}
			require.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))
			require.Empty(t, rec.Header().Get("Access-Control-Allow-Methods"))
			require.NotEqual(t, http.StatusNoContent, rec.Code)
		})
	}
}

func TestPublicOrigin(t *testing.T) {
	t.Parallel()
	e := newConnEnv(t)
	var got audit.Origin
	probe := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got = audit.OriginFrom(r.Context())
	})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set(RequestIDHeader, "req-1")
	e.srv.requestID(publicOrigin(probe)).ServeHTTP(httptest.NewRecorder(), req)
	require.Equal(t, audit.Origin{Surface: audit.SurfaceREST, RequestID: "req-1"}, got,
		"no actor: what changes is recorded for the state's or link's user")
}
