package registry

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
)

// memStore is an in-memory Store and Secrets for the registry's own tests;
// the real stores pass store/storetest.
type memStore struct {
	mu       sync.Mutex
	change   int64
	seq      int64
	uploaded map[string]StoredManifest
	inst     map[string]Installed
	configs  map[string]json.RawMessage
	// secrets holds what PlatformSecretWrite "sealed": the value behind a
	// "sealed:" prefix.
	secrets map[string][]byte
	// failConfig, when set, is what UpdateConfigWithSecrets returns,
	// writing nothing, as a transaction that does not commit.
	failConfig error
	// forgotten lists the names ForgetPlatformSecrets was given.
	forgotten []string
}

var (
	_ Store   = (*memStore)(nil)
	_ Secrets = (*memStore)(nil)
)

func newMemStore() *memStore {
	return &memStore{uploaded: map[string]StoredManifest{}, inst: map[string]Installed{},
		configs: map[string]json.RawMessage{}, secrets: map[string][]byte{}}
}

func (s *memStore) bump() { s.change++ }

func (s *memStore) PutUploadedManifest(_ context.Context, m StoredManifest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.uploaded[m.AppID] = m
	s.bump()
	return nil
}

func (s *memStore) UploadedManifests(context.Context) ([]StoredManifest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Collect(maps.Values(s.uploaded)), nil
}

func (s *memStore) DeleteUploadedManifest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.uploaded, id)
	s.bump()
	return nil
}

func (s *memStore) Install(_ context.Context, rec Installed) (Installed, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	if old, ok := s.inst[rec.AppID]; ok {
		rec.Seq, rec.DeployedAt = old.Seq, old.DeployedAt
		rec.ActionSince = StampActions(&old, rec.Manifest, s.seq)
	} else {
		rec.Seq = s.seq
		rec.ActionSince = StampActions(nil, rec.Manifest, s.seq)
	}
	s.inst[rec.AppID] = rec
	s.bump()
	return rec, nil
}

func (s *memStore) Uninstall(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.inst[id]; !ok {
		return switchboard.Errorf(switchboard.CodeNotFound, "not installed")
	}
	delete(s.inst, id)
	s.bump()
	return nil
}

func (s *memStore) InstalledSet(context.Context) ([]Installed, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Collect(maps.Values(s.inst))
	slices.SortFunc(out, func(a, b Installed) int { return int(a.Seq - b.Seq) })
	return out, nil
}

func (s *memStore) Configs(context.Context) (map[string]json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.configs), nil
}

func (s *memStore) UpdateConfig(ctx context.Context, id string,
	fn func(json.RawMessage) (json.RawMessage, error)) error {
	return s.UpdateConfigWithSecrets(ctx, id, fn, nil)
}

func (s *memStore) UpdateConfigWithSecrets(_ context.Context, id string,
	fn func(json.RawMessage) (json.RawMessage, error), writes []SecretWrite) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failConfig != nil {
		return s.failConfig
	}
	cur, ok := s.configs[id]
	if !ok {
		cur = json.RawMessage(`{}`)
	}
	next, err := fn(cur)
	if err != nil {
		return err
	}
	for _, w := range writes {
		if w.Sealed == nil {
			delete(s.secrets, w.Name)
		} else {
			s.secrets[w.Name] = w.Sealed
		}
		s.bump()
	}
	s.configs[id] = next
	s.bump()
	return nil
}

func (s *memStore) DeleteConfig(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.configs, id)
	s.bump()
	return nil
}

func (s *memStore) LastChange(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.change, nil
}

func (s *memStore) PlatformSecretWrite(name string, value []byte) (SecretWrite, error) {
	w := SecretWrite{Scope: "platform", Name: name}
	if value != nil {
		w.Sealed = append([]byte("sealed:"), value...)
	}
	return w, nil
}

func (s *memStore) ForgetPlatformSecrets(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgotten = append(s.forgotten, names...)
}

func (s *memStore) DeletePlatformSecret(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.secrets, name)
	s.bump()
	return nil
}

func (s *memStore) PlatformSecretNames(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.secrets)), nil
}

const demoV1 = `{"appId":"demo","name":"Demo","version":"1.0.0",
 "configSchema":{"properties":{
   "token":{"type":"string","platformSecret":"DEMO_TOKEN"},
   "shared":{"type":"string","platformSecret":"SHARED_TOKEN"},
   "baseUrl":{"type":"string","default":"https://demo.example"},
   "limit":{"type":"integer","minimum":1}}},
 "actions":[{"id":"ping","request":{"url":"{{config.baseUrl}}/ping","auth":{"bearer":"{{secrets.token}}"}}}]}`

const otherV1 = `{"appId":"other","name":"Other","version":"1.0.0",
 "configSchema":{"properties":{"shared":{"type":"string","platformSecret":"SHARED_TOKEN"}}},
 "actions":[{"id":"ping"}]}`

// testCatalog is the built-in catalog of the registry's tests: demo and
// other.
func testCatalog(t *testing.T) []Entry {
	t.Helper()
	builtin, err := LoadBuiltin(fstest.MapFS{
		"demo/manifest.json":  {Data: []byte(demoV1)},
		"other/manifest.json": {Data: []byte(otherV1)},
	})
	require.NoError(t, err)
	return builtin
}

func newTestRegistry(t *testing.T, s *memStore) *Registry {
	t.Helper()
	r, err := New(t.Context(), Config{Store: s, Secrets: s, Builtin: testCatalog(t),
		Now: func() time.Time { return time.Unix(1700000000, 0) }})
	require.NoError(t, err)
	return r
}

func TestDeployConfigureUndeploy(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newMemStore()
	r := newTestRegistry(t, s)

	_, err := r.Configure(ctx, "demo", map[string]json.RawMessage{"limit": json.RawMessage(`3`)})
	require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err))

	in, err := r.Deploy(ctx, "demo")
	require.NoError(t, err)
	require.Equal(t, "demo_ping", in.Actions[0].Tool)
	require.Equal(t, "integration:demo:ping", in.Actions[0].Permission)
	require.Equal(t, []string{"token"}, in.Actions[0].Secrets)
	require.False(t, in.Configured())
	require.Equal(t, []string{"token", "shared"}, in.Missing)
	require.Equal(t, "https://demo.example", in.Config["baseUrl"], "default applied")

	in, err = r.Configure(ctx, "demo", map[string]json.RawMessage{
		"token": json.RawMessage(`"s3cret"`), "shared": json.RawMessage(`"x"`),
		"limit": json.RawMessage(`3`),
	})
	require.NoError(t, err)
	require.True(t, in.Configured())
	require.Equal(t, json.Number("3"), in.Config["limit"])
	require.Equal(t, []byte("sealed:s3cret"), s.secrets["DEMO_TOKEN"], "sealed by the vault")
	require.Equal(t, []string{"DEMO_TOKEN", "SHARED_TOKEN"}, s.forgotten)
	require.NotContains(t, string(s.configs["demo"]), "s3cret")

	// Bad values are all reported and nothing is written.
	before := s.change
	_, err = r.Configure(ctx, "demo", map[string]json.RawMessage{
		"limit": json.RawMessage(`0`), "token": json.RawMessage(`12`), "nope": json.RawMessage(`1`),
	})
	e := switchboard.AsError(err)
	require.Equal(t, switchboard.CodeInvalidInput, e.Code)
	require.Len(t, e.Errors, 3)
	require.Equal(t, before, s.change)

	// An empty string deletes.
	in, err = r.Configure(ctx, "demo", map[string]json.RawMessage{"token": json.RawMessage(`""`)})
	require.NoError(t, err)
	require.Equal(t, []string{"token"}, in.Missing)

	_, err = r.Deploy(ctx, "other")
	require.NoError(t, err)
	require.NoError(t, r.Undeploy(ctx, "demo", false))
	require.Nil(t, r.Snapshot().Integration("demo"))
	require.Contains(t, s.configs, "demo", "config kept")

	in, err = r.Deploy(ctx, "demo")
	require.NoError(t, err)
	require.Equal(t, json.Number("3"), in.Config["limit"], "redeploy restores config")

	require.NoError(t, r.Undeploy(ctx, "demo", true))
	require.NotContains(t, s.configs, "demo")
	require.Contains(t, s.secrets, "SHARED_TOKEN", "still named by other")

	err = r.Undeploy(ctx, "demo", false)
	require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err))
	err = r.Undeploy(ctx, "never_existed", true)
	require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err), "purge of nothing")
}

func TestPurgeKeepsSecretsOfUndeployedIntegrations(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newMemStore()
	r := newTestRegistry(t, s)
	_, err := r.Deploy(ctx, "other")
	require.NoError(t, err)
	_, err = r.Configure(ctx, "other", map[string]json.RawMessage{"shared": json.RawMessage(`"v"`)})
	require.NoError(t, err)
	require.NoError(t, r.Undeploy(ctx, "other", false))

	// demo names SHARED_TOKEN too: the upload warns about it.
	e, err := r.Upload(ctx, []byte(demoV1))
	require.NoError(t, err)
	require.Contains(t, strings.Join(e.Warnings, "\n"), "SHARED_TOKEN is shared with other")

	_, err = r.Deploy(ctx, "demo")
	require.NoError(t, err)
	require.NoError(t, r.Undeploy(ctx, "demo", true))
	require.Contains(t, s.secrets, "SHARED_TOKEN", "other, undeployed with its config kept, still needs it")
}

func TestRedeployKeepsInFlightVersion(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newMemStore()
	r := newTestRegistry(t, s)
	_, err := r.Deploy(ctx, "demo")
	require.NoError(t, err)
	held, err := r.Snapshot().Action("demo", "ping")
	require.NoError(t, err)

	v2 := `{"appId":"demo","name":"Demo","version":"2.0.0","actions":[{"id":"ping"},{"id":"pong"}]}`
	_, err = r.Upload(ctx, []byte(v2))
	require.NoError(t, err)
	in, err := r.Deploy(ctx, "demo")
	require.NoError(t, err)
	require.Equal(t, "2.0.0", in.Manifest.Version)
	require.Len(t, in.Actions, 2)
	require.Equal(t, "1.0.0", held.Integration.Manifest.Version, "old pointer unchanged")
	require.Equal(t, in.Seq, held.Integration.Seq, "seq kept across redeploy")
}

func TestChangeFeedReachesAnotherRegistry(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newMemStore()
	a := newTestRegistry(t, s)
	b := newTestRegistry(t, s)
	b.poll = 5 * time.Millisecond
	signals, cancel := b.Subscribe()
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = b.Run(runCtx) }()

	_, err := a.Deploy(ctx, "demo")
	require.NoError(t, err)
	select {
	case <-signals:
	case <-time.After(5 * time.Second):
		t.Fatal("no change signal")
	}
	require.NotNil(t, b.Snapshot().Integration("demo"))
}

func TestSnapshotActionNotFound(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, newMemStore())
	_, err := r.Deploy(t.Context(), "demo")
	require.NoError(t, err)
	_, err = r.Snapshot().Action("nope", "x")
	require.ErrorContains(t, err, `integration "nope" is not deployed`)
	_, err = r.Snapshot().Action("demo", "pong")
	require.ErrorContains(t, err, "its actions are: ping")
}

func TestUploadReplacesBuiltin(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := newTestRegistry(t, newMemStore())
	_, err := r.Upload(ctx, []byte(`{"appId":"demo","name":"Demo","version":"9","actions":[]}`))
	require.NoError(t, err)
	e, err := r.CatalogEntry(ctx, "demo")
	require.NoError(t, err)
	require.Equal(t, SourceUploaded, e.Source)
	require.Equal(t, "9", e.Manifest.Version)

	_, err = r.Upload(ctx, []byte(`{"appId":"Bad"}`))
	require.Equal(t, switchboard.CodeInvalidInput, switchboard.ErrorCode(err))
}
