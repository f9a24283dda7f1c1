package sqlite

// RBAC: roles, their inheritance and their assignments. Rows marked builtin
// stand for the built-in roles, whose definitions live in code: they are
// never listed, changed or deleted here.
const (
	qRoles = `
SELECT name, description, permissions, created_at, updated_at
FROM roles WHERE builtin = 0 ORDER BY name`
	qRoleInherits = `
SELECT i.role, i.parent FROM role_inherits i JOIN roles r ON r.name = i.role
WHERE r.builtin = 0 ORDER BY i.role, i.position`
	qRoleExists = `SELECT count(*) FROM roles WHERE name = ?`
	qCreateRole = `
INSERT INTO roles (name, description, permissions, builtin, created_at, updated_at)
VALUES (?, ?, ?, 0, ?, ?)`
	qUpdateRole = `
UPDATE roles SET description = ?, permissions = ?, updated_at = ?
WHERE name = ? AND builtin = 0`
	qDeleteInherits  = `DELETE FROM role_inherits WHERE role = ?`
	qInsertInherit   = `INSERT INTO role_inherits (role, parent, position) VALUES (?, ?, ?)`
	qInheritors      = `SELECT role FROM role_inherits WHERE parent = ? ORDER BY role`
	qRoleHolders     = `SELECT principal FROM role_assignments WHERE role = ? ORDER BY principal`
	qTouchInheritors = `
UPDATE roles SET updated_at = ?
WHERE name IN (SELECT role FROM role_inherits WHERE parent = ?)`
	qDeleteRole = `DELETE FROM roles WHERE name = ? AND builtin = 0`

	qAllAssignments = `
SELECT principal, role, created_at FROM role_assignments ORDER BY principal, role`
	qAssignmentsOf = `
SELECT principal, role, created_at FROM role_assignments WHERE principal = ? ORDER BY role`
	qAssign = `
INSERT INTO role_assignments (principal, role, created_at) VALUES (?, ?, ?)
ON CONFLICT (principal, role) DO NOTHING`
	qUnassign    = `DELETE FROM role_assignments WHERE principal = ? AND role = ?`
	qUnassignAll = `
DELETE FROM role_assignments WHERE principal = ? RETURNING role`
)
