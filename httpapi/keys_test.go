package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/identity"
)

func TestCreateKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		path   string // of the field error, for invalid_input
		detail string
	}{
		{name: "created", body: `{"principal":"agent:bot","name":"ci"}`,
			status: http.StatusCreated},
		{name: "empty body", body: "", status: http.StatusBadRequest, code: "invalid_request"},
		{name: "bad JSON", body: `{"principal":`, status: http.StatusBadRequest,
			code: "invalid_request", detail: "not valid JSON"},
		{name: "unknown field", body: `{"principal":"agent:bot","name":"ci","scope":"x"}`,
			status: http.StatusBadRequest, code: "invalid_request",
			detail: `unknown field "scope"`},
		{name: "wrong type", body: `{"principal":7,"name":"ci"}`,
			status: http.StatusBadRequest, code: "invalid_request", detail: `"principal"`},
		{name: "no principal", body: `{"name":"ci"}`, status: http.StatusUnprocessableEntity,
			code: "invalid_input", path: "principal"},
		{name: "principal without kind", body: `{"principal":"bot","name":"ci"}`,
			status: http.StatusUnprocessableEntity, code: "invalid_input", path: "principal"},
		{name: "principal of unknown kind", body: `{"principal":"robot:x","name":"ci"}`,
			status: http.StatusUnprocessableEntity, code: "invalid_input", path: "principal"},
		{name: "principal with a slash", body: `{"principal":"user:a/b","name":"ci"}`,
			status: http.StatusUnprocessableEntity, code: "invalid_input", path: "principal"},
		{name: "no name", body: `{"principal":"agent:bot"}`,
			status: http.StatusUnprocessableEntity, code: "invalid_input", path: "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			rec := e.do(http.MethodPost, "/api/v1/keys", adminToken, strings.NewReader(tt.body))
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.code == "" {
				require.JSONEq(t, `{"id":"key_1","principal":"agent:bot","name":"ci",
				  "createdAt":"2025-04-02T09:30:00Z","key":"sbk_SHOWN_ONCE_1"}`, rec.Body.String())
				require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
				require.NotContains(t, e.logs.String(), keyPrefixShown, "never logged")
				return
			}
			p := problemOf(t, rec)
			require.Equal(t, tt.code, p["code"])
			require.Contains(t, p["detail"], tt.detail)
			if tt.path != "" {
				require.Equal(t, tt.path, p["errors"].([]any)[0].(map[string]any)["path"])
			}
			if tt.path != "name" {
				require.Empty(t, e.keys.changed(), "refused before the key store")
			}
		})
	}
}

func TestKeyShownOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := e.do(http.MethodPost, "/api/v1/keys", adminToken,
		strings.NewReader(`{"principal":"agent:bot","name":"ci"}`))
	require.Equal(t, http.StatusCreated, rec.Code)
	key := jsonOf(t, rec)["key"].(string)
	require.True(t, strings.HasPrefix(key, keyPrefixShown))

	for _, target := range []string{"/api/v1/keys", "/api/v1/keys?principal=agent:bot"} {
		rec = e.do(http.MethodGet, target, adminToken, nil)
		require.Equal(t, http.StatusOK, rec.Code)
		require.NotContains(t, rec.Body.String(), key)
		require.NotContains(t, rec.Body.String(), "HASH")
		listed := jsonOf(t, rec)["keys"].([]any)
		require.Len(t, listed, 1)
		require.NotContains(t, listed[0], "key")
		require.NotContains(t, listed[0], "hash")
	}
	require.NotContains(t, e.logs.String(), key)
}

func TestListKeys(t *testing.T) {
	t.Parallel()
	used := createdAt.Add(time.Hour)
	seeded := []identity.APIKey{
		{ID: "key_a", Principal: "agent:bot", Name: "ci", Hash: []byte("HASH"),
			CreatedAt: createdAt, LastUsedAt: &used},
		{ID: "key_b", Principal: "user:alice", Name: "laptop", Hash: []byte("HASH"),
			CreatedAt: createdAt},
	}
	keyA := `{"id":"key_a","principal":"agent:bot","name":"ci",
	  "createdAt":"2025-04-02T09:30:00Z","lastUsedAt":"2025-04-02T10:30:00Z"}`
	keyB := `{"id":"key_b","principal":"user:alice","name":"laptop",
	  "createdAt":"2025-04-02T09:30:00Z"}`
	tests := []struct {
		name   string
		query  string
		status int
		want   string
	}{
		{name: "every key", status: http.StatusOK, want: `{"keys":[` + keyA + `,` + keyB + `]}`},
		{name: "one principal", query: "?principal=user%3Aalice", status: http.StatusOK,
			want: `{"keys":[` + keyB + `]}`},
		{name: "principal without keys", query: "?principal=app:x", status: http.StatusOK,
			want: `{"keys":[]}`},
		{name: "invalid principal", query: "?principal=alice", status: http.StatusBadRequest},
		{name: "principal twice", query: "?principal=app:x&principal=app:y",
			status: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.keys.keys = seeded
			rec := e.do(http.MethodGet, "/api/v1/keys"+tt.query, adminToken, nil)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.want == "" {
				p := problemOf(t, rec)
				require.Equal(t, "invalid_request", p["code"])
				require.Contains(t, p["detail"], "principal")
				return
			}
			require.JSONEq(t, tt.want, rec.Body.String())
		})
	}
}

func TestRevokeKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		id     string
		status int
	}{
		{name: "revoked", id: "key_a", status: http.StatusNoContent},
		{name: "unknown", id: "key_zz", status: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.keys.keys = []identity.APIKey{{ID: "key_a", Principal: "agent:bot"}}
			rec := e.do(http.MethodDelete, "/api/v1/keys/"+tt.id, adminToken, nil)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.status == http.StatusNoContent {
				require.Empty(t, rec.Body.String())
				require.Equal(t, []string{"revoke key_a"}, e.keys.changed())
				return
			}
			require.Equal(t, "not_found", problemOf(t, rec)["code"])
			require.Empty(t, e.keys.changed())
		})
	}
}
