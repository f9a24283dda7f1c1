-- Roles and their assignments to principals.

-- The change feed gains the kinds "role" and "assignment". SQLite cannot
-- alter a CHECK constraint, so the table is rebuilt with its rows, and its
-- AUTOINCREMENT counter is carried over so that no id is ever given twice.
CREATE TABLE changes_next (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT    NOT NULL CHECK (kind IN
                   ('catalog', 'installed', 'config', 'secret', 'vault_key', 'api_key',
                    'role', 'assignment')),
    subject    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

INSERT INTO changes_next (id, kind, subject, created_at)
SELECT id, kind, subject, created_at FROM changes ORDER BY id;

DELETE FROM sqlite_sequence WHERE name = 'changes_next';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'changes_next', seq FROM sqlite_sequence WHERE name = 'changes';

DROP TABLE changes;
ALTER TABLE changes_next RENAME TO changes;

-- A role's permissions are a JSON array of keys, in the order given. The
-- built-in roles' permissions live in code; their rows, marked builtin, only
-- let assignments and inheritance refer to them.
CREATE TABLE roles (
    name        TEXT    PRIMARY KEY,
    description TEXT    NOT NULL,
    permissions TEXT    NOT NULL
                CHECK (json_valid(permissions) AND json_type(permissions) = 'array'),
    builtin     INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

INSERT INTO roles (name, description, permissions, builtin, created_at, updated_at)
VALUES ('admin', '', '[]', 1, 0, 0), ('member', '', '[]', 1, 0, 0);

-- role inherits parent; position keeps the order given. Deleting either
-- role deletes the row.
CREATE TABLE role_inherits (
    role     TEXT    NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
    parent   TEXT    NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (role, parent),
    UNIQUE (role, position)
) STRICT, WITHOUT ROWID;

CREATE INDEX role_inherits_parent ON role_inherits (parent);

CREATE TABLE role_assignments (
    principal  TEXT    NOT NULL,
    role       TEXT    NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (principal, role)
) STRICT, WITHOUT ROWID;

CREATE INDEX role_assignments_role ON role_assignments (role);
