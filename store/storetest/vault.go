package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/vault"
)

func key(version uint32) vault.KeyRecord {
	return vault.KeyRecord{
		Version: version, Wrapped: []byte{byte(version), 0xff, 0x00}, CreatedAt: t0,
	}
}

// storedKey is key(version) as the store returns it.
func storedKey(version uint32) vault.KeyRecord {
	k := key(version)
	k.CreatedAt = stored(k.CreatedAt)
	return k
}

func testVaultKeys(t *testing.T, s Store) {
	ctx := t.Context()
	ks, err := s.VaultKeys(ctx)
	require.NoError(t, err)
	require.Empty(t, ks)

	for _, v := range []uint32{2, math.MaxUint32, 1} {
		require.NoError(t, s.AddVaultKey(ctx, key(v)))
	}
	dup := key(2)
	dup.Wrapped = []byte("other")
	requireCode(t, s.AddVaultKey(ctx, dup), switchboard.CodeConflict)

	ks, err = s.VaultKeys(ctx)
	require.NoError(t, err)
	require.Equal(t, []vault.KeyRecord{
		storedKey(1), storedKey(2), storedKey(math.MaxUint32),
	}, ks)
	requireUTC(t, ks[0].CreatedAt)
}

func testSecrets(t *testing.T, s Store) {
	ctx := t.Context()
	_, err := s.Secret(ctx, "platform", "TOKEN")
	requireCode(t, err, switchboard.CodeNotFound)
	names, err := s.SecretNames(ctx, "platform")
	require.NoError(t, err)
	require.Empty(t, names)

	// Bytewise order: upper case before lower, ASCII before the rest.
	for _, n := range []string{"b", "é", "TOKEN", "a"} {
		require.NoError(t, s.PutSecret(ctx, "platform", n, []byte("sealed-"+n)))
	}
	got, err := s.Secret(ctx, "platform", "TOKEN")
	require.NoError(t, err)
	require.Equal(t, []byte("sealed-TOKEN"), got)

	require.NoError(t, s.PutSecret(ctx, "platform", "TOKEN", []byte{0, 1, 2, 0xff}))
	got, err = s.Secret(ctx, "platform", "TOKEN")
	require.NoError(t, err)
	require.Equal(t, []byte{0, 1, 2, 0xff}, got, "replaced, binary safe")

	names, err = s.SecretNames(ctx, "platform")
	require.NoError(t, err)
	require.Equal(t, []string{"TOKEN", "a", "b", "é"}, names)

	require.NoError(t, s.DeleteSecret(ctx, "platform", "a"))
	require.NoError(t, s.DeleteSecret(ctx, "platform", "a"), "deleting an absent one")
	_, err = s.Secret(ctx, "platform", "a")
	requireCode(t, err, switchboard.CodeNotFound)
	require.NotContains(t, err.Error(), "sealed-", "an error never shows a value")

	names, err = s.SecretNames(ctx, "platform")
	require.NoError(t, err)
	require.Equal(t, []string{"TOKEN", "b", "é"}, names)
}

func testSecretScopes(t *testing.T, s Store) {
	ctx := t.Context()
	require.NoError(t, s.PutSecret(ctx, "platform", "KEY", []byte("p")))
	require.NoError(t, s.PutSecret(ctx, "conn:1", "KEY", []byte("c1")))
	require.NoError(t, s.PutSecret(ctx, "conn:1", "REFRESH", []byte("r1")))

	got, err := s.Secret(ctx, "conn:1", "KEY")
	require.NoError(t, err)
	require.Equal(t, []byte("c1"), got)
	_, err = s.Secret(ctx, "conn:2", "KEY")
	requireCode(t, err, switchboard.CodeNotFound)

	names, err := s.SecretNames(ctx, "platform")
	require.NoError(t, err)
	require.Equal(t, []string{"KEY"}, names)

	require.NoError(t, s.DeleteSecret(ctx, "conn:1", "KEY"))
	got, err = s.Secret(ctx, "platform", "KEY")
	require.NoError(t, err)
	require.Equal(t, []byte("p"), got, "a delete in one scope leaves the others")
}

// secretRow is one secret: where it lives and its sealed value.
type secretRow struct {
	scope, name string
	sealed      []byte
}

var rotationSecrets = []secretRow{
	{"platform", "SLACK_BOT_TOKEN", []byte("sealed-1")},
	{"platform", "STRIPE_KEY", []byte("sealed-2")},
	{"conn:7", "accessToken", []byte("sealed-3")},
}

func putSecrets(t *testing.T, s Store, rows []secretRow) {
	t.Helper()
	for _, r := range rows {
		require.NoError(t, s.PutSecret(t.Context(), r.scope, r.name, r.sealed))
	}
}

// requireSecrets fails t unless every row holds its sealed value.
func requireSecrets(t *testing.T, s Store, rows []secretRow) {
	t.Helper()
	for _, r := range rows {
		got, err := s.Secret(t.Context(), r.scope, r.name)
		require.NoError(t, err)
		require.Equal(t, r.sealed, got, "%s/%s", r.scope, r.name)
	}
}

func testRotateVault(t *testing.T, s Store) {
	ctx := t.Context()
	require.NoError(t, s.AddVaultKey(ctx, key(1)))
	putSecrets(t, s, rotationSecrets)

	seen := map[string][]byte{}
	err := s.RotateVault(ctx, key(2), func(scope, name string, sealed []byte) ([]byte, error) {
		seen[scope+"/"+name] = bytes.Clone(sealed)
		return append([]byte("v2:"), sealed...), nil
	})
	require.NoError(t, err)

	want := map[string][]byte{}
	var rewrapped []secretRow
	for _, r := range rotationSecrets {
		want[r.scope+"/"+r.name] = r.sealed
		rewrapped = append(rewrapped, secretRow{r.scope, r.name, append([]byte("v2:"), r.sealed...)})
	}
	require.Equal(t, want, seen, "rewrap sees every secret of every scope once")
	requireSecrets(t, s, rewrapped)

	ks, err := s.VaultKeys(ctx)
	require.NoError(t, err)
	require.Equal(t, []vault.KeyRecord{storedKey(1), storedKey(2)}, ks)
}

func testRotateVaultError(t *testing.T, s Store) {
	ctx := t.Context()
	require.NoError(t, s.AddVaultKey(ctx, key(1)))
	putSecrets(t, s, rotationSecrets)
	before := lastChange(t, s)

	boom := errors.New("boom")
	calls := 0
	err := s.RotateVault(ctx, key(2), func(_, _ string, sealed []byte) ([]byte, error) {
		calls++
		if calls == 2 {
			return nil, boom
		}
		return append([]byte("v2:"), sealed...), nil
	})
	require.ErrorIs(t, err, boom)
	require.NotContains(t, err.Error(), "sealed-", "an error never shows a value")

	// A version that exists already is a conflict, before any rewrap.
	err = s.RotateVault(ctx, key(1), func(string, string, []byte) ([]byte, error) {
		t.Error("rewrap called for a conflicting version")
		return nil, boom
	})
	requireCode(t, err, switchboard.CodeConflict)

	ks, err := s.VaultKeys(ctx)
	require.NoError(t, err)
	require.Equal(t, []vault.KeyRecord{storedKey(1)}, ks)
	requireSecrets(t, s, rotationSecrets)
	require.Equal(t, before, lastChange(t, s), "a failed rotation records no change")
}

func testCreateSecret(t *testing.T, s Store) {
	ctx := t.Context()
	before := lastChange(t, s)
	require.NoError(t, s.CreateSecret(ctx, "system", "K", []byte("first")))
	after := lastChange(t, s)
	require.Greater(t, after, before, "a creation is a change")

	err := s.CreateSecret(ctx, "system", "K", []byte("second"))
	requireCode(t, err, switchboard.CodeConflict)
	got, err := s.Secret(ctx, "system", "K")
	require.NoError(t, err)
	require.Equal(t, []byte("first"), got, "a refused creation changes nothing")
	require.Equal(t, after, lastChange(t, s))
	require.NoError(t, s.CreateSecret(ctx, "platform", "K", []byte("other scope")))
}

// testSharedCreateSecret has two handles create one secret at once, again
// and again: each time exactly one wins and both read its value.
func testSharedCreateSecret(t *testing.T, a, b Store) {
	ctx := t.Context()
	for i := range 10 {
		name := fmt.Sprintf("K%d", i)
		stores := []Store{a, b}
		errs := concurrently(len(stores), func(j int) error {
			return stores[j].CreateSecret(ctx, "system", name, []byte{byte(j)})
		})
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
				continue
			}
			require.Equal(t, switchboard.CodeConflict, switchboard.ErrorCode(err), "%v", err)
		}
		require.Equal(t, 1, won, name)
		va, err := a.Secret(ctx, "system", name)
		require.NoError(t, err)
		vb, err := b.Secret(ctx, "system", name)
		require.NoError(t, err)
		require.Equal(t, va, vb)
	}
}
