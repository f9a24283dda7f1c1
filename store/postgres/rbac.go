package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

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

// Roles returns every stored role, built-in roles excepted, by name, read
// in one snapshot.
func (db *DB) Roles(ctx context.Context) ([]rbac.Role, error) {
	const op = "list roles"
	var roles []rbac.Role
	err := db.readTx(ctx, op, func(tx pgx.Tx) error {
		var err error
		if roles, err = scanRoles(ctx, tx); err != nil {
			return translate(err, op, "role")
		}
		return translate(addInherits(ctx, tx, roles), op, "role")
	})
	return roles, err
}

// readTx runs fn in one read-only, repeatable-read transaction.
func (db *DB) readTx(ctx context.Context, op string, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{
		IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly,
	})
	if err != nil {
		return translate(err, op+": begin", "")
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	return fn(tx)
}

func scanRoles(ctx context.Context, tx pgx.Tx) ([]rbac.Role, error) {
	rows, err := tx.Query(ctx, qRoles)
	if err != nil {
		return nil, err
	}
	return pgx.AppendRows([]rbac.Role(nil), rows, func(row pgx.CollectableRow) (rbac.Role, error) {
		var r rbac.Role
		var perms string
		if err := row.Scan(&r.Name, &r.Description, &perms, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return r, err
		}
		var err error
		if r.Permissions, err = codec.ParseList(perms); err != nil {
			return r, fmt.Errorf("role %s: decode permissions: %w", r.Name, err)
		}
		r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
		return r, nil
	})
}

// addInherits fills the Inherits of roles.
func addInherits(ctx context.Context, tx pgx.Tx, roles []rbac.Role) error {
	rows, err := tx.Query(ctx, qRoleInherits)
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
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, qCreateRole, r.Name, r.Description, perms,
			utc(r.CreatedAt), utc(r.UpdatedAt))
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
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, qUpdateRole, r.Name, r.Description, perms, utc(r.UpdatedAt))
		if err != nil {
			return translate(err, op, "role")
		}
		if tag.RowsAffected() == 0 {
			return roleNotFound(r.Name)
		}
		if _, err := tx.Exec(ctx, qDeleteInherits, r.Name); err != nil {
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
func insertInherits(ctx context.Context, tx pgx.Tx, op string, r rbac.Role) error {
	for i, parent := range r.Inherits {
		var ok bool
		if err := tx.QueryRow(ctx, qRoleExists, parent).Scan(&ok); err != nil {
			return translate(err, op, "role")
		}
		if !ok {
			return roleNotFound(parent)
		}
		if _, err := tx.Exec(ctx, qInsertInherit, r.Name, parent, i); err != nil {
			if isForeignKey(err) { // deleted since the check
				return roleNotFound(parent)
			}
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
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		var locked string
		if err := tx.QueryRow(ctx, qLockRole, name).Scan(&locked); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return roleNotFound(name)
			}
			return translate(err, op, "role")
		}
		inheritors, err := column(ctx, tx, qInheritors, name)
		if err != nil {
			return translate(err, op, "role")
		}
		holders, err := column(ctx, tx, qRoleHolders, name)
		if err != nil {
			return translate(err, op, "role")
		}
		if _, err := tx.Exec(ctx, qTouchInheritors, name, utc(at)); err != nil {
			return translate(err, op, "role")
		}
		if _, err := tx.Exec(ctx, qDeleteRole, name); err != nil {
			return translate(err, op, "role")
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
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, op, "assignment")
	}
	out, err := pgx.AppendRows([]rbac.Assignment(nil), rows,
		func(row pgx.CollectableRow) (rbac.Assignment, error) {
			var a rbac.Assignment
			err := row.Scan(&a.Principal, &a.Role, &a.CreatedAt)
			a.CreatedAt = a.CreatedAt.UTC()
			return a, err
		})
	if err != nil {
		return nil, translate(err, op, "assignment")
	}
	return out, nil
}

// Assign stores a and records an "assignment" change, or reports false and
// records nothing when the principal has the role already. It returns
// CodeNotFound when the role does not exist.
func (db *DB) Assign(ctx context.Context, a rbac.Assignment) (bool, error) {
	const op = "assign role"
	added := false
	err := db.inTx(ctx, op, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, qAssign, a.Principal, a.Role, utc(a.CreatedAt))
		if isForeignKey(err) {
			return roleNotFound(a.Role)
		}
		if err != nil {
			return translate(err, op, "assignment")
		}
		if tag.RowsAffected() == 0 {
			return nil
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
	return db.inTx(ctx, op, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, qUnassign, principal, role)
		if err != nil {
			return translate(err, op, "assignment")
		}
		if tag.RowsAffected() == 0 {
			return notAssigned(principal, role)
		}
		return db.record(ctx, tx, change{kindAssignment, assignmentSubject(principal, role)})
	})
}

// DeleteAssignments removes every role of principal, recording an
// "assignment" change for each, and returns how many there were.
func (db *DB) DeleteAssignments(ctx context.Context, principal string) (int, error) {
	const op = "delete role assignments"
	var roles []string
	err := db.inTx(ctx, op, func(tx pgx.Tx) error {
		var err error
		if roles, err = column(ctx, tx, qUnassignAll, principal); err != nil {
			return translate(err, op, "assignment")
		}
		if len(roles) == 0 {
			return nil
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
func column(ctx context.Context, tx pgx.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// assignmentSubject is the change feed's subject of an assignment.
func assignmentSubject(principal, role string) string { return principal + "/" + role }

func roleNotFound(name string) error {
	return switchboard.Errorf(switchboard.CodeNotFound, "role %q not found", name)
}

func notAssigned(principal, role string) error {
	return switchboard.Errorf(switchboard.CodeNotFound, "%s does not have role %q", principal, role)
}
