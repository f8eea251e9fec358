import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The migrations folder next to this file.
const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const UP_FILE = /^(\d+)_.+\.up\.sql$/;

async function pendingOrder(dir) {
  const files = await readdir(dir);
  return files
    .map((file) => UP_FILE.exec(file))
    .filter(Boolean)
    .map(([file, version]) => ({ file, version: Number(version), name: file.slice(0, -'.up.sql'.length) }))
    // readdir promises no order, and '10' < '9' as strings.
    .sort((a, b) => a.version - b.version);
}

function ensureTable(pool) {
  return pool.query(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
}

/** Runs `work(client)` in one transaction on one client, which always goes back to the pool. */
async function inTransaction(pool, work) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

export async function migrate(pool, { to = Infinity, dir = MIGRATIONS_DIR } = {}) {
  await ensureTable(pool);
  const { rows } = await pool.query('SELECT version FROM schema_migrations');
  const applied = new Set(rows.map((row) => row.version));
  const names = [];
  for (const { file, version, name } of await pendingOrder(dir)) {
    if (version > to || applied.has(version)) continue;
    const sql = await readFile(join(dir, file), 'utf8');
    // The migration and its record commit together or not at all.
    await inTransaction(pool, async (client) => {
      await client.query(sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [version, name]);
    });
    names.push(name);
  }
  return names;
}

export async function down(pool, { dir = MIGRATIONS_DIR } = {}) {
  await ensureTable(pool);
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query('SELECT version, name FROM schema_migrations ORDER BY version DESC LIMIT 1');
    if (rows.length === 0) return null;
    const [{ version, name }] = rows;
    await client.query(await readFile(join(dir, `${name}.down.sql`), 'utf8'));
    await client.query('DELETE FROM schema_migrations WHERE version = $1', [version]);
    return name;
  });
}
