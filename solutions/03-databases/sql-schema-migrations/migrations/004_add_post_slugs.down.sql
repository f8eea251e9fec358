-- Dropping the column drops its unique constraint with it.
ALTER TABLE posts DROP COLUMN slug;
