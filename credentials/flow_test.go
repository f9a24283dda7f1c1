package credentials_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/credentials"
	"github.com/switchboard-dev/switchboard/registry"
)

func TestBrowserFlow(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind storeKind) {
		e := newEnv(t, func(o *options) { o.kind = kind })
		e.provider.SetUser("alice@acme")

		flow, err := e.m.Start(t.Context(), e.in, alice, "/done")
		require.NoError(t, err)
		u, err := url.Parse(flow.URL)
		require.NoError(t, err)
		q := u.Query()
		require.Equal(t, e.provider.ClientID, q.Get("client_id"))
		require.Equal(t, e.server.URL+credentials.CallbackPath, q.Get("redirect_uri"))
		require.Equal(t, "read write", q.Get("scope"))
		require.Equal(t, "S256", q.Get("code_challenge_method"))
		require.NotEmpty(t, q.Get("code_challenge"))

		// The provider sets its login cookie, the browser comes back with
		// it, is sent to the callback, and then to returnTo.
		var done map[string]string
		require.Equal(t, http.StatusOK, visit(t, browser(t), flow.URL, &done))
		c := e.connection(alice, done["connection"])
		require.Equal(t, credentials.StatusActive, c.Status)
		require.Equal(t, credentials.KindOAuth2, c.Kind)
		require.Equal(t, "Acme", c.Label)
		require.Equal(t, t0.Add(time.Hour), c.ExpiresAt)

		who, status := e.whoami(e.token(alice))
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, "alice@acme", who)
		require.Equal(t, 1, e.provider.Calls("authorization_code"))
		require.Contains(t, e.audit.events(), audit.EventConnectionCreate)
	})
}

func TestConnectLinkFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	// No connection: the call is told where to connect.
	_, err := e.resolve(alice, "")
	nc := requireCode(t, err, switchboard.CodeNotConnected)
	require.Contains(t, nc.ConnectURL, e.server.URL+credentials.ConnectPath)
	link, err := e.m.OpenLink(t.Context(), tokenOf(t, nc.ConnectURL))
	require.NoError(t, err)
	require.Equal(t, alice, link.User)
	require.Equal(t, "acme", link.AppID)

	// The browser opens it without a bearer token and ends connected.
	var c credentials.Connection
	require.Equal(t, http.StatusOK, visit(t, browser(t), nc.ConnectURL, &c))
	require.Equal(t, "user:alice", c.Principal)
	_, status := e.whoami(e.token(alice))
	require.Equal(t, http.StatusOK, status)

	// The link was used up.
	var problem map[string]string
	require.Equal(t, http.StatusNotFound, visit(t, browser(t), nc.ConnectURL, &problem))
	require.Equal(t, "not_found", problem["code"])
}

// tokenOf is the token at the end of a connect link.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	require.NoError(t, err)
	tok, ok := strings.CutPrefix(u.Path, credentials.ConnectPath)
	require.True(t, ok, link)
	return tok
}

func TestConnectLinkSingleUseAndExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()

	link, err := e.m.ConnectLink(ctx, "acme", alice)
	require.NoError(t, err)
	tok := tokenOf(t, link)
	for range 2 { // opening uses nothing up
		_, err := e.m.OpenLink(ctx, tok)
		require.NoError(t, err)
	}
	flow, err := e.m.StartLink(ctx, e.in, tok, "")
	require.NoError(t, err)
	require.Equal(t, credentials.FlowRedirect, flow.Type)
	_, err = e.m.OpenLink(ctx, tok)
	requireCode(t, err, switchboard.CodeNotFound)
	_, err = e.m.StartLink(ctx, e.in, tok, "")
	requireCode(t, err, switchboard.CodeNotFound)

	// A link dies ten minutes after it is made.
	link, err = e.m.ConnectLink(ctx, "acme", alice)
	require.NoError(t, err)
	e.clock.Advance(credentials.LinkTTL - time.Second)
	_, err = e.m.OpenLink(ctx, tokenOf(t, link))
	require.NoError(t, err)
	e.clock.Advance(time.Second)
	_, err = e.m.OpenLink(ctx, tokenOf(t, link))
	requireCode(t, err, switchboard.CodeNotFound)
	_, err = e.m.StartLink(ctx, e.in, tokenOf(t, link), "")
	requireCode(t, err, switchboard.CodeNotFound)

	// Unknown and malformed tokens, and a link to another integration.
	for _, tok := range []string{randomToken(), "short", ""} {
		_, err = e.m.OpenLink(ctx, tok)
		requireCode(t, err, switchboard.CodeNotFound)
	}
	link, err = e.m.ConnectLink(ctx, "other", alice)
	require.NoError(t, err)
	_, err = e.m.StartLink(ctx, e.in, tokenOf(t, link), "")
	requireCode(t, err, switchboard.CodeNotFound)
}

func TestCallbackRefusesBadStates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	start := func() string {
		flow, err := e.m.Start(ctx, e.in, alice, "")
		require.NoError(t, err)
		return stateOf(t, flow.URL)
	}
	callback := func(state string, user switchboard.Principal) error {
		_, err := e.m.Callback(ctx, e.lookup, credentials.CallbackRequest{
			State: state, Code: "code", User: user,
		})
		return err
	}

	t.Run("unknown", func(t *testing.T) {
		requireCode(t, callback(randomToken(), alice), switchboard.CodeInvalidRequest)
		requireCode(t, callback("", alice), switchboard.CodeInvalidRequest)
	})
	t.Run("expired", func(t *testing.T) {
		state := start()
		e.clock.Advance(credentials.StateTTL)
		err := callback(state, alice)
		requireCode(t, err, switchboard.CodeInvalidRequest)
		require.Contains(t, err.Error(), "expired")
	})
	t.Run("another user", func(t *testing.T) {
		state := start()
		requireCode(t, callback(state, bob), switchboard.CodeForbidden)
		// It was used up all the same.
		requireCode(t, callback(state, alice), switchboard.CodeInvalidRequest)
	})
	t.Run("used even when the exchange fails", func(t *testing.T) {
		state := start()
		err := callback(state, switchboard.Principal{})
		e2 := requireCode(t, err, switchboard.CodeUpstream)
		require.Equal(t, "invalid_grant", e2.UpstreamCode)
		requireCode(t, callback(state, switchboard.Principal{}), switchboard.CodeInvalidRequest)
	})
	require.Equal(t, 1, e.provider.Calls("authorization_code"))
}

func TestCallbackReplayed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(alice)
	e.mu.Lock()
	first := e.callbacks[0]
	e.mu.Unlock()

	var problem map[string]string
	require.Equal(t, http.StatusBadRequest, visit(t, browser(t), e.server.URL+first, &problem))
	require.Equal(t, "invalid_request", problem["code"])
	list, err := e.m.Connections(t.Context(), "acme", alice)
	require.NoError(t, err)
	require.Len(t, list, 1)
}

func TestCallbackProviderRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.provider.DenyNext()
	flow, err := e.m.Start(t.Context(), e.in, alice, "")
	require.NoError(t, err)
	var problem map[string]string
	require.Equal(t, http.StatusBadGateway, visit(t, browser(t), flow.URL, &problem))
	// The code only: the description is text whoever made the URL chose.
	require.Equal(t, "Acme refused the connection: access_denied", problem["message"])
	list, err := e.m.Connections(t.Context(), "acme", alice)
	require.NoError(t, err)
	require.Empty(t, list)
}

func TestStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	flow, err := e.m.Start(t.Context(), e.in, alice, "")
	require.NoError(t, err)

	// A second manager on the same store finishes the flow.
	restarted := newEnv(t, func(o *options) {
		o.store, o.prov, o.clock = e.store, e.provider, e.clock
		o.manager = func(c *credentials.Config) { c.PublicURL = e.server.URL }
	})
	e.setManager(restarted.m)
	var c credentials.Connection
	require.Equal(t, http.StatusOK, visit(t, browser(t), flow.URL, &c))
	require.Equal(t, "user:alice", c.Principal)
}

func TestWithoutPKCE(t *testing.T) {
	t.Parallel()
	off := false
	e := newEnv(t, func(o *options) {
		o.oauth = func(s *registry.OAuthSpec) { s.PKCE = &off; s.ScopeSeparator = "," }
	})
	flow, err := e.m.Start(t.Context(), e.in, alice, "")
	require.NoError(t, err)
	u, err := url.Parse(flow.URL)
	require.NoError(t, err)
	require.Empty(t, u.Query().Get("code_challenge"))
	require.Equal(t, "read,write", u.Query().Get("scope"))
	var c credentials.Connection
	require.Equal(t, http.StatusOK, visit(t, browser(t), flow.URL, &c))
}

func TestStartRefuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	tests := []struct {
		name string
		ua   *registry.UserAuth
		conf map[string]any
		ret  string
		code switchboard.Code
	}{
		{"no userAuth", nil, nil, "", switchboard.CodeNotConfigured},
		{"redirect", &registry.UserAuth{Type: registry.UserAuthRedirect}, nil, "",
			switchboard.CodeNotImplemented},
		{"client credentials", &registry.UserAuth{Type: registry.UserAuthOAuth2,
			OAuth: &registry.OAuthSpec{Grant: registry.GrantClientCredentials}}, nil, "",
			switchboard.CodeInvalidRequest},
		{"not configured", e.in.Manifest.UserAuth, map[string]any{}, "",
			switchboard.CodeNotConfigured},
		{"return elsewhere", e.in.Manifest.UserAuth, e.in.Config, "https://evil.example/x",
			switchboard.CodeInvalidInput},
		{"return protocol-relative", e.in.Manifest.UserAuth, e.in.Config, "//evil.example/x",
			switchboard.CodeInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, _ := integration(tt.ua, tt.conf)
			_, err := e.m.Start(ctx, in, alice, tt.ret)
			requireCode(t, err, tt.code)
		})
	}

	_, err := e.m.Start(ctx, integrationWithout(), alice, "")
	require.True(t, errors.Is(err, credentials.ErrNoUserAuth))
	in, _ := integration(e.in.Manifest.UserAuth, map[string]any{})
	_, err = e.m.Start(ctx, in, alice, "")
	require.Equal(t, []string{"baseUrl", "clientId"},
		requireCode(t, err, switchboard.CodeNotConfigured).Missing)

	// returnTo on this server is fine, as a path or a URL.
	for _, ret := range []string{"/app/settings?tab=1", e.server.URL + "/app"} {
		_, err = e.m.Start(ctx, e.in, alice, ret)
		require.NoError(t, err, ret)
	}
}

func integrationWithout() *registry.Integration {
	in, _ := integration(nil, nil)
	return in
}

// TestParsedManifest connects an integration whose manifest went through
// the registry's parser, as deployed ones do.
func TestParsedManifest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m, _, err := registry.Parse([]byte(`{
		"appId": "acme", "name": "Acme", "version": "1.0.0",
		"configSchema": {"type": "object", "properties": {
			"baseUrl": {"type": "string"},
			"clientId": {"type": "string"},
			"clientSecret": {"type": "string", "platformSecret": "ACME_CLIENT_SECRET"}
		}},
		"userAuth": {
			"type": "oauth2",
			"authorizationUrl": "{{config.baseUrl}}/authorize",
			"tokenUrl": "{{config.baseUrl}}/token",
			"scopes": ["read"], "clientId": "clientId", "clientSecret": "clientSecret",
			"clientAuth": "basic", "refreshMargin": "10m"
		},
		"actions": [{"id": "whoami", "request": {"url": "{{config.baseUrl}}/api/user",
			"auth": {"bearer": "{{connection.accessToken}}"}}}]
	}`))
	require.NoError(t, err)
	e.in.Manifest = m
	e.act.Spec = &m.Actions[0]

	e.connect(alice)
	first := e.token(alice)
	e.clock.Advance(50 * time.Minute)
	require.NotEqual(t, first, e.token(alice))
	require.Equal(t, 1, e.provider.Calls(refreshGrant))
}
