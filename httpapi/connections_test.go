package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/credentials"
	"github.com/switchboard-dev/switchboard/rbac"
)

func TestAuthStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		id     string
		grants []string
		noMgr  bool
		want   string // JSON, or "" for not_found
	}{
		{name: "oauth2 with a dead connection", id: "github",
			grants: []string{"integration:github:list_repos"},
			want:   `{"connected":true,"connectionCount":2,"deadCount":1,"model":"oauth2"}`},
		{name: "credential form, none yet", id: "notion", grants: []string{"integration:*"},
			want: `{"connected":false,"connectionCount":0,"deadCount":0,"model":"credentials"}`},
		{name: "redirect", id: "demo", grants: []string{"integration:demo:run"},
			want: `{"connected":false,"connectionCount":0,"deadCount":0,"model":"redirect"}`},
		{name: "platform, configured", id: "slack", grants: []string{"integration:slack:*"},
			want: `{"connected":true,"connectionCount":0,"deadCount":0,"model":"platform"}`},
		{name: "platform, nothing to configure", id: "notes",
			grants: []string{"integration:notes:list"},
			want:   `{"connected":true,"connectionCount":0,"deadCount":0,"model":"platform"}`},
		{name: "platform, not configured", id: "jira", grants: []string{"integration:jira:search"},
			want: `{"connected":false,"connectionCount":0,"deadCount":0,"model":"platform"}`},
		{name: "manage is enough", id: "github", grants: []string{"integration:github:manage"},
			want: `{"connected":true,"connectionCount":2,"deadCount":1,"model":"oauth2"}`},
		{name: "no right", id: "github", grants: []string{"integration:notion:search",
			rbac.IntegrationsDeploy}},
		{name: "not installed", id: "stripe", grants: []string{"*"}},
		{name: "no manager, platform", id: "slack", noMgr: true,
			grants: []string{"integration:slack:*"},
			want:   `{"connected":true,"connectionCount":0,"deadCount":0,"model":"platform"}`},
		{name: "no manager, oauth2", id: "github", noMgr: true,
			grants: []string{"integration:github:*"},
			want:   `{"connected":false,"connectionCount":0,"deadCount":0,"model":"oauth2"}`},
		{name: "no manager, no right", id: "github", noMgr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newConnEnv(t, func(c *Config) {
				if tt.noMgr {
					c.Connections = nil
				}
			})
			e.authz.grants = tt.grants
			e.conns.add("github", member.String(), "Work", credentials.StatusActive)
			e.conns.add("github", member.String(), "Old", credentials.StatusDead)
			e.conns.add("github", carol.String(), "Carol's", credentials.StatusActive)

			rec := e.do(http.MethodGet, "/api/v1/integrations/"+tt.id+"/auth", memberToken, nil)
			if tt.want == "" {
				requireNotDeployed(t, rec, tt.id)
				return
			}
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.JSONEq(t, tt.want, rec.Body.String())
			require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		})
	}
}

// requireNotDeployed checks the answer a caller gets for an integration
// it may not see, the same as for one not deployed.
func requireNotDeployed(t *testing.T, rec interface {
	Result() *http.Response
}, id string) {
	t.Helper()
	res := rec.Result()
	defer res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode)
	var p map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&p))
	require.Equal(t, "not_found", p["code"])
	require.Equal(t, `integration "`+id+`" is not deployed`, p["detail"])
}

func TestWithoutManagerRoutesAreUnrouted(t *testing.T) {
	t.Parallel()
	e := newConnEnv(t, func(c *Config) { c.Connections = nil })
	tests := []struct{ name, method, path string }{
		{"start", http.MethodPost, "/api/v1/integrations/github/auth/start"},
		{"credentials", http.MethodPost, "/api/v1/integrations/notion/auth/credentials"},
		{"delete all", http.MethodDelete, "/api/v1/integrations/github/auth"},
		{"list", http.MethodGet, "/api/v1/integrations/github/connections"},
		{"rename", http.MethodPatch, "/api/v1/integrations/github/connections/conn_1"},
		{"refresh", http.MethodPost, "/api/v1/integrations/github/connections/conn_1/refresh"},
		{"callback", http.MethodGet, credentials.CallbackPath + "?state=x"},
		{"connect link", http.MethodGet, credentials.ConnectPath + "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := e.do(tt.method, tt.path, adminToken, nil)
			require.Contains(t, []int{http.StatusNotFound, http.StatusMethodNotAllowed}, rec.Code)
		})
	}
}

func TestStartAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		id     string
		token  string
		grants []string
		body   string
		status int
		// want holds fields the answer must have; code the problem's code.
		want  map[string]any
		code  string
		start string // the Start call recorded, "" for none
	}{
		{name: "oauth2", id: "github", grants: []string{"integration:github:list_repos"},
			status: 200, want: map[string]any{"type": "redirect"},
			start: "Start github user:member "},
		{name: "oauth2 with an allowed returnTo", id: "github",
			grants: []string{"integration:github:*"},
			body:   `{"returnTo":"https://app.example.com/settings?tab=1"}`,
			status: 200, want: map[string]any{"type": "redirect"},
			start: "Start github user:member https://app.example.com/settings?tab=1"},
		{name: "prefix without slash at a boundary", id: "github",
			grants: []string{"integration:github:*"},
			body:   `{"returnTo":"https://admin.example.com/x"}`, status: 200,
			want:  map[string]any{"type": "redirect"},
			start: "Start github user:member https://admin.example.com/x"},
		{name: "returnTo elsewhere", id: "github", grants: []string{"integration:github:*"},
			body: `{"returnTo":"https://evil.example/"}`, status: 400, code: "invalid_request"},
		{name: "returnTo past the boundary", id: "github",
			grants: []string{"integration:github:*"},
			body:   `{"returnTo":"https://admin.example.com.evil.example/"}`, status: 400,
			code: "invalid_request"},
		{name: "unknown field", id: "github", grants: []string{"integration:github:*"},
			body: `{"return_to":"https://app.example.com/"}`, status: 400, code: "invalid_request"},
		{name: "credential form", id: "notion", grants: []string{"integration:notion:search"},
			status: 200, want: map[string]any{"type": "credentials"},
			start: "Start notion user:member "},
		{name: "redirect needs a backend", id: "demo", grants: []string{"integration:demo:run"},
			status: 501, code: "not_implemented", start: "Start demo user:member "},
		{name: "oauth2 without a right", id: "github",
			grants: []string{"integration:notion:search"}, status: 404, code: "not_found"},
		{name: "platform to a member", id: "jira", grants: []string{"integration:jira:search"},
			status: 409, code: "not_configured"},
		{name: "platform to its manager", id: "jira", grants: []string{"integration:jira:manage"},
			status: 200, want: map[string]any{"type": "config", "missing": []any{"apiToken"}}},
		{name: "platform to a configurer", id: "slack",
			grants: []string{rbac.IntegrationsConfigure}, status: 200,
			want: map[string]any{"type": "config", "missing": []any{}}},
		{name: "platform without a right", id: "slack", grants: []string{rbac.IntegrationsDeploy},
			status: 404, code: "not_found"},
		{name: "not installed", id: "stripe", token: adminToken, status: 404, code: "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newConnEnv(t)
			e.authz.grants = tt.grants
			token := cmpOr(tt.token, memberToken)
			rec := e.do(http.MethodPost, "/api/v1/integrations/"+tt.id+"/auth/start", token,
				strings.NewReader(tt.body))
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.code != "" {
				p := problemOf(t, rec)
				require.Equal(t, tt.code, p["code"])
				if tt.code == "not_configured" {
					require.Equal(t, []any{"apiToken"}, p["missing"])
				}
			} else {
				got := jsonOf(t, rec)
				for k, v := range tt.want {
					require.Equal(t, v, got[k], k)
				}
				requireFlowShape(t, got)
			}
			var starts []string
			for _, c := range e.conns.recorded() {
				if strings.HasPrefix(c, "Start ") {
					starts = append(starts, c)
				}
			}
			if tt.start == "" {
				require.Empty(t, starts)
			} else {
				require.Equal(t, []string{tt.start}, starts)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// requireFlowShape checks the fields each type of flow answers with.
func requireFlowShape(t *testing.T, got map[string]any) {
	t.Helper()
	switch got["type"] {
	case "redirect":
		// A connect link, never the provider's URL: the browser confirms
		// the user there, and the flow is bound to it.
		require.Contains(t, got["url"], credentials.ConnectPath+linkSecret)
		require.NotContains(t, got["url"], "github.example")
		require.NotContains(t, got, "schema")
	case "credentials":
		require.Equal(t, "object", got["schema"].(map[string]any)["type"])
		require.NotContains(t, got, "url")
	case "config":
		require.Equal(t, "object", got["schema"].(map[string]any)["type"])
	}
}

func TestSaveCredentials(t *testing.T) {
	t.Parallel()
	const secret = "ntn_SUPER_SECRET_VALUE"
	tests := []struct {
		name   string
		id     string
		grants []string
		body   string
		status int
		code   string
		errors []any
	}{
		{name: "saved", id: "notion", grants: []string{"integration:notion:search"},
			body: `{"credentials":{"token":"` + secret + `"},"label":"Work"}`, status: 201},
		{name: "without a label", id: "notion", grants: []string{"integration:notion:manage"},
			body: `{"credentials":{"token":"` + secret + `"}}`, status: 201},
		{name: "not matching the schema", id: "notion", grants: []string{"integration:notion:*"},
			body:   `{"credentials":{"token":"","port":"` + secret + `"}}`,
			status: 422, code: "invalid_input", errors: []any{
				map[string]any{"path": "/token", "message": "required"},
				map[string]any{"path": "/port", "message": "got string, want integer"}}},
		{name: "no credentials", id: "notion", grants: []string{"integration:notion:*"},
			body: `{"label":"Work"}`, status: 422, code: "invalid_input", errors: []any{
				map[string]any{"path": "/credentials", "message": "required"}}},
		{name: "null credentials", id: "notion", grants: []string{"integration:notion:*"},
			body: `{"credentials":null}`, status: 422, code: "invalid_input"},
		{name: "unknown field", id: "notion", grants: []string{"integration:notion:*"},
			body: `{"credentials":{"token":"x"},"secret":"` + secret + `"}`, status: 400,
			code: "invalid_request"},
		{name: "empty body", id: "notion", grants: []string{"integration:notion:*"},
			status: 400, code: "invalid_request"},
		{name: "an oauth2 integration", id: "github", grants: []string{"integration:github:*"},
			body: `{"credentials":{"token":"x"}}`, status: 400, code: "invalid_request"},
		{name: "no right", id: "notion", grants: []string{"integration:github:*"},
			body: `{"credentials":{"token":"` + secret + `"}}`, status: 404, code: "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newConnEnv(t)
			e.authz.grants = tt.grants
			rec := e.do(http.MethodPost, "/api/v1/integrations/"+tt.id+"/auth/credentials",
				memberToken, strings.NewReader(tt.body))
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			require.NotContains(t, rec.Body.String(), secret)
			require.NotContains(t, e.logs.String(), secret)
			if tt.code != "" {
				p := problemOf(t, rec)
				require.Equal(t, tt.code, p["code"])
				if tt.errors != nil {
					require.Equal(t, tt.errors, p["errors"])
				}
				return
			}
			got := jsonOf(t, rec)
			list, err := e.conns.Connections(t.Context(), "notion", member)
			require.NoError(t, err)
			require.Len(t, list, 1)
			require.Equal(t, map[string]any{"connectionId": list[0].ID}, got)
		})
	}
}

func TestListConnections(t *testing.T) {
	t.Parallel()
	e := newConnEnv(t)
	e.authz.grants = []string{"integration:github:list_repos"}
	e.conns.add("github", member.String(), "Work", credentials.StatusActive)
	e.conns.add("github", carol.String(), "Carol's", credentials.StatusActive)
	e.conns.add("notion", member.String(), "Elsewhere", credentials.StatusActive)
	e.conns.add("github", member.String(), "Old", credentials.StatusDead)

	rec := e.do(http.MethodGet, "/api/v1/integrations/github/connections", memberToken, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.JSONEq(t, `{"connections":[
	  {"id":"conn_1","label":"Work","kind":"oauth2","status":"active",
	   "createdAt":"2025-05-06T07:08:09Z","updatedAt":"2025-05-06T07:08:09Z",
	   "expiresAt":"2025-05-06T08:08:09Z"},
	  {"id":"conn_4","label":"Old","kind":"oauth2","status":"dead",
	   "lastError":"invalid_grant: the refresh token was revoked",
	   "createdAt":"2025-05-06T07:08:09Z","updatedAt":"2025-05-06T07:08:09Z",
	   "expiresAt":"2025-05-06T08:08:09Z"}]}`, rec.Body.String())
	require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))

	t.Run("none", func(t *testing.T) {
		t.Parallel()
		rec := e.do(http.MethodGet, "/api/v1/integrations/github/connections", adminToken, nil)
		require.Equal(t, http.StatusOK, rec.Code)
		require.JSONEq(t, `{"connections":[]}`, rec.Body.String())
	})
	t.Run("no right", func(t *testing.T) {
		t.Parallel()
		rec := e.do(http.MethodGet, "/api/v1/integrations/notion/connections", memberToken, nil)
		requireNotDeployed(t, rec, "notion")
	})
}

func TestConnectionByID(t *testing.T) {
	t.Parallel()
	connectURL := "https://switchboard.example/api/v1/connect/" + linkSecret
	tests := []struct {
		name       string
		method     string
		path       string // after /api/v1/integrations/
		body       string
		grants     []string
		refreshErr error
		status     int
		code       string
		want       string // JSON of a success with a body
		call       string // the manager call recorded, "" for none
	}{
		{name: "rename", method: http.MethodPatch, path: "github/connections/conn_1",
			body: `{"label":"Personal"}`, grants: []string{"integration:github:list_repos"},
			status: 200, call: "Rename github user:member conn_1 Personal",
			want: `{"id":"conn_1","label":"Personal","kind":"oauth2","status":"active",
			  "createdAt":"2025-05-06T07:08:09Z","updatedAt":"2025-05-06T07:08:09Z",
			  "expiresAt":"2025-05-06T08:08:09Z"}`},
		{name: "rename without a label", method: http.MethodPatch, path: "github/connections/conn_1",
			body: `{}`, grants: []string{"integration:github:*"}, status: 422,
			code: "invalid_input", call: "Rename github user:member conn_1 "},
		{name: "rename with an unknown field", method: http.MethodPatch,
			path: "github/connections/conn_1", body: `{"label":"x","status":"active"}`,
			grants: []string{"integration:github:*"}, status: 400, code: "invalid_request"},
		{name: "rename another user's", method: http.MethodPatch,
			path: "github/connections/conn_2", body: `{"label":"Mine"}`,
			grants: []string{"integration:github:*"}, status: 404, code: "not_found",
			call: "Rename github user:member conn_2 Mine"},
		{name: "rename without a right", method: http.MethodPatch,
			path: "github/connections/conn_1", body: `{"label":"x"}`,
			grants: []string{"integration:notion:*"}, status: 404, code: "not_found"},
		{name: "delete", method: http.MethodDelete, path: "github/connections/conn_1",
			grants: []string{"integration:github:create_issue"}, status: 204,
			call: "Delete github user:member conn_1"},
		{name: "delete another user's", method: http.MethodDelete,
			path: "github/connections/conn_2", grants: []string{"integration:github:*"},
			status: 404, code: "not_found", call: "Delete github user:member conn_2"},
		{name: "delete through another integration", method: http.MethodDelete,
			path: "notion/connections/conn_1", grants: []string{"integration:*"},
			status: 404, code: "not_found", call: "Delete notion user:member conn_1"},
		{name: "delete without a right", method: http.MethodDelete,
			path: "github/connections/conn_1", status: 404, code: "not_found"},
		{name: "delete all", method: http.MethodDelete, path: "github/auth",
			grants: []string{"integration:github:manage"}, status: 200, want: `{"deleted":1}`,
			call: "DeleteAll github user:member"},
		{name: "delete all without a right", method: http.MethodDelete, path: "github/auth",
			grants: []string{rbac.IntegrationsConfigure}, status: 404, code: "not_found"},
		{name: "refresh", method: http.MethodPost, path: "github/connections/conn_1/refresh",
			grants: []string{"integration:github:list_repos"}, status: 200,
			call: "Refresh github user:member conn_1",
			want: `{"id":"conn_1","label":"Work","kind":"oauth2","status":"active",
			  "createdAt":"2025-05-06T07:08:09Z","updatedAt":"2025-05-06T07:08:09Z",
			  "expiresAt":"2025-05-06T09:08:09Z"}`},
		{name: "refresh with the provider down", method: http.MethodPost,
			path: "github/connections/conn_1/refresh", grants: []string{"integration:github:*"},
			refreshErr: &switchboard.Error{Code: switchboard.CodeUpstream, UpstreamStatus: 503,
				Message: "GitHub's token endpoint failed: 503; try again"},
			status: 502, code: "upstream_error", call: "Refresh github user:member conn_1"},
		{name: "refresh refused", method: http.MethodPost,
			path: "github/connections/conn_1/refresh", grants: []string{"integration:github:*"},
			refreshErr: &switchboard.Error{Code: switchboard.CodeNotConnected,
				Message: "the connection no longer works", ConnectURL: connectURL},
			status: 409, code: "not_connected", call: "Refresh github user:member conn_1"},
		{name: "refresh another user's", method: http.MethodPost,
			path: "github/connections/conn_2/refresh", grants: []string{"integration:github:*"},
			status: 404, code: "not_found", call: "Refresh github user:member conn_2"},
		{name: "refresh without a right", method: http.MethodPost,
			path: "github/connections/conn_1/refresh", status: 404, code: "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newConnEnv(t)
			e.authz.grants = tt.grants
			e.conns.refreshErr = tt.refreshErr
			e.conns.add("github", member.String(), "Work", credentials.StatusActive)
			e.conns.add("github", carol.String(), "Carol's", credentials.StatusActive)

			rec := e.do(tt.method, "/api/v1/integrations/"+tt.path, memberToken,
				strings.NewReader(tt.body))
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			switch {
			case tt.code != "":
				p := problemOf(t, rec)
				require.Equal(t, tt.code, p["code"])
				if tt.code == "not_connected" {
					require.Equal(t, connectURL, p["connectUrl"])
				}
			case tt.want != "":
				require.JSONEq(t, tt.want, rec.Body.String())
			default:
				require.Empty(t, rec.Body.String())
			}
			calls := e.conns.recorded()
			if tt.call == "" {
				require.Empty(t, calls)
			} else {
				require.Equal(t, []string{tt.call}, calls)
			}
			carols, err := e.conns.Connections(t.Context(), "github", carol)
			require.NoError(t, err)
			require.Len(t, carols, 1, "another user's connection is never touched")
			require.Equal(t, "Carol's", carols[0].Label)
		})
	}
}
