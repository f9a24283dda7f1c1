package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/rbac"
	"github.com/switchboard-dev/switchboard/store/internal/codec"
)

var _ rbac.Store = (*DB)(nil)

// The kinds of [Change] that roles and assignments record. Subject is a
// role's name, or an assignment's "principal/role".
const (
	kindRole       = "role"
	kindAssignment = "assignment"
)

// Roles returns every stored role, built-in roles excepted, by name.
func (db *DB) Roles(ctx context.Context) ([]rbac.Role, error) {
	const op = "list roles"
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, translate(err, op, "role")
	}
	defer func() { _ = tx.Rollback() }()

	roles, err := scanRoles(ctx, tx)
	if err != nil {
		return nil, translate(err, op, "role")
	}
	if err := addInherits(ctx, tx, roles); err != nil {
		return nil, translate(err, op, "role")
	}
	return roles, nil
}

func scanRoles(ctx context.Context, tx *sql.Tx) ([]rbac.Role, error) {
	rows, err := tx.QueryContext(ctx, qRoles)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var roles []rbac.Role
	for rows.Next() {
		var r rbac.Role
		var perms string
		var created, updated int64
		if err := rows.Scan(&r.Name, &r.Description, &perms, &created, &updated); err != nil {
			return nil, err
		}
		if r.Permissions, err = codec.ParseList(perms); err != nil {
			return nil, fmt.Errorf("role %s: decode permissions: %w", r.Name, err)
		}
		r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
		roles = append(roles, r)
	}
	return roles, rows.Err()
}

// addInherits fills the Inherits of roles.
func addInherits(ctx context.Context, tx *sql.Tx, roles []rbac.Role) error {
	rows, err := tx.QueryContext(ctx, qRoleInherits)
	if err != nil {
		return err
	}
	defer rows.Close()

	byName := make(map[string]*rbac.Role, len(roles))
	for i := range roles {
		byName[roles[i].Name] = &roles[i]
	}
	for rows.Next() {
		var role, parent string
		if err := rows.Scan(&role, &parent); err != nil {
			return err
		}
		if r := byName[role]; r != nil {
			r.Inherits = append(r.Inherits, parent)
		}
	}
	return rows.Err()
}

// CreateRole stores r and records a "role" change. It returns CodeConflict
// when the name is taken, built-in roles included, and CodeNotFound when a
// role r inherits does not exist.
func (db *DB) CreateRole(ctx context.Context, r rbac.Role) error {
	const op = "create role"
	perms, err := codec.List(r.Permissions)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, qCreateRole, r.Name, r.Description, perms,
			micros(r.CreatedAt), micros(r.UpdatedAt))
		if err != nil {
			return translate(err, op, fmt.Sprintf("role %q", r.Name))
		}
		if err := insertInherits(ctx, tx, op, r); err != nil {
			return err
		}
		return db.record(ctx, tx, change{kindRole, r.Name})
	})
}

// UpdateRole replaces the description, permissions, inherited roles and
// UpdatedAt of r.Name and records a "role" change. It returns CodeNotFound
// when there is no such stored role or a role r inherits does not exist.
func (db *DB) UpdateRole(ctx context.Context, r rbac.Role) error {
	const op = "update role"
	perms, err := codec.List(r.Permissions)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, qUpdateRole, r.Description, perms,
			micros(r.UpdatedAt), r.Name)
		if err := affected(res, err, op, roleNotFound(r.Name)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, qDeleteInherits, r.Name); err != nil {
			return translate(err, op, "role")
		}
		if err := insertInherits(ctx, tx, op, r); err != nil {
			return err
		}
		return db.record(ctx, tx, change{kindRole, r.Name})
	})
}

// insertInherits writes r.Inherits, in order, after checking that each
// role exists.
func insertInherits(ctx context.Context, tx *sql.Tx, op string, r rbac.Role) error {
	for i, parent := range r.Inherits {
		var n int
		if err := tx.QueryRowContext(ctx, qRoleExists, parent).Scan(&n); err != nil {
			return translate(err, op, "role")
		}
		if n == 0 {
			return roleNotFound(parent)
		}
		if _, err := tx.ExecContext(ctx, qInsertInherit, r.Name, parent, i); err != nil {
			return translate(err, op, fmt.Sprintf("inherited role %q", parent))
		}
	}
	return nil
}

// DeleteRole removes the stored role name with its assignments and its
// place in other roles' Inherits, whose UpdatedAt becomes at. It records a
// "role" change for name and for each role that inherited it, and an
// "assignment" change for each assignment removed. It returns CodeNotFound
// when there is no such stored role.
func (db *DB) DeleteRole(ctx context.Context, name string, at time.Time) error {
	const op = "delete role"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		inheritors, err := column(ctx, tx, qInheritors, name)
		if err != nil {
			return translate(err, op, "role")
		}
		holders, err := column(ctx, tx, qRoleHolders, name)
		if err != nil {
			return translate(err, op, "role")
		}
		// Before the deletion takes the rows that name the inheritors; a
		// role not found rolls it back.
		if _, err := tx.ExecContext(ctx, qTouchInheritors, micros(at), name); err != nil {
			return translate(err, op, "role")
		}
		res, err := tx.ExecContext(ctx, qDeleteRole, name)
		if err := affected(res, err, op, roleNotFound(name)); err != nil {
			return err
		}

		changes := []change{{kindRole, name}}
		for _, r := range inheritors {
			changes = append(changes, change{kindRole, r})
		}
		for _, p := range holders {
			changes = append(changes, change{kindAssignment, assignmentSubject(p, name)})
		}
		return db.record(ctx, tx, changes...)
	})
}

// Assignments returns the assignments of principal, or all of them when
// principal is "", ordered by principal and role.
func (db *DB) Assignments(ctx context.Context, principal string) ([]rbac.Assignment, error) {
	const op = "list role assignments"
	q, args := qAllAssignments, []any{}
	if principal != "" {
		q, args = qAssignmentsOf, []any{principal}
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, translate(err, op, "assignment")
	}
	defer rows.Close()

	var out []rbac.Assignment
	for rows.Next() {
		var a rbac.Assignment
		var at int64
		if err := rows.Scan(&a.Principal, &a.Role, &at); err != nil {
			return nil, translate(err, op, "assignment")
		}
		a.CreatedAt = fromMicros(at)
		out = append(out, a)
	}
	return out, translate(rows.Err(), op, "assignment")
}

// Assign stores a and records an "assignment" change, or reports false and
// records nothing when the principal has the role already. It returns
// CodeNotFound when the role does not exist.
func (db *DB) Assign(ctx context.Context, a rbac.Assignment) (bool, error) {
	const op = "assign role"
	added := false
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, qRoleExists, a.Role).Scan(&n); err != nil {
			return translate(err, op, "role")
		}
		if n == 0 {
			return roleNotFound(a.Role)
		}
		res, err := tx.ExecContext(ctx, qAssign, a.Principal, a.Role, micros(a.CreatedAt))
		if err != nil {
			return translate(err, op, "assignment")
		}
		if k, err := res.RowsAffected(); err != nil || k == 0 {
			return translate(err, op, "assignment")
		}
		added = true
		return db.record(ctx, tx, change{kindAssignment, assignmentSubject(a.Principal, a.Role)})
	})
	return added, err
}

// Unassign removes role from principal and records an "assignment"
// change, or returns CodeNotFound when principal does not have it.
func (db *DB) Unassign(ctx context.Context, principal, role string) error {
	const op = "unassign role"
	return db.inTx(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, qUnassign, principal, role)
		if err := affected(res, err, op, notAssigned(principal, role)); err != nil {
			return err
		}
		return db.record(ctx, tx, change{kindAssignment, assignmentSubject(principal, role)})
	})
}

// DeleteAssignments removes every role of principal, recording an
// "assignment" change for each, and returns how many there were.
func (db *DB) DeleteAssignments(ctx context.Context, principal string) (int, error) {
	const op = "delete role assignments"
	var roles []string
	err := db.inTx(ctx, op, func(tx *sql.Tx) error {
		var err error
		if roles, err = column(ctx, tx, qUnassignAll, principal); err != nil {
			return translate(err, op, "assignment")
		}
		slices.Sort(roles)
		changes := make([]change, len(roles))
		for i, r := range roles {
			changes[i] = change{kindAssignment, assignmentSubject(principal, r)}
		}
		return db.record(ctx, tx, changes...)
	})
	if err != nil {
		return 0, err
	}
	return len(roles), nil
}

// column runs q in tx and returns the one text column of its rows.
func column(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// affected returns the error of a statement that must change a row:
// err translated, or missing when it changed none.
func affected(res sql.Result, err error, op string, missing error) error {
	if err != nil {
		return translate(err, op, "role")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, op, "role")
	}
	if n == 0 {
		return missing
	}
	return nil
}

// assignmentSubject is the change feed's subject of an assignment.
func assignmentSubject(principal, role string) string { return principal + "/" + role }

func roleNotFound(name string) error {
	return switchboard.Errorf(switchboard.CodeNotFound, "role %q not found", name)
}

func notAssigned(principal, role string) error {
	return switchboard.Errorf(switchboard.CodeNotFound, "%s does not have role %q", principal, role)
}
