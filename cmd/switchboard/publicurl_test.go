package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCommandsUseTheServersPublicURL starts the server on an address of
// its own, with no public URL set anywhere, and checks that commands run
// beside it agree with it: a delegation token issued by the CLI names the
// server as its issuer, and a deploy prints the server's listener URL.
func TestCommandsUseTheServersPublicURL(t *testing.T) {
	t.Parallel()
	in := newInstance(t)
	s := in.serve()
	status, body := s.api("POST", "/api/v1/roles",
		`{"name":"auditor","permissions":["admin:audit.read"]}`)
	require.Equal(t, 201, status, "%s", body)
	status, body = s.api("POST", "/api/v1/roles/assign", `{"principal":"agent:bot","role":"auditor"}`)
	require.Equal(t, 200, status, "%s", body)

	cmd := in.command("delegate", "--agent", "agent:bot", "--scope", "admin:audit.read")
	cmd.Env = append(cmd.Env, "SWITCHBOARD_TOKEN="+in.adminKey())
	out, err := cmd.Output()
	require.NoError(t, err, "%s", in.logs.String())
	token := strings.TrimSpace(string(out))
	status, body = s.apiAs(token, "GET", "/api/v1/audit?limit=1", "")
	require.Equal(t, 200, status, "%s", body)

	deployed := in.mustCLI("", "deploy", "github")
	require.Contains(t, deployed, s.url+"/api/v1/hooks/sbh_")
}
