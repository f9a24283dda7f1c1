package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
	"github.com/switchboard-dev/switchboard/vault"
)

// pairManifest has one platform secret and one plain property, which the
// concurrency cases set together.
const pairManifest = `{"appId":"pair","name":"Pair","version":"1.0.0",
 "configSchema":{"properties":{
   "token":{"type":"string","platformSecret":"PAIR_TOKEN"},
   "label":{"type":"string"}}},
 "actions":[{"id":"ping"}]}`

// masterKey is the master key of every vault the suite opens.
var masterKey = make([]byte, vault.KeySize)

// newRegistry returns a vault and a registry on s whose catalog holds the
// given manifests, by app id.
func newRegistry(t *testing.T, s Store, manifests map[string]string) (*vault.Vault,
	*registry.Registry) {
	t.Helper()
	v, err := vault.New(t.Context(), vault.Config{Store: s, MasterKey: masterKey})
	require.NoError(t, err)
	fsys := fstest.MapFS{}
	for id, m := range manifests {
		fsys[id+"/manifest.json"] = &fstest.MapFile{Data: []byte(m)}
	}
	builtin, err := registry.LoadBuiltin(fsys)
	require.NoError(t, err)
	r, err := registry.New(t.Context(), registry.Config{Store: s, Secrets: v, Builtin: builtin})
	require.NoError(t, err)
	return v, r
}

// pairValues is what writer i configures: a secret and a plain value that
// name i.
func pairValues(i int) map[string]json.RawMessage {
	return map[string]json.RawMessage{
		"token": json.RawMessage(fmt.Sprintf(`"secret-%d"`, i)),
		"label": json.RawMessage(fmt.Sprintf(`"plain-%d"`, i)),
	}
}

// requirePair fails t unless the secret and the plain value of pair, as v
// and s read them, name the same writer.
func requirePair(t *testing.T, s Store, v *vault.Vault) {
	t.Helper()
	secret, err := v.PlatformSecret(t.Context(), "PAIR_TOKEN")
	require.NoError(t, err)
	cfgs, err := s.Configs(t.Context())
	require.NoError(t, err)
	var cfg struct{ Label string }
	require.NoError(t, json.Unmarshal(cfgs["pair"], &cfg))
	var i, j int
	_, err = fmt.Sscanf(string(secret), "secret-%d", &i)
	require.NoError(t, err)
	_, err = fmt.Sscanf(cfg.Label, "plain-%d", &j)
	require.NoError(t, err)
	require.Equal(t, i, j, "the secret of one request with the plain config of another")
}

// configureConcurrently has n writers configure pair through regs, writer i
// through regs[i%len(regs)], and fails t on any error.
func configureConcurrently(t *testing.T, n int, regs ...*registry.Registry) {
	t.Helper()
	errs := concurrently(n, func(i int) error {
		_, err := regs[i%len(regs)].Configure(t.Context(), "pair", pairValues(i))
		return err
	})
	require.NoError(t, errors.Join(errs...))
}

func testConfigureAtomic(t *testing.T, s Store) {
	v, r := newRegistry(t, s, map[string]string{"pair": pairManifest})
	_, err := r.Deploy(t.Context(), "pair")
	require.NoError(t, err)

	// Several rounds, each of many writers: one interleaving is enough to
	// pair one writer's secret with another's plain value.
	for range 5 {
		// The vault caches what it read: it must not serve a value that a
		// write through the store replaced.
		_, _ = v.PlatformSecret(t.Context(), "PAIR_TOKEN")
		configureConcurrently(t, 40, r)
		requirePair(t, s, v)
		fresh, err := vault.New(t.Context(), vault.Config{Store: s, MasterKey: masterKey})
		require.NoError(t, err)
		requirePair(t, s, fresh)
	}
}

func testSharedConfigureAtomic(t *testing.T, a, b Store) {
	va, ra := newRegistry(t, a, map[string]string{"pair": pairManifest})
	vb, rb := newRegistry(t, b, map[string]string{"pair": pairManifest})
	_, err := ra.Deploy(t.Context(), "pair")
	require.NoError(t, err)
	require.NoError(t, rb.Refresh(t.Context()))

	for range 5 {
		configureConcurrently(t, 40, ra, rb)
		// Another process's write reaches a vault's cache through the
		// change feed, which a flush stands for here.
		va.Flush()
		vb.Flush()
		requirePair(t, a, va)
		requirePair(t, b, vb)
	}
}

func testUpdateConfigWithSecrets(t *testing.T, s Store) {
	ctx := t.Context()
	var seen string
	put := []registry.SecretWrite{
		{Scope: "platform", Name: "B", Sealed: []byte("sealed-b")},
		{Scope: "platform", Name: "A", Sealed: []byte{0, 1, 0xff}},
	}
	before := lastChange(t, s)
	require.NoError(t, s.UpdateConfigWithSecrets(ctx, "slack", setConfig(&seen, `{"n":1}`), put))
	require.Equal(t, "{}", seen)
	require.Equal(t, before+3, lastChange(t, s), "a change per secret and one for the config")
	requireSecret(t, s, "A", []byte{0, 1, 0xff})
	requireSecret(t, s, "B", []byte("sealed-b"))

	// Refused: by fn, for a result that is not an object, for a write
	// without a name. Nothing changes.
	before = lastChange(t, s)
	boom := errors.New("boom")
	replace := []registry.SecretWrite{{Scope: "platform", Name: "A", Sealed: []byte("new")}}
	refusals := []struct {
		name   string
		fn     func(json.RawMessage) (json.RawMessage, error)
		writes []registry.SecretWrite
	}{
		{"fn error", func(json.RawMessage) (json.RawMessage, error) { return nil, boom }, replace},
		{"not an object", setConfig(&seen, `[1]`), replace},
		{"no name", setConfig(&seen, `{"n":2}`), append(replace,
			registry.SecretWrite{Scope: "platform", Sealed: []byte("x")})},
		{"no scope", setConfig(&seen, `{"n":2}`), append(replace,
			registry.SecretWrite{Name: "C", Sealed: []byte("x")})},
	}
	for _, r := range refusals {
		require.Error(t, s.UpdateConfigWithSecrets(ctx, "slack", r.fn, r.writes), r.name)
		requireSecret(t, s, "A", []byte{0, 1, 0xff})
		requireCounter(t, "slack", 1, s)
	}
	require.Equal(t, before, lastChange(t, s), "a refused update records no change")

	// A nil value deletes; deleting an absent secret records nothing.
	del := []registry.SecretWrite{{Scope: "platform", Name: "A"}, {Scope: "platform", Name: "Z"}}
	require.NoError(t, s.UpdateConfigWithSecrets(ctx, "slack", setConfig(&seen, `{"n":2}`), del))
	require.Equal(t, before+2, lastChange(t, s))
	_, err := s.Secret(ctx, "platform", "A")
	requireCode(t, err, switchboard.CodeNotFound)
	names, err := s.SecretNames(ctx, "platform")
	require.NoError(t, err)
	require.Equal(t, []string{"B"}, names)
	requireCounter(t, "slack", 2, s)
}

// requireSecret fails t unless the platform secret name holds sealed.
func requireSecret(t *testing.T, s Store, name string, sealed []byte) {
	t.Helper()
	got, err := s.Secret(t.Context(), "platform", name)
	require.NoError(t, err)
	require.Equal(t, sealed, got)
}
