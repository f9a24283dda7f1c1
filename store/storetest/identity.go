package storetest

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/identity"
)

func apiKey(id, secret string) identity.APIKey {
	h := sha256.Sum256([]byte(secret))
	return identity.APIKey{
		ID: id, Principal: "user:" + id, Name: "key " + id, Hash: h[:], CreatedAt: t0,
	}
}

func testAPIKeys(t *testing.T, s Store) {
	ctx := t.Context()
	n, err := s.CountAPIKeys(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	a, b := apiKey("k1", "sbk_one"), apiKey("k2", "sbk_two")
	require.NoError(t, s.CreateAPIKey(ctx, a))
	require.NoError(t, s.CreateAPIKey(ctx, b))

	got, err := s.APIKeyByHash(ctx, b.Hash)
	require.NoError(t, err)
	want := b
	want.CreatedAt = stored(b.CreatedAt)
	require.Equal(t, want, got)
	requireUTC(t, got.CreatedAt)

	sameHash := apiKey("k3", "sbk_one")
	requireCode(t, s.CreateAPIKey(ctx, sameHash), switchboard.CodeConflict)
	sameID := apiKey("k1", "sbk_three")
	requireCode(t, s.CreateAPIKey(ctx, sameID), switchboard.CodeConflict)

	unknown := apiKey("k9", "sbk_unknown")
	_, err = s.APIKeyByHash(ctx, unknown.Hash)
	requireCode(t, err, switchboard.CodeNotFound)

	n, err = s.CountAPIKeys(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)
}
