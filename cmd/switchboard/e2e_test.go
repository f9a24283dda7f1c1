package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSendMessageOnEverySurface calls slack_send_message from the official
// MCP client over every transport and protocol version, and the same action
// over REST, call_integration and the CLI: the fake Slack must see the
// vaulted token and the same body each time, and every surface must answer
// the same output.
func TestSendMessageOnEverySurface(t *testing.T) {
	t.Parallel()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			sendMessageOnEverySurface(t, kind.new(t))
		})
	}
}

func sendMessageOnEverySurface(t *testing.T, in *instance) {
	fake := newFakeSlack(t)
	s := in.serve()
	setupSlack(t, s, fake)

	const want = `{"ok":true,"channel":"C1","ts":"1700000000.000100","message":{"text":"hello"}}`
	args := map[string]any{"channel": "C1", "text": "hello"}
	check := func(t *testing.T, got string) {
		t.Helper()
		require.JSONEq(t, want, got)
		r := fake.last(t)
		require.Equal(t, "POST", r.Method)
		require.Equal(t, "/api/chat.postMessage", r.Path)
		require.Equal(t, "Bearer "+slackToken, r.Auth)
		require.Equal(t, "application/json", r.ContentType)
		require.Equal(t, map[string]any{"channel": "C1", "text": "hello"}, r.Body,
			"absent optional thread_ts is dropped")
	}

	clients := []struct{ transport, version string }{
		{"http", "2026-07-28"},
		{"http", "2025-11-25"},
		{"http", "2025-06-18"},
		{"http", "2025-03-26"},
		{"sse", "2025-11-25"},
		{"sse", "2024-11-05"},
		{"stdio", "2026-07-28"},
		{"stdio", "2025-11-25"},
	}
	for _, c := range clients {
		t.Run(c.transport+"/"+c.version, func(t *testing.T) {
			cs := s.clientOrStdio(c.transport, c.version, nil)
			names := toolNames(t, cs)
			require.Contains(t, names, "slack_send_message")
			require.Contains(t, names, "list_integrations")
			require.Contains(t, names, "call_integration")

			text, res := callTool(t, cs, "slack_send_message", args)
			require.False(t, res.IsError, text)
			check(t, text)
			structured, err := json.Marshal(res.StructuredContent)
			require.NoError(t, err)
			require.JSONEq(t, want, string(structured))

			text, res = callTool(t, cs, "call_integration", map[string]any{
				"integration_id": "slack", "action": "send_message", "input": args})
			require.False(t, res.IsError, text)
			check(t, text)
		})
	}

	t.Run("rest", func(t *testing.T) {
		status, body := s.api("POST", "/api/v1/integrations/slack/actions/send_message",
			`{"channel":"C1","text":"hello"}`)
		require.Equal(t, 200, status, "%s", body)
		check(t, string(body))
	})
	t.Run("cli", func(t *testing.T) {
		cmd := in.command("call", "slack", "send_message", `{"channel":"C1","text":"hello"}`)
		cmd.Env = append(cmd.Env, "SWITCHBOARD_TOKEN="+in.adminKey())
		out, err := cmd.Output()
		require.NoError(t, err)
		check(t, string(out))
	})
}

// clientOrStdio connects over HTTP transports to s, or starts a stdio
// server on the same store.
func (s *server) clientOrStdio(transport, version string, onChange func()) *mcpClient {
	if transport == "stdio" {
		return s.in.stdioClient(s.in.adminKey(), version, onChange)
	}
	return s.client(transport, version, onChange)
}

// TestFailuresAreTheSameEverywhere checks that a bad input, an unconfigured
// integration, an action without implementation and a service refusal
// come back with the same code and message on REST and MCP, and that
// nothing reaches the service when it should not.
func TestFailuresAreTheSameEverywhere(t *testing.T) {
	t.Parallel()
	fake := newFakeSlack(t)
	in := newInstance(t)
	s := in.serve()
	cs := s.client("http", "2026-07-28", nil)

	// Deployed but not configured.
	status, body := s.api("POST", "/api/v1/integrations/catalog/slack/deploy", "")
	require.Equal(t, 200, status, "%s", body)
	status, body = s.api("POST", "/api/v1/integrations/slack/actions/send_message", `{"channel":"C1","text":"x"}`)
	require.Equal(t, 409, status)
	var p problem
	require.NoError(t, json.Unmarshal(body, &p))
	require.Equal(t, "not_configured", p.Code)
	require.Equal(t, []string{"botToken"}, p.Missing)
	text, res := callTool(t, cs, "slack_send_message", map[string]any{"channel": "C1", "text": "x"})
	require.True(t, res.IsError)
	require.Contains(t, text, "Slack is not configured: an administrator must set botToken")

	setupSlack(t, s, fake)
	before := fake.count()

	// Invalid input: every violation, service never contacted.
	status, body = s.api("POST", "/api/v1/integrations/slack/actions/send_message", `{"channel":5,"txt":"x"}`)
	require.Equal(t, 422, status)
	p = problem{}
	require.NoError(t, json.Unmarshal(body, &p))
	require.Equal(t, "invalid_input", p.Code)
	var paths []string
	for _, e := range p.Errors {
		paths = append(paths, e.Path)
	}
	require.ElementsMatch(t, []string{"/channel", "/text", "/txt"}, paths)
	text, res = callTool(t, cs, "slack_send_message", map[string]any{"channel": 5, "txt": "x"})
	require.True(t, res.IsError)
	for _, path := range paths {
		require.Contains(t, text, path)
	}
	require.Equal(t, before, fake.count(), "invalid input never reaches the service")

	// The service refuses: Slack's own code comes back.
	status, body = s.api("POST", "/api/v1/integrations/slack/actions/send_message", `{"channel":"C404","text":"x"}`)
	require.Equal(t, 502, status)
	p = problem{}
	require.NoError(t, json.Unmarshal(body, &p))
	require.Equal(t, "upstream_error", p.Code)
	require.Equal(t, "channel_not_found", p.UpstreamCode)
	require.Equal(t, 200, p.UpstreamStatus)
	text, res = callTool(t, cs, "slack_send_message", map[string]any{"channel": "C404", "text": "x"})
	require.True(t, res.IsError)
	require.Contains(t, text, "channel_not_found")

	// Unknown action and integration.
	status, _ = s.api("POST", "/api/v1/integrations/slack/actions/nope", `{}`)
	require.Equal(t, 404, status)
	text, res = callTool(t, cs, "call_integration", map[string]any{"integration_id": "nope", "action": "x"})
	require.True(t, res.IsError)
	require.Contains(t, text, `integration "nope" is not deployed`)

	// The documentation's manifest: deploys, answers not_implemented.
	status, body = s.api("POST", "/api/v1/integrations/catalog", docSlack("docslack"))
	require.Equal(t, 201, status, "%s", body)
	status, body = s.api("POST", "/api/v1/integrations/catalog/docslack/deploy", "")
	require.Equal(t, 200, status, "%s", body)
	status, body = s.api("PUT", "/api/v1/integrations/docslack/config", `{"botToken":"t"}`)
	require.Equal(t, 200, status, "%s", body)
	require.Contains(t, string(body), `"configured":true`)
	status, body = s.api("POST", "/api/v1/integrations/docslack/actions/send_message", `{"channel":"C","text":"x"}`)
	require.Equal(t, 501, status, "%s", body)
	require.Contains(t, string(body), "not_implemented")

	// The manifest format's schema is served as committed.
	status, body = s.apiAs("", "GET", "/api/v1/manifest.schema.json", "")
	require.Equal(t, 200, status)
	committed, err := os.ReadFile("../../docs/manifest.schema.json")
	require.NoError(t, err)
	require.Equal(t, string(committed), string(body))

	// No key, or a wrong one.
	status, _ = s.apiAs("", "GET", "/api/v1/integrations", "")
	require.Equal(t, 401, status)
	status, _ = s.apiAs("sbk_"+strings.Repeat("A", 43), "GET", "/api/v1/integrations", "")
	require.Equal(t, 401, status)
}

// docSlack is the product documentation's manifest under another app id.
func docSlack(id string) string {
	return fmt.Sprintf(`{"appId":%q,"name":"Slack","version":"1.0.0","type":"integration",
 "configSchema":{"properties":{"botToken":{"type":"string","platformSecret":"SLACK_BOT_TOKEN"}}},
 "actions":[{"id":"send_message","name":"Send Message",
   "description":"Post a message to a Slack channel",
   "inputSchema":{"type":"object","properties":{"channel":{"type":"string"},
     "text":{"type":"string"}},"required":["channel","text"]}}],
 "webhooks":["message"]}`, id)
}

type problem struct {
	Type           string   `json:"type"`
	Status         int      `json:"status"`
	Code           string   `json:"code"`
	Detail         string   `json:"detail"`
	RequestID      string   `json:"requestId"`
	Missing        []string `json:"missing"`
	UpstreamStatus int      `json:"upstreamStatus"`
	UpstreamCode   string   `json:"upstreamCode"`
	Errors         []struct {
		Path    string `json:"path"`
		Message string `json:"message"`
	} `json:"errors"`
}

// TestListChangedAcrossProcesses checks that MCP clients learn of deploys
// and undeploys made by this process, by a CLI on the same store while
// serve runs, and by serve while a stdio server runs.
func TestListChangedAcrossProcesses(t *testing.T) {
	t.Parallel()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			listChangedAcrossProcesses(t, kind.new(t))
		})
	}
}

func listChangedAcrossProcesses(t *testing.T, in *instance) {
	s := in.serve()
	var httpChanges, stdioChanges atomic.Int32
	httpClient := s.client("http", "2026-07-28", func() { httpChanges.Add(1) })
	legacyChanges := atomic.Int32{}
	legacyClient := s.client("http", "2025-11-25", func() { legacyChanges.Add(1) })
	stdio := in.stdioClient(in.adminKey(), "2025-11-25", func() { stdioChanges.Add(1) })

	// A CLI deploy while serve runs.
	in.mustCLI("", "deploy", "stripe")
	waitFor(t, "list_changed on the HTTP client", func() bool { return httpChanges.Load() > 0 })
	waitFor(t, "list_changed on the 2025-11-25 client", func() bool { return legacyChanges.Load() > 0 })
	waitFor(t, "list_changed on the stdio client", func() bool { return stdioChanges.Load() > 0 })
	require.Contains(t, toolNames(t, httpClient), "stripe_create_customer")
	require.Contains(t, toolNames(t, legacyClient), "stripe_create_customer")
	require.Contains(t, toolNames(t, stdio), "stripe_create_customer")

	// A REST deploy while the stdio server runs.
	n := stdioChanges.Load()
	status, body := s.api("POST", "/api/v1/integrations/catalog/slack/deploy", "")
	require.Equal(t, 200, status, "%s", body)
	waitFor(t, "list_changed after the REST deploy", func() bool { return stdioChanges.Load() > n })
	require.Contains(t, toolNames(t, stdio), "slack_send_message")

	// Undeploy through REST: everyone hears of it.
	h, sc := httpChanges.Load(), stdioChanges.Load()
	status, body = s.api("DELETE", "/api/v1/integrations/catalog/stripe", "")
	require.Equal(t, 200, status, "%s", body)
	waitFor(t, "list_changed after undeploy", func() bool {
		return httpChanges.Load() > h && stdioChanges.Load() > sc
	})
	require.NotContains(t, toolNames(t, httpClient), "stripe_create_customer")
	require.NotContains(t, toolNames(t, stdio), "stripe_create_customer")
}
