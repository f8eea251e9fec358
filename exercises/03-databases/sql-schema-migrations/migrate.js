import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The migrations folder next to this file.
const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * Applies the pending `NNN_name.up.sql` files of `dir` with a version of at most `to`,
 * in version order, each in its own transaction with its `schema_migrations` row.
 * Resolves to the names applied, e.g. ['003_create_comments'].
 */
export async function migrate(pool, { to = Infinity, dir = MIGRATIONS_DIR } = {}) {
  // TODO: create schema_migrations if missing, find the pending migrations, apply them.
  throw new Error('TODO: migrate');
}

/**
 * Rolls back the most recently applied migration with its `.down.sql`.
 * Resolves to its name, or null when nothing is applied.
 */
export async function down(pool, { dir = MIGRATIONS_DIR } = {}) {
  // TODO: find the last applied migration, run its down file, forget it.
  throw new Error('TODO: down');
}
