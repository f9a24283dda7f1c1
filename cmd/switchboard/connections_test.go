package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/credentials/oauthtest"
)

// browser is what a person's browser does: it keeps cookies and follows
// redirects.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	responses.add(b)
	return string(b)
}

var linkPattern = regexp.MustCompile(`http://[^\s"]+/api/v1/connect/[A-Za-z0-9_-]+`)

var noncePattern = regexp.MustCompile(`name="_sb_nonce" value="([^"]+)"`)

// confirmLink opens a connect link in browser b and confirms its page, as
// a person does: the post carries the page's nonce (and b its cookie).
func confirmLink(t *testing.T, b *http.Client, link string) *http.Response {
	t.Helper()
	resp, err := b.Get(link)
	require.NoError(t, err)
	page := readAll(t, resp)
	m := noncePattern.FindStringSubmatch(page)
	require.NotNil(t, m, "no form on the link's page: %s", page)
	resp, err = b.PostForm(link, url.Values{"_sb_nonce": {m[1]}})
	require.NoError(t, err)
	return resp
}

// TestConnectGitHubLikeAUser runs the GitHub example against a local OAuth
// provider standing in for GitHub: a user's first call answers
// not_connected with a link; the link, opened in a browser, goes through
// the provider (which wants a login cookie) and back; the next call runs
// with the user's own token, and refreshes it when it expires. No token
// or secret reaches the database files, the logs or any response.
func TestConnectGitHubLikeAUser(t *testing.T) {
	t.Parallel()
	provider := oauthtest.NewProvider(t)
	provider.RequireLogin()
	// Tokens live two seconds, so that the test sees them expire.
	provider.SetExpiresIn(2 * time.Second)
	in := newInstance(t)
	s := in.serve()
	status, body := s.api("POST", "/api/v1/integrations/catalog/github/deploy", "")
	require.Equal(t, 200, status, "%s", body)
	status, body = s.api("PUT", "/api/v1/integrations/github/config", fmt.Sprintf(
		`{"clientId":%q,"clientSecret":%q,"authBaseUrl":%q,"baseUrl":%q}`,
		provider.ClientID, provider.ClientSecret, provider.URL, provider.URL))
	require.Equal(t, 200, status, "%s", body)
	status, body = s.api("POST", "/api/v1/roles",
		`{"name":"github-user","permissions":["integration:github:get_authenticated_user","integration:github:list_repos"]}`)
	require.Equal(t, 201, status, "%s", body)
	status, _ = s.api("POST", "/api/v1/roles/assign", `{"principal":"user:alice","role":"github-user"}`)
	require.Equal(t, 200, status)
	status, body = s.api("POST", "/api/v1/keys", `{"principal":"user:alice","name":"laptop"}`)
	require.Equal(t, 201, status, "%s", body)
	var key struct{ Key string }
	require.NoError(t, json.Unmarshal(body, &key))

	// Not connected yet: the MCP result carries a connect link.
	cs := s.clientAs(key.Key, "http", "2026-07-28", nil)
	text, res := callTool(t, cs, "github_get_authenticated_user", map[string]any{})
	require.True(t, res.IsError, text)
	link := linkPattern.FindString(text)
	require.NotEmpty(t, link, text)
	// And REST says the same, with connectUrl.
	status, body = s.apiAs(key.Key, "POST", "/api/v1/integrations/github/actions/get_authenticated_user", `{}`)
	require.Equal(t, 409, status, "%s", body)
	var p struct {
		Code       string `json:"code"`
		ConnectURL string `json:"connectUrl"`
	}
	require.NoError(t, json.Unmarshal(body, &p))
	require.Equal(t, "not_connected", p.Code)
	require.NotEmpty(t, p.ConnectURL)

	// The browser opens the link: a page to confirm, naming the user.
	b := browser(t)
	resp, err := b.Get(link)
	require.NoError(t, err)
	page := readAll(t, resp)
	require.Equal(t, 200, resp.StatusCode, page)
	require.Contains(t, page, "user:alice")
	// Confirming goes to the provider (which sets its login cookie and
	// sends the browser round again) and back to the callback.
	resp = confirmLink(t, b, link)
	page = readAll(t, resp)
	require.Equal(t, 200, resp.StatusCode, page)
	require.Contains(t, page, "Connected to GitHub")

	// The link worked once.
	resp, err = b.Get(link)
	require.NoError(t, err)
	require.Equal(t, http.StatusGone, resp.StatusCode)
	readAll(t, resp)

	// Now the call runs with alice's own token.
	text, res = callTool(t, cs, "github_get_authenticated_user", map[string]any{})
	require.False(t, res.IsError, text)
	require.JSONEq(t, `{"user":"alice","scope":"repo read:user"}`, text)

	status, body = s.apiAs(key.Key, "GET", "/api/v1/integrations/github/auth", "")
	require.Equal(t, 200, status, "%s", body)
	require.JSONEq(t, `{"connected":true,"connectionCount":1,"deadCount":0,"model":"oauth2"}`, string(body))
	status, body = s.apiAs(key.Key, "GET", "/api/v1/integrations/github/connections", "")
	require.Equal(t, 200, status, "%s", body)
	require.Contains(t, string(body), `"status":"active"`)

	// An expired token is refreshed, once, with the rotated refresh token.
	before := provider.Calls("refresh_token")
	time.Sleep(2500 * time.Millisecond)
	text, res = callTool(t, cs, "github_get_authenticated_user", map[string]any{})
	require.False(t, res.IsError, text)
	require.Equal(t, before+1, provider.Calls("refresh_token"))

	// A dead grant: the next call fails fast with a new link.
	provider.RevokeAll()
	time.Sleep(2500 * time.Millisecond)
	text, res = callTool(t, cs, "github_get_authenticated_user", map[string]any{})
	require.True(t, res.IsError, text)
	require.Regexp(t, linkPattern, text)
	calls := provider.Calls("refresh_token")
	text, res = callTool(t, cs, "github_get_authenticated_user", map[string]any{})
	require.True(t, res.IsError, text)
	require.Equal(t, calls, provider.Calls("refresh_token"), "a dead connection is not retried")
	s.stop()

	// Canary: nothing the provider issued, nor the client secret, is
	// anywhere it should not be.
	canaries := provider.Secrets()
	require.NotEmpty(t, canaries)
	files, err := filepath.Glob(filepath.Join(in.data, "switchboard.db*"))
	require.NoError(t, err)
	for _, c := range canaries {
		require.NotContains(t, in.logs.String(), c)
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			require.NotContains(t, string(b), c, f)
		}
		responses.mu.Lock()
		for _, r := range responses.all {
			require.NotContains(t, string(r), c)
		}
		responses.mu.Unlock()
	}
}

// TestCredentialFormConnection connects a Notion account with the
// credential form over REST and calls Notion (a fake) with it.
func TestCredentialFormConnection(t *testing.T) {
	t.Parallel()
	var seen atomicString
	var revoked atomic.Bool
	notion := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		if revoked.Load() {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"object":"error","code":"unauthorized"}`)
			return
		}
		fmt.Fprint(w, `{"object":"list","results":[]}`)
	}))
	t.Cleanup(notion.Close)
	in := newInstance(t)
	s := in.serve()
	status, body := s.api("POST", "/api/v1/integrations/catalog/notion/deploy", "")
	require.Equal(t, 200, status, "%s", body)
	status, body = s.api("PUT", "/api/v1/integrations/notion/config", fmt.Sprintf(`{"baseUrl":%q}`, notion.URL))
	require.Equal(t, 200, status, "%s", body)

	status, body = s.api("POST", "/api/v1/integrations/notion/auth/start", `{}`)
	require.Equal(t, 200, status, "%s", body)
	require.Contains(t, string(body), `"type":"credentials"`)
	status, body = s.api("POST", "/api/v1/integrations/notion/auth/credentials", `{"credentials":{}}`)
	require.Equal(t, 422, status, "%s", body)
	const token = "secret_notion_canary_4f2a"
	status, body = s.api("POST", "/api/v1/integrations/notion/auth/credentials",
		fmt.Sprintf(`{"credentials":{"token":%q},"label":"work"}`, token))
	require.Equal(t, 201, status, "%s", body)
	require.NotContains(t, string(body), token)

	status, body = s.api("POST", "/api/v1/integrations/notion/actions/search", `{"query":"roadmap"}`)
	require.Equal(t, 200, status, "%s", body)
	require.Equal(t, "Bearer "+token, seen.Load())
	status, body = s.api("GET", "/api/v1/integrations/notion/connections", "")
	require.Equal(t, 200, status, "%s", body)
	require.NotContains(t, string(body), token)
	require.Contains(t, string(body), `"label":"work"`)
	require.NotContains(t, in.logs.String(), token)

	// The user revokes the token at Notion: the next call says to
	// reconnect, with a link that renews this connection, and later calls
	// fail at once without reaching Notion.
	revoked.Store(true)
	status, body = s.api("POST", "/api/v1/integrations/notion/actions/search", `{"query":"x"}`)
	require.Equal(t, 409, status, "%s", body)
	var p struct{ Code, ConnectURL string }
	require.NoError(t, json.Unmarshal(body, &p))
	require.Equal(t, "not_connected", p.Code)
	require.NotEmpty(t, p.ConnectURL)
	status, body = s.api("GET", "/api/v1/integrations/notion/auth", "")
	require.Equal(t, 200, status)
	require.Contains(t, string(body), `"deadCount":1`)
	seen.Store("")
	status, _ = s.api("POST", "/api/v1/integrations/notion/actions/search", `{"query":"x"}`)
	require.Equal(t, 409, status)
	require.Empty(t, seen.Load(), "a dead connection is not tried")
}

// atomicString is a string read and written from several goroutines.
type atomicString struct {
	mu sync.Mutex
	v  string
}

func (a *atomicString) Store(v string) { a.mu.Lock(); a.v = v; a.mu.Unlock() }

func (a *atomicString) Load() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.v
}

// TestOAuthFlowIsBoundToTheBrowser starts connecting the way a web app
// does (POST auth/start with the user's key, then the browser opens the
// answer), and checks that the provider's URL of a flow, sent to someone
// else's browser, connects nothing: nobody can connect a victim's account
// to their own user.
func TestOAuthFlowIsBoundToTheBrowser(t *testing.T) {
	t.Parallel()
	provider := oauthtest.NewProvider(t)
	const app = "https://app.example.com/settings"
	in := newInstance(t, "SWITCHBOARD_RETURN_TO=https://app.example.com/")
	s := in.serve()
	key := setupGitHub(t, s, provider)

	// The app asks where to send the browser: a connect link, which names
	// the user before anything starts.
	start := func() string {
		status, body := s.apiAs(key, "POST", "/api/v1/integrations/github/auth/start",
			fmt.Sprintf(`{"returnTo":%q}`, app))
		require.Equal(t, 200, status, "%s", body)
		var flow struct{ Type, URL string }
		require.NoError(t, json.Unmarshal(body, &flow))
		require.Equal(t, "redirect", flow.Type)
		require.True(t, strings.HasPrefix(flow.URL, s.url+"/api/v1/connect/"), flow.URL)
		return flow.URL
	}
	b := browser(t)
	resp, err := b.Get(start())
	require.NoError(t, err)
	require.Contains(t, readAll(t, resp), "user:alice")

	// The attacker confirms their own link but does not follow the
	// redirect: they now hold the provider's URL of a flow for alice.
	attacker := browser(t)
	attacker.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp = confirmLink(t, attacker, start())
	readAll(t, resp)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	providerURL := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(providerURL, provider.URL), providerURL)

	// The victim's browser, sent there, comes back without the cookie:
	// nothing is connected, and no redirect to the app happens.
	provider.SetUser("victim")
	victim := browser(t)
	victim.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), "https://app.example.com") {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, err = victim.Get(providerURL)
	require.NoError(t, err)
	page := readAll(t, resp)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, page)
	require.Contains(t, page, "not started in this browser")
	status, body := s.apiAs(key, "GET", "/api/v1/integrations/github/connections", "")
	require.Equal(t, 200, status)
	require.JSONEq(t, `{"connections":[]}`, string(body))

	// The browser that confirmed goes through the provider and back to
	// the app, connected.
	provider.SetUser("alice")
	b.CheckRedirect = victim.CheckRedirect
	link := start()
	resp = confirmLink(t, b, link)
	readAll(t, resp)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "app.example.com", back.Host)
	require.Equal(t, "github", back.Query().Get("connected"))
	status, body = s.apiAs(key, "POST", "/api/v1/integrations/github/actions/get_authenticated_user", `{}`)
	require.Equal(t, 200, status, "%s", body)
	require.Contains(t, string(body), `"user":"alice"`)
}
