package rbac_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/executor"
	"github.com/switchboard-dev/switchboard/httpapi"
	"github.com/switchboard-dev/switchboard/rbac"
)

var (
	_ executor.Authorizer = (*rbac.Authorizer)(nil)
	_ httpapi.Authorizer  = (*rbac.Authorizer)(nil)
)

// t0 is the fixed clock of the tests, with nanoseconds a store drops.
var t0 = time.Date(2025, 6, 7, 8, 9, 10, 123456789, time.UTC)

// newAuthorizer returns an Authorizer on s with the clock at t0.
func newAuthorizer(t testing.TB, s rbac.Store) *rbac.Authorizer {
	t.Helper()
	a, err := rbac.New(t.Context(), rbac.Config{Store: s, Now: func() time.Time { return t0 }})
	require.NoError(t, err)
	return a
}

// principal parses s, failing t on an error.
func principal(t testing.TB, s string) switchboard.Principal {
	t.Helper()
	p, err := switchboard.ParsePrincipal(s)
	require.NoError(t, err)
	return p
}

// requireCode fails t unless err carries code.
func requireCode(t *testing.T, err error, code switchboard.Code) *switchboard.Error {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, switchboard.ErrorCode(err), "error: %v", err)
	e, _ := errors.AsType[*switchboard.Error](err)
	return e
}

// staffed returns an Authorizer whose roles and assignments cover
// inheritance, wildcards and several roles per principal:
//
//	viewer    integration:slack:list_channels
//	poster    integration:slack:send_message, inherits viewer
//	slackops  integration:slack:*
//	auditor   admin:audit.read
//	lead      inherits poster and auditor
//	root      inherits admin
//	allint    integration:*
func staffed(t testing.TB) *rbac.Authorizer {
	t.Helper()
	a := newAuthorizer(t, newMemStore())
	ctx := t.Context()
	for _, r := range []rbac.Role{
		{Name: "viewer", Permissions: []string{"integration:slack:list_channels"}},
		{Name: "poster", Permissions: []string{"integration:slack:send_message"},
			Inherits: []string{"viewer"}},
		{Name: "slackops", Permissions: []string{"integration:slack:*"}},
		{Name: "auditor", Permissions: []string{rbac.AuditRead}},
		{Name: "lead", Inherits: []string{"poster", "auditor"}},
		{Name: "root", Inherits: []string{rbac.AdminRole}},
		{Name: "allint", Permissions: []string{"integration:*"}},
	} {
		_, err := a.CreateRole(ctx, r)
		require.NoError(t, err, r.Name)
	}
	for _, as := range [][2]string{
		{"user:v", "viewer"}, {"user:p", "poster"}, {"user:o", "slackops"},
		{"user:l", "lead"}, {"user:m", rbac.MemberRole}, {"user:a", rbac.AdminRole},
		{"user:multi", "viewer"}, {"user:multi", "auditor"}, {"agent:r", "root"},
		{"app:i", "allint"},
	} {
		require.NoError(t, a.Assign(ctx, as[0], as[1]))
	}
	return a
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	a := staffed(t)
	const (
		list   = "integration:slack:list_channels"
		send   = "integration:slack:send_message"
		manage = "integration:slack:manage"
		charge = "integration:stripe:charge"
	)
	tests := []struct {
		name      string
		principal string
		key       string
		want      bool
	}{
		{"viewer lists", "user:v", list, true},
		{"viewer cannot send", "user:v", send, false},
		{"poster sends", "user:p", send, true},
		{"poster lists through viewer", "user:p", list, true},
		{"poster cannot manage", "user:p", manage, false},
		{"slackops sends by wildcard", "user:o", send, true},
		{"slackops manages by wildcard", "user:o", manage, true},
		{"slackops not stripe", "user:o", charge, false},
		{"slackops not admin", "user:o", rbac.AuditRead, false},
		{"lead lists two levels down", "user:l", list, true},
		{"lead reads audit", "user:l", rbac.AuditRead, true},
		{"lead cannot manage rbac", "user:l", rbac.RBACManage, false},
		{"member holds nothing", "user:m", list, false},
		{"admin sends", "user:a", send, true},
		{"admin manages rbac", "user:a", rbac.RBACManage, true},
		{"multi first role", "user:multi", list, true},
		{"multi second role", "user:multi", rbac.AuditRead, true},
		{"multi neither", "user:multi", send, false},
		{"inherited admin", "agent:r", charge, true},
		{"integration star", "app:i", charge, true},
		{"integration star not admin", "app:i", rbac.IntegrationsDeploy, false},
		{"unassigned", "user:nobody", list, false},
		{"same id other kind", "agent:v", list, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := principal(t, tt.principal)
			err := a.Authorize(t.Context(), p, tt.key)
			require.Equal(t, tt.want, err == nil, "error: %v", err)
			require.Equal(t, tt.want, a.Allowed(t.Context(), p, tt.key))
			if !tt.want {
				e := requireCode(t, err, switchboard.CodeForbidden)
				require.Equal(t, tt.key, e.Permission)
				require.Equal(t, tt.principal+" lacks the permission "+tt.key+
					": an administrator can grant it", e.Message)
			}
		})
	}
}

func TestOperatorAndNobody(t *testing.T) {
	t.Parallel()
	a := newAuthorizer(t, newMemStore())
	ctx := rbac.WithClaimedRoles(t.Context(), []string{rbac.AdminRole})

	require.NoError(t, a.Authorize(t.Context(), switchboard.Operator, rbac.RBACManage))
	require.NoError(t, a.Authorize(t.Context(), switchboard.Operator, "integration:x:y"))
	require.Equal(t, []string{"*"}, a.Permissions(t.Context(), switchboard.Operator))

	other := switchboard.Principal{Kind: switchboard.KindOperator, ID: "someone"}
	requireCode(t, a.Authorize(t.Context(), other, rbac.RBACManage), switchboard.CodeForbidden)

	err := a.Authorize(ctx, switchboard.Principal{}, "integration:x:y")
	e := requireCode(t, err, switchboard.CodeForbidden)
	require.Contains(t, e.Message, "an unidentified caller lacks the permission integration:x:y")
	require.Nil(t, a.Permissions(ctx, switchboard.Principal{}))
}

func TestClaimedRoles(t *testing.T) {
	t.Parallel()
	a := staffed(t)
	nobody := principal(t, "user:nobody")
	viewer := principal(t, "user:v")
	send := "integration:slack:send_message"

	claimed := rbac.WithClaimedRoles(t.Context(), []string{"no-such-role", "poster"})
	tests := []struct {
		name string
		ctx  context.Context
		p    switchboard.Principal
		key  string
		want bool
	}{
		{"claimed role grants", claimed, nobody, send, true},
		{"claimed role inherits", claimed, nobody, "integration:slack:list_channels", true},
		{"claimed role stops at its grants", claimed, nobody, "integration:slack:manage", false},
		{"claims add to assignments", claimed, viewer, send, true},
		{"no claims without the context", t.Context(), nobody, send, false},
		{"claimed admin", rbac.WithClaimedRoles(t.Context(), []string{"admin"}), nobody,
			rbac.RBACManage, true},
		{"only unknown claims", rbac.WithClaimedRoles(t.Context(), []string{"ghost"}), nobody,
			send, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, a.Allowed(tt.ctx, tt.p, tt.key))
		})
	}

	require.Equal(t, []string{
		"integration:slack:list_channels", "integration:slack:send_message",
	}, a.Permissions(claimed, viewer))
}

func TestWithClaimedRolesCopies(t *testing.T) {
	t.Parallel()
	a := staffed(t)
	roles := []string{"poster"}
	ctx := rbac.WithClaimedRoles(t.Context(), roles)
	roles[0] = "ghost"
	require.True(t, a.Allowed(ctx, principal(t, "user:x"), "integration:slack:send_message"))
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	a := staffed(t)
	tests := []struct {
		principal string
		want      []string
	}{
		{"user:l", []string{
			rbac.AuditRead, "integration:slack:list_channels", "integration:slack:send_message",
		}},
		{"user:multi", []string{rbac.AuditRead, "integration:slack:list_channels"}},
		{"agent:r", []string{"*"}},
		{"user:m", nil},
		{"user:nobody", nil},
	}
	for _, tt := range tests {
		t.Run(tt.principal, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, a.Permissions(t.Context(), principal(t, tt.principal)))
		})
	}
}

func TestRefreshSeesOtherWriters(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newMemStore()
	mine, theirs := newAuthorizer(t, s), newAuthorizer(t, s)
	bob := principal(t, "user:bob")

	_, err := theirs.CreateRole(ctx, rbac.Role{Name: "poster",
		Permissions: []string{"integration:slack:send_message"}})
	require.NoError(t, err)
	require.NoError(t, theirs.Assign(ctx, "user:bob", "poster"))
	require.True(t, theirs.Allowed(ctx, bob, "integration:slack:send_message"), "at once")

	require.False(t, mine.Allowed(ctx, bob, "integration:slack:send_message"), "not yet")
	require.NoError(t, mine.Refresh(ctx))
	require.True(t, mine.Allowed(ctx, bob, "integration:slack:send_message"))
}

func TestStoreFailure(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newMemStore()
	boom := errors.New("database unreachable")

	s.fail = boom
	_, err := rbac.New(ctx, rbac.Config{Store: s})
	require.ErrorIs(t, err, boom)
	_, err = rbac.New(ctx, rbac.Config{})
	require.Error(t, err)

	s.fail = nil
	b := newAuthorizer(t, s)
	require.NoError(t, b.Assign(ctx, "user:a", rbac.AdminRole))
	s.fail = boom
	require.ErrorIs(t, b.Refresh(ctx), boom)
	require.True(t, b.Allowed(ctx, principal(t, "user:a"), rbac.RBACManage), "keeps its model")

	_, err = b.CreateRole(ctx, rbac.Role{Name: "x"})
	require.ErrorIs(t, err, boom)
	require.Equal(t, switchboard.CodeInternal, switchboard.ErrorCode(err))
}

// TestAuthorizeWhileRolesChange checks under -race that checks run while
// roles and assignments change: a principal whose role never changes keeps
// its permission throughout, and the changing one ends as the last write
// left it.
func TestAuthorizeWhileRolesChange(t *testing.T) {
	t.Parallel()
	a := staffed(t)
	ctx := t.Context()
	steady, flipping := principal(t, "user:p"), principal(t, "user:flip")
	const rounds = 50

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if a.Authorize(ctx, steady, "integration:slack:send_message") != nil {
					t.Error("a steady principal lost its permission")
					return
				}
				_ = a.Allowed(ctx, flipping, "integration:slack:manage")
				_ = a.Permissions(ctx, flipping)
			}
		})
	}
	for i := range rounds {
		name := fmt.Sprintf("temp%d", i)
		_, err := a.CreateRole(ctx, rbac.Role{Name: name, Permissions: []string{"integration:*"}})
		require.NoError(t, err)
		require.NoError(t, a.Assign(ctx, "user:flip", name))
		require.NoError(t, a.DeleteRole(ctx, name))
	}
	close(stop)
	wg.Wait()
	require.False(t, a.Allowed(ctx, flipping, "integration:slack:manage"))
	require.Len(t, a.Roles(), 9, "7 roles of staffed and 2 built in")
}

func TestAuthorizeDoesNotAllocate(t *testing.T) {
	a := staffed(t)
	ctx := rbac.WithClaimedRoles(t.Context(), []string{"auditor"})
	lead, claimant := principal(t, "user:l"), principal(t, "user:x")
	allocs := testing.AllocsPerRun(100, func() {
		if a.Authorize(ctx, lead, "integration:slack:list_channels") != nil ||
			a.Authorize(ctx, claimant, rbac.AuditRead) != nil {
			t.Fatal("denied")
		}
	})
	require.Zero(t, allocs)
}

func BenchmarkAuthorize(b *testing.B) {
	a := staffed(b)
	ctx := b.Context()
	cases := []struct {
		name string
		p    switchboard.Principal
		key  string
	}{
		{"exact", principal(b, "user:p"), "integration:slack:send_message"},
		{"inherited", principal(b, "user:l"), "integration:slack:list_channels"},
		{"wildcard", principal(b, "user:o"), "integration:slack:send_message"},
		{"admin", principal(b, "user:a"), rbac.RBACManage},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if a.Authorize(ctx, c.p, c.key) != nil {
						b.Fatal("denied")
					}
				}
			})
		})
	}
}
