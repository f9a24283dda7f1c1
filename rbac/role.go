package rbac

import (
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/switchboard-dev/switchboard"
)

// The built-in roles. They live in code, not in the store, and cannot be
// created, changed or deleted; they may be assigned and inherited.
const (
	// AdminRole grants every permission.
	AdminRole = "admin"
	// MemberRole grants nothing by itself: a principal that holds only it
	// may call nothing until a role that grants more is added.
	MemberRole = "member"
)

// Limits on roles, so that requests cannot grow the model without bound.
// Inheritance needs no limit of its own: it may not loop, so no chain is
// longer than MaxRoles.
const (
	// MaxRoles bounds the roles stored, built-in roles not counted.
	MaxRoles = 1000
	// MaxDescriptionLen bounds a description, in bytes.
	MaxDescriptionLen = 1024
	// MaxPermissions bounds the permission patterns of one role.
	MaxPermissions = 256
	// MaxInherits bounds the roles one role inherits directly.
	MaxInherits = 64
)

// Role is a named set of permission patterns, plus the roles whose
// permissions it inherits. Permissions and Inherits are nil when empty.
type Role struct {
	Name        string
	Description string
	// Permissions are keys or patterns (see [Match]).
	Permissions []string
	// Inherits names roles whose permissions, transitively, this role has.
	Inherits []string
	// Builtin is true for [AdminRole] and [MemberRole] only.
	Builtin   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// clone returns r with slices of its own.
func (r Role) clone() Role {
	r.Permissions = slices.Clip(slices.Clone(r.Permissions))
	r.Inherits = slices.Clip(slices.Clone(r.Inherits))
	return r
}

// RolePatch changes some fields of a role: a nil field is left as it is, a
// non-nil one replaces the field (an empty slice empties it).
type RolePatch struct {
	Description *string
	Permissions *[]string
	Inherits    *[]string
}

// Assignment gives a principal ("user:alice", "agent:bot", "app:ci") a
// role.
type Assignment struct {
	Principal string
	Role      string
	CreatedAt time.Time
}

// builtins returns the built-in roles, by name.
func builtins() []Role {
	return []Role{
		{
			Name:        AdminRole,
			Description: "Every permission, administration included",
			Permissions: []string{Wildcard},
			Builtin:     true,
		},
		{
			Name:        MemberRole,
			Description: "No permission of its own; a base for roles that grant more",
			Builtin:     true,
		},
	}
}

// IsBuiltin reports whether name is a built-in role.
func IsBuiltin(name string) bool { return name == AdminRole || name == MemberRole }

var roleName = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)

// ValidRoleName returns nil when name is a well-formed role name: a
// lowercase letter, then up to 63 of a-z, 0-9, '_', '.' and '-'.
func ValidRoleName(name string) error {
	if name == "" {
		return fmt.Errorf("role name is empty")
	}
	if !roleName.MatchString(name) {
		return fmt.Errorf("role name %q must start with a-z and hold at most 64 of "+
			"a-z, 0-9, '_', '.' and '-'", name)
	}
	return nil
}

// parsePrincipal checks a principal given as text, for an error at path.
func parsePrincipal(s string) (switchboard.Principal, error) {
	p, err := switchboard.ParsePrincipal(s)
	if err != nil {
		return p, invalid("principal is invalid", "principal", err.Error())
	}
	return p, nil
}

// invalid returns an invalid_input error with one field problem.
func invalid(summary, path, msg string) *switchboard.Error {
	e := switchboard.Errorf(switchboard.CodeInvalidInput, "%s: %s", summary, msg)
	e.Errors = []switchboard.FieldError{{Path: path, Message: msg}}
	return e
}
