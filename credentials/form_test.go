package credentials_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/credentials"
	"github.com/switchboard-dev/switchboard/registry"
)

const formSchema = `{
	"type": "object",
	"properties": {
		"apiKey": {"type": "string", "pattern": "^key_[a-z0-9]+$"},
		"subdomain": {"type": "string", "minLength": 2}
	},
	"required": ["apiKey", "subdomain"],
	"additionalProperties": false
}`

// formEnv is an env whose integration connects with a credential form.
func formEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.in, e.act = integration(&registry.UserAuth{
		Type: registry.UserAuthCredentials, Schema: json.RawMessage(formSchema),
	}, map[string]any{})
	return e
}

func TestCredentialForm(t *testing.T) {
	t.Parallel()
	e := formEnv(t)
	ctx := t.Context()

	flow, err := e.m.Start(ctx, e.in, alice, "")
	require.NoError(t, err)
	require.Equal(t, credentials.FlowCredentials, flow.Type)
	require.JSONEq(t, formSchema, string(flow.Schema))

	c, err := e.m.SaveCredentials(ctx, e.in, alice,
		json.RawMessage(`{"apiKey": "key_abc123", "subdomain": "acme"}`), "Work")
	require.NoError(t, err)
	require.Equal(t, credentials.KindCredentials, c.Kind)
	require.Equal(t, "Work", c.Label)
	v, err := e.resolve(alice, "")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"apiKey": "key_abc123", "subdomain": "acme"}, v)

	// Nothing to refresh, however long it is kept.
	e.clock.Advance(1000 * time.Hour)
	again, err := e.m.Refresh(ctx, e.in, alice, c.ID)
	require.NoError(t, err)
	require.Equal(t, c.ID, again.ID)
	v2, err := e.resolve(alice, c.ID)
	require.NoError(t, err)
	require.Equal(t, v, v2)
}

func TestCredentialFormRefusesBadValues(t *testing.T) {
	t.Parallel()
	e := formEnv(t)
	const secretValue = "hunter2-very-secret"
	tests := []struct {
		name   string
		values string
		paths  []string
	}{
		{"missing", `{}`, []string{"/apiKey", "/subdomain"}},
		{"pattern", `{"apiKey": "` + secretValue + `", "subdomain": "acme"}`,
			[]string{"/apiKey"}},
		{"unknown field", `{"apiKey": "key_a", "subdomain": "acme", "x": "` + secretValue + `"}`,
			[]string{"/x"}},
		{"not an object", `["` + secretValue + `"]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.m.SaveCredentials(t.Context(), e.in, alice, json.RawMessage(tt.values), "")
			bad := requireCode(t, err, switchboard.CodeInvalidInput)
			var paths []string
			for _, fe := range bad.Errors {
				paths = append(paths, fe.Path)
				require.NotContains(t, fe.Message, secretValue)
			}
			require.ElementsMatch(t, tt.paths, paths)
			require.NotContains(t, bad.Error(), secretValue)
		})
	}
	_, err := e.m.SaveCredentials(t.Context(), e.in, alice,
		json.RawMessage(`{"apiKey": "key_a", "subdomain": "acme"}`), "bad\x00label")
	requireCode(t, err, switchboard.CodeInvalidInput)
	list, err := e.m.Connections(t.Context(), "acme", alice)
	require.NoError(t, err)
	require.Empty(t, list)
}

func TestCredentialFormThroughLink(t *testing.T) {
	t.Parallel()
	e := formEnv(t)
	ctx := t.Context()
	_, err := e.resolve(alice, "")
	tok := tokenOf(t, requireCode(t, err, switchboard.CodeNotConnected).ConnectURL)

	// Showing the form and a mistaken post keep the link.
	for range 2 {
		flow, err := e.m.StartLink(ctx, e.in, tok, "")
		require.NoError(t, err)
		require.Equal(t, credentials.FlowCredentials, flow.Type)
	}
	_, err = e.m.SaveLinkCredentials(ctx, e.in, tok, json.RawMessage(`{"apiKey": "no"}`), "")
	requireCode(t, err, switchboard.CodeInvalidInput)

	good := json.RawMessage(`{"apiKey": "key_abc", "subdomain": "acme"}`)
	c, err := e.m.SaveLinkCredentials(ctx, e.in, tok, good, "")
	require.NoError(t, err)
	require.Equal(t, "user:alice", c.Principal)
	_, err = e.m.SaveLinkCredentials(ctx, e.in, tok, good, "")
	requireCode(t, err, switchboard.CodeNotFound)
	list, err := e.m.Connections(ctx, "acme", alice)
	require.NoError(t, err)
	require.Len(t, list, 1, "a replayed post makes nothing")
}

func TestFormIsNotOAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.m.SaveCredentials(t.Context(), e.in, alice, json.RawMessage(`{}`), "")
	requireCode(t, err, switchboard.CodeInvalidRequest)
}

func TestCredentialFormLimits(t *testing.T) {
	t.Parallel()
	e := formEnv(t)
	ctx := t.Context()
	huge := strings.Repeat("k", credentials.MaxCredentialField)
	_, err := e.m.SaveCredentials(ctx, e.in, alice,
		json.RawMessage(`{"apiKey":"`+huge+`","subdomain":"acme"}`), "")
	bad := requireCode(t, err, switchboard.CodeInvalidInput)
	require.Equal(t, "/apiKey", bad.Errors[0].Path)
	require.NotContains(t, bad.Error(), huge[:64])

	for range credentials.MaxConnections {
		_, err := e.m.SaveCredentials(ctx, e.in, alice,
			json.RawMessage(`{"apiKey":"key_abc123","subdomain":"acme"}`), "")
		require.NoError(t, err)
	}
	_, err = e.m.SaveCredentials(ctx, e.in, alice,
		json.RawMessage(`{"apiKey":"key_abc123","subdomain":"acme"}`), "")
	full := requireCode(t, err, switchboard.CodeConflict)
	require.Contains(t, full.Message, "delete one")
	_, err = e.m.SaveCredentials(ctx, e.in, bob,
		json.RawMessage(`{"apiKey":"key_abc123","subdomain":"acme"}`), "")
	require.NoError(t, err, "the bound is per user")
}
