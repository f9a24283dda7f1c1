package credentials_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/backend"
	"github.com/switchboard-dev/switchboard/credentials"
	"github.com/switchboard-dev/switchboard/credentials/oauthtest"
	"github.com/switchboard-dev/switchboard/registry"
	"github.com/switchboard-dev/switchboard/store/postgres"
	"github.com/switchboard-dev/switchboard/store/postgres/pgtest"
	"github.com/switchboard-dev/switchboard/store/sqlite"
	"github.com/switchboard-dev/switchboard/vault"
)

// The vault and the audit log are what the manager's interfaces describe.
var (
	_ credentials.Vault   = (*vault.Vault)(nil)
	_ credentials.Secrets = (*vault.Vault)(nil)
	_ credentials.Auditor = (*audit.Log)(nil)
)

var (
	alice = switchboard.Principal{Kind: switchboard.KindUser, ID: "alice"}
	bob   = switchboard.Principal{Kind: switchboard.KindUser, ID: "bob"}
)

// t0 is where the test clock starts.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// clock is an injected clock that moves only when told.
type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// auditor keeps the entries recorded.
type auditor struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (a *auditor) Record(_ context.Context, e audit.Entry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, e)
	return nil
}

func (a *auditor) events() []audit.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []audit.Event
	for _, e := range a.entries {
		out = append(out, e.Event)
	}
	return out
}

// testStore is a store the manager and its vault share.
type testStore interface {
	credentials.Store
	vault.Store
}

// kind names a store for tests that run on each.
type storeKind string

const (
	onSQLite   storeKind = "sqlite"
	onPostgres storeKind = "postgres"
)

// eachStore runs fn as a subtest per store; PostgreSQL skips, saying so,
// without SWITCHBOARD_TEST_DATABASE_URL.
func eachStore(t *testing.T, fn func(t *testing.T, kind storeKind)) {
	t.Helper()
	for _, kind := range []storeKind{onSQLite, onPostgres} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			if kind == onPostgres {
				pgtest.SkipUnlessSet(t)
			}
			fn(t, kind)
		})
	}
}

// database opens n handles on one new database of kind; path is the SQLite
// file, "" for PostgreSQL.
func database(t *testing.T, kind storeKind, n int) (handles []testStore, path string) {
	t.Helper()
	var target string
	if kind == onPostgres {
		target = pgtest.URL(t)
	} else {
		path = filepath.Join(t.TempDir(), "switchboard.db")
	}
	for range n {
		if kind == onPostgres {
			db, err := postgres.Open(t.Context(), postgres.Config{URL: target, MaxConns: 8})
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			handles = append(handles, db)
			continue
		}
		db, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		handles = append(handles, db)
	}
	return handles, path
}

// env is one Switchboard as the tests see it: a manager on a store, a
// provider, the browser-facing routes the HTTP surface will serve, and
// what the manager logged and audited.
type env struct {
	t        *testing.T
	store    testStore
	vault    *vault.Vault
	provider *oauthtest.Provider
	clock    *clock
	logs     *syncBuffer
	audit    *auditor
	server   *httptest.Server
	m        *credentials.Manager
	in       *registry.Integration
	act      *registry.Action
	dbPath   string

	mu        sync.Mutex
	callbacks []string // the callback URLs the browser reached
}

// options adjust an env before its manager starts.
type options struct {
	kind    storeKind
	store   testStore
	dbPath  string
	oauth   func(*registry.OAuthSpec)
	manager func(*credentials.Config)
	prov    *oauthtest.Provider
	clock   *clock
}

var masterKey = bytes.Repeat([]byte{7}, vault.KeySize)

// newEnv starts an env on SQLite with an oauth2 integration "acme" whose
// provider requires a login cookie.
func newEnv(t *testing.T, opts ...func(*options)) *env {
	t.Helper()
	o := options{kind: onSQLite}
	for _, fn := range opts {
		fn(&o)
	}
	if o.store == nil {
		handles, path := database(t, o.kind, 1)
		o.store, o.dbPath = handles[0], path
	}
	if o.prov == nil {
		o.prov = oauthtest.NewProvider(t)
		o.prov.RequireLogin()
	}
	if o.clock == nil {
		o.clock = &clock{at: t0}
	}
	o.prov.SetNow(o.clock.Now)

	e := &env{t: t, store: o.store, provider: o.prov, clock: o.clock, dbPath: o.dbPath,
		logs: &syncBuffer{}, audit: &auditor{}}
	e.server = httptest.NewServer(e.routes())
	t.Cleanup(e.server.Close)

	v, err := vault.New(t.Context(), vault.Config{Store: o.store, MasterKey: masterKey})
	require.NoError(t, err)
	e.vault = v
	require.NoError(t, v.PutPlatformSecret(t.Context(), "ACME_CLIENT_SECRET",
		[]byte(o.prov.ClientSecret)))
	e.in, e.act = oauthIntegration(o.prov, o.oauth)

	hc, err := backend.New(backend.Config{AllowPrivateNetwork: true})
	require.NoError(t, err)
	cfg := credentials.Config{
		Store: o.store, Vault: v, Secrets: v, HTTPClient: hc.Client(),
		PublicURL: e.server.URL, Now: o.clock.Now, Auditor: e.audit,
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if o.manager != nil {
		o.manager(&cfg)
	}
	m, err := credentials.New(cfg)
	require.NoError(t, err)
	e.setManager(m)
	return e
}

// oauthIntegration is the integration "acme" on provider p; edit adjusts
// its OAuth block.
func oauthIntegration(p *oauthtest.Provider, edit func(*registry.OAuthSpec),
) (*registry.Integration, *registry.Action) {
	spec := &registry.OAuthSpec{
		Type:             "oauth2",
		AuthorizationURL: "{{config.baseUrl}}" + oauthtest.AuthorizePath,
		TokenURL:         "{{config.baseUrl}}" + oauthtest.TokenPath,
		Scopes:           []string{"read", "write"},
		ClientID:         "clientId",
		ClientSecret:     "clientSecret",
	}
	if edit != nil {
		edit(spec)
	}
	ua := &registry.UserAuth{Type: registry.UserAuthOAuth2, OAuth: spec}
	return integration(ua, map[string]any{"baseUrl": p.URL, "clientId": p.ClientID})
}

// integration is "acme" with userAuth ua and plain config.
func integration(ua *registry.UserAuth, config map[string]any,
) (*registry.Integration, *registry.Action) {
	m := &registry.Manifest{
		AppID: "acme", Name: "Acme", Version: "1.0.0",
		ConfigSchema: &registry.ConfigSchema{Type: "object", Properties: []registry.ConfigProperty{
			{Name: "baseUrl", Type: "string"},
			{Name: "clientId", Type: "string"},
			{Name: "clientSecret", Type: "string", PlatformSecret: "ACME_CLIENT_SECRET"},
		}},
		UserAuth: ua,
	}
	in := &registry.Integration{Manifest: m, Config: config}
	act := &registry.Action{
		Integration: in, Spec: &registry.ActionSpec{ID: "whoami"},
		Credentials: registry.CredentialsUser,
	}
	in.Actions = []*registry.Action{act}
	return in, act
}

// manager is the manager the routes use.
func (e *env) manager() *credentials.Manager {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.m
}

// setManager makes the routes use m, as after a restart.
func (e *env) setManager(m *credentials.Manager) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m = m
}

// lookup finds the env's integration by app id.
func (e *env) lookup(appID string) *registry.Integration {
	if appID == e.in.ID() {
		return e.in
	}
	return nil
}

// routes are the browser-facing routes of Switchboard, as the HTTP surface
// serves them: the OAuth callback and connect links.
func (e *env) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+credentials.CallbackPath, func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.callbacks = append(e.callbacks, r.URL.String())
		e.mu.Unlock()
		q := r.URL.Query()
		res, err := e.manager().Callback(r.Context(), e.lookup, credentials.CallbackRequest{
			State: q.Get("state"), Code: q.Get("code"),
			Error: q.Get("error"), ErrorDescription: q.Get("error_description"),
		})
		if err == nil && res.ReturnTo != "" {
			http.Redirect(w, r, res.ReturnTo+"?connection="+res.Connection.ID, http.StatusFound)
			return
		}
		answer(w, res.Connection, err)
	})
	mux.HandleFunc("GET "+credentials.ConnectPath+"{token}", func(w http.ResponseWriter,
		r *http.Request,
	) {
		link, err := e.manager().OpenLink(r.Context(), r.PathValue("token"))
		if err != nil {
			answer(w, nil, err)
			return
		}
		flow, err := e.manager().StartLink(r.Context(), e.lookup(link.AppID), r.PathValue("token"), "")
		if err == nil && flow.Type == credentials.FlowRedirect {
			http.Redirect(w, r, flow.URL, http.StatusFound)
			return
		}
		answer(w, flow, err)
	})
	mux.HandleFunc("GET /done", func(w http.ResponseWriter, r *http.Request) {
		answer(w, map[string]string{"connection": r.URL.Query().Get("connection")}, nil)
	})
	return mux
}

// answer writes v as JSON, or err as {code, message} with its status.
func answer(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		e := switchboard.AsError(err)
		w.WriteHeader(e.Code.Status())
		v = map[string]string{"code": string(e.Code), "message": e.Message}
	}
	_ = json.NewEncoder(w).Encode(v)
}

// browser returns a client that keeps cookies and follows redirects, as a
// browser does.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

// visit opens u in b and decodes the JSON page it ends on into v; it
// returns the final status.
func visit(t *testing.T, b *http.Client, u string, v any) int {
	t.Helper()
	resp, err := b.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	if v != nil {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
	}
	return resp.StatusCode
}

// connect runs the whole OAuth flow for user in a fresh browser and
// returns the connection made.
func (e *env) connect(user switchboard.Principal) credentials.Connection {
	e.t.Helper()
	flow, err := e.m.Start(e.t.Context(), e.in, user, "")
	require.NoError(e.t, err)
	require.Equal(e.t, credentials.FlowRedirect, flow.Type)
	var c credentials.Connection
	require.Equal(e.t, http.StatusOK, visit(e.t, browser(e.t), flow.URL, &c))
	require.NotEmpty(e.t, c.ID)
	return c
}

// resolve calls Resolve for user with connection id.
func (e *env) resolve(user switchboard.Principal, id string) (map[string]string, error) {
	return e.m.Resolve(e.t.Context(), e.act, user, id)
}

// token resolves user's connection and returns its access token.
func (e *env) token(user switchboard.Principal) string {
	e.t.Helper()
	v, err := e.resolve(user, "")
	require.NoError(e.t, err)
	require.NotEmpty(e.t, v["accessToken"])
	return v["accessToken"]
}

// whoami asks the provider's resource whose token at is.
func (e *env) whoami(at string) (string, int) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), http.MethodGet,
		e.provider.UserURL(), nil)
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+at)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	var body struct{ User string }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return body.User, resp.StatusCode
}

// connection reads user's connection id.
func (e *env) connection(user switchboard.Principal, id string) credentials.Connection {
	e.t.Helper()
	c, err := e.m.Connection(e.t.Context(), e.in.ID(), user, id)
	require.NoError(e.t, err)
	return c
}

// stateOf returns the state parameter of an authorization URL.
func stateOf(t *testing.T, authURL string) string {
	t.Helper()
	u, err := url.Parse(authURL)
	require.NoError(t, err)
	return u.Query().Get("state")
}

// requireCode fails t unless err carries code.
func requireCode(t *testing.T, err error, code switchboard.Code) *switchboard.Error {
	t.Helper()
	require.Error(t, err)
	e, ok := errors.AsType[*switchboard.Error](err)
	require.True(t, ok, "not a *switchboard.Error: %v", err)
	require.Equal(t, code, e.Code, "error: %v", err)
	return e
}

// randomToken is a well-formed token nobody issued.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
