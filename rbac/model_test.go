package rbac

import (
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

func TestPermSetPatternsSortedUnique(t *testing.T) {
	t.Parallel()
	s := newPermSet([]string{"b:c", "a:*", "b:c", "*"})
	require.Equal(t, []string{"*", "a:*", "b:c"}, s.patterns)
	require.True(t, s.all)
}
