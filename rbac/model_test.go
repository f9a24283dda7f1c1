package rbac

import (
	"log/slog"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// matchCases are patterns and keys for comparing permSet.allows with Match.
var matchCases = struct{ patterns, keys []string }{
	patterns: []string{
		"*", "a:*", "a:b:*", "a:b:c", "a:b", "ab:*", "a:bc:*", "x:y:z:*",
	},
	keys: []string{
		"a:b", "a:b:c", "a:b:c:d", "a:bc:d", "a:b:", "a:", "ab:c", "a", "x:y:z",
		"x:y:z:w", "b:a", "a:bc", "",
	},
}

func TestAllowsAgreesWithMatch(t *testing.T) {
	t.Parallel()
	for _, p := range matchCases.patterns {
		s := newPermSet([]string{p})
		for _, k := range matchCases.keys {
			require.Equal(t, Match(p, k), s.allows(k), "pattern %q key %q", p, k)
		}
	}
}

func FuzzAllowsAgreesWithMatch(f *testing.F) {
	for _, p := range matchCases.patterns {
		for _, k := range matchCases.keys {
			f.Add(p, k)
		}
	}
	f.Fuzz(func(t *testing.T, pattern, key string) {
		if ValidKey(pattern) != nil {
			return
		}
		s := newPermSet([]string{pattern})
		if Match(pattern, key) != s.allows(key) {
			t.Fatalf("pattern %q key %q: Match %v, allows %v",
				pattern, key, Match(pattern, key), s.allows(key))
		}
	})
}

func TestPermSet(t *testing.T) {
	t.Parallel()
	s := newPermSet([]string{"b:c", "a:*", "b:c", "*"})
	require.True(t, s.all)
	require.Equal(t, map[string]struct{}{"b:c": {}}, s.exact)
	require.Equal(t, map[string]struct{}{"a:": {}}, s.prefixes)
	require.Same(t, emptySet, newPermSet(nil))
}

// reachOf returns the names of what role name reaches in m, sorted.
func reachOf(t *testing.T, m *model, name string) []string {
	t.Helper()
	n := m.nodes[name]
	require.NotNil(t, n, name)
	var out []string
	for _, r := range n.reach {
		out = append(out, r.role.Name)
	}
	slices.Sort(out)
	return out
}

// TestReach checks what each role reaches, cycles included, which only
// two processes changing roles at once can store.
func TestReach(t *testing.T) {
	t.Parallel()
	perm := []string{"x:y"}
	m := build([]Role{
		{Name: "a", Permissions: perm},
		{Name: "b", Inherits: []string{"a"}},
		{Name: "c", Permissions: perm, Inherits: []string{"b", "ghost"}},
		{Name: "d", Permissions: perm, Inherits: []string{"c", "a", AdminRole}},
		{Name: "p", Permissions: perm, Inherits: []string{"q"}},
		{Name: "q", Permissions: perm, Inherits: []string{"r"}},
		{Name: "r", Inherits: []string{"p", MemberRole}},
		{Name: "s", Permissions: perm, Inherits: []string{"r"}},
	}, nil, slog.New(slog.DiscardHandler))
	tests := []struct {
		role string
		want []string
	}{
		{"a", []string{"a"}},
		{"b", []string{"a"}},
		{"c", []string{"a", "c"}},
		{"d", []string{"a", "admin", "c", "d"}},
		{"p", []string{"p", "q"}},
		{"q", []string{"p", "q"}},
		{"r", []string{"p", "q"}},
		{"s", []string{"p", "q", "s"}},
		{MemberRole, nil},
		{AdminRole, []string{"admin"}},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, reachOf(t, m, tt.role), tt.role)
	}
}
