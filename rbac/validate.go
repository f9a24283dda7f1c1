package rbac

import (
	"fmt"
	"strings"

	"github.com/switchboard-dev/switchboard"
)

// problems collects what is wrong with a role, each at its field.
type problems []switchboard.FieldError

func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, switchboard.FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

// err returns nil, or an invalid_input error listing every problem.
func (ps problems) err(name string) error {
	if len(ps) == 0 {
		return nil
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Path + ": " + p.Message
	}
	subject := "role"
	if ValidRoleName(name) == nil {
		subject += " " + name
	}
	e := switchboard.Errorf(switchboard.CodeInvalidInput, "%s is invalid: %s",
		subject, strings.Join(parts, "; "))
	e.Errors = ps
	return e
}

// fields says which fields of a role a validation checks.
type fields struct{ description, permissions, inherits bool }

var allFields = fields{description: true, permissions: true, inherits: true}

// validate checks the given fields of r against m: its name, description
// and permission keys, and that the roles it inherits exist and do not
// lead back to it.
func (m *model) validate(r Role, f fields) error {
	var ps problems
	if err := ValidRoleName(r.Name); err != nil {
		ps.add("name", "%v", err)
	}
	if f.description && len(r.Description) > MaxDescriptionLen {
		ps.add("description", "is longer than %d bytes", MaxDescriptionLen)
	}
	if f.permissions {
		validPermissions(&ps, r.Permissions)
	}
	if f.inherits {
		m.validInherits(&ps, r)
	}
	return ps.err(r.Name)
}

func validPermissions(ps *problems, keys []string) {
	if len(keys) > MaxPermissions {
		ps.add("permissions", "holds %d keys; at most %d are allowed", len(keys), MaxPermissions)
		return
	}
	first := map[string]int{}
	for i, k := range keys {
		path := fmt.Sprintf("permissions[%d]", i)
		if err := ValidKey(k); err != nil {
			ps.add(path, "%v", err)
		} else if j, dup := first[k]; dup {
			ps.add(path, "%q is listed already at permissions[%d]", k, j)
		} else {
			first[k] = i
		}
	}
}

// validInherits checks r.Inherits; the cycle check runs only when every
// entry is otherwise sound.
func (m *model) validInherits(ps *problems, r Role) {
	if len(r.Inherits) > MaxInherits {
		ps.add("inherits", "holds %d roles; at most %d are allowed", len(r.Inherits), MaxInherits)
		return
	}
	before := len(*ps)
	first := map[string]int{}
	for i, name := range r.Inherits {
		path := fmt.Sprintf("inherits[%d]", i)
		j, dup := first[name]
		switch {
		case name == r.Name:
			ps.add(path, "role cycle: %s -> %s", name, name)
		case dup:
			ps.add(path, "role %q is listed already at inherits[%d]", name, j)
		case m.roles[name] == nil:
			ps.add(path, "role %q does not exist", name)
		}
		if !dup {
			first[name] = i
		}
	}
	if len(*ps) > before {
		return
	}
	for i, name := range r.Inherits {
		if path := m.pathTo(name, r.Name); path != nil {
			ps.add(fmt.Sprintf("inherits[%d]", i), "role cycle: %s -> %s",
				r.Name, strings.Join(path, " -> "))
			return
		}
	}
}

// pathTo returns the roles from role from to role to, both included,
// following Inherits, or nil when to cannot be reached. It never expands
// to itself, so a role's own Inherits do not matter.
func (m *model) pathTo(from, to string) []string {
	seen := map[string]bool{}
	var path []string
	var visit func(string) bool
	visit = func(n string) bool {
		path = append(path, n)
		if n == to {
			return true
		}
		if !seen[n] {
			seen[n] = true
			if r := m.roles[n]; r != nil {
				for _, parent := range r.Inherits {
					if visit(parent) {
						return true
					}
				}
			}
		}
		path = path[:len(path)-1]
		return false
	}
	if visit(from) {
		return path
	}
	return nil
}
