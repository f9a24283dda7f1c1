package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/delegation"
	"github.com/switchboard-dev/switchboard/store/postgres/pgtest"
)

// publicURL is the public URL of every delegation test's instance, so that
// serve, the CLI and `switchboard mcp` agree on the tokens' iss and aud.
const publicURL = "https://switchboard.test"

// Scopes and permission keys of the delegation tests.
const (
	permSearch = "integration:notion:search"
	permPage   = "integration:notion:get_page"
)

// Inputs of the Notion actions.
var (
	searchInput = map[string]any{"query": "roadmap"}
	pageInput   = map[string]any{"page_id": "0123456789abcdef0123456789abcdef"}
)

// fakeNotion answers the Notion API and records the bearer credential of
// every request, so that a test sees whose connection a call ran with.
type fakeNotion struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
}

func newFakeNotion(t *testing.T) *fakeNotion {
	t.Helper()
	f := &fakeNotion{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.auths = append(f.auths, r.Header.Get("Authorization"))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/v1/pages/") {
			fmt.Fprint(w, `{"object":"page","id":"0123456789abcdef0123456789abcdef"}`)
			return
		}
		fmt.Fprint(w, `{"object":"list","results":[]}`)
	}))
	t.Cleanup(f.Close)
	return f
}

// seen returns the credentials the fake got, in order.
func (f *fakeNotion) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.auths)
}

// The Notion secrets of the users; none may ever reach an upstream call
// made for someone else.
const (
	aliceNotion = "secret_alice_notion_5d1e"
	bobNotion   = "secret_bob_notion_9a7c"
)

// world is a running server with Notion deployed against a fake and these
// principals, each with a key:
//
//	user:alice   notion-search, notion-page   a Notion connection (aliceNotion)
//	user:bob     notion-search, notion-page   a Notion connection (bobNotion)
//	user:carol   notion-search, notion-page   no connection
//	agent:bot    notion-search, notion-page
//	agent:weak   notion-page
//	agent:cron   notion-search, notion-page
type world struct {
	in     *instance
	s      *server
	notion *fakeNotion
	keys   map[string]string // principal → key
	conns  map[string]string // user → their Notion connection id
}

func newWorld(t *testing.T, in *instance) *world {
	t.Helper()
	w := &world{in: in, notion: newFakeNotion(t), keys: map[string]string{}, conns: map[string]string{}}
	w.s = in.serve()
	s := w.s
	status, body := s.apiText(s.in.adminKey(), "POST", "/api/v1/integrations/catalog/notion/deploy", "")
	require.Equal(t, 200, status, "%s", body)
	status, body = s.apiText(s.in.adminKey(), "PUT", "/api/v1/integrations/notion/config", fmt.Sprintf(`{"baseUrl":%q}`, w.notion.URL))
	require.Equal(t, 200, status, "%s", body)
	for _, role := range []string{
		`{"name":"notion-search","permissions":["` + permSearch + `"]}`,
		`{"name":"notion-page","permissions":["` + permPage + `"]}`,
	} {
		status, body := s.apiText(s.in.adminKey(), "POST", "/api/v1/roles", role)
		require.Equal(t, 201, status, "%s", body)
	}
	roles := map[string][]string{
		"user:alice": {"notion-search", "notion-page"},
		"user:bob":   {"notion-search", "notion-page"},
		"user:carol": {"notion-search", "notion-page"},
		"agent:bot":  {"notion-search", "notion-page"},
		"agent:weak": {"notion-page"},
		"agent:cron": {"notion-search", "notion-page"},
	}
	for p, rs := range roles {
		for _, r := range rs {
			status, body := s.apiText(s.in.adminKey(), "POST", "/api/v1/roles/assign", fmt.Sprintf(`{"principal":%q,"role":%q}`, p, r))
			require.Equal(t, 200, status, "%s", body)
		}
		status, body := s.apiText(s.in.adminKey(), "POST", "/api/v1/keys", fmt.Sprintf(`{"principal":%q,"name":"test"}`, p))
		require.Equal(t, 201, status, "%s", body)
		var k struct{ Key string }
		require.NoError(t, json.Unmarshal([]byte(body), &k))
		w.keys[p] = k.Key
	}
	for user, secret := range map[string]string{"user:alice": aliceNotion, "user:bob": bobNotion} {
		status, body := s.apiAs(w.keys[user], "POST", "/api/v1/integrations/notion/auth/credentials",
			fmt.Sprintf(`{"credentials":{"token":%q}}`, secret))
		require.Equal(t, 201, status, "%s", body)
		var c struct{ ConnectionID string }
		require.NoError(t, json.Unmarshal([]byte(body), &c))
		require.NotEmpty(t, c.ConnectionID)
		w.conns[user] = c.ConnectionID
	}
	return w
}

// delegationInstance is an instance whose processes share publicURL.
func delegationInstance(t *testing.T, extraEnv ...string) *instance {
	return newInstance(t, append([]string{"SWITCHBOARD_PUBLIC_URL=" + publicURL}, extraEnv...)...)
}

type issuedToken struct {
	Token     string
	JTI       string
	Scope     []string
	ExpiresAt time.Time
}

// delegate issues a delegation through POST /api/v1/delegations as the
// holder of userKey.
func (w *world) delegate(t *testing.T, user, agent string, scope []string, ttl string) issuedToken {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"agent": agent, "scope": scope, "ttl": ttl})
	status, body := w.s.apiText(w.keys[user], "POST", "/api/v1/delegations", string(b))
	require.Equal(t, 201, status, "%s", body)
	var out issuedToken
	require.NoError(t, json.Unmarshal([]byte(body), &out))
	require.NotEmpty(t, out.Token)
	require.NotEmpty(t, out.JTI)
	return out
}

// apiText is apiAs with the body as a string.
func (s *server) apiText(key, method, path, body string) (int, string) {
	s.in.t.Helper()
	status, b := s.apiAs(key, method, path, body)
	return status, string(b)
}

// call calls a Notion action over REST with key and the given headers.
func (s *server) call(t *testing.T, key, action string, input any, header http.Header) (int, string) {
	t.Helper()
	b, _ := json.Marshal(input)
	req, err := http.NewRequest("POST", s.url+"/api/v1/integrations/notion/actions/"+action, strings.NewReader(string(b)))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body := readAll(t, resp)
	return resp.StatusCode, body
}

// mcpInitialize posts an MCP initialize request to /mcp with token and
// returns the response's status, WWW-Authenticate header and body.
func (s *server) mcpInitialize(t *testing.T, token string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest("POST", s.url+"/mcp", strings.NewReader(
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",`+
			`"capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}`))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body := readAll(t, resp)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body
}

// requireRefused checks that token is refused on every surface: a 401 on
// REST and on MCP over streamable HTTP (with the challenge naming the
// resource metadata), and an isError result over stdio saying a new
// delegation is needed. why is what the refusal must say.
func requireRefused(t *testing.T, w *world, token, why string) {
	t.Helper()
	before := len(w.notion.seen())
	status, body := w.s.call(t, token, "search", searchInput, nil)
	require.Equal(t, 401, status, "REST: %s", body)
	require.Contains(t, body, why, "REST")
	require.Contains(t, body, "new delegation", "REST")
	require.NotContains(t, body, token, "a refused token is never echoed")

	status, challenge, body := w.s.mcpInitialize(t, token)
	require.Equal(t, 401, status, "MCP over HTTP: %s", body)
	require.Contains(t, challenge, `resource_metadata="`+publicURL+"/.well-known/oauth-protected-resource/mcp"+`"`)
	require.Contains(t, body, why, "MCP over HTTP")

	stdio := w.in.stdioClient(token, "2025-11-25", nil)
	text, res := callTool(t, stdio, "notion_search", searchInput)
	require.True(t, res.IsError, "stdio: %s", text)
	require.Contains(t, text, why, "stdio")
	require.Contains(t, text, "new delegation", "stdio")
	require.NotContains(t, toolNames(t, stdio), "notion_search", "a refused token lists no action")
	require.Equal(t, before, len(w.notion.seen()), "a refused token never reaches Notion")
}

// requireWorks checks that token calls search on every surface, with
// alice's connection.
func requireWorks(t *testing.T, w *world, token string) {
	t.Helper()
	status, body := w.s.call(t, token, "search", searchInput, nil)
	require.Equal(t, 200, status, "REST: %s", body)
	require.Equal(t, "Bearer "+aliceNotion, last(w.notion.seen()))
	for name, cs := range map[string]*mcpClient{
		"http":  w.s.clientAs(token, "http", "2026-07-28", nil),
		"stdio": w.in.stdioClient(token, "2025-11-25", nil),
	} {
		text, res := callTool(t, cs, "notion_search", searchInput)
		require.False(t, res.IsError, "%s: %s", name, text)
		require.Equal(t, "Bearer "+aliceNotion, last(w.notion.seen()), name)
	}
}

func last(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[len(list)-1]
}

// forger signs delegation tokens with the server's own signing key, in
// this process, on the instance's store, with a clock and an audience of
// its choosing: the only way to make a token that is validly signed and
// recorded yet expired, not valid yet, or meant for another resource.
func forger(t *testing.T, in *instance, audience string, now time.Time) *delegation.Service {
	t.Helper()
	vars := map[string]string{}
	for _, kv := range in.env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	e := &env{getenv: func(k string) string { return vars[k] }, stdin: strings.NewReader(""),
		stdout: io.Discard, stderr: in.logs}
	a, _, err := openForCommand(t.Context(), e, "forge", nil, nil)
	require.NoError(t, err)
	t.Cleanup(a.close)
	svc, err := delegation.New(delegation.Config{Store: a.store, Vault: a.vault, Authority: a.rbac,
		Issuer: publicURL, Audience: audience, Now: func() time.Time { return now }})
	require.NoError(t, err)
	return svc
}

func forge(t *testing.T, svc *delegation.Service, ttl time.Duration) string {
	t.Helper()
	u, a := mustPrincipal(t, "user:alice"), mustPrincipal(t, "agent:bot")
	iss, err := svc.Issue(t.Context(), delegation.Request{User: u, Agent: a,
		Scope: []string{permSearch}, TTL: ttl, Via: delegation.ViaCLI})
	require.NoError(t, err)
	return iss.Token
}

// header decodes the JOSE header of a compact token.
func header(t *testing.T, token string) map[string]any {
	t.Helper()
	h, _, _ := strings.Cut(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// signOwn signs claims with a key the server has never seen, as
// kid, with the header of a delegation token.
func signOwn(t *testing.T, kid string, claims any) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	opts := (&jose.SignerOptions{}).WithType(delegation.TokenType).WithHeader(jose.HeaderKey("kid"), kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: priv}, opts)
	require.NoError(t, err)
	token, err := jwt.Signed(signer).Claims(claims).Serialize()
	require.NoError(t, err)
	return token
}

// TestDelegationTokenChecks presents tokens that must be refused, each on
// REST, MCP over HTTP and MCP over stdio: a tampered signature, a tampered
// claim, an unknown kid, a token for another audience, one from another
// server, one expired, one not valid yet, and one revoked. A valid token
// works on the same surfaces, so each refusal is the check's doing.
func TestDelegationTokenChecks(t *testing.T) {
	t.Parallel()
	kinds := []struct {
		name string
		new  func(t *testing.T) *instance
	}{
		{"sqlite", func(t *testing.T) *instance { return delegationInstance(t) }},
		{"postgres", func(t *testing.T) *instance {
			return delegationInstance(t, "SWITCHBOARD_DATABASE_URL="+pgtest.URL(t),
				"SWITCHBOARD_MASTER_KEY="+newMasterKey(t))
		}},
	}
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			delegationTokenChecks(t, kind.new(t))
		})
	}
}

func delegationTokenChecks(t *testing.T, in *instance) {
	w := newWorld(t, in)
	good := w.delegate(t, "user:alice", "agent:bot", []string{permSearch}, "30m")
	requireWorks(t, w, good.Token)

	// Stdio and HTTP sessions opened while the token was live see its
	// revocation on their next request.
	revoked := w.delegate(t, "user:alice", "agent:bot", []string{permSearch}, "30m")
	httpSession := w.s.clientAs(revoked.Token, "http", "2026-07-28", nil)
	stdioSession := w.in.stdioClient(revoked.Token, "2025-11-25", nil)
	_, res := callTool(t, httpSession, "notion_search", searchInput)
	require.False(t, res.IsError)
	_, res = callTool(t, stdioSession, "notion_search", searchInput)
	require.False(t, res.IsError)

	parts := strings.Split(good.Token, ".")
	require.Len(t, parts, 3)
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	require.NoError(t, err)
	sig[0] ^= 0x01
	tamperedSig := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(payload, &claims))
	claims["scope"] = permSearch + " " + permPage
	payload, err = json.Marshal(claims)
	require.NoError(t, err)
	tamperedClaims := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]

	now := time.Now()
	unknownKid := signOwn(t, "no-such-key", map[string]any{
		"iss": publicURL, "aud": publicURL, "sub": "user:alice", "act": map[string]any{"sub": "agent:bot"},
		"scope": permSearch, "jti": good.JTI, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	})
	// The same, claiming the kid of the server's key: the signature fails.
	knownKid := signOwn(t, header(t, good.Token)["kid"].(string), map[string]any{
		"iss": publicURL, "aud": publicURL, "sub": "user:alice", "act": map[string]any{"sub": "agent:bot"},
		"scope": permSearch, "jti": good.JTI, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	})

	wrongAudience := forge(t, forger(t, in, "https://elsewhere.test", now), 10*time.Minute)
	expired := forge(t, forger(t, in, publicURL, now.Add(-2*time.Hour)), 15*time.Minute)
	notYetValid := forge(t, forger(t, in, publicURL, now.Add(time.Hour)), 15*time.Minute)
	// The forger's tokens are otherwise sound: signed by the server's key,
	// with a record.
	require.Equal(t, header(t, good.Token)["kid"], header(t, wrongAudience)["kid"])
	requireWorks(t, w, forge(t, forger(t, in, publicURL, now), 10*time.Minute))

	// A server with another public URL, on the same store and keys.
	out := in.withEnv("SWITCHBOARD_PUBLIC_URL=https://other.test", "SWITCHBOARD_TOKEN="+w.keys["user:alice"]).
		mustCLI("", "delegate", "--agent", "agent:bot", "--scope", permSearch, "--ttl", "10m")
	otherServer := strings.TrimSpace(out)

	status, _ := w.s.apiText(w.keys["user:alice"], "DELETE", "/api/v1/delegations/"+revoked.JTI, "")
	require.Equal(t, 204, status)

	cases := []struct{ name, token, why string }{
		{"tampered signature", tamperedSig, "signature is not valid"},
		{"tampered claims", tamperedClaims, "signature is not valid"},
		{"signed by another key under the server's kid", knownKid, "signature is not valid"},
		{"unknown kid", unknownKid, "unknown key (kid)"},
		{"wrong audience", wrongAudience, "not meant for this server (aud)"},
		{"another server", otherServer, "issued by another server (iss)"},
		{"expired", expired, "has expired"},
		{"not yet valid", notYetValid, "not valid yet (nbf)"},
		{"revoked", revoked.Token, "has been revoked"},
	}
	// In turn: each checks that Notion got no request meanwhile.
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { requireRefused(t, w, c.token, c.why) })
	}

	// The sessions opened before the revocation are refused too.
	_, err = httpSession.CallTool(t.Context(), &callParams{Name: "notion_search", Arguments: searchInput})
	require.ErrorContains(t, err, "Unauthorized", "streamable HTTP refuses the revoked token")
	text, res := callTool(t, stdioSession, "notion_search", searchInput)
	require.True(t, res.IsError, text)
	require.Contains(t, text, "has been revoked")
	require.Contains(t, text, "new delegation")
	// The untouched token still works.
	status, body := w.s.call(t, good.Token, "search", searchInput, nil)
	require.Equal(t, 200, status, "%s", body)
}

// TestDelegationExpiresInRealTime issues a token of the shortest lifetime
// and waits it out: REST and a new MCP HTTP request answer 401, a live
// HTTP session fails, and stdio answers an isError result asking for a
// new delegation.
func TestDelegationExpiresInRealTime(t *testing.T) {
	t.Parallel()
	w := newWorld(t, delegationInstance(t))
	tok := w.delegate(t, "user:alice", "agent:bot", []string{permSearch}, delegation.MinTTL.String())
	httpSession := w.s.clientAs(tok.Token, "http", "2026-07-28", nil)
	stdio := w.in.stdioClient(tok.Token, "2025-11-25", nil)
	text, res := callTool(t, stdio, "notion_search", searchInput)
	require.False(t, res.IsError, text)

	time.Sleep(time.Until(tok.ExpiresAt.Add(delegation.Leeway + time.Second)))
	status, body := w.s.call(t, tok.Token, "search", searchInput, nil)
	require.Equal(t, 401, status, "%s", body)
	require.Contains(t, body, "has expired")
	status, _, body = w.s.mcpInitialize(t, tok.Token)
	require.Equal(t, 401, status, "%s", body)
	_, err := httpSession.CallTool(t.Context(), &callParams{Name: "notion_search", Arguments: searchInput})
	require.Error(t, err)
	text, res = callTool(t, stdio, "notion_search", searchInput)
	require.True(t, res.IsError, text)
	require.Contains(t, text, "has expired")
	require.Contains(t, text, "new delegation")
}

// toolSet is the sorted tools/list of cs.
func toolSet(t *testing.T, cs *mcpClient) []string {
	t.Helper()
	names := toolNames(t, cs)
	slices.Sort(names)
	return names
}

// TestDelegationEffectiveAuthority: a delegated call is allowed only when
// the user holds the permission, the agent holds it, and the scope names
// it; tools/list shows exactly that set; a user cannot lend what they do
// not hold; a permission the user loses is lost for the agent at once; a
// delegation token cannot delegate further or manage connections; the
// audit records the agent acting for the user.
func TestDelegationEffectiveAuthority(t *testing.T) {
	t.Parallel()
	w := newWorld(t, delegationInstance(t))
	s := w.s
	builtins := []string{"call_integration", "list_integrations"}

	// Scope escalation: keys the user does not hold are named.
	status, body := s.apiText(w.keys["agent:weak"], "POST", "/api/v1/delegations",
		`{"agent":"agent:bot","scope":["`+permPage+`"]}`)
	require.Equal(t, 403, status, "only users delegate: %s", body)
	status, body = s.apiText(w.keys["user:alice"], "POST", "/api/v1/delegations",
		`{"agent":"agent:bot","scope":["`+permSearch+`","integration:slack:send_message","admin:rbac.manage"]}`)
	require.Equal(t, 403, status, "%s", body)
	require.Contains(t, string(body), "integration:slack:send_message")
	require.Contains(t, string(body), "admin:rbac.manage")
	require.NotContains(t, string(body), `"token"`)
	status, body = s.apiText(w.keys["user:alice"], "POST", "/api/v1/delegations",
		`{"agent":"agent:bot","scope":["`+permSearch+`"],"ttl":"2h"}`)
	require.Equal(t, 422, status, "the TTL is capped: %s", body)
	require.Contains(t, string(body), "ttl")
	status, body = s.apiText(w.keys["user:alice"], "POST", "/api/v1/delegations",
		`{"agent":"user:bob","scope":["`+permSearch+`"]}`)
	require.Equal(t, 422, status, "%s", body)
	require.Contains(t, string(body), "agent")

	// The effective set: scope ∩ user ∩ agent.
	narrow := w.delegate(t, "user:alice", "agent:bot", []string{permSearch}, "")
	both := w.delegate(t, "user:alice", "agent:bot", []string{permSearch, permPage}, "")
	weak := w.delegate(t, "user:alice", "agent:weak", []string{permSearch, permPage}, "")
	want := map[string][]string{
		narrow.Token: append(slices.Clone(builtins), "notion_search"),
		both.Token:   append(slices.Clone(builtins), "notion_get_page", "notion_search"),
		weak.Token:   append(slices.Clone(builtins), "notion_get_page"),
	}
	for token, tools := range want {
		for name, cs := range map[string]*mcpClient{
			"http":  s.clientAs(token, "http", "2026-07-28", nil),
			"stdio": w.in.stdioClient(token, "2025-11-25", nil),
		} {
			require.Equal(t, tools, toolSet(t, cs), "tools/list over %s", name)
		}
	}

	// Outside the scope: forbidden on REST and MCP, Notion never reached.
	before := len(w.notion.seen())
	status, body = s.call(t, narrow.Token, "get_page", pageInput, nil)
	require.Equal(t, 403, status, "%s", body)
	require.Contains(t, string(body), permPage)
	httpNarrow := s.clientAs(narrow.Token, "http", "2026-07-28", nil)
	text, res := callTool(t, httpNarrow, "call_integration", map[string]any{
		"integration_id": "notion", "action": "get_page", "input": pageInput})
	require.True(t, res.IsError, text)
	require.Contains(t, text, permPage)

	// An agent without the permission itself: forbidden though the user
	// holds it and the scope names it.
	status, body = s.call(t, weak.Token, "search", searchInput, nil)
	require.Equal(t, 403, status, "%s", body)
	require.Contains(t, string(body), permSearch)
	httpWeak := s.clientAs(weak.Token, "http", "2026-07-28", nil)
	stdioWeak := w.in.stdioClient(weak.Token, "2025-11-25", nil)
	for name, cs := range map[string]*mcpClient{"http": httpWeak, "stdio": stdioWeak} {
		text, res := callTool(t, cs, "call_integration", map[string]any{
			"integration_id": "notion", "action": "search", "input": searchInput})
		require.True(t, res.IsError, "%s: %s", name, text)
		require.Contains(t, text, permSearch, name)
	}
	require.Equal(t, before, len(w.notion.seen()), "a refused delegated call never reaches Notion")
	// What it may do, it does with alice's connection.
	status, body = s.call(t, weak.Token, "get_page", pageInput, nil)
	require.Equal(t, 200, status, "%s", body)
	require.Equal(t, "Bearer "+aliceNotion, last(w.notion.seen()))

	// A delegation cannot be delegated further, nor manage connections.
	status, body = s.apiText(both.Token, "POST", "/api/v1/delegations",
		`{"agent":"agent:weak","scope":["`+permSearch+`"]}`)
	require.Equal(t, 403, status, "%s", body)
	status, body = s.apiText(both.Token, "GET", "/api/v1/integrations/notion/connections", "")
	require.Equal(t, 403, status, "%s", body)
	status, body = s.apiText(both.Token, "POST", "/api/v1/integrations/notion/auth/delegate",
		fmt.Sprintf(`{"agent":"agent:bot","connectionId":%q}`, w.conns["user:alice"]))
	require.Equal(t, 403, status, "%s", body)

	// The user loses search after issuing: the agent loses it at once, on
	// sessions already open too.
	httpBoth := s.clientAs(both.Token, "http", "2026-07-28", nil)
	stdioBoth := w.in.stdioClient(both.Token, "2025-11-25", nil)
	for _, cs := range []*mcpClient{httpBoth, stdioBoth} {
		text, res := callTool(t, cs, "notion_search", searchInput)
		require.False(t, res.IsError, text)
	}
	status, body = s.apiText(s.in.adminKey(), "POST", "/api/v1/roles/revoke", `{"principal":"user:alice","role":"notion-search"}`)
	require.Equal(t, 200, status, "%s", body)
	before = len(w.notion.seen())
	status, body = s.call(t, both.Token, "search", searchInput, nil)
	require.Equal(t, 403, status, "%s", body)
	require.Contains(t, string(body), permSearch)
	waitFor(t, "the stdio server to see the revoked role", func() bool {
		return !slices.Contains(toolNames(t, stdioBoth), "notion_search")
	})
	for name, cs := range map[string]*mcpClient{"http": httpBoth, "stdio": stdioBoth} {
		text, res := callTool(t, cs, "notion_search", searchInput)
		require.True(t, res.IsError, "%s: %s", name, text)
		require.Equal(t, append(slices.Clone(builtins), "notion_get_page"), toolSet(t, cs), name)
	}
	require.Equal(t, before, len(w.notion.seen()))
	// The token exchange and the API now refuse to lend search.
	status, body = s.apiText(w.keys["user:alice"], "POST", "/api/v1/delegations",
		`{"agent":"agent:bot","scope":["`+permSearch+`"]}`)
	require.Equal(t, 403, status, "%s", body)
	require.Contains(t, string(body), permSearch)

	// The audit: actor the agent, on behalf of alice, for allowed and
	// denied calls alike.
	entries := delegatedAudit(t, s, "agent:bot")
	var ok, denied int
	for _, e := range entries {
		require.Equal(t, "user:alice", e.OnBehalfOf, "%+v", e)
		switch e.Outcome {
		case "ok":
			ok++
		case "denied":
			denied++
		}
	}
	require.Positive(t, ok)
	require.Positive(t, denied)
	for _, e := range delegatedAudit(t, s, "agent:weak") {
		require.Equal(t, "user:alice", e.OnBehalfOf, "%+v", e)
	}
	// Alice's own calls are hers, on behalf of no one.
	status, body = s.apiText(s.in.adminKey(), "GET", "/api/v1/audit?actor=user:alice&integration=notion&limit=1000", "")
	require.Equal(t, 200, status, "%s", body)
	require.NotContains(t, string(body), `"onBehalfOf"`)
}

type delegatedEntry struct {
	Actor, OnBehalfOf, Outcome, Integration, Action, Event string
}

// delegatedAudit returns the action calls actor made.
func delegatedAudit(t *testing.T, s *server, actor string) []delegatedEntry {
	t.Helper()
	status, body := s.apiText(s.in.adminKey(), "GET", "/api/v1/audit?limit=1000&actor="+url.QueryEscape(actor), "")
	require.Equal(t, 200, status, "%s", body)
	var page struct{ Entries []delegatedEntry }
	require.NoError(t, json.Unmarshal([]byte(body), &page))
	var out []delegatedEntry
	for _, e := range page.Entries {
		if e.Actor == actor && e.Event == "action.call" {
			out = append(out, e)
		}
	}
	require.NotEmpty(t, out, "no call of %s in the audit", actor)
	return out
}

// TestDelegationIsolation: an agent acting for alice reaches alice's
// connection and never bob's, whatever connection it names in the
// X-Switchboard-Connection header, the _connection argument or
// call_integration's connection_id; one acting for carol, who has no
// connection, is not connected, even when bob lent his connection to the
// same agent.
func TestDelegationIsolation(t *testing.T) {
	t.Parallel()
	w := newWorld(t, delegationInstance(t))
	s := w.s
	bobConn, aliceConn := w.conns["user:bob"], w.conns["user:alice"]
	status, body := s.apiText(w.keys["user:bob"], "POST", "/api/v1/integrations/notion/auth/delegate",
		fmt.Sprintf(`{"agent":"agent:bot","connectionId":%q}`, bobConn))
	require.Equal(t, 201, status, "%s", body)
	forAlice := w.delegate(t, "user:alice", "agent:bot", []string{permSearch, permPage}, "")
	forCarol := w.delegate(t, "user:carol", "agent:bot", []string{permSearch}, "")

	httpAlice := s.clientAs(forAlice.Token, "http", "2026-07-28", nil)
	stdioAlice := w.in.stdioClient(forAlice.Token, "2025-11-25", nil)
	httpCarol := s.clientAs(forCarol.Token, "http", "2026-07-28", nil)

	for _, target := range []string{bobConn, "conn_does_not_exist"} {
		status, body := s.call(t, forAlice.Token, "search", searchInput,
			http.Header{"X-Switchboard-Connection": {target}})
		require.Equal(t, 404, status, "header %s: %s", target, body)
		for name, cs := range map[string]*mcpClient{"http": httpAlice, "stdio": stdioAlice} {
			text, res := callTool(t, cs, "notion_search", map[string]any{"query": "x", "_connection": target})
			require.True(t, res.IsError, "%s _connection: %s", name, text)
			text, res = callTool(t, cs, "call_integration", map[string]any{"integration_id": "notion",
				"action": "search", "input": searchInput, "connection_id": target})
			require.True(t, res.IsError, "%s connection_id: %s", name, text)
		}
	}
	// Carol has no connection: bob's, lent to the same agent, is not hers.
	status, body = s.call(t, forCarol.Token, "search", searchInput, nil)
	require.Equal(t, 409, status, "%s", body)
	require.Contains(t, body, "not_connected")
	status, body = s.call(t, forCarol.Token, "search", searchInput,
		http.Header{"X-Switchboard-Connection": {bobConn}})
	require.Equal(t, 404, status, "%s", body)
	text, res := callTool(t, httpCarol, "call_integration", map[string]any{"integration_id": "notion",
		"action": "search", "input": searchInput, "connection_id": bobConn})
	require.True(t, res.IsError, text)
	text, res = callTool(t, httpCarol, "notion_search", searchInput)
	require.True(t, res.IsError, text)
	require.NotContains(t, w.notion.seen(), "Bearer "+bobNotion, "bob's credential never used for another user")

	// Naming alice's own connection, or none, runs with hers.
	status, body = s.call(t, forAlice.Token, "search", searchInput,
		http.Header{"X-Switchboard-Connection": {aliceConn}})
	require.Equal(t, 200, status, "%s", body)
	text, res = callTool(t, stdioAlice, "notion_search", map[string]any{"query": "x", "_connection": aliceConn})
	require.False(t, res.IsError, text)
	text, res = callTool(t, httpAlice, "call_integration", map[string]any{"integration_id": "notion",
		"action": "search", "input": searchInput})
	require.False(t, res.IsError, text)
	for _, a := range w.notion.seen() {
		require.Equal(t, "Bearer "+aliceNotion, a, "only alice's credential reached Notion")
	}
	// While bob's lent connection serves the agent acting on its own.
	status, body = s.call(t, w.keys["agent:bot"], "search", searchInput, nil)
	require.Equal(t, 200, status, "%s", body)
	require.Equal(t, "Bearer "+bobNotion, last(w.notion.seen()))
}

// exchange posts a token exchange form to /oauth/token.
func (s *server) exchange(t *testing.T, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(s.url+"/oauth/token", form)
	require.NoError(t, err)
	body := readAll(t, resp)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &out), body)
	return resp.StatusCode, out
}

// TestTokenExchange: RFC 8693 at /oauth/token turns a user's key and an
// agent's key into a delegation token that works on REST and MCP; a bad
// subject or actor token, a missing parameter, another grant type or a
// scope the user does not hold fail with RFC 6749's error codes.
func TestTokenExchange(t *testing.T) {
	t.Parallel()
	w := newWorld(t, delegationInstance(t))
	s := w.s
	const (
		grant  = "urn:ietf:params:oauth:grant-type:token-exchange"
		access = "urn:ietf:params:oauth:token-type:access_token"
	)
	form := func(change map[string]string) url.Values {
		v := url.Values{"grant_type": {grant}, "subject_token": {w.keys["user:alice"]},
			"subject_token_type": {access}, "actor_token": {w.keys["agent:bot"]},
			"actor_token_type": {access}, "scope": {permSearch}}
		for k, x := range change {
			if x == "" {
				v.Del(k)
			} else {
				v.Set(k, x)
			}
		}
		return v
	}

	status, out := s.exchange(t, form(map[string]string{"resource": publicURL + "/mcp"}))
	require.Equal(t, 200, status, "%v", out)
	require.Equal(t, access, out["issued_token_type"])
	require.Equal(t, "Bearer", out["token_type"])
	require.Equal(t, permSearch, out["scope"])
	require.InDelta(t, delegation.DefaultTTL.Seconds(), out["expires_in"], 5)
	token := out["access_token"].(string)
	requireWorks(t, w, token)
	require.Equal(t, append([]string{"call_integration", "list_integrations"}, "notion_search"),
		toolSet(t, s.clientAs(token, "http", "2026-07-28", nil)))
	entries := delegatedAudit(t, s, "agent:bot")
	require.Equal(t, "user:alice", entries[0].OnBehalfOf)

	revoked := w.delegate(t, "user:alice", "agent:bot", []string{permSearch}, "")
	status, _ = s.apiText(w.keys["user:alice"], "DELETE", "/api/v1/delegations/"+revoked.JTI, "")
	require.Equal(t, 204, status)

	cases := []struct {
		name   string
		change map[string]string
		code   string
		says   string
	}{
		{"unknown subject token", map[string]string{"subject_token": "sbk_not_a_key"}, "invalid_request", "subject_token"},
		{"subject token is an agent's", map[string]string{"subject_token": w.keys["agent:cron"]}, "invalid_request", "subject_token"},
		{"subject token is a delegation", map[string]string{"subject_token": token}, "invalid_request", "subject_token"},
		{"subject token revoked delegation", map[string]string{"subject_token": revoked.Token}, "invalid_request", "subject_token"},
		{"unknown actor token", map[string]string{"actor_token": "sbk_not_a_key"}, "invalid_request", "actor_token"},
		{"actor token is a delegation", map[string]string{"actor_token": token}, "invalid_request", "actor_token"},
		{"actor is a user", map[string]string{"actor_token": w.keys["user:bob"]}, "invalid_request", "agent"},
		{"missing grant_type", map[string]string{"grant_type": ""}, "invalid_request", "grant_type"},
		{"unsupported grant_type", map[string]string{"grant_type": "client_credentials"}, "unsupported_grant_type", grant},
		{"missing subject_token", map[string]string{"subject_token": ""}, "invalid_request", "subject_token"},
		{"missing subject_token_type", map[string]string{"subject_token_type": ""}, "invalid_request", "subject_token_type"},
		{"missing actor_token", map[string]string{"actor_token": ""}, "invalid_request", "actor_token"},
		{"missing actor_token_type", map[string]string{"actor_token_type": ""}, "invalid_request", "actor_token_type"},
		{"missing scope", map[string]string{"scope": ""}, "invalid_request", "scope"},
		{"unknown token type", map[string]string{"subject_token_type": "urn:x"}, "invalid_request", "subject_token_type"},
		{"scope escalation", map[string]string{"scope": permSearch + " integration:slack:send_message"}, "invalid_scope", "integration:slack:send_message"},
		{"another audience", map[string]string{"audience": "https://elsewhere.test"}, "invalid_target", "audience"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			status, out := s.exchange(t, form(c.change))
			require.Equal(t, 400, status, "%v", out)
			require.Equal(t, c.code, out["error"], "%v", out)
			require.Contains(t, out["error_description"], c.says)
			require.NotContains(t, out, "access_token")
			for _, secret := range []string{w.keys["user:alice"], w.keys["agent:bot"], token} {
				require.NotContains(t, fmt.Sprint(out), secret)
			}
		})
	}
	t.Run("json body", func(t *testing.T) {
		t.Parallel()
		status, body := s.apiText("", "POST", "/oauth/token", `{"grant_type":"`+grant+`"}`)
		require.Equal(t, 400, status, "%s", body)
		require.Contains(t, string(body), `"error":"invalid_request"`)
	})
}

// TestStandingDelegation: alice lends her connection to agent:cron, which
// calls with its own key and reaches Notion with alice's credential; the
// grant is listed with her connections; once she takes it back the call is
// not_connected.
func TestStandingDelegation(t *testing.T) {
	t.Parallel()
	w := newWorld(t, delegationInstance(t))
	s := w.s
	cron := w.keys["agent:cron"]
	status, body := s.call(t, cron, "search", searchInput, nil)
	require.Equal(t, 409, status, "nothing lent yet: %s", body)
	require.Contains(t, body, "not_connected")

	// Only the owner lends, and only their own connection.
	status, body = s.apiText(w.keys["user:bob"], "POST", "/api/v1/integrations/notion/auth/delegate",
		fmt.Sprintf(`{"agent":"agent:cron","connectionId":%q}`, w.conns["user:alice"]))
	require.Equal(t, 404, status, "%s", body)
	status, body = s.apiText(w.keys["user:alice"], "POST", "/api/v1/integrations/notion/auth/delegate",
		`{"agent":"agent:cron"}`)
	require.Equal(t, 422, status, "%s", body)
	require.Contains(t, string(body), "connectionId")
	status, body = s.apiText(w.keys["user:alice"], "POST", "/api/v1/integrations/notion/auth/delegate",
		fmt.Sprintf(`{"agent":"user:bob","connectionId":%q}`, w.conns["user:alice"]))
	require.Equal(t, 422, status, "%s", body)

	status, body = s.apiText(w.keys["user:alice"], "POST", "/api/v1/integrations/notion/auth/delegate",
		fmt.Sprintf(`{"agent":"agent:cron","connectionId":%q}`, w.conns["user:alice"]))
	require.Equal(t, 201, status, "%s", body)
	var g struct{ ID, Agent, ConnectionID string }
	require.NoError(t, json.Unmarshal([]byte(body), &g))
	require.Equal(t, "agent:cron", g.Agent)
	require.NotContains(t, string(body), aliceNotion)

	status, body = s.apiText(w.keys["user:alice"], "GET", "/api/v1/integrations/notion/connections", "")
	require.Equal(t, 200, status, "%s", body)
	var list struct {
		Connections []struct {
			ID     string
			LentTo []struct{ ID, Agent string }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list.Connections, 1)
	require.Equal(t, []struct{ ID, Agent string }{{g.ID, "agent:cron"}}, list.Connections[0].LentTo)

	status, body = s.call(t, cron, "search", searchInput, nil)
	require.Equal(t, 200, status, "%s", body)
	require.Equal(t, "Bearer "+aliceNotion, last(w.notion.seen()))
	stdio := w.in.stdioClient(cron, "2025-11-25", nil)
	httpCron := s.clientAs(cron, "http", "2026-07-28", nil)
	for name, cs := range map[string]*mcpClient{"http": httpCron, "stdio": stdio} {
		text, res := callTool(t, cs, "notion_search", searchInput)
		require.False(t, res.IsError, "%s: %s", name, text)
		require.Equal(t, "Bearer "+aliceNotion, last(w.notion.seen()))
	}
	// The agent acts on its own: the audit names no user.
	for _, e := range delegatedAudit(t, s, "agent:cron") {
		require.Empty(t, e.OnBehalfOf)
	}

	status, body = s.apiText(w.keys["user:bob"], "DELETE", "/api/v1/integrations/notion/auth/delegate/"+g.ID, "")
	require.Equal(t, 404, status, "not bob's grant: %s", body)
	status, body = s.apiText(w.keys["user:alice"], "DELETE", "/api/v1/integrations/notion/auth/delegate/"+g.ID, "")
	require.Equal(t, 204, status, "%s", body)
	before := len(w.notion.seen())
	status, body = s.call(t, cron, "search", searchInput, nil)
	require.Equal(t, 409, status, "%s", body)
	require.Contains(t, body, "not_connected")
	for name, cs := range map[string]*mcpClient{"http": httpCron, "stdio": stdio} {
		text, res := callTool(t, cs, "notion_search", searchInput)
		require.True(t, res.IsError, "%s: %s", name, text)
	}
	require.Equal(t, before, len(w.notion.seen()))
	status, body = s.apiText(w.keys["user:alice"], "GET", "/api/v1/integrations/notion/connections", "")
	require.Equal(t, 200, status, "%s", body)
	require.NotContains(t, string(body), "lentTo")
}

// TestOffboardingRevokesDelegations: offboarding alice revokes the
// delegations she gave (their tokens are refused at once), takes back
// what she lent, and removes her connections; offboarding an agent
// revokes the delegations it received.
func TestOffboardingRevokesDelegations(t *testing.T) {
	t.Parallel()
	w := newWorld(t, delegationInstance(t))
	s := w.s
	tok := w.delegate(t, "user:alice", "agent:bot", []string{permSearch}, "")
	status, body := s.apiText(w.keys["user:alice"], "POST", "/api/v1/integrations/notion/auth/delegate",
		fmt.Sprintf(`{"agent":"agent:cron","connectionId":%q}`, w.conns["user:alice"]))
	require.Equal(t, 201, status, "%s", body)
	stdio := w.in.stdioClient(tok.Token, "2025-11-25", nil)
	requireWorks(t, w, tok.Token)
	status, body = s.call(t, w.keys["agent:cron"], "search", searchInput, nil)
	require.Equal(t, 200, status, "%s", body)
	toBob := w.delegate(t, "user:bob", "agent:weak", []string{permPage}, "")

	status, body = s.apiText(s.in.adminKey(), "DELETE", "/api/v1/principals/"+url.PathEscape("user:alice"), "")
	require.Equal(t, 200, status, "%s", body)
	require.Contains(t, string(body), `"delegationsRevoked":1`)
	require.Contains(t, string(body), `"connectionsRemoved":1`)

	status, body = s.call(t, tok.Token, "search", searchInput, nil)
	require.Equal(t, 401, status, "%s", body)
	status, _, body = s.mcpInitialize(t, tok.Token)
	require.Equal(t, 401, status, "%s", body)
	text, res := callTool(t, stdio, "notion_search", searchInput)
	require.True(t, res.IsError, text)
	require.Contains(t, text, "new delegation")
	status, body = s.call(t, w.keys["agent:cron"], "search", searchInput, nil)
	require.Equal(t, 409, status, "what alice lent is gone: %s", body)

	// An offboarded agent's received delegations go too.
	status, body = s.call(t, toBob.Token, "get_page", pageInput, nil)
	require.Equal(t, 200, status, "%s", body)
	status, body = s.apiText(s.in.adminKey(), "DELETE", "/api/v1/principals/"+url.PathEscape("agent:weak"), "")
	require.Equal(t, 200, status, "%s", body)
	require.Contains(t, string(body), `"delegationsRevoked":1`)
	status, body = s.call(t, toBob.Token, "get_page", pageInput, nil)
	require.Equal(t, 401, status, "%s", body)
}

// TestDelegationKeyRotation: `switchboard delegate` issues a token as the
// user of SWITCHBOARD_TOKEN; `switchboard delegate rotate-key`, run while
// the server runs, makes a new key: tokens of the old key keep working,
// new ones carry the new kid and work at once on the running server,
// including one issued by another process that the server has not seen.
func TestDelegationKeyRotation(t *testing.T) {
	t.Parallel()
	in := delegationInstance(t)
	w := newWorld(t, in)
	alice := in.withEnv("SWITCHBOARD_TOKEN=" + w.keys["user:alice"])

	out := alice.mustCLI("", "delegate", "--agent", "agent:bot", "--scope", permSearch+","+permPage,
		"--ttl", "20m", "--json")
	var old issuedToken
	require.NoError(t, json.Unmarshal([]byte(out), &old))
	require.Equal(t, []string{permPage, permSearch}, old.Scope)
	require.WithinDuration(t, time.Now().Add(20*time.Minute), old.ExpiresAt, time.Minute)
	requireWorks(t, w, old.Token)
	oldKid := header(t, old.Token)["kid"]
	require.Equal(t, delegation.TokenType, header(t, old.Token)["typ"])
	require.Equal(t, "EdDSA", header(t, old.Token)["alg"])
	// The CLI holds to the same rules as the API.
	_, err := alice.cli("", "delegate", "--agent", "agent:bot", "--scope", "integration:slack:send_message")
	require.ErrorContains(t, err, "integration:slack:send_message")
	_, err = in.withEnv("SWITCHBOARD_TOKEN="+old.Token).cli("", "delegate", "--agent", "agent:weak",
		"--scope", permSearch)
	require.ErrorContains(t, err, "delegated further")

	out = in.mustCLI("", "delegate", "rotate-key")
	require.Contains(t, out, "now signs new tokens")
	// Issued by another process with the new key, before the server has
	// issued anything with it.
	fresh := strings.TrimSpace(alice.mustCLI("", "delegate", "--agent", "agent:bot", "--scope", permSearch))
	require.NotEqual(t, oldKid, header(t, fresh)["kid"])
	// A token of an unknown key makes the server read its keys just now;
	// the new key's token, presented right after, is not refused for that:
	// the server waits for its next read.
	status, body := w.s.call(t, signOwn(t, "no-such-key", map[string]any{"iss": publicURL}), "search", searchInput, nil)
	require.Equal(t, 401, status, "%s", body)
	requireWorks(t, w, fresh)
	requireWorks(t, w, old.Token)
	viaAPI := w.delegate(t, "user:alice", "agent:bot", []string{permSearch}, "")
	require.Equal(t, header(t, fresh)["kid"], header(t, viaAPI.Token)["kid"])
	requireWorks(t, w, viaAPI.Token)

	status, body = w.s.apiText(w.keys["user:alice"], "GET", "/api/v1/delegations", "")
	require.Equal(t, 200, status, "%s", body)
	for _, jti := range []string{old.JTI, viaAPI.JTI} {
		require.Contains(t, string(body), jti)
	}
	require.NotContains(t, string(body), old.Token, "tokens are never listed")
	// The agent sees what it received; bob sees none of alice's.
	status, body = w.s.apiText(w.keys["agent:bot"], "GET", "/api/v1/delegations", "")
	require.Equal(t, 200, status, "%s", body)
	require.Contains(t, string(body), viaAPI.JTI)
	status, body = w.s.apiText(w.keys["user:bob"], "GET", "/api/v1/delegations", "")
	require.Equal(t, 200, status, "%s", body)
	require.JSONEq(t, `{"delegations":[]}`, string(body))
	status, _ = w.s.apiText(w.keys["user:bob"], "DELETE", "/api/v1/delegations/"+viaAPI.JTI, "")
	require.Equal(t, 404, status, "bob cannot revoke alice's delegation")
	requireWorks(t, w, viaAPI.Token)
}

// TestDelegationDiscovery: the protected resource metadata of /mcp (RFC
// 9728), the authorization server metadata (RFC 8414), and the 401 of
// /mcp and of the API pointing at them.
func TestDelegationDiscovery(t *testing.T) {
	t.Parallel()
	s := delegationInstance(t).serve()
	get := func(path string) map[string]any {
		resp, err := http.Get(s.url + path)
		require.NoError(t, err)
		body := readAll(t, resp)
		require.Equal(t, 200, resp.StatusCode, "%s: %s", path, body)
		require.Contains(t, resp.Header.Get("Content-Type"), "application/json")
		var out map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &out))
		return out
	}
	mcpMeta := get("/.well-known/oauth-protected-resource/mcp")
	require.Equal(t, publicURL+"/mcp", mcpMeta["resource"])
	require.Equal(t, []any{publicURL}, mcpMeta["authorization_servers"])
	require.Equal(t, []any{"header"}, mcpMeta["bearer_methods_supported"])
	apiMeta := get("/.well-known/oauth-protected-resource")
	require.Equal(t, publicURL, apiMeta["resource"])
	as := get("/.well-known/oauth-authorization-server")
	require.Equal(t, publicURL, as["issuer"])
	require.Equal(t, publicURL+"/oauth/token", as["token_endpoint"])
	require.Equal(t, []any{"urn:ietf:params:oauth:grant-type:token-exchange"}, as["grant_types_supported"])

	status, challenge, _ := s.mcpInitialize(t, "")
	require.Equal(t, 401, status)
	require.Contains(t, challenge, "Bearer")
	require.Contains(t, challenge, `resource_metadata="`+publicURL+`/.well-known/oauth-protected-resource/mcp"`)
	resp, err := http.Get(s.url + "/api/v1/permissions")
	require.NoError(t, err)
	readAll(t, resp)
	require.Equal(t, 401, resp.StatusCode)
	require.Contains(t, resp.Header.Get("WWW-Authenticate"),
		`resource_metadata="`+publicURL+`/.well-known/oauth-protected-resource"`)
}

// mustPrincipal parses a principal of the tests.
func mustPrincipal(t *testing.T, s string) switchboard.Principal {
	t.Helper()
	p, err := switchboard.ParsePrincipal(s)
	require.NoError(t, err)
	return p
}
