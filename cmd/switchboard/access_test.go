package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// caller is a principal of the access tests, with its key.
type caller struct {
	principal string
	key       string
	may       []string // the actions of slack it may call
}

// setupAccess deploys Slack against fake and creates, through REST, roles
// and a key for each principal:
//
//	user:alice   sender  integration:slack:send_message
//	agent:bot    reader  integration:slack:list_channels
//	app:ops      slacker integration:slack:* (by a wildcard, inherited)
//	user:nobody  member  nothing
func setupAccess(t *testing.T, s *server, fake *fakeSlack) []*caller {
	t.Helper()
	setupSlack(t, s, fake)
	for _, role := range []string{
		`{"name":"sender","permissions":["integration:slack:send_message"]}`,
		`{"name":"reader","permissions":["integration:slack:list_channels"]}`,
		`{"name":"slackall","permissions":["integration:slack:*"]}`,
		`{"name":"slacker","inherits":["slackall"],"description":"everything of Slack"}`,
	} {
		status, body := s.api("POST", "/api/v1/roles", role)
		require.Equal(t, 201, status, "%s", body)
	}
	callers := []*caller{
		{principal: "user:alice", may: []string{"send_message"}},
		{principal: "agent:bot", may: []string{"list_channels"}},
		{principal: "app:ops", may: []string{"send_message", "list_channels", "add_reaction"}},
		{principal: "user:nobody"},
	}
	roles := map[string]string{"user:alice": "sender", "agent:bot": "reader",
		"app:ops": "slacker", "user:nobody": "member"}
	for _, c := range callers {
		status, body := s.api("POST", "/api/v1/roles/assign",
			fmt.Sprintf(`{"principal":%q,"role":%q}`, c.principal, roles[c.principal]))
		require.Equal(t, 200, status, "%s", body)
		status, body = s.api("POST", "/api/v1/keys",
			fmt.Sprintf(`{"principal":%q,"name":"test"}`, c.principal))
		require.Equal(t, 201, status, "%s", body)
		var k struct{ Key string }
		require.NoError(t, json.Unmarshal(body, &k))
		require.True(t, strings.HasPrefix(k.Key, "sbk_"))
		c.key = k.Key
	}
	return callers
}

var accessInputs = map[string]map[string]any{
	"send_message":  {"channel": "C1", "text": "hello"},
	"list_channels": {},
	"add_reaction":  {"channel": "C1", "timestamp": "1700000000.000100", "name": "thumbsup"},
}

// TestPermissionMatrix calls every action as every principal on every
// surface: allowed exactly when the permission holds, and the service is
// contacted only then. Tool lists and list_integrations show each caller
// only what it may call.
func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			permissionMatrix(t, kind.new(t))
		})
	}
}

func permissionMatrix(t *testing.T, in *instance) {
	fake := newFakeSlack(t)
	s := in.serve()
	callers := setupAccess(t, s, fake)

	type surface func(t *testing.T, c *caller, action string) (ok bool, text string)
	surfaces := map[string]surface{
		"rest": func(t *testing.T, c *caller, action string) (bool, string) {
			b, _ := json.Marshal(accessInputs[action])
			status, body := s.apiAs(c.key, "POST", "/api/v1/integrations/slack/actions/"+action, string(b))
			return status == 200, string(body)
		},
		"cli": func(t *testing.T, c *caller, action string) (bool, string) {
			b, _ := json.Marshal(accessInputs[action])
			out, err := in.withEnv("SWITCHBOARD_TOKEN="+c.key).cli("", "call", "slack", action, string(b))
			if err != nil {
				return false, err.Error()
			}
			return true, out
		},
	}
	mcpSurface := func(cs *mcpClient, viaCallIntegration bool) surface {
		return func(t *testing.T, _ *caller, action string) (bool, string) {
			if viaCallIntegration {
				text, res := callTool(t, cs, "call_integration", map[string]any{
					"integration_id": "slack", "action": action, "input": accessInputs[action]})
				return !res.IsError, text
			}
			text, res := callTool(t, cs, "slack_"+action, accessInputs[action])
			return !res.IsError, text
		}
	}

	for _, c := range callers {
		httpClient := s.clientAs(c.key, "http", "2026-07-28", nil)
		stdio := in.stdioClient(c.key, "2025-11-25", nil)
		perCaller := map[string]surface{
			"rest": surfaces["rest"], "cli": surfaces["cli"],
			"mcp-http":               mcpSurface(httpClient, false),
			"mcp-stdio":              mcpSurface(stdio, false),
			"call_integration-http":  mcpSurface(httpClient, true),
			"call_integration-stdio": mcpSurface(stdio, true),
		}
		// Tool lists: the built-ins and exactly the allowed actions.
		want := []string{"call_integration", "list_integrations"}
		for _, a := range c.may {
			want = append(want, "slack_"+a)
		}
		if c.principal == "app:ops" {
			// integration:slack:* holds integration:slack:events too.
			want = append(want, "list_events")
		}
		slices.Sort(want)
		for name, cs := range map[string]*mcpClient{"http": httpClient, "stdio": stdio} {
			got := toolNames(t, cs)
			slices.Sort(got)
			require.Equal(t, want, got, "%s tools/list over %s", c.principal, name)
			text, res := callTool(t, cs, "list_integrations", map[string]any{})
			require.False(t, res.IsError, text)
			var listing struct {
				Integrations []struct {
					ID      string
					Actions []struct{ ID string }
				}
			}
			require.NoError(t, json.Unmarshal([]byte(text), &listing))
			var shown []string
			for _, i := range listing.Integrations {
				for _, a := range i.Actions {
					shown = append(shown, a.ID)
				}
			}
			require.ElementsMatch(t, c.may, shown, "%s list_integrations over %s", c.principal, name)
		}

		for action := range accessInputs {
			allowed := slices.Contains(c.may, action)
			for name, call := range perCaller {
				before := fake.count()
				ok, text := call(t, c, action)
				require.Equal(t, allowed, ok, "%s %s over %s: %s", c.principal, action, name, text)
				if allowed {
					require.Equal(t, before+1, fake.count(), "%s over %s reached Slack once", action, name)
					continue
				}
				require.Equal(t, before, fake.count(), "a denied call never reaches Slack")
				if len(c.may) == 0 {
					// A caller with no right to Slack is not told it exists.
					require.NotContains(t, text, "integration:slack:", name)
					require.Regexp(t, `not deployed|no tool`, text, name)
					continue
				}
				require.Contains(t, text, "integration:slack:"+action, "%s names the permission", name)
				if strings.HasPrefix(name, "mcp") || strings.HasPrefix(name, "call_") {
					require.Contains(t, text, "administrator can grant it")
				}
			}
		}
	}

	// The REST listing shows the same.
	for _, c := range callers {
		status, body := s.apiAs(c.key, "GET", "/api/v1/integrations", "")
		require.Equal(t, 200, status)
		if len(c.may) == 0 {
			require.NotContains(t, string(body), `"slack"`)
		}
		status, body = s.apiAs(c.key, "GET", "/api/v1/permissions", "")
		require.Equal(t, 200, status, "%s", body)
	}
	// Administration is denied to everyone but the admin.
	status, body := s.apiAs(callers[2].key, "POST", "/api/v1/integrations/catalog/stripe/deploy", "")
	require.Equal(t, 403, status, "%s", body)
	require.Contains(t, string(body), "admin:integrations.deploy")
}

// TestRevocationReachesConnectedClients: taking a role away, or revoking a
// key, takes effect on the next request of clients already connected over
// streamable HTTP and stdio.
func TestRevocationReachesConnectedClients(t *testing.T) {
	t.Parallel()
	fake := newFakeSlack(t)
	in := newInstance(t)
	s := in.serve()
	callers := setupAccess(t, s, fake)
	alice := callers[0]

	var httpChanges, stdioChanges atomic.Int32
	httpClient := s.clientAs(alice.key, "http", "2026-07-28", func() { httpChanges.Add(1) })
	stdio := in.stdioClient(alice.key, "2025-11-25", func() { stdioChanges.Add(1) })
	require.Contains(t, toolNames(t, httpClient), "slack_send_message")
	require.Contains(t, toolNames(t, stdio), "slack_send_message")

	status, body := s.api("POST", "/api/v1/roles/revoke", `{"principal":"user:alice","role":"sender"}`)
	require.Equal(t, 200, status, "%s", body)
	waitFor(t, "list_changed on both clients", func() bool {
		return httpChanges.Load() > 0 && stdioChanges.Load() > 0
	})
	require.NotContains(t, toolNames(t, httpClient), "slack_send_message")
	require.NotContains(t, toolNames(t, stdio), "slack_send_message")
	for _, cs := range []*mcpClient{httpClient, stdio} {
		// Alice holds nothing of Slack now: it is hidden from her.
		text, res := callTool(t, cs, "slack_send_message", accessInputs["send_message"])
		require.True(t, res.IsError)
		require.Contains(t, text, `no tool "slack_send_message"`)
	}

	// Give the role back, then revoke the key itself.
	status, _ = s.api("POST", "/api/v1/roles/assign", `{"principal":"user:alice","role":"sender"}`)
	require.Equal(t, 200, status)
	status, body = s.api("GET", "/api/v1/keys?principal="+url.QueryEscape("user:alice"), "")
	require.Equal(t, 200, status, "%s", body)
	require.NotContains(t, string(body), alice.key, "keys are never listed")
	var keys struct{ Keys []struct{ ID string } }
	require.NoError(t, json.Unmarshal(body, &keys))
	require.Len(t, keys.Keys, 1)
	status, _ = s.api("DELETE", "/api/v1/keys/"+keys.Keys[0].ID, "")
	require.Equal(t, 204, status)

	status, _ = s.apiAs(alice.key, "GET", "/api/v1/permissions", "")
	require.Equal(t, 401, status, "REST refuses the revoked key at once")
	_, err := httpClient.CallTool(t.Context(), &callParams{Name: "slack_send_message",
		Arguments: accessInputs["send_message"]})
	require.Error(t, err, "streamable HTTP refuses the revoked key")
	waitFor(t, "the stdio server to refuse the revoked key", func() bool {
		text, res := callTool(t, stdio, "slack_send_message", accessInputs["send_message"])
		return res.IsError && strings.Contains(text, "not a valid Switchboard key")
	})

	// Offboarding takes the rest.
	status, body = s.api("DELETE", "/api/v1/principals/"+url.PathEscape("agent:bot"), "")
	require.Equal(t, 200, status, "%s", body)
	status, _ = s.apiAs(callers[1].key, "GET", "/api/v1/permissions", "")
	require.Equal(t, 401, status)
}

// TestOffboardedAdministratorStaysGone: once the first administrator is
// offboarded, no later start recreates its key or its role, and no JWT
// may speak for it.
func TestOffboardedAdministratorStaysGone(t *testing.T) {
	t.Parallel()
	in := newInstance(t)
	s := in.serve()
	// Someone else must be able to administer first.
	status, body := s.api("POST", "/api/v1/keys", `{"principal":"user:root","name":"ops"}`)
	require.Equal(t, 201, status, "%s", body)
	status, body = s.api("POST", "/api/v1/roles/assign", `{"principal":"user:root","role":"admin"}`)
	require.Equal(t, 200, status, "%s", body)
	status, body = s.api("DELETE", "/api/v1/principals/"+url.PathEscape("user:admin"), "")
	require.Equal(t, 200, status, "%s", body)
	s.stop()

	out := in.mustCLI("", "roles", "assignments")
	require.NotContains(t, out, "user:admin")
	out = in.mustCLI("", "keys", "list")
	require.NotContains(t, out, "user:admin")
	in.serve()
	require.NotContains(t, in.mustCLI("", "roles", "assignments"), "user:admin", "a restart brings nothing back")
}
