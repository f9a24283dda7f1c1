package httpapi

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/rbac"
)

func TestListPermissions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		token  string
		grants []string
		want   string
	}{
		{name: "member with grants", token: memberToken,
			grants: []string{"integration:notes:*", rbac.AuditRead},
			want: `{"principal":"user:member",
			  "permissions":["admin:audit.read","integration:notes:*"]}`},
		{name: "member without", token: memberToken,
			want: `{"principal":"user:member","permissions":[]}`},
		{name: "admin", token: adminToken, want: `{"principal":"user:admin","permissions":["*"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.authz.grants = tt.grants
			rec := e.do(http.MethodGet, "/api/v1/permissions", tt.token, nil)
			require.Equal(t, http.StatusOK, rec.Code)
			require.JSONEq(t, tt.want, rec.Body.String())
		})
	}
}

// claimStore holds one role, ops, which grants admin:audit.read and which
// no one is assigned: only a token claiming it grants it. It serves reads
// only.
type claimStore struct{ rbac.Store }

func (claimStore) Roles(context.Context) ([]rbac.Role, error) {
	return []rbac.Role{{Name: "ops", Permissions: []string{rbac.AuditRead}}}, nil
}

func (claimStore) Assignments(context.Context, string) ([]rbac.Assignment, error) {
	return nil, nil
}

// newClaimsAuthorizer returns a real authorizer over claimStore.
func newClaimsAuthorizer(t *testing.T) *rbac.Authorizer {
	t.Helper()
	a, err := rbac.New(t.Context(), rbac.Config{Store: claimStore{}})
	require.NoError(t, err)
	return a
}

func TestClaimedRolesGrant(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		token  string
		perms  string
		status int
	}{
		{name: "token claiming ops", token: jwtToken,
			perms:  `{"principal":"user:carol","permissions":["admin:audit.read"]}`,
			status: http.StatusOK},
		{name: "api key", token: memberToken,
			perms: `{"principal":"user:member","permissions":[]}`, status: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *Config) { c.Authorizer = newClaimsAuthorizer(t) })
			rec := e.do(http.MethodGet, "/api/v1/permissions", tt.token, nil)
			require.Equal(t, http.StatusOK, rec.Code)
			require.JSONEq(t, tt.perms, rec.Body.String())
			rec = e.do(http.MethodGet, "/api/v1/audit", tt.token, nil)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
		})
	}
}

func TestAvailablePermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := e.do(http.MethodGet, "/api/v1/permissions/available", adminToken, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	var keys []string
	for _, p := range jsonOf(t, rec)["permissions"].([]any) {
		perm := p.(map[string]any)
		require.NotEmpty(t, perm["description"])
		keys = append(keys, perm["key"].(string))
	}
	want := append(rbac.AdminKeys(),
		"integration:slack:send_message", "integration:slack:manage", "integration:slack:events",
		"integration:notes:list", "integration:notes:add", "integration:notes:manage")
	require.Equal(t, want, keys)
}
