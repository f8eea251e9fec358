-- 001: users. A finished example of the format: plain SQL, several statements are
-- fine, no BEGIN/COMMIT (the runner wraps each file in a transaction).
CREATE TABLE users (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email        text NOT NULL UNIQUE CHECK (position('@' IN email) > 1),
  display_name text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
