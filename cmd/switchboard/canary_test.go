package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSecretCanary drives deploy, config, successful and failing calls on
// every surface, then looks for the Slack token and the Stripe key
// everywhere they must not be: the database files, every log line, every
// REST body and MCP result.
func TestSecretCanary(t *testing.T) {
	t.Parallel()
	fake := newFakeSlack(t)
	in := newInstance(t)
	s := in.serve()
	setupSlack(t, s, fake)
	status, body := s.api("POST", "/api/v1/integrations/catalog/stripe/deploy", "")
	require.Equal(t, 200, status, "%s", body)
	// Stripe pointed at the fake, which answers 404 with the request's
	// Authorization echoed nowhere, and at a closed port.
	status, body = s.api("PUT", "/api/v1/integrations/stripe/config",
		fmt.Sprintf(`{"secretKey":%q,"baseUrl":%q}`, stripeKey, fake.URL))
	require.Equal(t, 200, status, "%s", body)

	for _, path := range []string{"/api/v1/integrations", "/api/v1/integrations/slack",
		"/api/v1/integrations/slack/config", "/api/v1/integrations/stripe/config",
		"/api/v1/integrations/catalog"} {
		status, body = s.api("GET", path, "")
		require.Equal(t, 200, status, "%s: %s", path, body)
	}
	calls := []struct{ integration, action, input string }{
		{"slack", "send_message", `{"channel":"C1","text":"ok"}`},
		{"slack", "send_message", `{"channel":"C404","text":"refused"}`},
		{"slack", "send_message", `{"channel":1}`},
		{"slack", "list_channels", `{"limit":5}`},
		{"stripe", "get_customer", `{"id":"cus_1"}`},
		{"stripe", "create_customer", `{"name":"x"}`},
	}
	http := s.client("http", "2026-07-28", nil)
	stdio := in.stdioClient(in.adminKey(), "2025-11-25", nil)
	cli := in.withEnv("SWITCHBOARD_TOKEN=" + in.adminKey())
	for _, c := range calls {
		s.api("POST", "/api/v1/integrations/"+c.integration+"/actions/"+c.action, c.input)
		var input map[string]any
		require.NoError(t, json.Unmarshal([]byte(c.input), &input))
		args := map[string]any{"integration_id": c.integration, "action": c.action, "input": input}
		callTool(t, http, "call_integration", args)
		callTool(t, stdio, "call_integration", args)
		out, err := cli.cli("", "call", c.integration, c.action, c.input)
		responses.add([]byte(out))
		if err != nil {
			responses.add([]byte(err.Error()))
		}
	}
	callTool(t, http, "list_integrations", map[string]any{})
	// Point Slack at a closed port: a transport failure.
	status, _ = s.api("PUT", "/api/v1/integrations/slack/config", `{"baseUrl":"http://127.0.0.1:1/api"}`)
	require.Equal(t, 200, status)
	s.api("POST", "/api/v1/integrations/slack/actions/send_message", `{"channel":"C1","text":"x"}`)
	s.stop()

	canaries := []string{slackToken, stripeKey}
	for _, c := range canaries {
		require.NotContains(t, in.logs.String(), c, "logs")
	}
	responses.mu.Lock()
	for _, r := range responses.all {
		for _, c := range canaries {
			require.False(t, bytes.Contains(r, []byte(c)), "a response holds a secret: %s", r)
		}
	}
	responses.mu.Unlock()
	files, err := filepath.Glob(filepath.Join(in.data, "switchboard.db*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, c := range canaries {
			require.False(t, bytes.Contains(b, []byte(c)), "%s holds a secret", f)
			require.False(t, strings.Contains(strings.ToLower(string(b)), strings.ToLower(c)))
		}
	}
	// The fake did see both: the canaries are live.
	seenAuth := map[string]bool{}
	fake.mu.Lock()
	for _, r := range fake.requests {
		seenAuth[r.Auth] = true
	}
	fake.mu.Unlock()
	require.True(t, seenAuth["Bearer "+slackToken])
	require.True(t, seenAuth["Bearer "+stripeKey])
}
