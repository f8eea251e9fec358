-- Applied once, as one script, to an empty database before the suite runs.

CREATE TABLE users (
  id    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name  text NOT NULL UNIQUE,
  -- The bearer token, kept in clear to keep this exercise about authorization.
  -- A real system stores a hash of it (see the auth-jwt project).
  token text NOT NULL UNIQUE
);

CREATE TABLE posts (
  id        integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  author_id integer NOT NULL REFERENCES users (id),
  title     text NOT NULL,
  body      text NOT NULL DEFAULT ''
);

-- TODO: add the RBAC tables. The suite inserts into them with exactly these names:
--   roles            (id generated, name text NOT NULL UNIQUE)
--   permissions      (id generated, name text NOT NULL UNIQUE)   e.g. 'posts:update'
--   user_roles       (user_id → users, role_id → roles)
--   role_permissions (role_id → roles, permission_id → permissions)
-- Each many-to-many table: a composite PRIMARY KEY over its two columns, and foreign
-- keys with ON DELETE CASCADE so deleting a role or user removes its links.
