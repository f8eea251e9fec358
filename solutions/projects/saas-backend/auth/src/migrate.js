import { readdir, readFile } from 'node:fs/promises';

const MIGRATIONS = new URL('../migrations/', import.meta.url);
// Any constant works; it only has to be the same for every instance of this app.
const LOCK_ID = 72_0001;

/**
 * Applies the SQL files in ../migrations that this database has not seen yet, in file
 * name order, each in its own transaction, and records them in schema_migrations.
 *
 * @param {import('pg').Pool} pool
 * @returns {Promise<string[]>} the file names applied by this call, in order
 */
export async function migrate(pool) {
  const files = (await readdir(MIGRATIONS)).filter((name) => name.endsWith('.sql')).sort();
  const client = await pool.connect();
  try {
    // Two instances deploying at once must not both apply 002_….
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_ID]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query('SELECT name FROM schema_migrations');
    const done = new Set(rows.map((row) => row.name));
    const applied = [];
    for (const name of files) {
      if (done.has(name)) continue;
      const sql = await readFile(new URL(name, MIGRATIONS), 'utf8');
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${name} failed: ${error.message}`, { cause: error });
      }
      applied.push(name);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]).catch(() => {});
    client.release();
  }
}
