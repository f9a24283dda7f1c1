package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// stripeKey is a canary too: a test-mode key stripe-mock accepts.
const stripeKey = "sk_test_canary51f0a2c7e9"

// startStripeMock starts stripe-mock on 127.0.0.1, HTTP and HTTPS on ports
// it picks, and returns its HTTP base URL. Without the binary the test
// skips, saying how to install it; CI sets SWITCHBOARD_REQUIRE_STRIPE_MOCK
// so that it fails instead.
func startStripeMock(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		gopath := strings.TrimSpace(goEnv(t, "GOPATH"))
		if p := filepath.Join(gopath, "bin", "stripe-mock"); fileExists(p) {
			bin, err = p, nil
		}
	}
	if err != nil {
		msg := "stripe-mock is not installed: go install github.com/stripe/stripe-mock@v0.203.0"
		if os.Getenv("SWITCHBOARD_REQUIRE_STRIPE_MOCK") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = cmd.Stdout
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`Listening for HTTP at address: (\S+)`)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatal("stripe-mock did not start")
		return ""
	}
}

func goEnv(t *testing.T, name string) string {
	out, err := exec.Command("go", "env", name).Output()
	require.NoError(t, err)
	return string(out)
}

// TestStripeAgainstStripeMock runs the Stripe example against stripe-mock,
// an independent mock of Stripe's API. It keeps no state, so the test
// checks shapes, not round trips.
func TestStripeAgainstStripeMock(t *testing.T) {
	t.Parallel()
	base := startStripeMock(t)
	in := newInstance(t)
	s := in.serve()
	status, body := s.api("POST", "/api/v1/integrations/catalog/stripe/deploy", "")
	require.Equal(t, 200, status, "%s", body)
	status, body = s.api("PUT", "/api/v1/integrations/stripe/config",
		fmt.Sprintf(`{"secretKey":%q,"baseUrl":%q}`, stripeKey, base))
	require.Equal(t, 200, status, "%s", body)

	var customer struct {
		ID     string `json:"id"`
		Object string `json:"object"`
	}
	status, body = s.api("POST", "/api/v1/integrations/stripe/actions/create_customer",
		`{"email":"ada@example.com","name":"Ada","metadata":{"plan":"pro"}}`)
	require.Equal(t, 200, status, "%s", body)
	require.NoError(t, json.Unmarshal(body, &customer))
	require.Equal(t, "customer", customer.Object)
	require.True(t, strings.HasPrefix(customer.ID, "cus_"), customer.ID)

	cs := s.client("http", "2026-07-28", nil)
	text, res := callTool(t, cs, "stripe_list_customers", map[string]any{"limit": 3, "email": "ada@example.com"})
	require.False(t, res.IsError, text)
	var list struct {
		Object string            `json:"object"`
		Data   []json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(text), &list))
	require.Equal(t, "list", list.Object)

	text, res = callTool(t, cs, "stripe_get_customer", map[string]any{"id": "cus_123"})
	require.False(t, res.IsError, text)
	require.NoError(t, json.Unmarshal([]byte(text), &customer))
	require.Equal(t, "customer", customer.Object)

	// Input the schema refuses never reaches Stripe.
	status, body = s.api("POST", "/api/v1/integrations/stripe/actions/create_customer", `{"email":"not an email"}`)
	require.Equal(t, 422, status, "%s", body)

	// A key stripe-mock refuses: Stripe's error type comes back, and the
	// key, which stripe-mock echoes in its message, does not.
	const badKey = "bad-key-canary-93be"
	status, body = s.api("PUT", "/api/v1/integrations/stripe/config", fmt.Sprintf(`{"secretKey":%q}`, badKey))
	require.Equal(t, 200, status, "%s", body)
	status, body = s.api("POST", "/api/v1/integrations/stripe/actions/get_customer", `{"id":"cus_123"}`)
	require.Equal(t, 502, status, "%s", body)
	var p problem
	require.NoError(t, json.Unmarshal(body, &p))
	require.Equal(t, "upstream_error", p.Code)
	require.Equal(t, "invalid_request_error", p.UpstreamCode)
	require.Equal(t, 401, p.UpstreamStatus)
	require.NotContains(t, string(body), badKey)
	text, res = callTool(t, cs, "stripe_get_customer", map[string]any{"id": "cus_123"})
	require.True(t, res.IsError)
	require.Contains(t, text, "invalid_request_error")
	require.NotContains(t, text, badKey)
	require.NotContains(t, in.logs.String(), badKey)
}
