package rbac

import (
	"context"
	"time"
)

// Store keeps roles and assignments. Built-in roles are not stored as
// roles: a store never returns them from Roles, refuses to create, update
// or delete them, and accepts assignments of them and roles that inherit
// them.
//
// Every method that changes something records it in the store's change
// feed in the same transaction: kind "role" with the role's name as
// subject, kind "assignment" with "principal/role". A call that fails, or
// that finds nothing to change, records nothing.
//
// Methods return a *switchboard.Error with CodeNotFound or CodeConflict
// where they say so; any other error is a fault of the database. Times come
// back in UTC, to the microsecond.
type Store interface {
	// Roles returns every stored role ordered by name, with its
	// Permissions and Inherits in the order they were written (nil when
	// empty).
	Roles(ctx context.Context) ([]Role, error)
	// CreateRole stores r. It returns CodeConflict when a role named
	// r.Name exists, built-in roles included, and CodeNotFound when a role
	// r inherits does not exist.
	CreateRole(ctx context.Context, r Role) error
	// UpdateRole replaces the description, permissions, inherited roles and
	// UpdatedAt of the stored role r.Name, keeping its CreatedAt. It
	// returns CodeNotFound when there is no such stored role or when a role
	// r inherits does not exist.
	UpdateRole(ctx context.Context, r Role) error
	// DeleteRole removes the stored role name, its assignments, and name
	// from the Inherits of every other role, setting the UpdatedAt of each
	// role it leaves to at, in one transaction; it records a change for
	// each. It returns CodeNotFound, and changes nothing, when there is no
	// such stored role.
	DeleteRole(ctx context.Context, name string, at time.Time) error

	// Assignments returns the assignments of principal, or every
	// assignment when principal is "", ordered by principal and role.
	Assignments(ctx context.Context, principal string) ([]Assignment, error)
	// Assign stores a and reports true, or reports false and changes
	// nothing when the principal has the role already. It returns
	// CodeNotFound when the role does not exist.
	Assign(ctx context.Context, a Assignment) (bool, error)
	// Unassign removes the role from principal, or returns CodeNotFound
	// when principal does not have it.
	Unassign(ctx context.Context, principal, role string) error
	// DeleteAssignments removes every role of principal and returns how
	// many there were; none is not an error.
	DeleteAssignments(ctx context.Context, principal string) (int, error)
}
