package rbac

import (
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// model is one immutable view of roles and assignments. Only the lazily
// built sets of its principals change after build, each once.
type model struct {
	roles      map[string]*Role    // built-in roles included
	names      []string            // keys of roles, sorted
	sets       map[string]*permSet // per role, inherited roles included
	principals map[switchboard.Principal]*grant
	digest     [32]byte // of the roles and assignments it was built from
}

// grant is what one principal holds: the names of its roles, and their
// union, built on first use.
type grant struct {
	roles []string
	once  sync.Once
	set   *permSet
}

// permSet is a set of permission patterns arranged for [permSet.allows].
type permSet struct {
	all      bool                // "*" is among the patterns
	exact    map[string]struct{} // patterns without a wildcard
	prefixes map[string]struct{} // "a:b:" for every "a:b:*"
	patterns []string            // sorted, without duplicates
}

// emptySet allows nothing.
var emptySet = &permSet{}

// build returns the model of stored roles, the built-in roles, and
// assignments. It tolerates what a concurrent change of the store can
// leave: an assignment or an inherited role naming an unknown role is
// ignored, and a cycle of inheritance is expanded once.
func build(stored []Role, assigned []Assignment, log *slog.Logger) *model {
	m := &model{roles: map[string]*Role{}, sets: map[string]*permSet{}}
	for _, r := range builtins() {
		m.roles[r.Name] = &r
	}
	for _, r := range stored {
		if m.roles[r.Name] != nil {
			continue // a built-in role's name; stores refuse it
		}
		m.roles[r.Name] = &r
	}
	for name := range m.roles {
		m.names = append(m.names, name)
		m.sets[name] = newPermSet(m.expand(name))
	}
	slices.Sort(m.names)
	m.principals = m.grants(assigned, log)
	return m
}

// grants groups assignments by principal, dropping those of unknown roles
// or of principals that do not parse.
func (m *model) grants(assigned []Assignment, log *slog.Logger) map[switchboard.Principal]*grant {
	out := map[switchboard.Principal]*grant{}
	skipped := 0
	for _, a := range assigned {
		p, err := switchboard.ParsePrincipal(a.Principal)
		if err != nil || m.roles[a.Role] == nil {
			skipped++
			continue
		}
		g := out[p]
		if g == nil {
			g = &grant{}
			out[p] = g
		}
		g.roles = append(g.roles, a.Role)
	}
	if skipped > 0 {
		log.Warn("assignments ignored: unknown role or principal", slog.Int(logkey.Count, skipped))
	}
	return out
}

// expand returns the patterns of role name and of every role it inherits,
// transitively.
func (m *model) expand(name string) []string {
	var out []string
	seen := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		r := m.roles[n]
		if r == nil || seen[n] {
			return
		}
		seen[n] = true
		out = append(out, r.Permissions...)
		for _, parent := range r.Inherits {
			visit(parent)
		}
	}
	visit(name)
	return out
}

// principalSet returns what p holds by assignment.
func (m *model) principalSet(p switchboard.Principal) *permSet {
	g := m.principals[p]
	if g == nil {
		return emptySet
	}
	g.once.Do(func() { g.set = m.union(g.roles) })
	return g.set
}

// union returns the set of every pattern the named roles hold.
func (m *model) union(roles []string) *permSet {
	if len(roles) == 1 {
		return m.sets[roles[0]]
	}
	var patterns []string
	for _, name := range roles {
		patterns = append(patterns, m.sets[name].patterns...)
	}
	return newPermSet(patterns)
}

func newPermSet(patterns []string) *permSet {
	s := &permSet{exact: map[string]struct{}{}, prefixes: map[string]struct{}{}}
	for _, p := range patterns {
		switch prefix, ok := strings.CutSuffix(p, ":"+Wildcard); {
		case p == Wildcard:
			s.all = true
		case ok:
			s.prefixes[prefix+":"] = struct{}{}
		default:
			s.exact[p] = struct{}{}
		}
	}
	s.patterns = slices.Compact(slices.Sorted(slices.Values(patterns)))
	return s
}

// allows reports whether a pattern of s matches key, as [Match] decides,
// without allocating: a key of n segments costs at most n map lookups.
func (s *permSet) allows(key string) bool {
	if s.all {
		return true
	}
	if _, ok := s.exact[key]; ok {
		return true
	}
	if len(s.prefixes) == 0 {
		return false
	}
	// A prefix must leave at least one character of key.
	for i := 0; i < len(key)-1; i++ {
		if key[i] != ':' {
			continue
		}
		if _, ok := s.prefixes[key[:i+1]]; ok {
			return true
		}
	}
	return false
}
