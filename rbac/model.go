package rbac

import (
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// model is one immutable view of roles and assignments. Only the lazily
// merged grants of its principals change after build, each once.
//
// Its memory is linear in what the store holds, plus a pointer for each
// role that each role reaches: every role keeps its own patterns once,
// and a check walks the roles a principal reaches instead of a union of
// their patterns.
type model struct {
	roles      map[string]*Role // built-in roles included
	nodes      map[string]*node // by name, one per role
	names      []string         // keys of roles, sorted
	principals map[switchboard.Principal]*grant
	digest     [32]byte // of the roles and assignments it was built from
}

// node is one role of a model, linked to what it inherits.
type node struct {
	id   int // index in model.names
	role *Role
	own  *permSet // the role's own patterns
	// reach lists the role and every role it inherits, transitively, that
	// grants a pattern of its own, each once; nil when none does.
	reach []*node
}

// grant is what one principal holds: its roles, and the roles they reach,
// merged on first use.
type grant struct {
	roles []*node
	once  sync.Once
	reach []*node
}

// permSet is a set of permission patterns arranged for [permSet.allows].
type permSet struct {
	all      bool                // "*" is among the patterns
	exact    map[string]struct{} // patterns without a wildcard
	prefixes map[string]struct{} // "a:b:" for every "a:b:*"
}

// emptySet allows nothing.
var emptySet = &permSet{}

// build returns the model of stored roles, the built-in roles, and
// assignments. It tolerates what a concurrent change of the store can
// leave: an assignment or an inherited role naming an unknown role is
// ignored, a cycle of inheritance is expanded once, and roles beyond
// [MaxRoles] are kept.
func build(stored []Role, assigned []Assignment, log *slog.Logger) *model {
	m := &model{roles: make(map[string]*Role, len(stored)+2)}
	for _, r := range builtins() {
		m.roles[r.Name] = &r
	}
	for _, r := range stored {
		if m.roles[r.Name] != nil {
			continue // a built-in role's name; stores refuse it
		}
		m.roles[r.Name] = &r
	}
	if n := m.stored(); n > MaxRoles {
		log.Warn("more roles stored than allowed", slog.Int(logkey.Count, n))
	}
	m.names = slices.Sorted(maps.Keys(m.roles))
	m.link()
	m.principals = m.grants(assigned, log)
	return m
}

// stored returns how many roles of m are not built in.
func (m *model) stored() int { return len(m.roles) - len(builtins()) }

// link makes the node of every role and works out what each reaches.
func (m *model) link() {
	m.nodes = make(map[string]*node, len(m.names))
	for i, name := range m.names {
		r := m.roles[name]
		m.nodes[name] = &node{id: i, role: r, own: newPermSet(r.Permissions)}
	}
	l := linker{
		nodes: m.nodes,
		state: make([]linkState, len(m.names)),
		mark:  make([]int, len(m.names)),
	}
	for _, name := range m.names {
		l.link(m.nodes[name])
	}
}

// linkState is how far a [linker] got with a node.
type linkState uint8

const (
	unlinked linkState = iota
	linking            // its parents are being linked: it is on a path being walked
	linked             // its reach is final
)

// linker fills the reach of nodes. It links the parents of a node first
// and copies their final reach, so that the nodes of a chain of n roles
// hold about n²/2 pointers in all and no pattern is copied.
type linker struct {
	nodes map[string]*node
	state []linkState // by node id
	mark  []int       // by node id: the walk that last met the node
	walk  int
	buf   []*node
}

// link fills n.reach, after the reach of every parent of n that is not on
// the path to n, which only a cycle of inheritance can put there.
func (l *linker) link(n *node) {
	if l.state[n.id] != unlinked {
		return
	}
	l.state[n.id] = linking
	for _, p := range n.role.Inherits {
		if pn := l.nodes[p]; pn != nil {
			l.link(pn)
		}
	}
	l.walk++
	l.buf = l.buf[:0]
	l.visit(n)
	if len(l.buf) > 0 {
		n.reach = append(make([]*node, 0, len(l.buf)), l.buf...)
	}
	l.state[n.id] = linked
}

// visit adds to l.buf what n reaches and the walk has not met yet: the
// final reach of n when there is one, and otherwise n and what its parents
// reach. A cycle is cut where the walk meets a node again.
func (l *linker) visit(n *node) {
	if l.mark[n.id] == l.walk {
		return
	}
	l.mark[n.id] = l.walk
	if l.state[n.id] == linked {
		for _, r := range n.reach {
			if r == n || l.mark[r.id] != l.walk {
				l.mark[r.id] = l.walk
				l.buf = append(l.buf, r)
			}
		}
		return
	}
	if len(n.role.Permissions) > 0 {
		l.buf = append(l.buf, n)
	}
	for _, p := range n.role.Inherits {
		if pn := l.nodes[p]; pn != nil {
			l.visit(pn)
		}
	}
}

// grants groups assignments by principal, dropping those of unknown roles
// or of principals that do not parse.
func (m *model) grants(assigned []Assignment, log *slog.Logger) map[switchboard.Principal]*grant {
	out := map[switchboard.Principal]*grant{}
	skipped := 0
	for _, a := range assigned {
		p, err := switchboard.ParsePrincipal(a.Principal)
		n := m.nodes[a.Role]
		if err != nil || n == nil {
			skipped++
			continue
		}
		g := out[p]
		if g == nil {
			g = &grant{}
			out[p] = g
		}
		g.roles = append(g.roles, n)
	}
	if skipped > 0 {
		log.Warn("assignments ignored: unknown role or principal", slog.Int(logkey.Count, skipped))
	}
	return out
}

// principalReach returns the roles that grant p a pattern by assignment.
func (m *model) principalReach(p switchboard.Principal) []*node {
	g := m.principals[p]
	if g == nil {
		return nil
	}
	g.once.Do(func() { g.reach = merge(g.roles) })
	return g.reach
}

// merge returns the union of the reach of roles, each node once. The reach
// of a single role is shared, not copied.
func merge(roles []*node) []*node {
	if len(roles) == 1 {
		return roles[0].reach
	}
	seen := map[*node]bool{}
	var out []*node
	for _, r := range roles {
		for _, n := range r.reach {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return slices.Clip(out)
}

// anyAllows reports whether a role of nodes grants key, without
// allocating.
func anyAllows(nodes []*node, key string) bool {
	for _, n := range nodes {
		if n.own.allows(key) {
			return true
		}
	}
	return false
}

// appendPatterns appends the patterns of nodes to out.
func appendPatterns(out []string, nodes []*node) []string {
	for _, n := range nodes {
		out = append(out, n.role.Permissions...)
	}
	return out
}

// newPermSet returns the set of patterns; its maps share the patterns'
// bytes.
func newPermSet(patterns []string) *permSet {
	if len(patterns) == 0 {
		return emptySet
	}
	s := &permSet{}
	for _, p := range patterns {
		switch {
		case p == Wildcard:
			s.all = true
		case strings.HasSuffix(p, ":"+Wildcard):
			if s.prefixes == nil {
				s.prefixes = map[string]struct{}{}
			}
			s.prefixes[p[:len(p)-len(Wildcard)]] = struct{}{}
		default:
			if s.exact == nil {
				s.exact = make(map[string]struct{}, len(patterns))
			}
			s.exact[p] = struct{}{}
		}
	}
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
