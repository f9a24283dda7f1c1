package rbac_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/rbac"
)

func TestDelegatedAuthorityNarrows(t *testing.T) {
	t.Parallel()
	a := staffed(t)
	const (
		list   = "integration:slack:list_channels"
		send   = "integration:slack:send_message"
		manage = "integration:slack:manage"
	)
	tests := []struct {
		name  string
		agent string
		user  string
		roles []string
		scope []string
		key   string
		want  bool
	}{
		{"all three hold it", "app:i", "user:p", nil, []string{send}, send, true},
		{"scope pattern covers it", "app:i", "user:p", nil, []string{"integration:slack:*"}, send, true},
		{"outside the scope", "app:i", "user:p", nil, []string{send}, list, false},
		{"user lacks it", "app:i", "user:v", nil, []string{send}, send, false},
		{"agent lacks it", "user:v", "user:p", nil, []string{send}, send, false},
		{"admin agent still narrowed by the user", "agent:r", "user:v", nil, []string{"*"}, manage, false},
		{"admin user still narrowed by the agent", "user:v", "user:a", nil, []string{"*"}, manage, false},
		{"user's claimed roles count", "app:i", "user:nobody", []string{"poster"}, []string{send}, send, true},
		{"empty scope grants nothing", "agent:r", "user:a", nil, nil, send, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := switchboard.WithDelegation(t.Context(), switchboard.Delegation{ID: "d1",
				User: principal(t, tt.user), Scope: tt.scope, UserRoles: tt.roles})
			agent := principal(t, tt.agent)
			require.Equal(t, tt.want, a.Allowed(ctx, agent, tt.key))
			err := a.Authorize(ctx, agent, tt.key)
			if tt.want {
				require.NoError(t, err)
				return
			}
			e := requireCode(t, err, switchboard.CodeForbidden)
			require.Equal(t, tt.key, e.Permission)
			require.Contains(t, e.Message, "acting for "+tt.user)
		})
	}
}

func TestDelegatedDenialSaysWho(t *testing.T) {
	t.Parallel()
	a := staffed(t)
	const send = "integration:slack:send_message"
	ctx := switchboard.WithDelegation(t.Context(), switchboard.Delegation{
		User: principal(t, "user:v"), Scope: []string{"integration:slack:list_channels"}})
	e := requireCode(t, a.Authorize(ctx, principal(t, "user:m"), send), switchboard.CodeForbidden)
	require.Contains(t, e.Message, "the delegation's scope does not include it")
	require.Contains(t, e.Message, "user:v does not hold it")
	require.Contains(t, e.Message, "user:m does not hold it")
}

func TestDelegatedPermissionsAreTheIntersection(t *testing.T) {
	t.Parallel()
	a := staffed(t)
	tests := []struct {
		name  string
		agent string
		user  string
		scope []string
		want  []string
	}{
		{"scope narrower than both", "agent:r", "user:o", []string{"integration:slack:send_message"},
			[]string{"integration:slack:send_message"}},
		{"user narrower than scope", "agent:r", "user:p", []string{"*"},
			[]string{"integration:slack:list_channels", "integration:slack:send_message"}},
		{"agent narrower than user", "app:i", "user:a", []string{"integration:slack:*", rbac.AuditRead},
			[]string{"integration:slack:*"}},
		{"disjoint", "user:l", "user:o", []string{rbac.AuditRead}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := switchboard.WithDelegation(t.Context(), switchboard.Delegation{
				User: principal(t, tt.user), Scope: tt.scope})
			require.Equal(t, tt.want, a.Permissions(ctx, principal(t, tt.agent)))
		})
	}
}

func TestHoldsMatchesPatternsLiterally(t *testing.T) {
	t.Parallel()
	a := staffed(t)
	p := principal(t, "user:p") // poster: send_message, list_channels
	require.Empty(t, a.Holds(p, nil, []string{"integration:slack:send_message"}))
	require.Equal(t, []string{"integration:slack:*", "*"},
		a.Holds(p, nil, []string{"integration:slack:*", "integration:slack:list_channels", "*"}))
	require.Empty(t, a.Holds(principal(t, "user:o"), nil, []string{"integration:slack:*"}))
	require.Empty(t, a.Holds(principal(t, "user:nobody"), []string{"slackops"},
		[]string{"integration:slack:*"}))
	require.Empty(t, a.Holds(principal(t, "user:a"), nil, []string{"*"}))
}
