package httpapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestListIntegrations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := e.do(http.MethodGet, "/api/v1/integrations", memberToken, nil)
	require.Equal(t, http.StatusOK, rec.Code)

	list := jsonOf(t, rec)["integrations"].([]any)
	require.Len(t, list, 2)
	slack := list[0].(map[string]any)
	require.Equal(t, "slack", slack["id"], "deployment order")
	require.Equal(t, "notes", list[1].(map[string]any)["id"])
	require.Equal(t, "1.2.0", slack["version"])
	require.Equal(t, true, slack["configured"])
	require.Equal(t, "2025-03-01T12:00:00Z", slack["deployedAt"])
	action := slack["actions"].([]any)[0].(map[string]any)
	require.Equal(t, "slack_send_message", action["tool"])
	require.Equal(t, "integration:slack:send_message", action["permission"])
	require.Contains(t, action, "inputSchema", "camelCase keys")
	require.Contains(t, slack, "configSchema")
	require.Equal(t, []any{
		map[string]any{"name": "botToken", "secret": true, "set": true},
		map[string]any{"name": "baseUrl", "secret": false, "set": true},
	}, slack["config"])
}

func TestListIntegrationsEmpty(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.reg.snap = newSnapshot(t, nil)
	rec := e.do(http.MethodGet, "/api/v1/integrations", memberToken, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"integrations":[]}`, rec.Body.String())
}

func TestGetIntegration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		id     string
		status int
	}{
		{name: "installed", id: "notes", status: http.StatusOK},
		{name: "not installed", id: "stripe", status: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			rec := e.do(http.MethodGet, "/api/v1/integrations/"+tt.id, memberToken, nil)
			require.Equal(t, tt.status, rec.Code)
			if tt.status != http.StatusOK {
				p := problemOf(t, rec)
				require.Equal(t, "not_found", p["code"])
				require.Contains(t, p["detail"], `"stripe"`)
				return
			}
			d := jsonOf(t, rec)
			require.Equal(t, "notes", d["id"])
			require.Len(t, d["actions"], 2)
		})
	}
}
