package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/rbac"
)

// routeCase is a request that succeeds with status when the caller holds
// grants, and is refused, naming the permission, without any one of them.
type routeCase struct {
	name   string
	method string
	path   string
	body   string
	grants []string
	status int
	// denied is the permission a refusal names, when it is not the one
	// taken away (a route that two permissions each open names the first).
	denied string
	// deniedWithout overrides denied for the grant taken away.
	deniedWithout map[string]string
}

var routeCases = []routeCase{
	{name: "create key", method: http.MethodPost, path: "/api/v1/keys",
		body:   `{"principal":"agent:bot","name":"ci"}`,
		grants: []string{rbac.KeysManage}, status: http.StatusCreated},
	{name: "list keys", method: http.MethodGet, path: "/api/v1/keys",
		grants: []string{rbac.KeysManage}, status: http.StatusOK},
	{name: "revoke key", method: http.MethodDelete, path: "/api/v1/keys/key_2",
		grants: []string{rbac.KeysManage}, status: http.StatusNoContent},
	{name: "offboard", method: http.MethodDelete, path: "/api/v1/principals/agent%3Abot",
		grants: []string{rbac.KeysManage, rbac.RBACManage}, status: http.StatusOK},
	{name: "list roles", method: http.MethodGet, path: "/api/v1/roles",
		grants: []string{rbac.RBACManage}, status: http.StatusOK},
	{name: "create role", method: http.MethodPost, path: "/api/v1/roles", body: `{"name":"qa"}`,
		grants: []string{rbac.RBACManage}, status: http.StatusCreated},
	{name: "update role", method: http.MethodPatch, path: "/api/v1/roles/ops",
		body: `{"description":"x"}`, grants: []string{rbac.RBACManage}, status: http.StatusOK},
	{name: "delete role", method: http.MethodDelete, path: "/api/v1/roles/ops",
		grants: []string{rbac.RBACManage}, status: http.StatusNoContent},
	{name: "assign role", method: http.MethodPost, path: "/api/v1/roles/assign",
		body:   `{"principal":"app:ci","role":"ops"}`,
		grants: []string{rbac.RBACManage}, status: http.StatusOK},
	{name: "revoke role", method: http.MethodPost, path: "/api/v1/roles/revoke",
		body:   `{"principal":"agent:bot","role":"ops"}`,
		grants: []string{rbac.RBACManage}, status: http.StatusOK},
	{name: "list assignments", method: http.MethodGet, path: "/api/v1/roles/assignments",
		grants: []string{rbac.RBACManage}, status: http.StatusOK},
	{name: "own permissions", method: http.MethodGet, path: "/api/v1/permissions",
		status: http.StatusOK},
	{name: "available permissions", method: http.MethodGet,
		path: "/api/v1/permissions/available", grants: []string{rbac.RBACManage},
		status: http.StatusOK},
	{name: "audit", method: http.MethodGet, path: "/api/v1/audit",
		grants: []string{rbac.AuditRead}, status: http.StatusOK},
	{name: "catalog", method: http.MethodGet, path: "/api/v1/integrations/catalog",
		grants: []string{rbac.IntegrationsDeploy}, status: http.StatusOK},
	{name: "upload", method: http.MethodPost, path: "/api/v1/integrations/catalog",
		body: uploadManifest, grants: []string{rbac.IntegrationsDeploy},
		status: http.StatusCreated},
	{name: "upload declaring a secret", method: http.MethodPost,
		path: "/api/v1/integrations/catalog", body: slackManifest,
		grants: []string{rbac.IntegrationsDeploy, rbac.SecretsManage},
		status: http.StatusCreated},
	{name: "deploy", method: http.MethodPost, path: "/api/v1/integrations/catalog/notes/deploy",
		grants: []string{rbac.IntegrationsDeploy}, status: http.StatusOK},
	{name: "deploy declaring a secret", method: http.MethodPost,
		path:   "/api/v1/integrations/catalog/slack/deploy",
		grants: []string{rbac.IntegrationsDeploy, rbac.SecretsManage}, status: http.StatusOK},
	{name: "undeploy", method: http.MethodDelete, path: "/api/v1/integrations/catalog/slack",
		grants: []string{rbac.IntegrationsDeploy}, status: http.StatusOK},
	// Purging deletes the integration's platform secrets.
	{name: "purge", method: http.MethodDelete, path: "/api/v1/integrations/catalog/slack?purge=true",
		grants: []string{rbac.IntegrationsDeploy, rbac.SecretsManage}, status: http.StatusOK},
	{name: "read config, managing it", method: http.MethodGet,
		path:   "/api/v1/integrations/slack/config",
		grants: []string{"integration:slack:manage"}, status: http.StatusOK},
	{name: "read config, configuring any", method: http.MethodGet,
		path:   "/api/v1/integrations/slack/config",
		grants: []string{rbac.IntegrationsConfigure}, status: http.StatusOK,
		denied: "integration:slack:manage"},
	{name: "set config, managing it", method: http.MethodPut,
		path: "/api/v1/integrations/slack/config", body: `{"baseUrl":"https://x.test"}`,
		grants: []string{"integration:slack:*", rbac.SecretsManage}, status: http.StatusOK,
		deniedWithout: map[string]string{"integration:slack:*": "integration:slack:manage"}},
	{name: "set config, configuring any", method: http.MethodPut,
		path: "/api/v1/integrations/slack/config", body: `{"baseUrl":"https://x.test"}`,
		grants: []string{rbac.IntegrationsConfigure, rbac.SecretsManage}, status: http.StatusOK,
		deniedWithout: map[string]string{rbac.IntegrationsConfigure: "integration:slack:manage"}},
	// The base URL decides where the bot token goes: moving it is a secret
	// matter.
	{name: "move the base URL", method: http.MethodPut,
		path: "/api/v1/integrations/slack/config", body: `{"baseUrl":"https://x.test"}`,
		grants: []string{"integration:slack:manage", rbac.SecretsManage}, status: http.StatusOK},
	{name: "set a secret", method: http.MethodPut,
		path: "/api/v1/integrations/slack/config", body: `{"botToken":"xoxb-1"}`,
		grants: []string{"integration:slack:manage", rbac.SecretsManage},
		status: http.StatusOK},
}

func TestRoutePermissions(t *testing.T) {
	t.Parallel()
	for _, tt := range routeCases {
		t.Run(tt.name+"/granted", func(t *testing.T) {
			t.Parallel()
			rec, _ := serveRouteCase(t, tt, tt.grants)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
		})
		for i, lacking := range tt.grants {
			t.Run(tt.name+"/without "+lacking, func(t *testing.T) {
				t.Parallel()
				rec, e := serveRouteCase(t, tt, slices.Delete(slices.Clone(tt.grants), i, i+1))
				require.Equal(t, http.StatusForbidden, rec.Code, rec.Body.String())
				p := problemOf(t, rec)
				require.Equal(t, "forbidden", p["code"])
				want := lacking
				if tt.denied != "" {
					want = tt.denied
				}
				if d, ok := tt.deniedWithout[lacking]; ok {
					want = d
				}
				require.Equal(t, want, p["permission"])
				require.Contains(t, p["detail"], want)
				require.Empty(t, e.changed(), "nothing changes before the check")
				require.Empty(t, e.audit.asked())
			})
		}
	}
}

func TestRoutesNeedAuthentication(t *testing.T) {
	t.Parallel()
	for _, tt := range routeCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			seedAccess(e)
			rec := e.do(tt.method, tt.path, "", strings.NewReader(tt.body))
			require.Equal(t, http.StatusUnauthorized, rec.Code)
			require.Equal(t, "unauthenticated", problemOf(t, rec)["code"])
			require.Empty(t, e.changed())
			require.Empty(t, e.authz.checked())
		})
	}
}

// serveRouteCase serves tt to member holding grants, over seeded fakes.
func serveRouteCase(t *testing.T, tt routeCase,
	grants []string) (*httptest.ResponseRecorder, *testEnv) {
	t.Helper()
	e := newEnv(t)
	seedAccess(e)
	e.authz.grants = grants
	return e.do(tt.method, tt.path, memberToken, strings.NewReader(tt.body)), e
}

func TestUnsetServicesLeaveRoutesUnrouted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Keys, c.Roles, c.Audit = nil, nil, nil })
	for _, path := range []string{"/api/v1/keys", "/api/v1/roles", "/api/v1/audit",
		"/api/v1/roles/assignments"} {
		rec := e.do(http.MethodGet, path, adminToken, nil)
		require.Equal(t, http.StatusNotFound, rec.Code, path)
	}
	rec := e.do(http.MethodDelete, "/api/v1/principals/user:a", adminToken, nil)
	require.Equal(t, http.StatusNotFound, rec.Code)
	rec = e.do(http.MethodGet, "/api/v1/permissions", adminToken, nil)
	require.Equal(t, http.StatusOK, rec.Code)
}

// recorder is an Auditor that keeps what it is given.
type recorder struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (r *recorder) Record(_ context.Context, e audit.Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
	return nil
}

func TestRefusedAdministrationIsAudited(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	e := newEnv(t, func(c *Config) { c.Auditor = rec })
	seedAccess(e)
	e.authz.grants = []string{"integration:slack:send_message"}
	res := e.do(http.MethodPost, "/api/v1/integrations/catalog/slack/deploy", memberToken, nil)
	require.Equal(t, http.StatusForbidden, res.Code)
	res = e.do(http.MethodGet, "/api/v1/integrations/slack/config", memberToken, nil)
	require.Equal(t, http.StatusForbidden, res.Code)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.entries, 2)
	for _, en := range rec.entries {
		require.Equal(t, audit.EventDenied, en.Event)
		require.Equal(t, audit.OutcomeDenied, en.Outcome)
		require.Equal(t, "slack", en.Integration)
	}
	require.Equal(t, rbac.IntegrationsDeploy, rec.entries[0].Detail["permission"])
	require.Equal(t, "POST /api/v1/integrations/catalog/{id}/deploy", rec.entries[0].Detail["route"])
	require.Equal(t, "integration:slack:manage", rec.entries[1].Detail["permission"])
}
