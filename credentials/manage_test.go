package credentials_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/credentials"
	"github.com/switchboard-dev/switchboard/credentials/oauthtest"
)

func TestManageConnections(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	first := e.connect(alice)
	e.clock.Advance(time.Second)
	second := e.connect(alice)
	other := e.connect(bob)

	renamed, err := e.m.Rename(ctx, "acme", alice, second.ID, "  Personal ")
	require.NoError(t, err)
	require.Equal(t, "Personal", renamed.Label)
	for _, label := range []string{"", "a\nb", string(make([]rune, 101))} {
		_, err = e.m.Rename(ctx, "acme", alice, second.ID, label)
		requireCode(t, err, switchboard.CodeInvalidInput)
	}

	// Another user's connection is not found, whatever is asked.
	_, err = e.m.Rename(ctx, "acme", alice, other.ID, "mine")
	requireCode(t, err, switchboard.CodeNotFound)
	requireCode(t, e.m.Delete(ctx, "acme", alice, other.ID), switchboard.CodeNotFound)
	_, err = e.m.Refresh(ctx, e.in, alice, other.ID)
	requireCode(t, err, switchboard.CodeNotFound)
	_, err = e.m.Connection(ctx, "other", alice, first.ID)
	requireCode(t, err, switchboard.CodeNotFound)

	list, err := e.m.Connections(ctx, "acme", alice)
	require.NoError(t, err)
	require.Equal(t, []string{first.ID, second.ID}, ids(list))
	connected, count, dead, err := e.m.Status(ctx, "acme", alice)
	require.NoError(t, err)
	require.Equal(t, []any{true, 2, 0}, []any{connected, count, dead})

	require.NoError(t, e.m.Delete(ctx, "acme", alice, first.ID))
	n, err := e.m.DeleteAll(ctx, "acme", alice)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	connected, count, _, err = e.m.Status(ctx, "acme", alice)
	require.NoError(t, err)
	require.False(t, connected)
	require.Zero(t, count)
	_, err = e.store.Secret(ctx, credentials.VaultScope, first.ID)
	requireCode(t, err, switchboard.CodeNotFound)

	require.Len(t, e.audit.events(), 5) // three made, two deleted
	require.Equal(t, audit.EventConnectionDelete, e.audit.events()[4])
}

func ids(list []credentials.Connection) []string {
	var out []string
	for _, c := range list {
		out = append(out, c.ID)
	}
	return out
}

func TestExplicitRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.connect(alice)
	at := e.token(alice)

	got, err := e.m.Refresh(t.Context(), e.in, alice, c.ID)
	require.NoError(t, err)
	require.Equal(t, credentials.StatusActive, got.Status)
	require.NotEqual(t, at, e.token(alice))
	require.Equal(t, 1, e.provider.Calls(refreshGrant))

	// A provider that fails leaves it active, with the error.
	e.provider.FailNext(oauthtest.ServerError, 1)
	_, err = e.m.Refresh(t.Context(), e.in, alice, c.ID)
	requireCode(t, err, switchboard.CodeUpstream)
	got = e.connection(alice, c.ID)
	require.Equal(t, credentials.StatusActive, got.Status)
	require.Contains(t, got.LastError, "server_error")
}

func TestRemovePrincipalAndPurge(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	e.connect(alice)
	e.connect(alice)
	kept := e.connect(bob)
	link, err := e.m.ConnectLink(ctx, "acme", alice)
	require.NoError(t, err)

	n, err := e.m.RemovePrincipal(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	_, err = e.m.OpenLink(ctx, tokenOf(t, link))
	requireCode(t, err, switchboard.CodeNotFound)
	require.Equal(t, credentials.StatusActive, e.connection(bob, kept.ID).Status)

	n, err = e.m.Purge(ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = e.m.RemovePrincipal(ctx, switchboard.Principal{})
	requireCode(t, err, switchboard.CodeInvalidRequest)
}
