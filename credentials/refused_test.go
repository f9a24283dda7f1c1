package credentials_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/credentials"
)

var errUnauthorized = errors.New("the service answered 401")

func TestRefusedTokenIsRenewed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.connect(alice)
	before := e.token(alice)
	calls := e.provider.Calls(refreshGrant)
	v, err := e.m.Refused(t.Context(), e.act, alice, "", errUnauthorized)
	require.NoError(t, err)
	require.NotEqual(t, before, v["accessToken"])
	require.Equal(t, calls+1, e.provider.Calls(refreshGrant))
	_, status := e.whoami(v["accessToken"])
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, credentials.StatusActive, e.connection(alice, c.ID).Status)
}

func TestRefusedTokenWithoutRefreshIsDead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.provider.OmitRefreshToken(true)
	c := e.connect(alice)
	_, err := e.m.Refused(t.Context(), e.act, alice, c.ID, errUnauthorized)
	nc := requireCode(t, err, switchboard.CodeNotConnected)
	require.NotEmpty(t, nc.ConnectURL, "a link to renew it")
	dead := e.connection(alice, c.ID)
	require.Equal(t, credentials.StatusDead, dead.Status)
	require.Contains(t, dead.LastError, "HTTP 401")
	// The link renews that same connection.
	var renewed credentials.Connection
	require.Equal(t, http.StatusOK, visit(t, browser(t), nc.ConnectURL, &renewed))
	require.Equal(t, c.ID, renewed.ID)
	require.Equal(t, credentials.StatusActive, e.connection(alice, c.ID).Status)
}

func TestRefusedCredentialFormIsDead(t *testing.T) {
	t.Parallel()
	e := formEnv(t)
	c, err := e.m.SaveCredentials(t.Context(), e.in, alice,
		json.RawMessage(`{"apiKey":"key_abc123","subdomain":"acme"}`), "")
	require.NoError(t, err)
	_, err = e.m.Refused(t.Context(), e.act, alice, "", errUnauthorized)
	requireCode(t, err, switchboard.CodeNotConnected)
	require.Equal(t, credentials.StatusDead, e.connection(alice, c.ID).Status)
	// Bob's is not touched, and nobody's is without a connection.
	_, err = e.m.Refused(t.Context(), e.act, bob, "", errUnauthorized)
	require.ErrorIs(t, err, errUnauthorized)
}

func TestRefusedLentConnectionGivesTheAgentNoLink(t *testing.T) {
	t.Parallel()
	e := formEnv(t)
	cron := switchboard.Principal{Kind: switchboard.KindAgent, ID: "cron"}
	c, err := e.m.SaveCredentials(t.Context(), e.in, alice,
		json.RawMessage(`{"apiKey":"key_abc123","subdomain":"acme"}`), "")
	require.NoError(t, err)
	_, err = e.m.Lend(t.Context(), e.in.ID(), alice, c.ID, cron)
	require.NoError(t, err)
	_, err = e.m.Refused(t.Context(), e.act, cron, "", errUnauthorized)
	nc := requireCode(t, err, switchboard.CodeNotConnected)
	require.Empty(t, nc.ConnectURL)
	require.Contains(t, nc.Message, "lent by its owner")
	require.Equal(t, credentials.StatusDead, e.connection(alice, c.ID).Status)
}
