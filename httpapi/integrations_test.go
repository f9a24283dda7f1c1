package httpapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/rbac"
)

func TestListIntegrations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := e.do(http.MethodGet, "/api/v1/integrations", adminToken, nil)
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
	rec := e.do(http.MethodGet, "/api/v1/integrations", adminToken, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"integrations":[]}`, rec.Body.String())
}

// visibleActions returns the action ids of each integration an answer
// lists, by integration id.
func visibleActions(t *testing.T, list []any) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, item := range list {
		d := item.(map[string]any)
		ids := []string{}
		for _, a := range d["actions"].([]any) {
			ids = append(ids, a.(map[string]any)["id"].(string))
		}
		out[d["id"].(string)] = ids
	}
	return out
}

func TestListIntegrationsFiltered(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		grants []string
		want   map[string][]string
	}{
		{name: "nothing", want: map[string][]string{}},
		{name: "one action of two", grants: []string{"integration:notes:list"},
			want: map[string][]string{"notes": {"list"}}},
		{name: "every action by pattern", grants: []string{"integration:notes:*"},
			want: map[string][]string{"notes": {"list", "add"}}},
		{name: "manage shows every action", grants: []string{"integration:slack:manage"},
			want: map[string][]string{"slack": {"send_message"}}},
		{name: "two integrations", grants: []string{"integration:notes:add",
			"integration:slack:send_message"},
			want: map[string][]string{"slack": {"send_message"}, "notes": {"add"}}},
		{name: "deploy shows everything", grants: []string{rbac.IntegrationsDeploy},
			want: map[string][]string{"slack": {"send_message"}, "notes": {"list", "add"}}},
		{name: "configure alone shows nothing", grants: []string{rbac.IntegrationsConfigure},
			want: map[string][]string{}},
		{name: "an action not installed", grants: []string{"integration:stripe:charge"},
			want: map[string][]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.authz.grants = tt.grants
			rec := e.do(http.MethodGet, "/api/v1/integrations", memberToken, nil)
			require.Equal(t, http.StatusOK, rec.Code)
			list := jsonOf(t, rec)["integrations"].([]any)
			require.Equal(t, tt.want, visibleActions(t, list))
		})
	}
}

func TestGetIntegration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		grants  []string
		id      string
		actions []string
	}{
		{name: "all of it", grants: []string{"integration:notes:manage"}, id: "notes",
			actions: []string{"list", "add"}},
		{name: "the action it may call", grants: []string{"integration:notes:add"},
			id: "notes", actions: []string{"add"}},
		{name: "invisible", grants: []string{"integration:notes:add"}, id: "slack"},
		{name: "nothing granted", id: "notes"},
		{name: "not installed", grants: []string{"*"}, id: "stripe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.authz.grants = tt.grants
			rec := e.do(http.MethodGet, "/api/v1/integrations/"+tt.id, memberToken, nil)
			if tt.actions == nil {
				require.Equal(t, http.StatusNotFound, rec.Code)
				p := problemOf(t, rec)
				require.Equal(t, "not_found", p["code"])
				require.Equal(t, `integration "`+tt.id+`" is not deployed`, p["detail"],
					"the same answer whether or not it exists")
				return
			}
			require.Equal(t, http.StatusOK, rec.Code)
			d := jsonOf(t, rec)
			require.Equal(t, tt.id, d["id"])
			require.Equal(t, map[string][]string{tt.id: tt.actions},
				visibleActions(t, []any{d}))
		})
	}
}
