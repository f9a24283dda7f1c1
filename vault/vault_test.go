package vault

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
)

// newTestVault returns a Vault on store under masterKey.
func newTestVault(t *testing.T, store Store, masterKey []byte) *Vault {
	t.Helper()
	v, err := New(t.Context(), Config{Store: store, MasterKey: masterKey})
	require.NoError(t, err)
	return v
}

// testKey returns a random master key.
func testKey(t *testing.T) []byte {
	t.Helper()
	key := make([]byte, KeySize)
	_, err := rand.Read(key)
	require.NoError(t, err)
	return key
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{name: "no store", cfg: Config{MasterKey: make([]byte, 32)}, want: "store is nil"},
		{name: "no key", cfg: Config{Store: newMemStore()}, want: "master key is 0 bytes"},
		{
			name: "short key",
			cfg:  Config{Store: newMemStore(), MasterKey: make([]byte, 16)},
			want: "master key is 16 bytes, want 32",
		},
		{
			name: "long key",
			cfg:  Config{Store: newMemStore(), MasterKey: make([]byte, 33)},
			want: "master key is 33 bytes, want 32",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := New(t.Context(), tt.cfg)
			require.ErrorContains(t, err, tt.want)
			require.Nil(t, v)
		})
	}
}

func TestNewCreatesRing(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	key := testKey(t)
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

	v, err := New(t.Context(), Config{
		Store: store, MasterKey: key, Now: func() time.Time { return at },
	})
	require.NoError(t, err)
	require.Equal(t, uint32(1), v.KeyVersion())

	st := store.state()
	require.Len(t, st.Keys, 1)
	require.Equal(t, uint32(1), st.Keys[0].Version)
	require.Equal(t, at, st.Keys[0].CreatedAt)
	require.NotContains(t, string(st.Keys[0].Wrapped), string(key))

	// A second Vault on the same store adds nothing.
	newTestVault(t, store, key)
	require.Equal(t, st, store.state())
}

func TestNewWrongMasterKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(t *testing.T, store *memStore, key []byte) []byte
	}{
		{
			name:   "other master key",
			mutate: func(t *testing.T, _ *memStore, _ []byte) []byte { return testKey(t) },
		},
		{
			name: "key version added under other master key",
			mutate: func(t *testing.T, store *memStore, key []byte) []byte {
				other := newTestVault(t, newMemStore(), testKey(t))
				rec, _, err := other.newKey(2)
				require.NoError(t, err)
				require.NoError(t, store.AddVaultKey(t.Context(), rec))
				return key
			},
		},
		{
			name: "tampered key record",
			mutate: func(t *testing.T, store *memStore, key []byte) []byte {
				store.mu.Lock()
				store.keys[0].Wrapped[20] ^= 1
				store.mu.Unlock()
				return key
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store := newMemStore()
			key := testKey(t)
			v := newTestVault(t, store, key)
			require.NoError(t, v.Put(t.Context(), "s", "n", []byte("value")))
			key = tt.mutate(t, store, key)
			before := store.state()

			w, err := New(t.Context(), Config{Store: store, MasterKey: key})
			require.ErrorIs(t, err, ErrWrongMasterKey)
			require.ErrorContains(t, err, "does not open the key ring")
			require.ErrorContains(t, err, "SWITCHBOARD_MASTER_KEY")
			require.Nil(t, w)
			require.Equal(t, before, store.state())
		})
	}
}

func TestNewConcurrentInit(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	key := testKey(t)

	// Both first reads of the ring see it empty before either writes.
	var arrived sync.WaitGroup
	arrived.Add(2)
	var calls atomic.Int32
	store.afterKeys = func() {
		if calls.Add(1) <= 2 {
			arrived.Done()
			arrived.Wait()
		}
	}

	vaults := make([]*Vault, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range vaults {
		wg.Go(func() {
			vaults[i], errs[i] = New(t.Context(), Config{Store: store, MasterKey: key})
		})
	}
	wg.Wait()

	require.NoError(t, errors.Join(errs...))
	require.Len(t, store.state().Keys, 1)
	require.GreaterOrEqual(t, calls.Load(), int32(3), "the loser reloads")
	for i, v := range vaults {
		sealed, err := v.Seal("s", "n", []byte("shared"))
		require.NoError(t, err)
		got, err := vaults[1-i].Open(t.Context(), "s", "n", sealed)
		require.NoError(t, err)
		require.Equal(t, []byte("shared"), got)
	}
}

func TestNewRandFails(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	v, err := New(t.Context(), Config{Store: store, MasterKey: testKey(t), Rand: failingReader{}})
	require.ErrorContains(t, err, "read random")
	require.Nil(t, v)
	require.Empty(t, store.state().Keys)
}

func TestLogsHoldNoSecret(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store := newMemStore()
	key := testKey(t)
	secret := []byte("log-canary-7f3a9c")

	v, err := New(t.Context(), Config{Store: store, MasterKey: key, Logger: log})
	require.NoError(t, err)
	require.NoError(t, v.Put(t.Context(), "s", "n", secret))
	_, _, err = v.Rotate(t.Context())
	require.NoError(t, err)
	_, err = v.Get(t.Context(), "s", "n")
	require.NoError(t, err)

	out := buf.String()
	require.Contains(t, out, "vault key rotated")
	require.NotContains(t, out, string(secret))
	require.NotContains(t, out, base64.StdEncoding.EncodeToString(key))
	require.NotContains(t, out, string(key))
}

func TestCacheFollowsWritesAndFlush(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := newMemStore()
	key := testKey(t)
	v := newTestVault(t, store, key)
	other := newTestVault(t, store, key)

	require.NoError(t, v.Put(ctx, ScopePlatform, "A", []byte("one")))
	got, err := v.Get(ctx, ScopePlatform, "A")
	require.NoError(t, err)
	require.Equal(t, "one", string(got))

	// A write through this vault is seen at once.
	require.NoError(t, v.Put(ctx, ScopePlatform, "A", []byte("two")))
	got, err = v.Get(ctx, ScopePlatform, "A")
	require.NoError(t, err)
	require.Equal(t, "two", string(got))

	// A write by another process is seen after a flush.
	_, err = v.Get(ctx, ScopePlatform, "A")
	require.NoError(t, err)
	require.NoError(t, other.Put(ctx, ScopePlatform, "A", []byte("three")))
	v.Flush()
	got, err = v.Get(ctx, ScopePlatform, "A")
	require.NoError(t, err)
	require.Equal(t, "three", string(got))

	// A delete through this vault is seen at once.
	require.NoError(t, v.Delete(ctx, ScopePlatform, "A"))
	_, err = v.Get(ctx, ScopePlatform, "A")
	require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err))
}
