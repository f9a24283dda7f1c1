package httpapi

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/rbac"
)

// seedAccess gives alice two keys and a role, and bob one of each.
func seedAccess(e *testEnv) {
	e.keys.keys = []identity.APIKey{
		{ID: "key_1", Principal: "user:alice"},
		{ID: "key_2", Principal: "agent:bot"},
		{ID: "key_3", Principal: "user:alice"},
	}
	e.roles.stored = map[string]rbac.Role{"ops": {Name: "ops"}}
	e.roles.assigned = []rbac.Assignment{
		{Principal: "agent:bot", Role: "ops"},
		{Principal: "user:alice", Role: "ops"},
	}
}

func TestRemovePrincipal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		path   string
		status int
		want   string
	}{
		{name: "escaped", path: "user%3Aalice", status: http.StatusOK,
			want: `{"principal":"user:alice","keysRevoked":2,"rolesRemoved":1,"delegationsRevoked":0,"subscriptionsRemoved":0,"connectionsRemoved":0}`},
		{name: "unescaped", path: "user:alice", status: http.StatusOK,
			want: `{"principal":"user:alice","keysRevoked":2,"rolesRemoved":1,"delegationsRevoked":0,"subscriptionsRemoved":0,"connectionsRemoved":0}`},
		{name: "nothing to remove", path: "app%3Aci", status: http.StatusOK,
			want: `{"principal":"app:ci","keysRevoked":0,"rolesRemoved":0,"delegationsRevoked":0,"subscriptionsRemoved":0,"connectionsRemoved":0}`},
		{name: "external subject", path: "user%3Aauth0%7C6543", status: http.StatusOK,
			want: `{"principal":"user:auth0|6543","keysRevoked":0,"rolesRemoved":0,"delegationsRevoked":0,"subscriptionsRemoved":0,"connectionsRemoved":0}`},
		{name: "no kind", path: "alice", status: http.StatusBadRequest},
		{name: "escaped slash", path: "user%3Aa%2Fb", status: http.StatusBadRequest},
		// Unescaped once, %2541 is "%41", which no principal holds; a
		// second unescaping would turn it into user:aA.
		{name: "unescaped once only", path: "user:a%2541", status: http.StatusBadRequest},
		{name: "escaped once only", path: "user%3Aa%2541", status: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			seedAccess(e)
			rec := e.do(http.MethodDelete, "/api/v1/principals/"+tt.path, adminToken, nil)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.want == "" {
				p := problemOf(t, rec)
				require.Equal(t, "invalid_request", p["code"])
				require.Contains(t, p["detail"], "principal")
				require.Empty(t, e.changed())
				return
			}
			require.JSONEq(t, tt.want, rec.Body.String())
			who := jsonOf(t, rec)["principal"].(string)
			require.Equal(t, []string{"revoke-all " + who}, e.keys.changed())
			require.Equal(t, []string{"remove " + who}, e.roles.changed())
		})
	}
}

func TestRemovePrincipalLeavesOthers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seedAccess(e)
	rec := e.do(http.MethodDelete, "/api/v1/principals/user%3Aalice", adminToken, nil)
	require.Equal(t, http.StatusOK, rec.Code)

	rec = e.do(http.MethodGet, "/api/v1/keys", adminToken, nil)
	require.JSONEq(t, `{"keys":[{"id":"key_2","principal":"agent:bot","name":"",
	  "createdAt":"0001-01-01T00:00:00Z"}]}`, rec.Body.String())
	rec = e.do(http.MethodGet, "/api/v1/roles/assignments", adminToken, nil)
	require.JSONEq(t, `{"assignments":[{"principal":"agent:bot","role":"ops"}]}`,
		rec.Body.String())
}

func TestRemovePrincipalKeysFail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seedAccess(e)
	e.keys.err = errors.New("key store down")
	rec := e.do(http.MethodDelete, "/api/v1/principals/user%3Aalice", adminToken, nil)
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.NotContains(t, rec.Body.String(), "key store down")
	require.Empty(t, e.roles.changed(), "roles stay while keys may still work")
}
