-- Roles and their assignments to principals.

-- The change feed gains the kinds "role" and "assignment".
ALTER TABLE changes DROP CONSTRAINT IF EXISTS changes_kind_check;
ALTER TABLE changes ADD CONSTRAINT changes_kind_check CHECK (kind IN
    ('catalog', 'installed', 'config', 'secret', 'vault_key', 'api_key',
     'role', 'assignment'));

-- A role's permissions are a JSON array of keys, in the order given (json,
-- not jsonb, so that it comes back as written). The built-in roles'
-- permissions live in code; their rows, marked builtin, only let
-- assignments and inheritance refer to them.
CREATE TABLE roles (
    name        text COLLATE "C" PRIMARY KEY,
    description text        NOT NULL,
    permissions json        NOT NULL CHECK (json_typeof(permissions) = 'array'),
    builtin     boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

INSERT INTO roles (name, description, permissions, builtin, created_at, updated_at)
VALUES ('admin', '', '[]', true, 'epoch', 'epoch'),
       ('member', '', '[]', true, 'epoch', 'epoch');

-- role inherits parent; position keeps the order given. Deleting either
-- role deletes the row.
CREATE TABLE role_inherits (
    role     text COLLATE "C" NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
    parent   text COLLATE "C" NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
    position integer NOT NULL,
    PRIMARY KEY (role, parent),
    UNIQUE (role, position)
);

CREATE INDEX role_inherits_parent ON role_inherits (parent);

CREATE TABLE role_assignments (
    principal  text COLLATE "C" NOT NULL,
    role       text COLLATE "C" NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (principal, role)
);

CREATE INDEX role_assignments_role ON role_assignments (role);
