package rbac_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/rbac"
)

// chain returns an Authorizer with roles a <- b <- c: b inherits a, c
// inherits b.
func chain(t *testing.T) *rbac.Authorizer {
	t.Helper()
	a := newAuthorizer(t, newMemStore())
	for _, r := range []rbac.Role{
		{Name: "a", Permissions: []string{"x:a"}},
		{Name: "b", Inherits: []string{"a"}},
		{Name: "c", Inherits: []string{"b"}},
	} {
		_, err := a.CreateRole(t.Context(), r)
		require.NoError(t, err)
	}
	return a
}

func inherits(names ...string) rbac.RolePatch { return rbac.RolePatch{Inherits: &names} }

func TestCycleRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		do    func(t *testing.T, a *rbac.Authorizer) error
		path  string
		cycle string
	}{
		{"self on create", func(t *testing.T, a *rbac.Authorizer) error {
			_, err := a.CreateRole(t.Context(), rbac.Role{Name: "d", Inherits: []string{"a", "d"}})
			return err
		}, "inherits[1]", "role cycle: d -> d"},
		{"self on update", func(t *testing.T, a *rbac.Authorizer) error {
			_, err := a.UpdateRole(t.Context(), "a", inherits("a"))
			return err
		}, "inherits[0]", "role cycle: a -> a"},
		{"direct", func(t *testing.T, a *rbac.Authorizer) error {
			_, err := a.UpdateRole(t.Context(), "a", inherits("b"))
			return err
		}, "inherits[0]", "role cycle: a -> b -> a"},
		{"indirect", func(t *testing.T, a *rbac.Authorizer) error {
			_, err := a.UpdateRole(t.Context(), "a", inherits(rbac.MemberRole, "c"))
			return err
		}, "inherits[1]", "role cycle: a -> c -> b -> a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := chain(t)
			before := a.Roles()

			e := requireCode(t, tt.do(t, a), switchboard.CodeInvalidInput)
			require.Contains(t, e.Message, tt.cycle)
			require.Equal(t, []switchboard.FieldError{{Path: tt.path, Message: tt.cycle}}, e.Errors)
			require.Equal(t, before, a.Roles(), "nothing changed")
		})
	}
}

func TestNoCycleWithoutLoop(t *testing.T) {
	t.Parallel()
	a := chain(t)
	// A diamond is not a cycle: d inherits b and c, which both reach a.
	_, err := a.CreateRole(t.Context(), rbac.Role{Name: "d", Inherits: []string{"b", "c"}})
	require.NoError(t, err)
	_, err = a.UpdateRole(t.Context(), "c", inherits("a", "b"))
	require.NoError(t, err)
}

func TestBuiltinRoles(t *testing.T) {
	t.Parallel()
	a := newAuthorizer(t, newMemStore())
	ctx := t.Context()

	require.Equal(t, []rbac.Role{
		{Name: "admin", Description: "Every permission, administration included",
			Permissions: []string{"*"}, Builtin: true},
		{Name: "member", Description: "No permission of its own; a base for roles that grant more",
			Builtin: true},
	}, a.Roles())

	desc := "mine now"
	for _, name := range []string{rbac.AdminRole, rbac.MemberRole} {
		_, err := a.CreateRole(ctx, rbac.Role{Name: name})
		e := requireCode(t, err, switchboard.CodeConflict)
		require.Equal(t, `role "`+name+`" is built in: it cannot be created, changed or deleted`,
			e.Message)
		_, err = a.UpdateRole(ctx, name, rbac.RolePatch{Description: &desc})
		requireCode(t, err, switchboard.CodeConflict)
		requireCode(t, a.DeleteRole(ctx, name), switchboard.CodeConflict)
	}

	// Built-in roles may be inherited and assigned.
	_, err := a.CreateRole(ctx, rbac.Role{Name: "ops", Inherits: []string{"admin", "member"}})
	require.NoError(t, err)
	require.NoError(t, a.Assign(ctx, "user:m", rbac.MemberRole))

	// What Roles returns is a copy.
	roles := a.Roles()
	roles[0].Permissions[0] = "admin:nothing"
	got, err := a.Role(rbac.AdminRole)
	require.NoError(t, err)
	require.Equal(t, []string{"*"}, got.Permissions)
}

func TestRoleValidation(t *testing.T) {
	t.Parallel()
	longName := "a" + strings.Repeat("b", 64)
	tests := []struct {
		name string
		role rbac.Role
		want []switchboard.FieldError
	}{
		{"bad name", rbac.Role{Name: "Editors"}, []switchboard.FieldError{{Path: "name",
			Message: `role name "Editors" must start with a-z and hold at most 64 of ` +
				`a-z, 0-9, '_', '.' and '-'`}}},
		{"empty name", rbac.Role{}, []switchboard.FieldError{{Path: "name",
			Message: "role name is empty"}}},
		{"long name", rbac.Role{Name: longName}, []switchboard.FieldError{{Path: "name",
			Message: `role name "` + longName + `" must start with a-z and hold at most 64 of ` +
				`a-z, 0-9, '_', '.' and '-'`}}},
		{"long description", rbac.Role{Name: "r", Description: strings.Repeat("d", 1025)},
			[]switchboard.FieldError{{Path: "description", Message: "is longer than 1024 bytes"}}},
		{"bad keys", rbac.Role{Name: "r", Permissions: []string{"a:b", "admin", "a:B", "a:b"}},
			[]switchboard.FieldError{
				{Path: "permissions[1]", Message: `permission key "admin" needs at least two ` +
					`segments separated by ':', such as integration:slack:send_message`},
				{Path: "permissions[2]", Message: `permission key "a:B": segment 2 "B" holds 'B'; ` +
					`segments use a-z, 0-9, '_', '.' and '-'`},
				{Path: "permissions[3]", Message: `"a:b" is listed already at permissions[0]`},
			}},
		{"too many keys", rbac.Role{Name: "r", Permissions: make([]string, 257)},
			[]switchboard.FieldError{{Path: "permissions",
				Message: "holds 257 keys; at most 256 are allowed"}}},
		{"unknown and repeated inherits", rbac.Role{Name: "r", Inherits: []string{"a", "ghost", "a"}},
			[]switchboard.FieldError{
				{Path: "inherits[1]", Message: `role "ghost" does not exist`},
				{Path: "inherits[2]", Message: `role "a" is listed already at inherits[0]`},
			}},
		{"every problem at once", rbac.Role{Name: "R", Permissions: []string{"x"},
			Inherits: []string{"ghost"}}, []switchboard.FieldError{
			{Path: "name", Message: `role name "R" must start with a-z and hold at most 64 of ` +
				`a-z, 0-9, '_', '.' and '-'`},
			{Path: "permissions[0]", Message: `permission key "x" needs at least two segments ` +
				`separated by ':', such as integration:slack:send_message`},
			{Path: "inherits[0]", Message: `role "ghost" does not exist`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := chain(t)
			_, err := a.CreateRole(t.Context(), tt.role)
			e := requireCode(t, err, switchboard.CodeInvalidInput)
			require.Equal(t, tt.want, e.Errors)
			for _, fe := range tt.want {
				require.Contains(t, e.Message, fe.Path+": "+fe.Message)
			}
		})
	}
}

func TestCreateRole(t *testing.T) {
	t.Parallel()
	a := chain(t)
	ctx := t.Context()
	stamp := t0.Truncate(time.Microsecond)

	got, err := a.CreateRole(ctx, rbac.Role{
		Name: "poster", Description: "posts", Permissions: []string{"integration:slack:*"},
		Inherits: []string{}, Builtin: true, CreatedAt: time.Unix(1, 0),
	})
	require.NoError(t, err)
	want := rbac.Role{Name: "poster", Description: "posts",
		Permissions: []string{"integration:slack:*"}, CreatedAt: stamp, UpdatedAt: stamp}
	require.Equal(t, want, got)
	stored, err := a.Role("poster")
	require.NoError(t, err)
	require.Equal(t, want, stored)

	_, err = a.CreateRole(ctx, rbac.Role{Name: "poster"})
	e := requireCode(t, err, switchboard.CodeConflict)
	require.Equal(t, `role "poster" exists already`, e.Message)

	_, err = a.Role("ghost")
	requireCode(t, err, switchboard.CodeNotFound)
}

func TestUpdateRole(t *testing.T) {
	t.Parallel()
	s := newMemStore()
	now := t0
	a, err := rbac.New(t.Context(), rbac.Config{Store: s, Now: func() time.Time { return now }})
	require.NoError(t, err)
	ctx := t.Context()
	_, err = a.CreateRole(ctx, rbac.Role{Name: "base"})
	require.NoError(t, err)
	_, err = a.CreateRole(ctx, rbac.Role{Name: "r", Description: "old",
		Permissions: []string{"a:b"}, Inherits: []string{"base"}})
	require.NoError(t, err)

	now = t0.Add(time.Hour)
	desc := "new"
	got, err := a.UpdateRole(ctx, "r", rbac.RolePatch{Description: &desc})
	require.NoError(t, err)
	require.Equal(t, rbac.Role{Name: "r", Description: "new", Permissions: []string{"a:b"},
		Inherits: []string{"base"}, CreatedAt: t0.Truncate(time.Microsecond),
		UpdatedAt: now.Truncate(time.Microsecond)}, got)

	empty := []string{}
	got, err = a.UpdateRole(ctx, "r", rbac.RolePatch{Permissions: &empty, Inherits: &empty})
	require.NoError(t, err)
	require.Nil(t, got.Permissions)
	require.Nil(t, got.Inherits)
	require.Equal(t, "new", got.Description)
	stored, err := a.Role("r")
	require.NoError(t, err)
	require.Equal(t, got, stored)

	bad := []string{"ok:key", "bad"}
	_, err = a.UpdateRole(ctx, "r", rbac.RolePatch{Permissions: &bad})
	e := requireCode(t, err, switchboard.CodeInvalidInput)
	require.Equal(t, "permissions[1]", e.Errors[0].Path)

	_, err = a.UpdateRole(ctx, "ghost", rbac.RolePatch{Description: &desc})
	requireCode(t, err, switchboard.CodeNotFound)
}

func TestDeleteRole(t *testing.T) {
	t.Parallel()
	a := chain(t)
	ctx := t.Context()
	_, err := a.CreateRole(ctx, rbac.Role{Name: "d", Inherits: []string{"b", "a"}})
	require.NoError(t, err)
	require.NoError(t, a.Assign(ctx, "user:x", "b"))
	require.NoError(t, a.Assign(ctx, "user:x", "a"))
	x := principal(t, "user:x")

	require.NoError(t, a.DeleteRole(ctx, "b"))

	_, err = a.Role("b")
	requireCode(t, err, switchboard.CodeNotFound)
	c, err := a.Role("c")
	require.NoError(t, err)
	require.Nil(t, c.Inherits)
	d, err := a.Role("d")
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, d.Inherits)
	as, err := a.Assignments(ctx, "user:x")
	require.NoError(t, err)
	require.Equal(t, []rbac.Assignment{{Principal: "user:x", Role: "a",
		CreatedAt: t0.Truncate(time.Microsecond)}}, as)
	require.True(t, a.Allowed(ctx, x, "x:a"))

	requireCode(t, a.DeleteRole(ctx, "b"), switchboard.CodeNotFound)
}

func TestAssignments(t *testing.T) {
	t.Parallel()
	a := chain(t)
	ctx := t.Context()
	at := t0.Truncate(time.Microsecond)
	alice := principal(t, "user:alice")

	require.NoError(t, a.Assign(ctx, "user:alice", "a"))
	require.NoError(t, a.Assign(ctx, "user:alice", "a"), "idempotent")
	require.NoError(t, a.Assign(ctx, "agent:bot", "c"))
	require.NoError(t, a.Assign(ctx, "user:alice", rbac.AdminRole))
	require.True(t, a.Allowed(ctx, alice, rbac.RBACManage))

	all, err := a.Assignments(ctx, "")
	require.NoError(t, err)
	require.Equal(t, []rbac.Assignment{
		{Principal: "agent:bot", Role: "c", CreatedAt: at},
		{Principal: "user:alice", Role: "a", CreatedAt: at},
		{Principal: "user:alice", Role: "admin", CreatedAt: at},
	}, all)

	e := requireCode(t, a.Assign(ctx, "user:alice", "ghost"), switchboard.CodeNotFound)
	require.Equal(t, `role "ghost" not found`, e.Message)
	e = requireCode(t, a.Assign(ctx, "alice", "a"), switchboard.CodeInvalidInput)
	require.Equal(t, "principal", e.Errors[0].Path)
	requireCode(t, a.Assign(ctx, "operator:cli", "a"), switchboard.CodeInvalidInput)
	_, err = a.Assignments(ctx, "nobody")
	requireCode(t, err, switchboard.CodeInvalidInput)

	require.NoError(t, a.Revoke(ctx, "user:alice", rbac.AdminRole))
	require.False(t, a.Allowed(ctx, alice, rbac.RBACManage))
	requireCode(t, a.Revoke(ctx, "user:alice", rbac.AdminRole), switchboard.CodeNotFound)
	requireCode(t, a.Revoke(ctx, "user", "a"), switchboard.CodeInvalidInput)

	require.NoError(t, a.RemovePrincipal(ctx, "user:alice"))
	require.NoError(t, a.RemovePrincipal(ctx, "user:alice"), "none left is not an error")
	require.False(t, a.Allowed(ctx, alice, "x:a"))
	mine, err := a.Assignments(ctx, "user:alice")
	require.NoError(t, err)
	require.Empty(t, mine)
	requireCode(t, a.RemovePrincipal(ctx, "bad"), switchboard.CodeInvalidInput)
}
