package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/identity"
)

// RunIdentity runs the conformance cases of identity.Store's key
// management, each on a store that open returns empty, with its change
// feed. open must close the store with t.Cleanup.
//
// Beyond the interface's contract, the suite holds stores to one "api_key"
// change per deleted key, recorded in order of key id, and to none for a
// touch.
func RunIdentity(t *testing.T, open func(t *testing.T) (identity.Store, Feed)) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s identity.Store, feed Feed)
	}{
		{"list api keys", testListAPIKeys},
		{"delete api key", testDeleteAPIKey},
		{"delete api keys of a principal", testDeleteAPIKeysOf},
		{"touch api key records no change", testTouchAPIKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, feed := open(t)
			tt.run(t, s, feed)
		})
	}
}

func apiKey(id, secret string) identity.APIKey {
	h := sha256.Sum256([]byte(secret))
	return identity.APIKey{
		ID: id, Principal: "user:" + id, Name: "key " + id, Hash: h[:], CreatedAt: t0,
	}
}

// keyOf is a key of principal created at t0 plus offset.
func keyOf(id, principal string, offset time.Duration) identity.APIKey {
	k := apiKey(id, "sbk_"+id)
	k.Principal, k.CreatedAt = principal, t0.Add(offset)
	return k
}

// listedKey is k as a store lists it.
func listedKey(k identity.APIKey) identity.APIKey {
	k.CreatedAt = stored(k.CreatedAt)
	if k.LastUsedAt != nil {
		at := stored(*k.LastUsedAt)
		k.LastUsedAt = &at
	}
	return k
}

func createKeys(t *testing.T, s identity.Store, keys ...identity.APIKey) {
	t.Helper()
	for _, k := range keys {
		require.NoError(t, s.CreateAPIKey(t.Context(), k), k.ID)
	}
}

func requireKeys(t *testing.T, s identity.Store, principal string, want ...identity.APIKey) {
	t.Helper()
	got, err := s.ListAPIKeys(t.Context(), principal)
	require.NoError(t, err)
	stored := make([]identity.APIKey, len(want))
	for i, k := range want {
		stored[i] = listedKey(k)
	}
	if len(want) == 0 {
		require.Empty(t, got)
		return
	}
	require.Equal(t, stored, got)
	for _, k := range got {
		requireUTC(t, k.CreatedAt)
		if k.LastUsedAt != nil {
			requireUTC(t, *k.LastUsedAt)
		}
	}
}

// changesSince returns the kind and subject of every change after id.
func changesSince(t *testing.T, feed Feed, id int64) []Change {
	t.Helper()
	cs, err := feed(t.Context(), id, 1000)
	require.NoError(t, err)
	out := make([]Change, 0, len(cs))
	for _, c := range cs {
		out = append(out, Change{Kind: c.Kind, Subject: c.Subject})
	}
	return out
}

// lastFeedID returns the id of the newest change of feed, 0 when empty.
func lastFeedID(t *testing.T, feed Feed) int64 {
	t.Helper()
	cs, err := feed(t.Context(), 0, 100000)
	require.NoError(t, err)
	if len(cs) == 0 {
		return 0
	}
	return cs[len(cs)-1].ID
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

func testListAPIKeys(t *testing.T, s identity.Store, _ Feed) {
	requireKeys(t, s, "")
	requireKeys(t, s, "user:ann")

	// Created out of order; b and c share a time and sort by id.
	a := keyOf("k_a", "user:ann", 0)
	b := keyOf("k_b", "agent:robot", time.Second)
	c := keyOf("k_c", "user:ann", time.Second)
	d := keyOf("k_d", "user:ann", -time.Hour)
	odd := keyOf("k_e", "user:auth0|6543", 2*time.Second)
	createKeys(t, s, c, a, odd, b, d)

	requireKeys(t, s, "", d, a, b, c, odd)
	requireKeys(t, s, "user:ann", d, a, c)
	requireKeys(t, s, "agent:robot", b)
	requireKeys(t, s, "user:auth0|6543", odd)
	requireKeys(t, s, "user:nobody")
	requireKeys(t, s, "user:an") // no prefix match
}

func testDeleteAPIKey(t *testing.T, s identity.Store, feed Feed) {
	ctx := t.Context()
	a, b := keyOf("k1", "user:ann", 0), keyOf("k2", "user:ann", time.Second)
	createKeys(t, s, a, b)
	mark := lastFeedID(t, feed)

	require.NoError(t, s.DeleteAPIKey(ctx, "k1"))
	require.Equal(t, []Change{{Kind: "api_key", Subject: "k1"}}, changesSince(t, feed, mark))
	_, err := s.APIKeyByHash(ctx, a.Hash)
	requireCode(t, err, switchboard.CodeNotFound)
	requireKeys(t, s, "", b)

	mark = lastFeedID(t, feed)
	requireCode(t, s.DeleteAPIKey(ctx, "k1"), switchboard.CodeNotFound)
	requireCode(t, s.DeleteAPIKey(ctx, "k9"), switchboard.CodeNotFound)
	requireCode(t, s.DeleteAPIKey(ctx, ""), switchboard.CodeNotFound)
	require.Empty(t, changesSince(t, feed, mark), "a delete that finds nothing records none")

	n, err := s.CountAPIKeys(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

func testDeleteAPIKeysOf(t *testing.T, s identity.Store, feed Feed) {
	ctx := t.Context()
	keys := []identity.APIKey{
		keyOf("k3", "user:ann", 0), keyOf("k1", "user:ann", time.Second),
		keyOf("k2", "agent:ann", 0), keyOf("k4", "user:ann", -time.Second),
		keyOf("k5", "user:anne", 0),
	}
	createKeys(t, s, keys...)
	mark := lastFeedID(t, feed)

	n, err := s.DeleteAPIKeysOf(ctx, "user:ann")
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Equal(t, []Change{
		{Kind: "api_key", Subject: "k1"}, {Kind: "api_key", Subject: "k3"},
		{Kind: "api_key", Subject: "k4"},
	}, changesSince(t, feed, mark))
	requireKeys(t, s, "", keys[2], keys[4])
	for _, k := range []identity.APIKey{keys[0], keys[1], keys[3]} {
		_, err := s.APIKeyByHash(ctx, k.Hash)
		requireCode(t, err, switchboard.CodeNotFound)
	}

	mark = lastFeedID(t, feed)
	for _, p := range []string{"user:ann", "user:nobody", ""} {
		n, err = s.DeleteAPIKeysOf(ctx, p)
		require.NoError(t, err, p)
		require.Zero(t, n, p)
	}
	require.Empty(t, changesSince(t, feed, mark))
	requireKeys(t, s, "", keys[2], keys[4])
}

func testTouchAPIKey(t *testing.T, s identity.Store, feed Feed) {
	ctx := t.Context()
	a, b := keyOf("k1", "user:ann", 0), keyOf("k2", "user:bob", time.Second)
	createKeys(t, s, a, b)
	mark := lastFeedID(t, feed)

	used := t0.Add(time.Hour)
	tests := []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"first use", used, used},
		{"earlier use keeps the later", used.Add(-time.Minute), used},
		{"same time", used, used},
		{"later use moves it", used.Add(time.Minute), used.Add(time.Minute)},
	}
	for _, tt := range tests {
		require.NoError(t, s.TouchAPIKey(ctx, "k1", tt.at), tt.name)
		want := a
		want.LastUsedAt = &tt.want
		requireKeys(t, s, "user:ann", want)
	}
	require.NoError(t, s.TouchAPIKey(ctx, "k9", used), "absent key")
	require.Empty(t, changesSince(t, feed, mark), "touching records no change")
	requireKeys(t, s, "user:bob", b)

	got, err := s.APIKeyByHash(ctx, a.Hash)
	require.NoError(t, err)
	require.Equal(t, a.ID, got.ID)
	require.NoError(t, s.DeleteAPIKey(ctx, "k1"))
	require.NoError(t, s.TouchAPIKey(ctx, "k1", used), "deleted key")
}
