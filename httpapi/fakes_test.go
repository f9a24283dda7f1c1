package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/executor"
	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/rbac"
	"github.com/switchboard-dev/switchboard/registry"
)

// Compile-time checks that the real types satisfy the consumer interfaces.
// The audit log is served through an adapter around audit.List, which
// cmd builds.
var (
	_ Registry      = (*registry.Registry)(nil)
	_ Executor      = (*executor.Executor)(nil)
	_ Authenticator = (*identity.Authenticator)(nil)
	_ Authorizer    = (*rbac.Authorizer)(nil)
	_ Roles         = (*rbac.Authorizer)(nil)
	_ Keys          = (*identity.Authenticator)(nil)
)

const slackManifest = `{"appId":"slack","name":"Slack","version":"1.2.0",
 "description":"Team chat.","instructions":"Find a channel id first.",
 "configSchema":{"type":"object","properties":{
   "botToken":{"type":"string","platformSecret":"SLACK_BOT_TOKEN"},
   "baseUrl":{"type":"string","default":"https://slack.example"}},
   "required":["botToken"]},
 "actions":[{"id":"send_message","name":"Send Message","description":"Posts a message.",
   "inputSchema":{"type":"object","properties":{"text":{"type":"string"}}},
   "request":{"method":"POST","url":"{{config.baseUrl}}/chat.postMessage",
     "auth":{"bearer":"{{secrets.botToken}}"},"json":{"text":"{{input.text}}"}}}],
 "webhooks":["message"]}`

const notesManifest = `{"appId":"notes","name":"Notes","version":"2.0.0",
 "actions":[{"id":"list"},{"id":"add"}]}`

// Tokens the fake authenticator accepts, and the principals they stand for.
const (
	adminToken  = "tok-admin"
	memberToken = "tok-member"
	jwtToken    = "tok-jwt"    // an external token claiming the role ops
	brokenToken = "tok-broken" // the authenticator fails internally
)

var (
	admin  = switchboard.Principal{Kind: switchboard.KindUser, ID: "admin"}
	member = switchboard.Principal{Kind: switchboard.KindUser, ID: "member"}
	carol  = switchboard.Principal{Kind: switchboard.KindUser, ID: "carol"}
)

// fakeAuthn accepts the tokens above.
type fakeAuthn struct{}

func (fakeAuthn) AuthenticateRequest(_ context.Context, token string) (identity.Caller, error) {
	switch token {
	case adminToken:
		return identity.Caller{Principal: admin, Via: identity.ViaAPIKey, KeyID: "key_a"}, nil
	case memberToken:
		return identity.Caller{Principal: member, Via: identity.ViaAPIKey, KeyID: "key_m"}, nil
	case jwtToken:
		return identity.Caller{Principal: carol, Roles: []string{"ops"},
			Via: identity.ViaJWT, Issuer: "https://login.test"}, nil
	case brokenToken:
		return identity.Caller{}, errors.New("key store unreachable")
	}
	return identity.Caller{}, switchboard.Errorf(switchboard.CodeUnauthenticated,
		"the bearer token is not valid")
}

// fakeAuthz grants admin everything and anyone else the patterns in
// grants; it records every check, as "principal key".
type fakeAuthz struct {
	mu     sync.Mutex
	grants []string
	checks []string
}

func (a *fakeAuthz) Authorize(ctx context.Context, p switchboard.Principal, perm string) error {
	if a.Allowed(ctx, p, perm) {
		return nil
	}
	e := switchboard.Errorf(switchboard.CodeForbidden, "%s lacks the permission %s", p, perm)
	e.Permission = perm
	return e
}

func (a *fakeAuthz) Allowed(_ context.Context, p switchboard.Principal, key string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.checks = append(a.checks, p.String()+" "+key)
	return p == admin || slices.ContainsFunc(a.grants, func(g string) bool {
		return rbac.Match(g, key)
	})
}

func (a *fakeAuthz) Permissions(_ context.Context, p switchboard.Principal) []string {
	if p == admin {
		return []string{rbac.Wildcard}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	out := slices.Clone(a.grants)
	slices.Sort(out)
	return out
}

func (a *fakeAuthz) checked() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.checks)
}

type undeployCall struct {
	ID    string
	Purge bool
}

// fakeRegistry answers from a fixed snapshot and catalog, records the
// changes asked of it, and fails with the error set for a method.
type fakeRegistry struct {
	snap    *registry.Snapshot
	catalog []registry.Entry

	catalogErr, uploadErr, deployErr, undeployErr, configureErr error

	mu         sync.Mutex
	uploads    [][]byte
	deploys    []string
	undeploys  []undeployCall
	configures []map[string]json.RawMessage
}

func (f *fakeRegistry) Snapshot() *registry.Snapshot { return f.snap }

func (f *fakeRegistry) Catalog(context.Context) ([]registry.Entry, error) {
	return f.catalog, f.catalogErr
}

func (f *fakeRegistry) CatalogEntry(_ context.Context, id string) (registry.Entry, error) {
	if f.catalogErr != nil {
		return registry.Entry{}, f.catalogErr
	}
	for _, e := range f.catalog {
		if e.Manifest.AppID == id {
			return e, nil
		}
	}
	return registry.Entry{}, switchboard.Errorf(switchboard.CodeNotFound,
		"integration %q is not in the catalog", id)
}

func (f *fakeRegistry) Upload(_ context.Context, raw []byte) (registry.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uploads = append(f.uploads, raw)
	if f.uploadErr != nil {
		return registry.Entry{}, f.uploadErr
	}
	m, warnings, err := registry.Parse(raw)
	if err != nil {
		return registry.Entry{}, err
	}
	return registry.Entry{Manifest: m, Raw: raw, Source: registry.SourceUploaded,
		Warnings: warnings}, nil
}

func (f *fakeRegistry) Deploy(_ context.Context, id string) (*registry.Integration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deploys = append(f.deploys, id)
	if f.deployErr != nil {
		return nil, f.deployErr
	}
	return f.installedOrNotFound(id)
}

func (f *fakeRegistry) Undeploy(_ context.Context, id string, purge bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.undeploys = append(f.undeploys, undeployCall{ID: id, Purge: purge})
	return f.undeployErr
}

func (f *fakeRegistry) Configure(_ context.Context, id string,
	values map[string]json.RawMessage) (*registry.Integration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.configures = append(f.configures, values)
	if f.configureErr != nil {
		return nil, f.configureErr
	}
	return f.installedOrNotFound(id)
}

func (f *fakeRegistry) installedOrNotFound(id string) (*registry.Integration, error) {
	if in := f.snap.Integration(id); in != nil {
		return in, nil
	}
	return nil, switchboard.Errorf(switchboard.CodeNotFound, "integration %q is not there", id)
}

// fakeExecutor records calls and answers with out, err, or a panic.
type fakeExecutor struct {
	out      json.RawMessage
	err      error
	panicVal any

	mu    sync.Mutex
	calls []executor.Call
	ctxs  []context.Context
}

func (f *fakeExecutor) Call(ctx context.Context, c executor.Call) (executor.Result, error) {
	if c.Refusal != nil {
		return executor.Result{}, c.Refusal
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.ctxs = append(f.ctxs, ctx)
	f.mu.Unlock()
	if f.panicVal != nil {
		panic(f.panicVal)
	}
	return executor.Result{Output: f.out}, f.err
}

func (f *fakeExecutor) recorded() []executor.Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// snapshotStore is a read-only registry store holding an installed set, so
// that a registry can build the *registry.Snapshot the fake answers with.
type snapshotStore struct {
	rows    []registry.Installed
	configs map[string]json.RawMessage
	secrets []string
}

var errReadOnly = errors.New("snapshot store is read-only")

func (s *snapshotStore) PutUploadedManifest(context.Context, registry.StoredManifest) error {
	return errReadOnly
}

func (s *snapshotStore) UploadedManifests(context.Context) ([]registry.StoredManifest, error) {
	return nil, nil
}

func (s *snapshotStore) DeleteUploadedManifest(context.Context, string) error {
	return errReadOnly
}

func (s *snapshotStore) Install(context.Context, registry.Installed) (registry.Installed, error) {
	return registry.Installed{}, errReadOnly
}

func (s *snapshotStore) Uninstall(context.Context, string) error { return errReadOnly }

func (s *snapshotStore) InstalledSet(context.Context) ([]registry.Installed, error) {
	return s.rows, nil
}

func (s *snapshotStore) Configs(context.Context) (map[string]json.RawMessage, error) {
	return s.configs, nil
}

func (s *snapshotStore) UpdateConfig(context.Context, string,
	func(json.RawMessage) (json.RawMessage, error)) error {
	return errReadOnly
}

func (s *snapshotStore) UpdateConfigWithSecrets(context.Context, string,
	func(json.RawMessage) (json.RawMessage, error), []registry.SecretWrite) error {
	return errReadOnly
}

func (s *snapshotStore) DeleteConfig(context.Context, string) error { return errReadOnly }

func (s *snapshotStore) LastChange(context.Context) (int64, error) { return 1, nil }

func (s *snapshotStore) PutPlatformSecret(context.Context, string, []byte) error {
	return errReadOnly
}

func (s *snapshotStore) DeletePlatformSecret(context.Context, string) error {
	return errReadOnly
}

func (s *snapshotStore) PlatformSecretNames(context.Context) ([]string, error) {
	return s.secrets, nil
}

func (s *snapshotStore) PlatformSecretWrite(string, []byte) (registry.SecretWrite, error) {
	return registry.SecretWrite{}, errReadOnly
}

func (s *snapshotStore) ForgetPlatformSecrets(...string) {}

var deployedAt = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// newSnapshot returns an installed set of manifests, in order, whose
// platform secrets named in secrets hold a value.
func newSnapshot(t *testing.T, secrets []string, manifests ...string) *registry.Snapshot {
	t.Helper()
	st := &snapshotStore{secrets: secrets}
	for i, raw := range manifests {
		m, _, err := registry.Parse([]byte(raw))
		require.NoError(t, err)
		st.rows = append(st.rows, registry.Installed{
			AppID: m.AppID, Version: m.Version, Manifest: []byte(raw),
			Seq: int64(i + 1), DeployedAt: deployedAt, UpdatedAt: deployedAt,
		})
	}
	reg, err := registry.New(t.Context(), registry.Config{Store: st, Secrets: st})
	require.NoError(t, err)
	return reg.Snapshot()
}

func catalogEntryOf(t *testing.T, raw, source string) registry.Entry {
	t.Helper()
	m, warnings, err := registry.Parse([]byte(raw))
	require.NoError(t, err)
	return registry.Entry{Manifest: m, Raw: []byte(raw), Source: source, Warnings: warnings}
}

// syncBuffer is a log sink safe for concurrent writes.
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

// lines returns the JSON log records written so far.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range bytes.Lines([]byte(b.String())) {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(line, &rec))
		out = append(out, rec)
	}
	return out
}

// record returns the first log record with message msg, or fails.
func (b *syncBuffer) record(t *testing.T, msg string) map[string]any {
	t.Helper()
	for _, rec := range b.lines(t) {
		if rec["msg"] == msg {
			return rec
		}
	}
	require.Failf(t, "no log record", "no record %q in:\n%s", msg, b.String())
	return nil
}

// testEnv is a server over fakes, with its log captured.
type testEnv struct {
	t     *testing.T
	srv   *Server
	reg   *fakeRegistry
	exec  *fakeExecutor
	authz *fakeAuthz
	keys  *fakeKeys
	roles *fakeRoles
	audit *fakeAudit
	logs  *syncBuffer
}

// newEnv builds a server whose registry holds slack (with its bot token
// set) and notes installed, and a catalog of both; edit may change the
// config before New.
func newEnv(t *testing.T, edit ...func(*Config)) *testEnv {
	t.Helper()
	e := &testEnv{
		t: t,
		reg: &fakeRegistry{
			snap: newSnapshot(t, []string{"SLACK_BOT_TOKEN"}, slackManifest, notesManifest),
			catalog: []registry.Entry{
				catalogEntryOf(t, notesManifest, registry.SourceFolder),
				catalogEntryOf(t, slackManifest, registry.SourceBuiltin),
			},
		},
		exec:  &fakeExecutor{out: json.RawMessage(`{"ok":true,"ts":"1.2"}`)},
		authz: &fakeAuthz{},
		keys:  &fakeKeys{},
		roles: &fakeRoles{},
		audit: &fakeAudit{},
		logs:  &syncBuffer{},
	}
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := Config{
		Registry: e.reg, Executor: e.exec, Authenticator: fakeAuthn{}, Authorizer: e.authz,
		Roles: e.roles, Keys: e.keys, Audit: e.audit,
		Logger:         logger,
		ManifestSchema: []byte(`{"$schema":"https://json-schema.org/draft/2020-12/schema"}`),
	}
	for _, f := range edit {
		f(&cfg)
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	e.srv = srv
	return e
}

// do serves one request with token ("" for none) and returns the answer.
func (e *testEnv) do(method, target, token string, body io.Reader) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, target, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.serve(req)
}

func (e *testEnv) serve(req *http.Request) *httptest.ResponseRecorder {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// problemOf decodes a problem answer, checking its content type.
func problemOf(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"), rec.Body.String())
	var p map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
	return p
}

// jsonOf decodes a JSON answer, checking its content type.
func jsonOf(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"), rec.Body.String())
	var v map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &v))
	return v
}
