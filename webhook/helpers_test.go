package webhook_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/backend"
	"github.com/switchboard-dev/switchboard/registry"
	"github.com/switchboard-dev/switchboard/store/postgres"
	"github.com/switchboard-dev/switchboard/store/postgres/pgtest"
	"github.com/switchboard-dev/switchboard/store/sqlite"
	"github.com/switchboard-dev/switchboard/vault"
	"github.com/switchboard-dev/switchboard/webhook"
)

// store is what the service tests need of a real store.
type store interface {
	webhook.Store
	vault.Store
	registry.Store
}

// backends are the real stores: SQLite always, PostgreSQL when
// SWITCHBOARD_TEST_DATABASE_URL is set (pgtest.URL skips, saying so).
var backends = []struct {
	name string
	open func(t *testing.T) store
}{
	{"sqlite", func(t *testing.T) store {
		db, err := sqlite.Open(t.Context(), sqlite.Config{
			Path: filepath.Join(t.TempDir(), "switchboard.db")})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, db.Close()) })
		return db
	}},
	{"postgres", func(t *testing.T) store {
		db, err := postgres.Open(t.Context(), postgres.Config{URL: pgtest.URL(t), MaxConns: 8})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, db.Close()) })
		return db
	}},
}

// clock is a clock tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// recorder keeps audit entries.
type recorder struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (r *recorder) Record(ctx context.Context, e audit.Entry) error {
	o := audit.OriginFrom(ctx)
	if e.Surface == "" {
		e.Surface = o.Surface
	}
	r.mu.Lock()
	r.entries = append(r.entries, e)
	r.mu.Unlock()
	return nil
}

func (r *recorder) all() []audit.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]audit.Entry(nil), r.entries...)
}

// fixture is a service on a real store with one deployed integration.
type fixture struct {
	svc   *webhook.Service
	reg   *registry.Registry
	db    store
	clock *clock
	audit *recorder
	in    *registry.Integration
}

// hookManifest declares webhooks a and b signed with the scheme, its
// secret in the config property sig.
func hookManifest(scheme, extra string) string {
	return `{"appId":"svc","name":"Service","version":"1","actions":[],
	  "configSchema":{"properties":{"sig":{"type":"string","platformSecret":"SVC_SIG"}}},
	  "webhooks":["push","issues"],
	  "webhookVerification":{"scheme":"` + scheme + `","secret":"sig"` + extra + `}}`
}

type options struct {
	manifest     string
	secret       string
	allowPrivate bool
	retry        webhook.Retry
	authz        webhook.Authorizer
}

func newFixture(t *testing.T, db store, o options) *fixture {
	t.Helper()
	ctx := t.Context()
	key := make([]byte, vault.KeySize)
	_, _ = rand.Read(key)
	v, err := vault.New(ctx, vault.Config{Store: db, MasterKey: key})
	require.NoError(t, err)
	reg, err := registry.New(ctx, registry.Config{Store: db, Secrets: v})
	require.NoError(t, err)
	_, err = reg.Upload(ctx, []byte(o.manifest))
	require.NoError(t, err)
	in, err := reg.Deploy(ctx, "svc")
	require.NoError(t, err)
	if o.secret != "" {
		in, err = reg.Configure(ctx, "svc", map[string]json.RawMessage{"sig": mustJSON(o.secret)})
		require.NoError(t, err)
	}
	hb, err := backend.New(backend.Config{AllowPrivateNetwork: o.allowPrivate})
	require.NoError(t, err)
	f := &fixture{reg: reg, db: db, audit: &recorder{}, in: in,
		clock: &clock{now: time.Unix(1_700_000_000, 0).UTC()}}
	f.svc, err = webhook.New(webhook.Config{Store: db, Vault: v, Secrets: v, Installed: reg,
		PublicURL: "https://sb.example", Client: hb.Client(), Auditor: f.audit,
		Clock: f.clock, Retry: o.retry, Authorizer: o.authz})
	require.NoError(t, err)
	return f
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
