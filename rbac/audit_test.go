package rbac_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/rbac"
)

// recorder is an rbac.Auditor that keeps what it is given; fail, when
// set, is returned instead.
type recorder struct {
	mu      sync.Mutex
	entries []audit.Entry
	fail    error
}

func (r *recorder) Record(_ context.Context, e audit.Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.entries = append(r.entries, e)
	return nil
}

// last returns the newest entry, failing t when there is none.
func (r *recorder) last(t *testing.T) audit.Entry {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.entries)
	return r.entries[len(r.entries)-1]
}

// audited returns an Authorizer on a fresh store that records into rec,
// with a clock the test moves through now.
func audited(t *testing.T, rec *recorder, now *time.Time) *rbac.Authorizer {
	t.Helper()
	a, err := rbac.New(t.Context(), rbac.Config{
		Store: newMemStore(), Auditor: rec, Now: func() time.Time { return *now },
	})
	require.NoError(t, err)
	return a
}

func TestDeleteRoleRecordsWhatItTook(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	rec, now := &recorder{}, t0
	a := audited(t, rec, &now)
	for _, r := range []rbac.Role{
		{Name: "a", Permissions: []string{"x:a"}},
		{Name: "b", Inherits: []string{"a"}},
		{Name: "d", Inherits: []string{"b", "a"}},
		{Name: "c", Inherits: []string{"b"}},
		{Name: "e", Inherits: []string{"a"}},
	} {
		_, err := a.CreateRole(ctx, r)
		require.NoError(t, err)
	}
	for _, as := range [][2]string{{"user:x", "b"}, {"agent:y", "b"}, {"user:x", "a"}} {
		require.NoError(t, a.Assign(ctx, as[0], as[1]))
	}

	now = t0.Add(time.Hour)
	require.NoError(t, a.DeleteRole(ctx, "b"))

	e := rec.last(t)
	require.Equal(t, audit.EventRoleDelete, e.Event)
	require.Equal(t, map[string]string{
		"role": "b", "assignments_removed": "2", "inherited_by": "c,d",
	}, e.Detail)

	created, later := t0.Truncate(time.Microsecond), now.Truncate(time.Microsecond)
	for name, want := range map[string]time.Time{
		"c": later, "d": later, "a": created, "e": created,
	} {
		r, err := a.Role(name)
		require.NoError(t, err)
		require.Equal(t, want, r.UpdatedAt, "UpdatedAt of %s", name)
		require.Equal(t, created, r.CreatedAt, "CreatedAt of %s", name)
	}

	now = t0.Add(2 * time.Hour)
	require.NoError(t, a.DeleteRole(ctx, "e"))
	require.Equal(t, map[string]string{
		"role": "e", "assignments_removed": "0", "inherited_by": "",
	}, rec.last(t).Detail)
}

func TestDeleteRoleListsManyInheritors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	rec, now := &recorder{}, t0
	a := audited(t, rec, &now)
	_, err := a.CreateRole(ctx, rbac.Role{Name: "base"})
	require.NoError(t, err)
	var names []string
	for i := range 10 {
		name := fmt.Sprintf("r%02d%s", i, strings.Repeat("x", 60))
		names = append(names, name)
		_, err := a.CreateRole(ctx, rbac.Role{Name: name, Inherits: []string{"base"}})
		require.NoError(t, err)
	}

	require.NoError(t, a.DeleteRole(ctx, "base"))
	got := rec.last(t).Detail["inherited_by"]
	require.LessOrEqual(t, len(got), audit.MaxText)
	require.Equal(t, strings.Join(names[:3], ",")+",+7 more", got)
}

func TestRemovePrincipalRecordsOffboarding(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	rec, now := &recorder{}, t0
	a := audited(t, rec, &now)
	require.NoError(t, a.Assign(ctx, "user:alice", rbac.AdminRole))
	require.NoError(t, a.Assign(ctx, "user:alice", rbac.MemberRole))

	tests := []struct {
		name      string
		principal string
		want      map[string]string
	}{
		{"with roles", "user:alice", map[string]string{
			"principal": "user:alice", "roles_removed": "2"}},
		{"again, with none left", "user:alice", map[string]string{
			"principal": "user:alice", "roles_removed": "0"}},
		{"never assigned", "agent:bot", map[string]string{
			"principal": "agent:bot", "roles_removed": "0"}},
	}
	for _, tt := range tests {
		// Sequential: each case follows the one before.
		require.NoError(t, a.RemovePrincipal(ctx, tt.principal), tt.name)
		e := rec.last(t)
		require.Equal(t, audit.EventOffboard, e.Event, tt.name)
		require.Equal(t, audit.OutcomeOK, e.Outcome, tt.name)
		require.Equal(t, tt.want, e.Detail, tt.name)
	}
	require.False(t, a.Allowed(ctx, principal(t, "user:alice"), rbac.RBACManage))
}

// TestUnrecordedChange checks what a caller sees when a change was made
// but its audit entry could not be written: an internal error that says
// so, whatever the audit's own error claimed.
func TestUnrecordedChange(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tests := []struct {
		name string
		fail error
	}{
		{"plain fault", errors.New("audit disk full")},
		{"coded fault", switchboard.Errorf(switchboard.CodeConflict, "chain moved")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, now := &recorder{fail: tt.fail}, t0
			a := audited(t, rec, &now)

			_, err := a.CreateRole(ctx, rbac.Role{Name: "r"})
			e := requireCode(t, err, switchboard.CodeInternal)
			require.NotNil(t, e, "a *switchboard.Error")
			require.Equal(t, "the change was made but not recorded in the audit log; "+
				"an operator should check the audit store", e.Message)
			require.ErrorIs(t, err, tt.fail)
			require.NotContains(t, e.Message, tt.fail.Error())

			_, err = a.Role("r")
			require.NoError(t, err, "the change stands")
		})
	}
}
