package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/registry"
)

func testSharedVisible(t *testing.T, a, b Store) {
	ctx := t.Context()
	require.Zero(t, lastChange(t, b))

	require.NoError(t, a.PutSecret(ctx, "platform", "TOKEN", []byte("sealed")))
	id := lastChange(t, a)
	require.Positive(t, id)
	require.Equal(t, id, lastChange(t, b))
	got, err := b.Secret(ctx, "platform", "TOKEN")
	require.NoError(t, err)
	require.Equal(t, []byte("sealed"), got)

	rec, err := b.Install(ctx, installed("slack", "1.0.0"))
	require.NoError(t, err)
	require.Greater(t, lastChange(t, a), id)
	set, err := a.InstalledSet(ctx)
	require.NoError(t, err)
	require.Equal(t, []registry.Installed{rec}, set)
}

func testSharedConfig(t *testing.T, a, b Store) {
	const n = 20
	errs := concurrently(n, func(i int) error {
		return []Store{a, b}[i%2].UpdateConfig(t.Context(), "counter", increment)
	})
	require.NoError(t, errors.Join(errs...))
	requireCounter(t, "counter", n, a, b)
}

func testSharedInstall(t *testing.T, a, b Store) {
	const n = 20
	errs := concurrently(n, func(i int) error {
		_, err := []Store{a, b}[i%2].Install(t.Context(), installed(fmt.Sprint("app", i), "1"))
		return err
	})
	require.NoError(t, errors.Join(errs...))

	set, err := b.InstalledSet(t.Context())
	require.NoError(t, err)
	require.Len(t, set, n)
	for i := 1; i < n; i++ {
		require.Greater(t, set[i].Seq, set[i-1].Seq, "distinct, in order")
	}
}
