package rbac_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/rbac"
)

// chainStore returns a store of n roles, "r000" to the last, each granting
// perms keys of its own and inheriting the one before it, with holders
// principals "user:u0", "user:u1", ... holding the last.
func chainStore(n, perms, holders int) *memStore {
	s := newMemStore()
	for i := range n {
		r := rbac.Role{Name: fmt.Sprintf("r%03d", i), CreatedAt: t0, UpdatedAt: t0}
		for j := range perms {
			r.Permissions = append(r.Permissions, fmt.Sprintf("integration:app%d:act%d", i, j))
		}
		if i > 0 {
			r.Inherits = []string{fmt.Sprintf("r%03d", i-1)}
		}
		s.roles[r.Name] = r
	}
	top := fmt.Sprintf("r%03d", n-1)
	for i := range holders {
		p := fmt.Sprintf("user:u%d", i)
		s.assigned[[2]string{p, top}] = rbac.Assignment{Principal: p, Role: top, CreatedAt: t0}
	}
	return s
}

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLoadIsLinear loads 300 roles of 256 keys each, every one inheriting
// the one before, and checks that loading them, then checking the
// principals that hold the last, allocates a small multiple of what they
// hold (about 2 MB of keys), not the 76,800-key expansion of every role.
func TestLoadIsLinear(t *testing.T) {
	// Not parallel: other tests would add to the bytes allocated.
	const roles, perms, holders = 300, rbac.MaxPermissions, 100
	s := chainStore(roles, perms, holders)
	var a *rbac.Authorizer
	const bound = 32 << 20

	got := allocated(func() {
		var err error
		a, err = rbac.New(t.Context(), rbac.Config{Store: s})
		require.NoError(t, err)
		for i := range holders {
			p := switchboard.Principal{Kind: switchboard.KindUser, ID: fmt.Sprintf("u%d", i)}
			require.True(t, a.Allowed(t.Context(), p, "integration:app0:act255"))
		}
	})
	t.Logf("allocated %d KB", got>>10)
	require.Less(t, got, uint64(bound), "allocated %d MB", got>>20)

	ctx := t.Context()
	top, bottom := principal(t, "user:u0"), principal(t, "user:nobody")
	require.NoError(t, a.Authorize(ctx, top, "integration:app150:act7"))
	requireCode(t, a.Authorize(ctx, top, "integration:app300:act0"), switchboard.CodeForbidden)
	requireCode(t, a.Authorize(ctx, bottom, "integration:app0:act0"), switchboard.CodeForbidden)
	require.Len(t, a.Permissions(ctx, top), roles*perms)
	claimed := rbac.WithClaimedRoles(ctx, []string{"r010"})
	require.True(t, a.Allowed(claimed, bottom, "integration:app0:act0"))
	require.False(t, a.Allowed(claimed, bottom, "integration:app11:act0"))

	allocs := testing.AllocsPerRun(10, func() {
		if a.Authorize(ctx, top, "integration:app0:act0") != nil ||
			a.Authorize(claimed, bottom, "integration:app3:act1") != nil {
			t.Fatal("denied")
		}
	})
	require.Zero(t, allocs)
}

func TestRoleLimit(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a := newAuthorizer(t, chainStore(rbac.MaxRoles, 1, 0))
	require.Len(t, a.Roles(), rbac.MaxRoles+2, "built-in roles are not counted")

	_, err := a.CreateRole(ctx, rbac.Role{Name: "one-more"})
	e := requireCode(t, err, switchboard.CodeConflict)
	require.Equal(t, `role "one-more" is not created: there are 1000 roles, the most allowed; `+
		`delete one first`, e.Message)

	// A role at the limit can still change, and freeing one makes room.
	desc := "changed"
	_, err = a.UpdateRole(ctx, "r999", rbac.RolePatch{Description: &desc})
	require.NoError(t, err)
	require.NoError(t, a.DeleteRole(ctx, "r999"))
	_, err = a.CreateRole(ctx, rbac.Role{Name: "one-more", Inherits: []string{"r998"}})
	require.NoError(t, err)
	require.True(t, a.Allowed(rbac.WithClaimedRoles(ctx, []string{"one-more"}),
		principal(t, "user:x"), "integration:app0:act0"), "999 levels of inheritance")
}

// BenchmarkLoadChain measures loading the roles of [TestLoadIsLinear].
func BenchmarkLoadChain(b *testing.B) {
	s := chainStore(300, rbac.MaxPermissions, 1)
	b.ReportAllocs()
	for b.Loop() {
		a, err := rbac.New(b.Context(), rbac.Config{Store: s})
		if err != nil {
			b.Fatal(err)
		}
		if !a.Allowed(b.Context(), switchboard.Principal{Kind: switchboard.KindUser, ID: "u0"},
			"integration:app0:act0") {
			b.Fatal("denied")
		}
	}
}

// BenchmarkAuthorizeDeep measures a check that passes only through the
// 300th level of inheritance.
func BenchmarkAuthorizeDeep(b *testing.B) {
	s := chainStore(300, rbac.MaxPermissions, 1)
	a, err := rbac.New(b.Context(), rbac.Config{Store: s})
	require.NoError(b, err)
	p := principal(b, "user:u0")
	b.ReportAllocs()
	for b.Loop() {
		if a.Authorize(b.Context(), p, "integration:app0:act0") != nil {
			b.Fatal("denied")
		}
	}
}
