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

CREATE TABLE roles (
  id   integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE
);

CREATE TABLE permissions (
  id   integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE
);

CREATE TABLE user_roles (
  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role_id integer NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, role_id)
);

CREATE TABLE role_permissions (
  role_id       integer NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  permission_id integer NOT NULL REFERENCES permissions (id) ON DELETE CASCADE,
  PRIMARY KEY (role_id, permission_id)
);

-- The primary keys index (user_id, …) and (role_id, …); these serve the reverse lookups.
CREATE INDEX user_roles_role_id_idx ON user_roles (role_id);
CREATE INDEX role_permissions_permission_id_idx ON role_permissions (permission_id);
CREATE INDEX posts_author_id_idx ON posts (author_id);
