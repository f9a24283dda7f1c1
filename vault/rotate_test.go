package vault

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// rotateFixture returns a store holding three values and a Vault on it.
func rotateFixture(t *testing.T) (*memStore, *Vault, []byte) {
	t.Helper()
	store := newMemStore()
	key := testKey(t)
	v := newTestVault(t, store, key)
	for _, id := range fixtureIDs {
		require.NoError(t, v.Put(t.Context(), id.scope, id.name, fixtureValue(id)))
	}
	return store, v, key
}

var fixtureIDs = []secretID{{"platform", "A"}, {"platform", "B"}, {"conn:1", "token"}}

func fixtureValue(id secretID) []byte { return []byte("value of " + id.scope + "/" + id.name) }

func sealedVersion(sealed []byte) uint32 { return binary.BigEndian.Uint32(sealed[1:5]) }

// requireFixture checks that every fixture value opens through v.
func requireFixture(t *testing.T, v *Vault) {
	t.Helper()
	for _, id := range fixtureIDs {
		got, err := v.Get(t.Context(), id.scope, id.name)
		require.NoError(t, err)
		require.Equal(t, fixtureValue(id), got)
	}
}

func TestRotate(t *testing.T) {
	t.Parallel()
	store, v, _ := rotateFixture(t)
	ctx := t.Context()
	before := store.raw("conn:1", "token")
	sealedBefore, err := v.Seal("s", "n", []byte("sealed before"))
	require.NoError(t, err)

	version, n, err := v.Rotate(ctx)
	require.NoError(t, err)
	require.Equal(t, uint32(2), version)
	require.Equal(t, len(fixtureIDs), n)
	require.Equal(t, uint32(2), v.KeyVersion())
	require.Len(t, store.state().Keys, 2)

	requireFixture(t, v)
	after := store.raw("conn:1", "token")
	require.Equal(t, uint32(2), sealedVersion(after))
	require.Equal(t, before[headerSize+wrapSize:], after[headerSize+wrapSize:],
		"the value is not re-encrypted")

	// Old versions stay: what was sealed before still opens.
	got, err := v.Open(ctx, "s", "n", sealedBefore)
	require.NoError(t, err)
	require.Equal(t, []byte("sealed before"), got)
	got, err = v.Open(ctx, "conn:1", "token", before)
	require.NoError(t, err)
	require.Equal(t, fixtureValue(secretID{"conn:1", "token"}), got)

	sealed, err := v.Seal("s", "n", []byte("x"))
	require.NoError(t, err)
	require.Equal(t, uint32(2), sealedVersion(sealed))

	version, n, err = v.Rotate(ctx)
	require.NoError(t, err)
	require.Equal(t, uint32(3), version)
	require.Equal(t, len(fixtureIDs), n)
	requireFixture(t, v)
}

func TestRotateEmptyStore(t *testing.T) {
	t.Parallel()
	v := newTestVault(t, newMemStore(), testKey(t))
	version, n, err := v.Rotate(t.Context())
	require.NoError(t, err)
	require.Equal(t, uint32(2), version)
	require.Zero(t, n)
}

func TestRotateFailingRewrapChangesNothing(t *testing.T) {
	t.Parallel()
	store, v, key := rotateFixture(t)
	ctx := t.Context()

	// A row moved to another name cannot be rewrapped.
	require.NoError(t, store.PutSecret(ctx, "conn:2", "moved", store.raw("conn:1", "token")))
	before := store.state()

	version, n, err := v.Rotate(ctx)
	require.ErrorIs(t, err, ErrDecrypt)
	require.ErrorContains(t, err, "conn:2/moved")
	require.Zero(t, version)
	require.Zero(t, n)
	require.Equal(t, before, store.state())
	require.Equal(t, uint32(1), v.KeyVersion())

	sealed, err := v.Seal("s", "n", []byte("x"))
	require.NoError(t, err)
	require.Equal(t, uint32(1), sealedVersion(sealed))
	requireFixture(t, newTestVault(t, store, key))
}

func TestOpenAfterRotationElsewhere(t *testing.T) {
	t.Parallel()
	store, first, key := rotateFixture(t)
	second := newTestVault(t, store, key)
	ctx := t.Context()

	_, _, err := first.Rotate(ctx)
	require.NoError(t, err)
	sealed, err := first.Seal("s", "n", []byte("after rotation"))
	require.NoError(t, err)
	require.Equal(t, uint32(2), sealedVersion(sealed))

	// second has not seen version 2: it reloads the ring once.
	require.Equal(t, uint32(1), second.KeyVersion())
	got, err := second.Open(ctx, "s", "n", sealed)
	require.NoError(t, err)
	require.Equal(t, []byte("after rotation"), got)
	require.Equal(t, uint32(2), second.KeyVersion())
	requireFixture(t, second)

	// A rotation from second follows the version first added.
	version, _, err := second.Rotate(ctx)
	require.NoError(t, err)
	require.Equal(t, uint32(3), version)
	requireFixture(t, first)
}

func TestRotateDuringSealOpen(t *testing.T) {
	t.Parallel()
	store, v, key := rotateFixture(t)
	other := newTestVault(t, store, key)
	ctx := t.Context()

	var mu sync.Mutex
	var errs []error
	report := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}

	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 40 {
				name := fmt.Sprintf("w%d-%d", w, i)
				value := []byte("value " + name)
				if err := v.Put(ctx, "conc", name, value); err != nil {
					report(err)
					return
				}
				got, err := other.Get(ctx, "conc", name)
				if err == nil && string(got) != string(value) {
					err = errors.New("wrong value for " + name)
				}
				if err != nil {
					report(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 5 {
			if _, _, err := v.Rotate(ctx); err != nil {
				report(err)
				return
			}
		}
	})
	wg.Wait()

	require.NoError(t, errors.Join(errs...))
	require.Equal(t, uint32(6), v.KeyVersion())
	requireFixture(t, other)
	names, err := v.Names(ctx, "conc")
	require.NoError(t, err)
	require.Len(t, names, 4*40)
	for _, name := range names {
		_, err := other.Get(ctx, "conc", name)
		require.NoError(t, err)
	}
}
