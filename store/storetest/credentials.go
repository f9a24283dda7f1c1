package storetest

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/credentials"
	"github.com/switchboard-dev/switchboard/vault"
)

// CredentialsStore is what the credentials cases need of a store: the
// storage of credentials.Store, the vault's secrets (where sealed
// credentials land) and the change feed's position.
type CredentialsStore interface {
	credentials.Store
	vault.Store
	LastChange(ctx context.Context) (int64, error)
}

// RunCredentials runs the conformance cases of credentials.Store, each on a
// store that open returns empty. open must close the store with t.Cleanup.
//
// Beyond the interface's contract, the suite holds stores to keeping a
// connection's sealed credentials as the secret of scope "connection" and
// the connection's id, and to recording no change for any of these writes.
func RunCredentials(t *testing.T, open func(t *testing.T) CredentialsStore) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s CredentialsStore)
	}{
		{"create and read connections", testConnections},
		{"create conflicts change nothing", testConnectionConflicts},
		{"missing connection is not found", testConnectionNotFound},
		{"update connection", testUpdateConnection},
		{"update under a lease", testUpdateUnderLease},
		{"refresh lease", testRefreshLease},
		{"rename connection", testRenameConnection},
		{"delete connection", testDeleteConnection},
		{"delete connections by filter", testDeleteConnections},
		{"oauth state is taken once", testOAuthState},
		{"put state removes expired states", testExpiredStates},
		{"connect link", testConnectLink},
		{"credentials record no change", testCredentialsNoChange},
		{"grants by owner or agent", testGrants},
		{"grant conflicts and missing connection", testGrantConflicts},
		{"delete grants", testDeleteGrants},
		{"grants go with their connection", testGrantsCascade},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, open(t))
		})
	}
}

// RunCredentialsShared runs the cases that need two handles on one
// database. open returns both, on an empty database, and must close both
// with t.Cleanup.
func RunCredentialsShared(t *testing.T,
	open func(t *testing.T) (CredentialsStore, CredentialsStore),
) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, a, b CredentialsStore)
	}{
		{"lease is exclusive across handles", testSharedLease},
		{"state is taken once across handles", testSharedTakeState},
		{"link is taken once across handles", testSharedTakeLink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := open(t)
			tt.run(t, a, b)
		})
	}
}

// conn is a connection of principal to appID created at t0 plus offset.
func conn(id, appID, principal string, offset time.Duration) credentials.StoredConnection {
	kind := credentials.KindOAuth2
	if principal == "" {
		kind = credentials.KindClientCredentials
	}
	return credentials.StoredConnection{
		Connection: credentials.Connection{
			ID: id, AppID: appID, Principal: principal, Kind: kind, Label: "label " + id,
			Status: credentials.StatusActive, ExpiresAt: t0.Add(time.Hour),
			CreatedAt: t0.Add(offset), UpdatedAt: t0.Add(offset),
		},
		Sealed: []byte("sealed " + id), Generation: 1,
	}
}

// storedConn is c as a store returns it.
func storedConn(c credentials.Connection) credentials.Connection {
	if !c.ExpiresAt.IsZero() {
		c.ExpiresAt = stored(c.ExpiresAt)
	}
	c.CreatedAt, c.UpdatedAt = stored(c.CreatedAt), stored(c.UpdatedAt)
	return c
}

func createConns(t *testing.T, s CredentialsStore, cs ...credentials.StoredConnection) {
	t.Helper()
	for _, c := range cs {
		require.NoError(t, s.CreateConnection(t.Context(), c), c.ID)
	}
}

// requireConn fails t unless s holds want, with its sealed credentials
// in the vault's secrets.
func requireConn(t *testing.T, s CredentialsStore, want credentials.StoredConnection) {
	t.Helper()
	got, err := s.Connection(t.Context(), want.ID)
	require.NoError(t, err)
	want.Connection = storedConn(want.Connection)
	require.Equal(t, want, got)
	requireUTC(t, got.CreatedAt, got.UpdatedAt)
	sealed, err := s.Secret(t.Context(), credentials.VaultScope, want.ID)
	require.NoError(t, err)
	require.Equal(t, want.Sealed, sealed)
}

func requireListed(t *testing.T, s CredentialsStore, appID, principal string,
	want ...credentials.StoredConnection,
) {
	t.Helper()
	got, err := s.Connections(t.Context(), appID, principal)
	require.NoError(t, err)
	list := make([]credentials.Connection, len(want))
	for i, c := range want {
		list[i] = storedConn(c.Connection)
	}
	if len(want) == 0 {
		require.Empty(t, got)
		return
	}
	require.Equal(t, list, got)
}

func testConnections(t *testing.T, s CredentialsStore) {
	newer := conn("c2", "slack", "user:alice", time.Minute)
	older := conn("c1", "slack", "user:alice", 0)
	tie := conn("c0", "slack", "user:alice", time.Minute)
	tie.ExpiresAt = time.Time{}
	other := conn("c3", "slack", "user:bob", 0)
	platform := conn("platform_slack", "slack", "", 0)
	createConns(t, s, newer, older, tie, other, platform)

	for _, c := range []credentials.StoredConnection{newer, older, tie, other, platform} {
		requireConn(t, s, c)
	}
	requireListed(t, s, "slack", "user:alice", older, tie, newer)
	requireListed(t, s, "slack", "user:bob", other)
	requireListed(t, s, "slack", "", platform)
	requireListed(t, s, "github", "user:alice")
}

func testConnectionConflicts(t *testing.T, s CredentialsStore) {
	ctx := t.Context()
	createConns(t, s, conn("c1", "slack", "user:alice", 0), conn("platform_slack", "slack", "", 0))

	dup := conn("c1", "github", "user:bob", 0)
	dup.Sealed = []byte("other")
	requireCode(t, s.CreateConnection(ctx, dup), switchboard.CodeConflict)
	requireCode(t, s.CreateConnection(ctx, conn("p2", "slack", "", 0)),
		switchboard.CodeConflict)

	requireConn(t, s, conn("c1", "slack", "user:alice", 0))
	_, err := s.Secret(ctx, credentials.VaultScope, "p2")
	requireCode(t, err, switchboard.CodeNotFound)
	// Another integration may have its own platform connection.
	createConns(t, s, conn("platform_github", "github", "", 0))
}

func testConnectionNotFound(t *testing.T, s CredentialsStore) {
	ctx := t.Context()
	_, err := s.Connection(ctx, "nope")
	requireCode(t, err, switchboard.CodeNotFound)
	u := credentials.ConnectionUpdate{Status: credentials.StatusDead, At: t0}
	requireCode(t, s.UpdateConnection(ctx, "nope", "", u), switchboard.CodeNotFound)
	requireCode(t, s.RenameConnection(ctx, "nope", "x", t0), switchboard.CodeNotFound)
	requireCode(t, s.DeleteConnection(ctx, "nope"), switchboard.CodeNotFound)
	_, err = s.AcquireRefreshLease(ctx, "nope", "h", t0, t0.Add(time.Minute))
	requireCode(t, err, switchboard.CodeNotFound)
	require.NoError(t, s.ReleaseRefreshLease(ctx, "nope", "h"))
}

func testUpdateConnection(t *testing.T, s CredentialsStore) {
	ctx := t.Context()
	c := conn("c1", "slack", "user:alice", 0)
	createConns(t, s, c)

	// A status change keeps the credentials, their expiry and generation.
	at := t0.Add(time.Minute)
	u := credentials.ConnectionUpdate{
		Status: credentials.StatusDead, LastError: "invalid_grant: revoked", At: at,
	}
	require.NoError(t, s.UpdateConnection(ctx, c.ID, "", u))
	c.Status, c.LastError, c.UpdatedAt = u.Status, u.LastError, at
	requireConn(t, s, c)

	// New credentials replace them and their expiry; generation grows.
	at = at.Add(time.Minute)
	u = credentials.ConnectionUpdate{
		Sealed: []byte("renewed"), ExpiresAt: t0.Add(2 * time.Hour),
		Status: credentials.StatusActive, At: at,
	}
	require.NoError(t, s.UpdateConnection(ctx, c.ID, "", u))
	c.Status, c.LastError, c.UpdatedAt = credentials.StatusActive, "", at
	c.Sealed, c.ExpiresAt, c.Generation = u.Sealed, u.ExpiresAt, 2
	requireConn(t, s, c)

	// A zero expiry is none.
	u.Sealed, u.ExpiresAt = []byte("again"), time.Time{}
	require.NoError(t, s.UpdateConnection(ctx, c.ID, "", u))
	c.Sealed, c.ExpiresAt, c.Generation = u.Sealed, time.Time{}, 3
	requireConn(t, s, c)
}

func testUpdateUnderLease(t *testing.T, s CredentialsStore) {
	ctx := t.Context()
	c := conn("c1", "slack", "user:alice", 0)
	createConns(t, s, c)
	u := credentials.ConnectionUpdate{
		Sealed: []byte("renewed"), ExpiresAt: t0.Add(2 * time.Hour),
		Status: credentials.StatusActive, At: t0,
	}
	// Without the lease, nothing changes.
	requireCode(t, s.UpdateConnection(ctx, c.ID, "a", u), switchboard.CodeConflict)
	acquire(t, s, c.ID, "a", t0, true)
	requireCode(t, s.UpdateConnection(ctx, c.ID, "b", u), switchboard.CodeConflict)
	requireConn(t, s, c)

	// The holder's update applies and releases the lease, even expired.
	acquire(t, s, c.ID, "b", t0.Add(time.Second), false)
	require.NoError(t, s.UpdateConnection(ctx, c.ID, "a", u))
	c.Sealed, c.ExpiresAt, c.Generation = u.Sealed, u.ExpiresAt, 2
	requireConn(t, s, c)
	acquire(t, s, c.ID, "b", t0.Add(time.Second), true)
}

// acquire asks for the lease of id for holder at now, for a minute, and
// fails t unless the answer is want.
func acquire(t *testing.T, s credentials.Store, id, holder string, now time.Time, want bool) {
	t.Helper()
	got, err := s.AcquireRefreshLease(t.Context(), id, holder, now, now.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, want, got, "lease of %s for %s", id, holder)
}

func testRefreshLease(t *testing.T, s CredentialsStore) {
	ctx := t.Context()
	createConns(t, s, conn("c1", "slack", "user:alice", 0), conn("c2", "slack", "user:alice", 0))

	acquire(t, s, "c1", "a", t0, true)
	acquire(t, s, "c1", "b", t0.Add(59*time.Second), false)
	acquire(t, s, "c1", "a", t0.Add(59*time.Second), false) // not re-entrant
	acquire(t, s, "c2", "b", t0, true)                      // leases are per connection

	// Once expired, another may take it; the old holder's release is then
	// a no-op.
	acquire(t, s, "c1", "b", t0.Add(time.Minute), true)
	require.NoError(t, s.ReleaseRefreshLease(ctx, "c1", "a"))
	acquire(t, s, "c1", "a", t0.Add(time.Minute), false)
	require.NoError(t, s.ReleaseRefreshLease(ctx, "c1", "b"))
	acquire(t, s, "c1", "a", t0.Add(time.Minute), true)
}

func testRenameConnection(t *testing.T, s CredentialsStore) {
	c := conn("c1", "slack", "user:alice", 0)
	createConns(t, s, c)
	at := t0.Add(time.Hour)
	require.NoError(t, s.RenameConnection(t.Context(), c.ID, "Work ✓", at))
	c.Label, c.UpdatedAt = "Work ✓", at
	requireConn(t, s, c)
}

func testDeleteConnection(t *testing.T, s CredentialsStore) {
	ctx := t.Context()
	c := conn("c1", "slack", "user:alice", 0)
	createConns(t, s, c, conn("c2", "slack", "user:alice", 0))
	acquire(t, s, c.ID, "a", t0, true)

	require.NoError(t, s.DeleteConnection(ctx, c.ID))
	_, err := s.Connection(ctx, c.ID)
	requireCode(t, err, switchboard.CodeNotFound)
	_, err = s.Secret(ctx, credentials.VaultScope, c.ID)
	requireCode(t, err, switchboard.CodeNotFound)
	requireCode(t, s.DeleteConnection(ctx, c.ID), switchboard.CodeNotFound)
	requireListed(t, s, "slack", "user:alice", conn("c2", "slack", "user:alice", 0))

	// The lease went with it.
	createConns(t, s, c)
	acquire(t, s, c.ID, "b", t0, true)
}

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func state(tok, appID, principal string) credentials.OAuthState {
	return credentials.OAuthState{
		Hash: hashOf(tok), AppID: appID, Principal: principal, ConnectionID: "c9",
		ReturnTo: "/done", Verifier: []byte("sealed verifier"),
		CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute),
	}
}

func link(tok, appID, principal string) credentials.LinkRecord {
	return credentials.LinkRecord{
		Hash: hashOf(tok), AppID: appID, Principal: principal,
		CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute),
	}
}

func testDeleteConnections(t *testing.T, s CredentialsStore) {
	ctx := t.Context()
	_, err := s.DeleteConnections(ctx, credentials.Filter{})
	require.Error(t, err)

	aliceSlack := conn("c1", "slack", "user:alice", 0)
	bobSlack := conn("c2", "slack", "user:bob", 0)
	aliceGitHub := conn("c3", "github", "user:alice", 0)
	platform := conn("platform_slack", "slack", "", 0)
	createConns(t, s, aliceSlack, bobSlack, aliceGitHub, platform)
	for _, o := range [][2]string{{"slack", "user:alice"}, {"slack", "user:bob"},
		{"github", "user:alice"}} {
		require.NoError(t, s.PutOAuthState(ctx, state("s"+o[0]+o[1], o[0], o[1])))
		require.NoError(t, s.PutConnectLink(ctx, link("l"+o[0]+o[1], o[0], o[1])))
	}

	requireDeleted(t, s, credentials.Filter{AppID: "slack", Principal: "user:alice"},
		aliceSlack)
	requireInFlight(t, s, "slack", "user:alice", false)
	requireInFlight(t, s, "slack", "user:bob", true)
	requireInFlight(t, s, "github", "user:alice", true)

	requireDeleted(t, s, credentials.Filter{Principal: "user:alice"}, aliceGitHub)
	requireInFlight(t, s, "github", "user:alice", false)
	requireDeleted(t, s, credentials.Filter{AppID: "slack"}, bobSlack, platform)
	requireInFlight(t, s, "slack", "user:bob", false)
	requireDeleted(t, s, credentials.Filter{AppID: "slack"})
}

// requireDeleted deletes what f selects and fails t unless that was want,
// by id, credentials included.
func requireDeleted(t *testing.T, s CredentialsStore, f credentials.Filter,
	want ...credentials.StoredConnection,
) {
	t.Helper()
	gone, err := s.DeleteConnections(t.Context(), f)
	require.NoError(t, err)
	require.Len(t, gone, len(want))
	for i, c := range want {
		require.Equal(t, storedConn(c.Connection), gone[i])
		_, err := s.Connection(t.Context(), c.ID)
		requireCode(t, err, switchboard.CodeNotFound)
		_, err = s.Secret(t.Context(), credentials.VaultScope, c.ID)
		requireCode(t, err, switchboard.CodeNotFound)
	}
}

// requireInFlight fails t unless the state and link of appID and principal
// that testDeleteConnections made are still there (taking them), or gone.
func requireInFlight(t *testing.T, s CredentialsStore, appID, principal string, there bool) {
	t.Helper()
	_, err := s.ConnectLink(t.Context(), hashOf("l"+appID+principal))
	if there {
		require.NoError(t, err)
		return
	}
	requireCode(t, err, switchboard.CodeNotFound)
	_, err = s.TakeOAuthState(t.Context(), hashOf("s"+appID+principal))
	requireCode(t, err, switchboard.CodeNotFound)
}

func testOAuthState(t *testing.T, s CredentialsStore) {
	ctx := t.Context()
	st := state("tok", "slack", "user:alice")
	require.NoError(t, s.PutOAuthState(ctx, st))
	requireCode(t, s.PutOAuthState(ctx, st), switchboard.CodeConflict)

	got, err := s.TakeOAuthState(ctx, st.Hash)
	require.NoError(t, err)
	st.CreatedAt, st.ExpiresAt = stored(st.CreatedAt), stored(st.ExpiresAt)
	require.Equal(t, st, got)
	requireUTC(t, got.CreatedAt, got.ExpiresAt)
	_, err = s.TakeOAuthState(ctx, st.Hash)
	requireCode(t, err, switchboard.CodeNotFound)

	// No verifier and no connection are kept as empty.
	bare := state("bare", "slack", "user:alice")
	bare.Verifier, bare.ConnectionID, bare.ReturnTo = nil, "", ""
	require.NoError(t, s.PutOAuthState(ctx, bare))
	got, err = s.TakeOAuthState(ctx, bare.Hash)
	require.NoError(t, err)
	require.Empty(t, got.Verifier)
	require.Empty(t, got.ConnectionID)
}

func testExpiredStates(t *testing.T, s CredentialsStore) {
	ctx := t.Context()
	old, fresh := state("old", "slack", "user:alice"), state("fresh", "slack", "user:alice")
	require.NoError(t, s.PutOAuthState(ctx, old))
	fresh.CreatedAt = old.ExpiresAt.Add(-time.Microsecond)
	fresh.ExpiresAt = fresh.CreatedAt.Add(10 * time.Minute)
	require.NoError(t, s.PutOAuthState(ctx, fresh))

	// Not yet expired when fresh was put: still there.
	got, err := s.TakeOAuthState(ctx, old.Hash)
	require.NoError(t, err)
	require.Equal(t, "slack", got.AppID)
	require.NoError(t, s.PutOAuthState(ctx, old))

	newest := state("newest", "slack", "user:alice")
	newest.CreatedAt = old.ExpiresAt
	newest.ExpiresAt = newest.CreatedAt.Add(10 * time.Minute)
	require.NoError(t, s.PutOAuthState(ctx, newest))
	_, err = s.TakeOAuthState(ctx, old.Hash)
	requireCode(t, err, switchboard.CodeNotFound)
	_, err = s.TakeOAuthState(ctx, fresh.Hash)
	require.NoError(t, err)
}

func testConnectLink(t *testing.T, s CredentialsStore) {
	ctx := t.Context()
	l := link("tok", "slack", "user:alice")
	l.ConnectionID = "c1"
	require.NoError(t, s.PutConnectLink(ctx, l))
	requireCode(t, s.PutConnectLink(ctx, l), switchboard.CodeConflict)

	want := l
	want.CreatedAt, want.ExpiresAt = stored(l.CreatedAt), stored(l.ExpiresAt)
	for range 2 { // reading uses nothing up
		got, err := s.ConnectLink(ctx, l.Hash)
		require.NoError(t, err)
		require.Equal(t, want, got)
		requireUTC(t, got.CreatedAt, got.ExpiresAt)
	}
	got, err := s.TakeConnectLink(ctx, l.Hash)
	require.NoError(t, err)
	require.Equal(t, want, got)
	_, err = s.TakeConnectLink(ctx, l.Hash)
	requireCode(t, err, switchboard.CodeNotFound)
	_, err = s.ConnectLink(ctx, l.Hash)
	requireCode(t, err, switchboard.CodeNotFound)

	// Putting a link removes those expired by then.
	require.NoError(t, s.PutConnectLink(ctx, l))
	later := link("later", "slack", "user:alice")
	later.CreatedAt = l.ExpiresAt
	later.ExpiresAt = later.CreatedAt.Add(10 * time.Minute)
	require.NoError(t, s.PutConnectLink(ctx, later))
	_, err = s.ConnectLink(ctx, l.Hash)
	requireCode(t, err, switchboard.CodeNotFound)
}

func testCredentialsNoChange(t *testing.T, s CredentialsStore) {
	ctx := t.Context()
	before := lastChange(t, s)
	c := conn("c1", "slack", "user:alice", 0)
	createConns(t, s, c)
	acquire(t, s, c.ID, "a", t0, true)
	require.NoError(t, s.UpdateConnection(ctx, c.ID, "a", credentials.ConnectionUpdate{
		Sealed: []byte("x"), Status: credentials.StatusActive, At: t0,
	}))
	require.NoError(t, s.RenameConnection(ctx, c.ID, "x", t0))
	require.NoError(t, s.PutOAuthState(ctx, state("s", "slack", "user:alice")))
	require.NoError(t, s.PutConnectLink(ctx, link("l", "slack", "user:alice")))
	_, err := s.TakeOAuthState(ctx, hashOf("s"))
	require.NoError(t, err)
	_, err = s.TakeConnectLink(ctx, hashOf("l"))
	require.NoError(t, err)
	require.NoError(t, s.CreateGrant(ctx, grant("g1", c, "agent:bot", 0)))
	require.NoError(t, s.DeleteGrant(ctx, "g1"))
	require.NoError(t, s.CreateGrant(ctx, grant("g2", c, "agent:bot", 0)))
	_, err = s.DeleteGrantsTo(ctx, "agent:bot")
	require.NoError(t, err)
	require.NoError(t, s.CreateGrant(ctx, grant("g3", c, "agent:bot", 0)))
	require.NoError(t, s.DeleteConnection(ctx, c.ID))
	require.Equal(t, before, lastChange(t, s))
}

func testSharedLease(t *testing.T, a, b CredentialsStore) {
	createConns(t, a, conn("c1", "slack", "user:alice", 0))
	const n = 20
	won := make([]bool, n)
	errs := concurrently(n, func(i int) error {
		var err error
		won[i], err = []CredentialsStore{a, b}[i%2].AcquireRefreshLease(t.Context(), "c1",
			string(rune('a'+i)), t0, t0.Add(time.Minute))
		return err
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	winners := 0
	for _, w := range won {
		if w {
			winners++
		}
	}
	require.Equal(t, 1, winners)
}

func testSharedTakeState(t *testing.T, a, b CredentialsStore) {
	require.NoError(t, a.PutOAuthState(t.Context(), state("tok", "slack", "user:alice")))
	errs := concurrently(10, func(i int) error {
		_, err := []CredentialsStore{a, b}[i%2].TakeOAuthState(t.Context(), hashOf("tok"))
		return err
	})
	requireOneTook(t, errs)
}

func testSharedTakeLink(t *testing.T, a, b CredentialsStore) {
	require.NoError(t, a.PutConnectLink(t.Context(), link("tok", "slack", "user:alice")))
	errs := concurrently(10, func(i int) error {
		_, err := []CredentialsStore{a, b}[i%2].TakeConnectLink(t.Context(), hashOf("tok"))
		return err
	})
	requireOneTook(t, errs)
}

// requireOneTook fails t unless exactly one take succeeded and the others
// found nothing.
func requireOneTook(t *testing.T, errs []error) {
	t.Helper()
	took := 0
	for _, err := range errs {
		if err == nil {
			took++
			continue
		}
		requireCode(t, err, switchboard.CodeNotFound)
	}
	require.Equal(t, 1, took)
}
