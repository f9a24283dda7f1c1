package storetest

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/delegation"
)

// RunDelegation runs the conformance cases of delegation.Store, each on a
// store that open returns empty. open must close the store with t.Cleanup.
//
// Beyond the interface's contract, the suite holds stores to listing keys
// created at the same time, and records issued at the same time, by id,
// descending; to returning empty lists as nil; and to counting as live,
// for RevokeDelegationsOf, a record neither revoked nor expired.
func RunDelegation(t *testing.T, open func(t *testing.T) delegation.Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s delegation.Store)
	}{
		{"keys newest first, older ones retired", testDelegationKeys},
		{"key conflict changes nothing", testDelegationKeyConflict},
		{"delete retired keys", testDeleteDelegationKeys},
		{"concurrent keys leave one signing", testConcurrentDelegationKeys},
		{"insert and read delegation", testInsertDelegation},
		{"insert prunes long expired delegations", testPruneDelegations},
		{"delegations given or received", testDelegations},
		{"revoke delegation keeps the first time", testRevokeDelegation},
		{"revoke delegations of a principal", testRevokeDelegationsOf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, open(t))
		})
	}
}

// RunDelegationShared runs the cases that need two handles on one
// database. open returns both, on an empty database, and must close both
// with t.Cleanup.
func RunDelegationShared(t *testing.T,
	open func(t *testing.T) (delegation.Store, delegation.Store),
) {
	t.Helper()
	t.Run("concurrent keys across handles leave one signing", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		addKeysAtOnce(t, a, b)
	})
}

// signingKey is key id, created at t0 plus offset, with a public half
// derived from id.
func signingKey(id string, offset time.Duration) delegation.Key {
	seed := bytes.Repeat([]byte(id), ed25519.SeedSize/len(id)+1)[:ed25519.SeedSize]
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	return delegation.Key{ID: id, Public: pub, CreatedAt: t0.Add(offset)}
}

// requireSigningKeys fails t unless s lists want, in order, as a store returns
// them.
func requireSigningKeys(t *testing.T, s delegation.Store, want ...delegation.Key) {
	t.Helper()
	got, err := s.DelegationKeys(t.Context())
	require.NoError(t, err)
	if len(want) == 0 {
		require.Empty(t, got)
		return
	}
	for i, k := range want {
		k.CreatedAt = stored(k.CreatedAt)
		if !k.RetiredAt.IsZero() {
			k.RetiredAt = stored(k.RetiredAt)
		}
		want[i] = k
	}
	require.Equal(t, want, got)
	for _, k := range got {
		requireUTC(t, k.CreatedAt)
		if !k.RetiredAt.IsZero() {
			requireUTC(t, k.RetiredAt)
		}
	}
}

func addKeys(t *testing.T, s delegation.Store, keys ...delegation.Key) {
	t.Helper()
	for _, k := range keys {
		require.NoError(t, s.AddDelegationKey(t.Context(), k), k.ID)
	}
}

func testDelegationKeys(t *testing.T, s delegation.Store) {
	requireSigningKeys(t, s)
	k1, k2 := signingKey("k1", 0), signingKey("k2", time.Minute)
	addKeys(t, s, k1)
	requireSigningKeys(t, s, k1)

	// A new key retires the one signing, at its own creation.
	addKeys(t, s, k2)
	k1.RetiredAt = k2.CreatedAt
	requireSigningKeys(t, s, k2, k1)

	// A key retired already keeps its time; ties list by id, descending.
	k0, k3 := signingKey("k0", 2*time.Minute), signingKey("k3", 2*time.Minute)
	addKeys(t, s, k0, k3)
	k2.RetiredAt, k0.RetiredAt = k0.CreatedAt, k3.CreatedAt
	requireSigningKeys(t, s, k3, k0, k2, k1)
}

func testDelegationKeyConflict(t *testing.T, s delegation.Store) {
	k1 := signingKey("k1", 0)
	addKeys(t, s, k1)

	dup := signingKey("k1", time.Hour)
	dup.Public = signingKey("other", 0).Public
	requireCode(t, s.AddDelegationKey(t.Context(), dup), switchboard.CodeConflict)
	// k1 still signs: the failed call retired nothing.
	requireSigningKeys(t, s, k1)
}

func testDeleteDelegationKeys(t *testing.T, s delegation.Store) {
	ctx := t.Context()
	k1, k2, k3 := signingKey("k1", 0), signingKey("k2", time.Hour),
		signingKey("k3", 2*time.Hour)
	addKeys(t, s, k1, k2, k3)
	k1.RetiredAt, k2.RetiredAt = k2.CreatedAt, k3.CreatedAt

	// Retired exactly at before is not retired before it.
	ids, err := s.DeleteDelegationKeys(ctx, k1.RetiredAt)
	require.NoError(t, err)
	require.Empty(t, ids)
	requireSigningKeys(t, s, k3, k2, k1)

	ids, err = s.DeleteDelegationKeys(ctx, k1.RetiredAt.Add(time.Microsecond))
	require.NoError(t, err)
	require.Equal(t, []string{"k1"}, ids)
	requireSigningKeys(t, s, k3, k2)

	// The signing key is never retired, however late before is.
	k0 := signingKey("k0", 3*time.Hour)
	addKeys(t, s, k0)
	k3.RetiredAt = k0.CreatedAt
	ids, err = s.DeleteDelegationKeys(ctx, t0.Add(1000*time.Hour))
	require.NoError(t, err)
	require.Equal(t, []string{"k2", "k3"}, ids, "sorted")
	requireSigningKeys(t, s, k0)
}

func testConcurrentDelegationKeys(t *testing.T, s delegation.Store) {
	addKeysAtOnce(t, s, s)
}

// addKeysAtOnce adds keys through a and b at once, and fails t unless
// every key is stored and exactly one of them is not retired.
func addKeysAtOnce(t *testing.T, a, b delegation.Store) {
	const n = 12
	errs := concurrently(n, func(i int) error {
		k := signingKey(fmt.Sprintf("k%02d", i), time.Duration(i)*time.Second)
		return []delegation.Store{a, b}[i%2].AddDelegationKey(t.Context(), k)
	})
	require.NoError(t, errors.Join(errs...))

	keys, err := b.DelegationKeys(t.Context())
	require.NoError(t, err)
	require.Len(t, keys, n)
	var signing []string
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			signing = append(signing, k.ID)
		}
	}
	require.Len(t, signing, 1, "keys not retired")
}

// record is a delegation from user to agent issued at t0 plus offset, for
// an hour.
func record(jti, user, agent string, offset time.Duration) delegation.Record {
	return delegation.Record{
		JTI: jti, User: user, Agent: agent,
		Scope:     []string{"integration:github:*", "integration:slack:send_message"},
		UserRoles: []string{"admin", "support"},
		Via:       "api",
		IssuedAt:  t0.Add(offset), ExpiresAt: t0.Add(offset + time.Hour),
	}
}

// storedRecord is r as a store returns it.
func storedRecord(r delegation.Record) delegation.Record {
	r.IssuedAt, r.ExpiresAt = stored(r.IssuedAt), stored(r.ExpiresAt)
	if !r.RevokedAt.IsZero() {
		r.RevokedAt = stored(r.RevokedAt)
	}
	return r
}

func insertRecords(t *testing.T, s delegation.Store, rs ...delegation.Record) {
	t.Helper()
	for _, r := range rs {
		require.NoError(t, s.InsertDelegation(t.Context(), r), r.JTI)
	}
}

// requireRecord fails t unless s holds want for want.JTI.
func requireRecord(t *testing.T, s delegation.Store, want delegation.Record) {
	t.Helper()
	got, err := s.Delegation(t.Context(), want.JTI)
	require.NoError(t, err)
	require.Equal(t, storedRecord(want), got)
	requireUTC(t, got.IssuedAt, got.ExpiresAt)
	if !got.RevokedAt.IsZero() {
		requireUTC(t, got.RevokedAt)
	}
}

func requireNoRecord(t *testing.T, s delegation.Store, jti string) {
	t.Helper()
	_, err := s.Delegation(t.Context(), jti)
	requireCode(t, err, switchboard.CodeNotFound)
}

func testInsertDelegation(t *testing.T, s delegation.Store) {
	ctx := t.Context()
	requireNoRecord(t, s, "nope")

	r := record("j1", "user:alice", "agent:bot", 0)
	insertRecords(t, s, r)
	requireRecord(t, s, r)

	dup := record("j1", "user:bob", "agent:other", time.Minute)
	requireCode(t, s.InsertDelegation(ctx, dup), switchboard.CodeConflict)
	requireRecord(t, s, r)

	// Lists may be empty.
	bare := record("j2", "user:alice", "agent:bot", 0)
	bare.Scope, bare.UserRoles, bare.Via = []string{"*"}, nil, "cli"
	insertRecords(t, s, bare)
	requireRecord(t, s, bare)
	bare = record("j3", "user:alice", "agent:bot", 0)
	bare.Scope, bare.UserRoles = []string{}, []string{}
	insertRecords(t, s, bare)
	got, err := s.Delegation(ctx, "j3")
	require.NoError(t, err)
	require.Nil(t, got.Scope)
	require.Nil(t, got.UserRoles)
}

func testPruneDelegations(t *testing.T, s delegation.Store) {
	old := record("old", "user:alice", "agent:bot", 0)
	revoked := record("revoked", "user:alice", "agent:bot", time.Microsecond)
	insertRecords(t, s, old, revoked)
	_, err := s.RevokeDelegation(t.Context(), revoked.JTI, revoked.IssuedAt)
	require.NoError(t, err)
	revoked.RevokedAt = revoked.IssuedAt

	// Expired exactly a day before the new one was issued: kept.
	r1 := record("r1", "user:bob", "agent:bot", 0)
	r1.IssuedAt = old.ExpiresAt.Add(24 * time.Hour)
	r1.ExpiresAt = r1.IssuedAt.Add(time.Hour)
	insertRecords(t, s, r1)
	requireRecord(t, s, old)
	requireRecord(t, s, revoked)

	// A microsecond later, old goes, revoked or not; the rest stays.
	r2 := r1
	r2.JTI = "r2"
	r2.IssuedAt = r1.IssuedAt.Add(time.Microsecond)
	insertRecords(t, s, r2)
	requireNoRecord(t, s, old.JTI)
	requireRecord(t, s, revoked)
	requireRecord(t, s, r1)

	r3 := r2
	r3.JTI, r3.IssuedAt = "r3", r2.IssuedAt.Add(time.Microsecond)
	insertRecords(t, s, r3)
	requireNoRecord(t, s, revoked.JTI)
	requireRecord(t, s, r2)
}

// requireDelegations fails t unless s lists want for principal at now, in
// order.
func requireDelegations(t *testing.T, s delegation.Store, principal string, now time.Time,
	want ...delegation.Record,
) {
	t.Helper()
	got, err := s.Delegations(t.Context(), principal, now)
	require.NoError(t, err)
	if len(want) == 0 {
		require.Empty(t, got)
		return
	}
	for i, r := range want {
		want[i] = storedRecord(r)
	}
	require.Equal(t, want, got)
}

func testDelegations(t *testing.T, s delegation.Store) {
	ctx := t.Context()
	first := record("j1", "user:alice", "agent:bot", 0)
	revoked := record("j2", "user:alice", "agent:helper", time.Minute)
	tie := record("j0", "user:alice", "agent:bot", time.Minute)
	short := record("j3", "user:alice", "agent:bot", 2*time.Minute)
	short.ExpiresAt = t0.Add(30 * time.Minute)
	received := record("j4", "user:bob", "agent:bot", 3*time.Minute)
	insertRecords(t, s, first, revoked, tie, short, received)
	at := t0.Add(5 * time.Minute)
	_, err := s.RevokeDelegation(ctx, revoked.JTI, at)
	require.NoError(t, err)
	revoked.RevokedAt = at

	now := t0.Add(29 * time.Minute)
	requireDelegations(t, s, "user:alice", now, short, revoked, tie, first)
	requireDelegations(t, s, "agent:bot", now, received, short, tie, first)
	requireDelegations(t, s, "agent:helper", now, revoked)

	// Expired at now is expires_at not after now.
	now = short.ExpiresAt
	requireDelegations(t, s, "user:alice", now, revoked, tie, first)
	requireDelegations(t, s, "agent:bot", first.ExpiresAt, received, tie)
	requireDelegations(t, s, "user:alice", received.ExpiresAt)
	requireDelegations(t, s, "user:nobody", t0)
}

func testRevokeDelegation(t *testing.T, s delegation.Store) {
	ctx := t.Context()
	_, err := s.RevokeDelegation(ctx, "nope", t0)
	requireCode(t, err, switchboard.CodeNotFound)

	r, other := record("j1", "user:alice", "agent:bot", 0),
		record("j2", "user:alice", "agent:bot", 0)
	insertRecords(t, s, r, other)
	at := t0.Add(time.Minute)
	got, err := s.RevokeDelegation(ctx, r.JTI, at)
	require.NoError(t, err)
	r.RevokedAt = at
	require.Equal(t, storedRecord(r), got)
	requireUTC(t, got.RevokedAt)
	requireRecord(t, s, r)

	// Revoking again keeps the first time, and says so.
	got, err = s.RevokeDelegation(ctx, r.JTI, at.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, storedRecord(r), got)
	requireRecord(t, s, r)
	requireRecord(t, s, other)
}

func testRevokeDelegationsOf(t *testing.T, s delegation.Store) {
	ctx := t.Context()
	live1 := record("j1", "user:alice", "agent:bot", 0)
	live2 := record("j2", "user:alice", "agent:helper", time.Minute)
	revoked := record("j3", "user:alice", "agent:bot", 0)
	expired := record("j4", "user:alice", "agent:bot", -time.Hour)
	received := record("j5", "user:bob", "agent:bot", 0)
	untouched := record("j6", "user:bob", "agent:helper", 0)
	insertRecords(t, s, live1, live2, revoked, expired, received, untouched)
	revoked.RevokedAt = t0.Add(time.Second)
	_, err := s.RevokeDelegation(ctx, revoked.JTI, revoked.RevokedAt)
	require.NoError(t, err)

	// Only the live ones count: not revoked, not expired at at.
	at := t0.Add(time.Minute)
	n, err := s.RevokeDelegationsOf(ctx, "user:alice", at)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	live1.RevokedAt, live2.RevokedAt = at, at
	for _, r := range []delegation.Record{live1, live2, revoked, expired, received, untouched} {
		requireRecord(t, s, r)
	}

	// An agent's, received from anyone.
	n, err = s.RevokeDelegationsOf(ctx, "agent:bot", at.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	received.RevokedAt = at.Add(time.Minute)
	requireRecord(t, s, received)
	requireRecord(t, s, live1)
	requireRecord(t, s, untouched)

	n, err = s.RevokeDelegationsOf(ctx, "agent:bot", at.Add(time.Hour))
	require.NoError(t, err)
	require.Zero(t, n)
	n, err = s.RevokeDelegationsOf(ctx, "user:nobody", at)
	require.NoError(t, err)
	require.Zero(t, n)
}
