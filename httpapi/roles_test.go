package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/rbac"
)

func TestListRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.roles.stored = map[string]rbac.Role{"ops": {Name: "ops", Description: "Operations",
		Permissions: []string{"integration:notes:*"}, Inherits: []string{"member"},
		CreatedAt: createdAt, UpdatedAt: createdAt}}
	rec := e.do(http.MethodGet, "/api/v1/roles", adminToken, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"roles":[
	  {"name":"admin","description":"Everything","permissions":["*"],"inherits":[],
	   "builtin":true},
	  {"name":"member","description":"Nothing","permissions":[],"inherits":[],"builtin":true},
	  {"name":"ops","description":"Operations","permissions":["integration:notes:*"],
	   "inherits":["member"],"builtin":false,
	   "createdAt":"2025-04-02T09:30:00Z","updatedAt":"2025-04-02T09:30:00Z"}
	]}`, rec.Body.String())
}

// roleCase is a request to a role route and what it should answer.
type roleCase struct {
	name   string
	method string
	path   string
	body   string
	err    error // the fake's answer to a change
	status int
	code   string
	detail string
	change string // the change made, when status is a success
	want   string // the body answered, when status is a success
}

func runRoleCases(t *testing.T, tests []roleCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			seedAccess(e)
			e.roles.err = tt.err
			rec := e.do(tt.method, tt.path, adminToken, strings.NewReader(tt.body))
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.code != "" {
				p := problemOf(t, rec)
				require.Equal(t, tt.code, p["code"])
				require.Contains(t, p["detail"], tt.detail)
				require.Empty(t, e.roles.changed())
				return
			}
			require.Equal(t, []string{tt.change}, e.roles.changed())
			if tt.want == "" {
				require.Empty(t, rec.Body.String())
				return
			}
			require.JSONEq(t, tt.want, rec.Body.String())
		})
	}
}

func TestCreateRole(t *testing.T) {
	t.Parallel()
	post := func(c roleCase) roleCase {
		c.method, c.path = http.MethodPost, "/api/v1/roles"
		return c
	}
	runRoleCases(t, []roleCase{
		post(roleCase{name: "created", status: http.StatusCreated,
			body: `{"name":"qa","description":"Testers",
			  "permissions":["integration:notes:list"],"inherits":["ops"]}`,
			change: "create qa",
			want: `{"name":"qa","description":"Testers","permissions":["integration:notes:list"],
			  "inherits":["ops"],"builtin":false,
			  "createdAt":"2025-04-02T09:30:00Z","updatedAt":"2025-04-02T09:30:00Z"}`}),
		post(roleCase{name: "name only", body: `{"name":"qa"}`, status: http.StatusCreated,
			change: "create qa",
			want: `{"name":"qa","description":"","permissions":[],"inherits":[],"builtin":false,
			  "createdAt":"2025-04-02T09:30:00Z","updatedAt":"2025-04-02T09:30:00Z"}`}),
		post(roleCase{name: "bad JSON", body: `{"name":"qa",}`, status: http.StatusBadRequest,
			code: "invalid_request", detail: "not valid JSON"}),
		post(roleCase{name: "unknown field", body: `{"name":"qa","grants":[]}`,
			status: http.StatusBadRequest, code: "invalid_request",
			detail: `unknown field "grants"`}),
		post(roleCase{name: "permissions not a list", body: `{"name":"qa","permissions":"*"}`,
			status: http.StatusBadRequest, code: "invalid_request", detail: `"permissions"`}),
		post(roleCase{name: "name taken", body: `{"name":"ops"}`,
			status: http.StatusConflict, code: "conflict", detail: `"ops"`}),
		post(roleCase{name: "built-in name", body: `{"name":"admin"}`,
			status: http.StatusConflict, code: "conflict", detail: `"admin"`}),
		post(roleCase{name: "cycle", body: `{"name":"qa","inherits":["qa"]}`,
			err:    cycleError("inherits[0]", "qa -> qa"),
			status: http.StatusUnprocessableEntity, code: "invalid_input",
			detail: "role cycle: qa -> qa"}),
	})
}

// cycleError is what rbac answers for a change that would close a cycle.
func cycleError(path, cycle string) error {
	e := switchboard.Errorf(switchboard.CodeInvalidInput, "role is invalid: %s: role cycle: %s",
		path, cycle)
	e.Errors = []switchboard.FieldError{{Path: path, Message: "role cycle: " + cycle}}
	return e
}

func TestUpdateRole(t *testing.T) {
	t.Parallel()
	patch := func(name string, c roleCase) roleCase {
		c.method, c.path = http.MethodPatch, "/api/v1/roles/"+name
		return c
	}
	runRoleCases(t, []roleCase{
		patch("ops", roleCase{name: "description", body: `{"description":"Ops"}`,
			status: http.StatusOK, change: "update ops",
			want: `{"name":"ops","description":"Ops","permissions":[],"inherits":[],
			  "builtin":false,"updatedAt":"2025-04-02T10:30:00Z"}`}),
		patch("ops", roleCase{name: "every field",
			body:   `{"description":"","permissions":["admin:audit.read"],"inherits":["member"]}`,
			status: http.StatusOK, change: "update ops",
			want: `{"name":"ops","description":"","permissions":["admin:audit.read"],
			  "inherits":["member"],"builtin":false,"updatedAt":"2025-04-02T10:30:00Z"}`}),
		patch("nope", roleCase{name: "unknown role", body: `{"description":"x"}`,
			status: http.StatusNotFound, code: "not_found", detail: `"nope"`}),
		patch("member", roleCase{name: "built-in role", body: `{"permissions":["*"]}`,
			status: http.StatusConflict, code: "conflict", detail: "built in"}),
		patch("ops", roleCase{name: "cycle", body: `{"inherits":["base"]}`,
			err:    cycleError("inherits[0]", "ops -> base -> ops"),
			status: http.StatusUnprocessableEntity, code: "invalid_input",
			detail: "role cycle: ops -> base -> ops"}),
		patch("ops", roleCase{name: "nothing to change", body: `{}`,
			status: http.StatusBadRequest, code: "invalid_request",
			detail: "description, permissions or inherits"}),
		patch("ops", roleCase{name: "null", body: `{"permissions":null}`,
			status: http.StatusBadRequest, code: "invalid_request",
			detail: `"permissions" must not be null`}),
		patch("ops", roleCase{name: "unknown field", body: `{"name":"ops2"}`,
			status: http.StatusBadRequest, code: "invalid_request",
			detail: `unknown field "name"`}),
		patch("ops", roleCase{name: "empty body", status: http.StatusBadRequest,
			code: "invalid_request", detail: "JSON object"}),
	})
}

func TestCycleNamedInProblem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seedAccess(e)
	e.roles.err = cycleError("inherits[0]", "ops -> base -> ops")
	rec := e.do(http.MethodPatch, "/api/v1/roles/ops", adminToken,
		strings.NewReader(`{"inherits":["base"]}`))
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	require.Equal(t, []any{map[string]any{"path": "inherits[0]",
		"message": "role cycle: ops -> base -> ops"}}, problemOf(t, rec)["errors"])
}

func TestDeleteRole(t *testing.T) {
	t.Parallel()
	del := func(name string, c roleCase) roleCase {
		c.method, c.path = http.MethodDelete, "/api/v1/roles/"+name
		return c
	}
	runRoleCases(t, []roleCase{
		del("ops", roleCase{name: "deleted", status: http.StatusNoContent, change: "delete ops"}),
		del("nope", roleCase{name: "unknown role", status: http.StatusNotFound,
			code: "not_found", detail: `"nope"`}),
		del("admin", roleCase{name: "built-in role", status: http.StatusConflict,
			code: "conflict", detail: "built in"}),
	})
}

func TestAssignAndRevokeRole(t *testing.T) {
	t.Parallel()
	assign := func(c roleCase) roleCase {
		c.method, c.path = http.MethodPost, "/api/v1/roles/assign"
		return c
	}
	revoke := func(c roleCase) roleCase {
		c.method, c.path = http.MethodPost, "/api/v1/roles/revoke"
		return c
	}
	runRoleCases(t, []roleCase{
		assign(roleCase{name: "assign", body: `{"principal":"app:ci","role":"ops"}`,
			status: http.StatusOK, change: "assign app:ci ops",
			want: `{"principal":"app:ci","role":"ops"}`}),
		assign(roleCase{name: "assign built-in", body: `{"principal":"app:ci","role":"member"}`,
			status: http.StatusOK, change: "assign app:ci member",
			want: `{"principal":"app:ci","role":"member"}`}),
		assign(roleCase{name: "assign unknown role", body: `{"principal":"app:ci","role":"x"}`,
			status: http.StatusNotFound, code: "not_found", detail: `"x"`}),
		assign(roleCase{name: "assign invalid principal", body: `{"principal":"ci","role":"ops"}`,
			status: http.StatusUnprocessableEntity, code: "invalid_input", detail: "principal"}),
		assign(roleCase{name: "assign without role", body: `{"principal":"app:ci"}`,
			status: http.StatusUnprocessableEntity, code: "invalid_input", detail: "role"}),
		assign(roleCase{name: "assign unknown field",
			body:   `{"principal":"app:ci","role":"ops","until":"never"}`,
			status: http.StatusBadRequest, code: "invalid_request", detail: `"until"`}),
		assign(roleCase{name: "assign bad JSON", body: `{"principal"}`,
			status: http.StatusBadRequest, code: "invalid_request", detail: "JSON"}),
		revoke(roleCase{name: "revoke", body: `{"principal":"user:alice","role":"ops"}`,
			status: http.StatusOK, change: "revoke user:alice ops",
			want: `{"principal":"user:alice","role":"ops"}`}),
		revoke(roleCase{name: "revoke not held", body: `{"principal":"app:ci","role":"ops"}`,
			status: http.StatusNotFound, code: "not_found", detail: "app:ci"}),
		revoke(roleCase{name: "revoke invalid principal",
			body:   `{"principal":"user:","role":"ops"}`,
			status: http.StatusUnprocessableEntity, code: "invalid_input", detail: "principal"}),
	})
}

func TestListAssignments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		query  string
		status int
		want   string
	}{
		{name: "all", status: http.StatusOK, want: `{"assignments":[
		  {"principal":"agent:bot","role":"ops"},{"principal":"user:alice","role":"ops"}]}`},
		{name: "one principal", query: "?principal=user:alice", status: http.StatusOK,
			want: `{"assignments":[{"principal":"user:alice","role":"ops"}]}`},
		{name: "none", query: "?principal=app:ci", status: http.StatusOK,
			want: `{"assignments":[]}`},
		{name: "invalid principal", query: "?principal=user%3A", status: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			seedAccess(e)
			rec := e.do(http.MethodGet, "/api/v1/roles/assignments"+tt.query, adminToken, nil)
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
