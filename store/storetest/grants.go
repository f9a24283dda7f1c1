package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/credentials"
)

// grant lends c to agent, created at t0 plus offset.
func grant(id string, c credentials.StoredConnection, agent string, offset time.Duration,
) credentials.Grant {
	return credentials.Grant{
		ID: id, AppID: c.AppID, ConnectionID: c.ID, Owner: c.Principal, Agent: agent,
		CreatedAt: t0.Add(offset),
	}
}

func createGrants(t *testing.T, s CredentialsStore, gs ...credentials.Grant) {
	t.Helper()
	for _, g := range gs {
		require.NoError(t, s.CreateGrant(t.Context(), g), g.ID)
	}
}

// requireGrants fails t unless s lists want for appID and principal, in
// order, as a store returns them.
func requireGrants(t *testing.T, s CredentialsStore, appID, principal string,
	want ...credentials.Grant,
) {
	t.Helper()
	got, err := s.Grants(t.Context(), appID, principal)
	require.NoError(t, err)
	if len(want) == 0 {
		require.Empty(t, got)
		return
	}
	for i, g := range want {
		g.CreatedAt = stored(g.CreatedAt)
		want[i] = g
	}
	require.Equal(t, want, got)
	for _, g := range got {
		requireUTC(t, g.CreatedAt)
	}
}

func testGrants(t *testing.T, s CredentialsStore) {
	aliceSlack := conn("c1", "slack", "user:alice", 0)
	aliceGitHub := conn("c2", "github", "user:alice", 0)
	bobSlack := conn("c3", "slack", "user:bob", 0)
	createConns(t, s, aliceSlack, aliceGitHub, bobSlack)
	requireGrants(t, s, "", "user:alice")

	g1 := grant("g1", aliceSlack, "agent:bot", time.Minute)
	g2 := grant("g2", aliceGitHub, "agent:bot", 0)
	g3 := grant("g3", bobSlack, "agent:bot", 0)
	g0 := grant("g0", aliceSlack, "agent:other", time.Minute)
	createGrants(t, s, g1, g2, g3, g0)

	// Oldest first, ties by id; "" is every integration.
	requireGrants(t, s, "", "user:alice", g2, g0, g1)
	requireGrants(t, s, "slack", "user:alice", g0, g1)
	requireGrants(t, s, "github", "user:alice", g2)
	requireGrants(t, s, "", "agent:bot", g2, g3, g1)
	requireGrants(t, s, "slack", "agent:bot", g3, g1)
	requireGrants(t, s, "slack", "agent:other", g0)
	requireGrants(t, s, "github", "user:bob")
	requireGrants(t, s, "", "agent:nobody")
}

func testGrantConflicts(t *testing.T, s CredentialsStore) {
	ctx := t.Context()
	c1, c2 := conn("c1", "slack", "user:alice", 0), conn("c2", "github", "user:alice", 0)
	createConns(t, s, c1, c2)
	g := grant("g1", c1, "agent:bot", 0)

	missing := g
	missing.ConnectionID = "nope"
	requireCode(t, s.CreateGrant(ctx, missing), switchboard.CodeNotFound)
	createGrants(t, s, g)

	// The same id, or the same connection lent to the same agent again.
	requireCode(t, s.CreateGrant(ctx, grant("g1", c2, "agent:other", time.Minute)),
		switchboard.CodeConflict)
	requireCode(t, s.CreateGrant(ctx, grant("g2", c1, "agent:bot", time.Minute)),
		switchboard.CodeConflict)
	requireGrants(t, s, "", "user:alice", g)

	// Another agent, or another connection, is another grant.
	g2, g3 := grant("g2", c1, "agent:other", 0), grant("g3", c2, "agent:bot", 0)
	createGrants(t, s, g2, g3)
	requireGrants(t, s, "", "user:alice", g, g2, g3)
}

func testDeleteGrants(t *testing.T, s CredentialsStore) {
	ctx := t.Context()
	requireCode(t, s.DeleteGrant(ctx, "nope"), switchboard.CodeNotFound)
	c1, c2 := conn("c1", "slack", "user:alice", 0), conn("c2", "slack", "user:bob", 0)
	createConns(t, s, c1, c2)
	g1, g2, g3 := grant("g1", c1, "agent:bot", 0), grant("g2", c2, "agent:bot", 0),
		grant("g3", c1, "agent:other", 0)
	createGrants(t, s, g1, g2, g3)

	require.NoError(t, s.DeleteGrant(ctx, "g1"))
	requireCode(t, s.DeleteGrant(ctx, "g1"), switchboard.CodeNotFound)
	requireGrants(t, s, "", "user:alice", g3)

	n, err := s.DeleteGrantsTo(ctx, "agent:bot")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	requireGrants(t, s, "", "agent:bot")
	requireGrants(t, s, "", "agent:other", g3)
	n, err = s.DeleteGrantsTo(ctx, "agent:bot")
	require.NoError(t, err)
	require.Zero(t, n)

	// A deleted grant may be made again.
	createGrants(t, s, g1)
	requireGrants(t, s, "", "agent:bot", g1)
}

func testGrantsCascade(t *testing.T, s CredentialsStore) {
	ctx := t.Context()
	aliceSlack := conn("c1", "slack", "user:alice", 0)
	aliceGitHub := conn("c2", "github", "user:alice", 0)
	bobSlack := conn("c3", "slack", "user:bob", 0)
	createConns(t, s, aliceSlack, aliceGitHub, bobSlack)
	g1, g2 := grant("g1", aliceSlack, "agent:bot", 0), grant("g2", aliceSlack, "agent:other", 0)
	g3, g4 := grant("g3", aliceGitHub, "agent:bot", 0), grant("g4", bobSlack, "agent:bot", 0)
	createGrants(t, s, g1, g2, g3, g4)

	require.NoError(t, s.DeleteConnection(ctx, aliceSlack.ID))
	requireGrants(t, s, "", "user:alice", g3)
	requireGrants(t, s, "", "agent:other")
	requireCode(t, s.DeleteGrant(ctx, "g1"), switchboard.CodeNotFound)

	_, err := s.DeleteConnections(ctx, credentials.Filter{Principal: "user:alice"})
	require.NoError(t, err)
	requireGrants(t, s, "", "user:alice")
	requireGrants(t, s, "", "agent:bot", g4)

	// A connection made again under the same id has none of them.
	createConns(t, s, aliceSlack)
	requireGrants(t, s, "", "user:alice")
	createGrants(t, s, g1)
	requireGrants(t, s, "", "agent:bot", g1, g4)
}
