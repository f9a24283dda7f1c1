package postgres

// RBAC: roles, their inheritance and their assignments. Rows marked builtin
// stand for the built-in roles, whose definitions live in code: they are
// never listed, changed or deleted here.
const (
	qRoles = `
SELECT name, description, permissions::text, created_at, updated_at
FROM roles WHERE NOT builtin ORDER BY name`
	qRoleInherits = `
SELECT i.role, i.parent FROM role_inherits i JOIN roles r ON r.name = i.role
WHERE NOT r.builtin ORDER BY i.role, i.position`
	qRoleExists = `SELECT EXISTS (SELECT 1 FROM roles WHERE name = $1)`
	qCreateRole = `
INSERT INTO roles (name, description, permissions, builtin, created_at, updated_at)
VALUES ($1, $2, $3::json, false, $4, $5)`
	qUpdateRole = `
UPDATE roles SET description = $2, permissions = $3::json, updated_at = $4
WHERE name = $1 AND NOT builtin`
	qDeleteInherits = `DELETE FROM role_inherits WHERE role = $1`
	qInsertInherit  = `INSERT INTO role_inherits (role, parent, position) VALUES ($1, $2, $3)`

	// qLockRole keeps concurrent assignments and inheritance of the role
	// out until its deletion commits, so that DeleteRole records a change
	// for every row the deletion takes with it.
	qLockRole        = `SELECT name FROM roles WHERE name = $1 AND NOT builtin FOR UPDATE`
	qInheritors      = `SELECT role FROM role_inherits WHERE parent = $1 ORDER BY role`
	qRoleHolders     = `SELECT principal FROM role_assignments WHERE role = $1 ORDER BY principal`
	qTouchInheritors = `
UPDATE roles SET updated_at = $2
WHERE name IN (SELECT role FROM role_inherits WHERE parent = $1)`
	qDeleteRole = `DELETE FROM roles WHERE name = $1`

	qAllAssignments = `
SELECT principal, role, created_at FROM role_assignments ORDER BY principal, role`
	qAssignmentsOf = `
SELECT principal, role, created_at FROM role_assignments WHERE principal = $1 ORDER BY role`
	qAssign = `
INSERT INTO role_assignments (principal, role, created_at) VALUES ($1, $2, $3)
ON CONFLICT (principal, role) DO NOTHING`
	qUnassign    = `DELETE FROM role_assignments WHERE principal = $1 AND role = $2`
	qUnassignAll = `DELETE FROM role_assignments WHERE principal = $1 RETURNING role`
)
