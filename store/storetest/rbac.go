package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/rbac"
)

// RunRBAC runs the conformance cases of rbac.Store, each on a store that
// open returns empty. open must close the store with t.Cleanup.
//
// Beyond the interface's contract, the suite holds stores to listings that
// sort bytewise and to built-in roles that can be assigned and inherited
// but never listed, created, updated or deleted.
func RunRBAC(t *testing.T, open func(t *testing.T) rbac.Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s rbac.Store)
	}{
		{"roles", testRoles},
		{"create role refused stores nothing", testCreateRoleRefused},
		{"update role", testUpdateRole},
		{"delete role takes its assignments and inheritance", testDeleteRole},
		{"assignments", testAssignments},
		{"concurrent assigns add once", testConcurrentAssign},
		{"rbac listings sort bytewise", testRBACOrder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, open(t))
		})
	}
}

// RunRBACFeed runs the cases of the change feed of rbac.Store on a store
// that open returns empty, with its feed. open must close the store with
// t.Cleanup.
func RunRBACFeed(t *testing.T, open func(t *testing.T) (rbac.Store, Feed)) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s rbac.Store, feed Feed)
	}{
		{"rbac mutations record changes", testRBACFeedRecords},
		{"rbac calls that change nothing record nothing", testRBACFeedNoChange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, feed := open(t)
			tt.run(t, s, feed)
		})
	}
}

// role returns a role stamped t0 as the rbac package would write it.
func role(name string, perms []string, inherits ...string) rbac.Role {
	if len(inherits) == 0 {
		inherits = nil
	}
	return rbac.Role{Name: name, Description: "role " + name, Permissions: perms,
		Inherits: inherits, CreatedAt: t0, UpdatedAt: t0}
}

// storedRole is r as a store returns it.
func storedRole(r rbac.Role) rbac.Role {
	r.CreatedAt, r.UpdatedAt = stored(r.CreatedAt), stored(r.UpdatedAt)
	return r
}

func requireRoles(t *testing.T, s rbac.Store, want ...rbac.Role) {
	t.Helper()
	got, err := s.Roles(t.Context())
	require.NoError(t, err)
	if len(want) == 0 {
		require.Empty(t, got)
		return
	}
	for i := range want {
		want[i] = storedRole(want[i])
	}
	require.Equal(t, want, got)
	for _, r := range got {
		requireUTC(t, r.CreatedAt, r.UpdatedAt)
	}
}

func requireAssignments(t *testing.T, s rbac.Store, principal string, want ...rbac.Assignment) {
	t.Helper()
	got, err := s.Assignments(t.Context(), principal)
	require.NoError(t, err)
	if len(want) == 0 {
		require.Empty(t, got)
		return
	}
	for i := range want {
		want[i].CreatedAt = stored(want[i].CreatedAt)
	}
	require.Equal(t, want, got)
	for _, a := range got {
		requireUTC(t, a.CreatedAt)
	}
}

func testRoles(t *testing.T, s rbac.Store) {
	ctx := t.Context()
	requireRoles(t, s)

	base := role("base", []string{"integration:slack:*", "admin:audit.read"})
	base.Description = ""
	derived := role("derived", nil, rbac.MemberRole, "base", rbac.AdminRole)
	derived.UpdatedAt = t0.Add(time.Hour)
	require.NoError(t, s.CreateRole(ctx, base))
	require.NoError(t, s.CreateRole(ctx, derived))

	requireRoles(t, s, base, derived)
}

func testCreateRoleRefused(t *testing.T, s rbac.Store) {
	ctx := t.Context()
	base := role("base", []string{"a:b"})
	require.NoError(t, s.CreateRole(ctx, base))

	requireCode(t, s.CreateRole(ctx, role("base", nil)), switchboard.CodeConflict)
	for _, name := range []string{rbac.AdminRole, rbac.MemberRole} {
		requireCode(t, s.CreateRole(ctx, role(name, nil)), switchboard.CodeConflict)
	}
	err := s.CreateRole(ctx, role("orphan", nil, "base", "ghost"))
	requireCode(t, err, switchboard.CodeNotFound)
	require.Contains(t, err.Error(), "ghost")

	requireRoles(t, s, base)
}

func testUpdateRole(t *testing.T, s rbac.Store) {
	ctx := t.Context()
	for _, r := range []rbac.Role{role("a", nil), role("b", nil), role("c", []string{"x:y"}, "a")} {
		require.NoError(t, s.CreateRole(ctx, r))
	}

	next := role("c", []string{"x:z", "x:*"}, "b", rbac.MemberRole, "a")
	next.Description = "changed"
	next.CreatedAt = t0.Add(-time.Hour) // ignored
	next.UpdatedAt = t0.Add(time.Minute)
	require.NoError(t, s.UpdateRole(ctx, next))
	want := next
	want.CreatedAt = t0
	requireRoles(t, s, role("a", nil), role("b", nil), want)

	emptied := role("c", nil)
	emptied.UpdatedAt = t0.Add(2 * time.Minute)
	require.NoError(t, s.UpdateRole(ctx, emptied))
	requireRoles(t, s, role("a", nil), role("b", nil), emptied)

	requireCode(t, s.UpdateRole(ctx, role("ghost", nil)), switchboard.CodeNotFound)
	requireCode(t, s.UpdateRole(ctx, role(rbac.AdminRole, nil)), switchboard.CodeNotFound)
	requireCode(t, s.UpdateRole(ctx, role("c", []string{"q:q"}, "a", "ghost")),
		switchboard.CodeNotFound)
	requireRoles(t, s, role("a", nil), role("b", nil), emptied)
}

func testDeleteRole(t *testing.T, s rbac.Store) {
	ctx := t.Context()
	for _, r := range []rbac.Role{
		role("a", nil), role("b", nil, "a"), role("c", nil, "a", "b"), role("d", nil, "b", "a"),
		role("e", nil, rbac.MemberRole),
	} {
		require.NoError(t, s.CreateRole(ctx, r))
	}
	for _, a := range []rbac.Assignment{
		{Principal: "user:x", Role: "b", CreatedAt: t0},
		{Principal: "user:y", Role: "b", CreatedAt: t0},
		{Principal: "user:x", Role: "a", CreatedAt: t0},
	} {
		_, err := s.Assign(ctx, a)
		require.NoError(t, err)
	}

	// The roles that lose an inherited role are stamped at; the others keep
	// their times.
	at := t0.Add(time.Hour)
	require.NoError(t, s.DeleteRole(ctx, "b", at))
	c, d := role("c", nil, "a"), role("d", nil, "a")
	c.UpdatedAt, d.UpdatedAt = at, at
	e := role("e", nil, rbac.MemberRole)
	requireRoles(t, s, role("a", nil), c, d, e)
	requireAssignments(t, s, "", rbac.Assignment{Principal: "user:x", Role: "a", CreatedAt: t0})

	later := t0.Add(2 * time.Hour)
	requireCode(t, s.DeleteRole(ctx, "b", later), switchboard.CodeNotFound)
	requireCode(t, s.DeleteRole(ctx, "ghost", later), switchboard.CodeNotFound)
	for _, name := range []string{rbac.AdminRole, rbac.MemberRole} {
		requireCode(t, s.DeleteRole(ctx, name, later), switchboard.CodeNotFound)
	}
	requireRoles(t, s, role("a", nil), c, d, e)

	// A deleted name can be created afresh, without what it had.
	require.NoError(t, s.CreateRole(ctx, role("b", nil)))
	requireAssignments(t, s, "user:y")
}

func testAssignments(t *testing.T, s rbac.Store) {
	ctx := t.Context()
	require.NoError(t, s.CreateRole(ctx, role("editor", nil)))
	requireAssignments(t, s, "")

	assign := func(p, r string, at time.Time) (bool, error) {
		return s.Assign(ctx, rbac.Assignment{Principal: p, Role: r, CreatedAt: at})
	}
	for _, a := range []rbac.Assignment{
		{Principal: "user:alice", Role: "editor", CreatedAt: t0},
		{Principal: "agent:bot", Role: rbac.AdminRole, CreatedAt: t0},
		{Principal: "user:alice", Role: rbac.MemberRole, CreatedAt: t0.Add(time.Second)},
	} {
		added, err := assign(a.Principal, a.Role, a.CreatedAt)
		require.NoError(t, err)
		require.True(t, added)
	}
	added, err := assign("user:alice", "editor", t0.Add(time.Hour))
	require.NoError(t, err)
	require.False(t, added, "assigned already: the first stays")
	_, err = assign("user:alice", "ghost", t0)
	requireCode(t, err, switchboard.CodeNotFound)

	alice := []rbac.Assignment{
		{Principal: "user:alice", Role: "editor", CreatedAt: t0},
		{Principal: "user:alice", Role: rbac.MemberRole, CreatedAt: t0.Add(time.Second)},
	}
	requireAssignments(t, s, "user:alice", alice...)
	requireAssignments(t, s, "",
		rbac.Assignment{Principal: "agent:bot", Role: rbac.AdminRole, CreatedAt: t0},
		alice[0], alice[1])
	requireAssignments(t, s, "user:nobody")

	require.NoError(t, s.Unassign(ctx, "user:alice", "editor"))
	requireCode(t, s.Unassign(ctx, "user:alice", "editor"), switchboard.CodeNotFound)
	requireCode(t, s.Unassign(ctx, "user:nobody", rbac.AdminRole), switchboard.CodeNotFound)
	requireAssignments(t, s, "user:alice", alice[1])

	_, err = assign("user:alice", "editor", t0)
	require.NoError(t, err)
	n, err := s.DeleteAssignments(ctx, "user:alice")
	require.NoError(t, err)
	require.Equal(t, 2, n)
	n, err = s.DeleteAssignments(ctx, "user:alice")
	require.NoError(t, err)
	require.Zero(t, n)
	requireAssignments(t, s, "",
		rbac.Assignment{Principal: "agent:bot", Role: rbac.AdminRole, CreatedAt: t0})
}

func testConcurrentAssign(t *testing.T, s rbac.Store) {
	ctx := t.Context()
	require.NoError(t, s.CreateRole(ctx, role("editor", nil)))
	const n = 8
	added := make([]bool, n)
	errs := concurrently(n, func(i int) error {
		var err error
		added[i], err = s.Assign(ctx, rbac.Assignment{
			Principal: "user:alice", Role: "editor", CreatedAt: t0,
		})
		return err
	})
	count := 0
	for i := range n {
		require.NoError(t, errs[i])
		if added[i] {
			count++
		}
	}
	require.Equal(t, 1, count)
}

func testRBACOrder(t *testing.T, s rbac.Store) {
	ctx := t.Context()
	names := []string{"ab", "a_b", "a.b", "a-b"}
	for _, n := range names {
		require.NoError(t, s.CreateRole(ctx, role(n, nil)))
	}
	requireRoles(t, s, role("a-b", nil), role("a.b", nil), role("a_b", nil), role("ab", nil))

	for _, p := range []string{"user:b", "user:B", "user:a.x", "app:z"} {
		_, err := s.Assign(ctx, rbac.Assignment{Principal: p, Role: "ab", CreatedAt: t0})
		require.NoError(t, err)
	}
	got, err := s.Assignments(ctx, "")
	require.NoError(t, err)
	var principals []string
	for _, a := range got {
		principals = append(principals, a.Principal)
	}
	require.Equal(t, []string{"app:z", "user:B", "user:a.x", "user:b"}, principals)
}

// rbacMutation is one call that changes an rbac.Store, and the changes it
// records (Kind and Subject only), in order.
type rbacMutation struct {
	name    string
	do      func(ctx context.Context, s rbac.Store) error
	changes []Change
}

// rbacMutations lists every method of rbac.Store that changes it, in an
// order in which each finds what it changes.
func rbacMutations() []rbacMutation {
	roleChange := func(name string) Change { return Change{Kind: "role", Subject: name} }
	assigned := func(p, r string) Change { return Change{Kind: "assignment", Subject: p + "/" + r} }
	assign := func(p, r string) func(ctx context.Context, s rbac.Store) error {
		return func(ctx context.Context, s rbac.Store) error {
			_, err := s.Assign(ctx, rbac.Assignment{Principal: p, Role: r, CreatedAt: t0})
			return err
		}
	}
	return []rbacMutation{
		{"create role", func(ctx context.Context, s rbac.Store) error {
			return s.CreateRole(ctx, role("base", []string{"a:b"}))
		}, []Change{roleChange("base")}},
		{"create inheriting role", func(ctx context.Context, s rbac.Store) error {
			return s.CreateRole(ctx, role("child", nil, "base"))
		}, []Change{roleChange("child")}},
		{"update role", func(ctx context.Context, s rbac.Store) error {
			return s.UpdateRole(ctx, role("base", []string{"a:*"}))
		}, []Change{roleChange("base")}},
		{"assign", assign("user:alice", "base"), []Change{assigned("user:alice", "base")}},
		{"assign another", assign("user:bob", "base"), []Change{assigned("user:bob", "base")}},
		{"assign built-in", assign("user:alice", rbac.AdminRole),
			[]Change{assigned("user:alice", rbac.AdminRole)}},
		{"unassign", func(ctx context.Context, s rbac.Store) error {
			return s.Unassign(ctx, "user:alice", rbac.AdminRole)
		}, []Change{assigned("user:alice", rbac.AdminRole)}},
		{"delete role", func(ctx context.Context, s rbac.Store) error {
			return s.DeleteRole(ctx, "base", t0)
		}, []Change{
			roleChange("base"), roleChange("child"),
			assigned("user:alice", "base"), assigned("user:bob", "base"),
		}},
		{"delete assignments", func(ctx context.Context, s rbac.Store) error {
			if err := assign("user:carol", "child")(ctx, s); err != nil {
				return err
			}
			if err := assign("user:carol", rbac.MemberRole)(ctx, s); err != nil {
				return err
			}
			_, err := s.DeleteAssignments(ctx, "user:carol")
			return err
		}, []Change{
			assigned("user:carol", "child"), assigned("user:carol", rbac.MemberRole),
			assigned("user:carol", "child"), assigned("user:carol", rbac.MemberRole),
		}},
	}
}

// feedAfter returns the changes after id, failing t on an error.
func feedAfter(t *testing.T, feed Feed, after int64) []Change {
	t.Helper()
	cs, err := feed(t.Context(), after, 1000)
	require.NoError(t, err)
	return cs
}

// feedEnd returns the id of the newest change, 0 when there is none.
func feedEnd(t *testing.T, feed Feed) int64 {
	t.Helper()
	var last int64
	for {
		cs := feedAfter(t, feed, last)
		if len(cs) == 0 {
			return last
		}
		last = cs[len(cs)-1].ID
	}
}

func testRBACFeedRecords(t *testing.T, s rbac.Store, feed Feed) {
	for _, m := range rbacMutations() {
		before := feedEnd(t, feed)
		require.NoError(t, m.do(t.Context(), s), m.name)
		got := feedAfter(t, feed, before)
		kinds := make([]Change, len(got))
		for i, c := range got {
			kinds[i] = Change{Kind: c.Kind, Subject: c.Subject}
			requireUTC(t, c.At)
		}
		require.Equal(t, m.changes, kinds, m.name)
	}
}

func testRBACFeedNoChange(t *testing.T, s rbac.Store, feed Feed) {
	ctx := t.Context()
	require.NoError(t, s.CreateRole(ctx, role("base", nil)))
	_, err := s.Assign(ctx, rbac.Assignment{Principal: "user:alice", Role: "base", CreatedAt: t0})
	require.NoError(t, err)
	before := feedEnd(t, feed)

	calls := []struct {
		name string
		do   func() error
	}{
		{"create existing role", func() error { return s.CreateRole(ctx, role("base", nil)) }},
		{"create built-in role", func() error { return s.CreateRole(ctx, role("admin", nil)) }},
		{"create with unknown parent", func() error {
			return s.CreateRole(ctx, role("x", nil, "ghost"))
		}},
		{"update absent role", func() error { return s.UpdateRole(ctx, role("ghost", nil)) }},
		{"update with unknown parent", func() error {
			return s.UpdateRole(ctx, role("base", nil, "ghost"))
		}},
		{"delete absent role", func() error { return s.DeleteRole(ctx, "ghost", t0) }},
		{"delete built-in role", func() error { return s.DeleteRole(ctx, "member", t0) }},
		{"assign again", func() error {
			_, err := s.Assign(ctx, rbac.Assignment{Principal: "user:alice", Role: "base",
				CreatedAt: t0})
			return err
		}},
		{"assign unknown role", func() error {
			_, err := s.Assign(ctx, rbac.Assignment{Principal: "user:alice", Role: "ghost",
				CreatedAt: t0})
			return err
		}},
		{"unassign absent", func() error { return s.Unassign(ctx, "user:bob", "base") }},
		{"delete no assignments", func() error {
			_, err := s.DeleteAssignments(ctx, "user:bob")
			return err
		}},
	}
	for _, c := range calls {
		_ = c.do()
		require.Empty(t, feedAfter(t, feed, before), c.name)
	}
}
