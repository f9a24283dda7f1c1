package credentials_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/credentials"
)

func TestLendAConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	cron := switchboard.Principal{Kind: switchboard.KindAgent, ID: "cron"}
	other := switchboard.Principal{Kind: switchboard.KindAgent, ID: "other"}
	_ = e.connectAs(alice)
	lent := e.connectAs(alice)
	mine := e.connectAs(bob)

	// Nothing lent: the agent has no connection of its own.
	_, err := e.resolve(cron, "")
	requireCode(t, err, switchboard.CodeNotConnected)

	_, err = e.m.Lend(ctx, "acme", alice, mine.ID, cron)
	requireCode(t, err, switchboard.CodeNotFound) // bob's
	_, err = e.m.Lend(ctx, "acme", alice, lent.ID, bob)
	requireCode(t, err, switchboard.CodeInvalidInput) // not an agent
	g, err := e.m.Lend(ctx, "acme", alice, lent.ID, cron)
	require.NoError(t, err)
	require.Equal(t, credentials.Grant{ID: g.ID, AppID: "acme", ConnectionID: lent.ID,
		Owner: "user:alice", Agent: "agent:cron", CreatedAt: g.CreatedAt}, g)
	_, err = e.m.Lend(ctx, "acme", alice, lent.ID, cron)
	requireCode(t, err, switchboard.CodeConflict)

	// The agent's calls run with alice's lent connection: the one lent,
	// not her oldest.
	v, err := e.resolve(cron, "")
	require.NoError(t, err)
	who, _ := e.whoami(v["accessToken"])
	require.Equal(t, "alice", who)
	v, err = e.resolve(cron, lent.ID)
	require.NoError(t, err, "named")
	require.NotEmpty(t, v["accessToken"])
	// Neither another agent nor the one lent to, naming a connection not
	// lent, reaches it.
	_, err = e.resolve(other, lent.ID)
	requireCode(t, err, switchboard.CodeNotFound)
	_, err = e.resolve(cron, mine.ID)
	requireCode(t, err, switchboard.CodeNotFound)

	// Both sides see the grant; only the owner may take it back.
	for _, p := range []switchboard.Principal{alice, cron} {
		gs, err := e.m.Grants(ctx, "acme", p)
		require.NoError(t, err)
		require.Equal(t, []credentials.Grant{g}, gs)
	}
	requireCode(t, e.m.Unlend(ctx, "acme", bob, g.ID), switchboard.CodeNotFound)
	requireCode(t, e.m.Unlend(ctx, "acme", cron, g.ID), switchboard.CodeNotFound)
	require.NoError(t, e.m.Unlend(ctx, "acme", alice, g.ID))
	_, err = e.resolve(cron, "")
	requireCode(t, err, switchboard.CodeNotConnected)
	require.Contains(t, e.audit.events(), audit.EventConnectionLend)
	require.Contains(t, e.audit.events(), audit.EventConnectionUnlend)
}

func TestLendingEndsWithTheConnectionOrThePrincipal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	cron := switchboard.Principal{Kind: switchboard.KindAgent, ID: "cron"}
	c1 := e.connectAs(alice)
	c2 := e.connectAs(bob)
	_, err := e.m.Lend(ctx, "acme", alice, c1.ID, cron)
	require.NoError(t, err)
	_, err = e.m.Lend(ctx, "acme", bob, c2.ID, cron)
	require.NoError(t, err)

	// Alice removes her connection: its grant goes with it, bob's stays.
	require.NoError(t, e.m.Delete(ctx, "acme", alice, c1.ID))
	v, err := e.resolve(cron, "")
	require.NoError(t, err)
	who, _ := e.whoami(v["accessToken"])
	require.Equal(t, "bob", who)

	// Offboarding the agent removes what it was lent.
	_, err = e.m.RemovePrincipal(ctx, cron)
	require.NoError(t, err)
	gs, err := e.m.Grants(ctx, "acme", bob)
	require.NoError(t, err)
	require.Empty(t, gs)
	_, err = e.resolve(cron, "")
	requireCode(t, err, switchboard.CodeNotConnected)
}

// connectAs connects user's account at the provider, approved as user.
func (e *env) connectAs(user switchboard.Principal) credentials.Connection {
	e.t.Helper()
	e.provider.SetUser(user.ID)
	return e.connect(user)
}

func TestDelegatedCallGetsNoConnectLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := switchboard.WithDelegation(t.Context(), switchboard.Delegation{ID: "d", User: alice,
		Scope: []string{"*"}})
	_, err := e.m.Resolve(ctx, e.act, alice, "")
	nc := requireCode(t, err, switchboard.CodeNotConnected)
	require.Empty(t, nc.ConnectURL, "the agent must not connect an account as alice's")
	require.Contains(t, nc.Message, "ask user:alice to connect")
	// Alice herself gets one.
	_, err = e.resolve(alice, "")
	require.NotEmpty(t, requireCode(t, err, switchboard.CodeNotConnected).ConnectURL)
}
