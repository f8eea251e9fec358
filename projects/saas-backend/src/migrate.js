/**
 * Applies the SQL files in ../migrations that this database has not seen yet, in file
 * name order (001_…, 002_…), each in its own transaction, and records each applied file
 * in a `schema_migrations` table. A second call applies nothing.
 *
 * @param {import('pg').Pool} pool
 * @returns {Promise<string[]>} the file names applied by this call, in order
 */
export async function migrate(pool) {
  // TODO: create schema_migrations if it does not exist, read the directory
  // (new URL('../migrations/', import.meta.url)), skip applied files, run each new one
  // with BEGIN/COMMIT on ONE client from pool.connect() (ROLLBACK on error), record it.
  throw new Error('TODO: migrate(pool) is not written yet');
}
