import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { importExercise, requireExport, tempDir } from './support.mjs';

const mod = await importExercise('migrate.js');
const migrate = requireExport(mod, 'migrate', 'function', 'migrate.js');
const down = requireExport(mod, 'down', 'function', 'migrate.js');

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error('DATABASE_URL is not set: this exercise needs a PostgreSQL database');

// Commits need not wait for the disk in a throwaway database.
const options = '-c synchronous_commit=off';
const admin = new pg.Pool({ connectionString, options, max: 2 });
after(() => admin.end());

const NAMES = ['001_create_users', '002_create_posts', '003_create_comments', '004_add_post_slugs'];

let schemas = 0;
/**
 * Every test gets its own empty schema and a pool whose search_path points at it, so the
 * learner's unqualified table names (and schema_migrations) land there.
 */
async function freshSchema(t) {
  const schema = `m${process.pid}_${++schemas}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  const pool = new pg.Pool({ connectionString, options: `${options} -c search_path=${schema}`, max: 3 });
  // A client the learner never released would make pool.end() wait forever.
  t.after(() => Promise.race([pool.end(), new Promise((resolve) => setTimeout(resolve, 300).unref())]));
  return { schema, pool };
}

async function attempt(promiseFn) {
  try {
    return { value: await promiseFn() };
  } catch (error) {
    return { error };
  }
}

const outcome = ({ value, error }) =>
  error ? `rejected with ${error.code ? `code ${error.code}: ` : ''}${error.message}` : `resolved to ${JSON.stringify(value)}`;

async function versions(pool) {
  const { rows } = await pool.query('SELECT version::int AS version, name FROM schema_migrations ORDER BY version');
  return rows;
}

async function tables(schema) {
  const { rows } = await admin.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
    [schema],
  );
  return rows.map((row) => row.table_name);
}

async function columnsOf(schema, table) {
  const { rows } = await admin.query(
    `SELECT column_name, data_type, is_nullable FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 ORDER BY column_name`,
    [schema, table],
  );
  return Object.fromEntries(rows.map((row) => [row.column_name, `${row.data_type} ${row.is_nullable === 'YES' ? 'NULL' : 'NOT NULL'}`]));
}

/** Everything a migration can change: columns, constraints, indexes, relations, types. */
async function snapshot(schema) {
  const query = async (sql) => (await admin.query(sql, [schema])).rows;
  return {
    columns: await query(`
      SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity
        FROM information_schema.columns
       WHERE table_schema = $1 AND table_name <> 'schema_migrations'
       ORDER BY table_name, column_name`),
    constraints: await query(`
      SELECT rel.relname AS table_name, con.conname, pg_get_constraintdef(con.oid) AS definition
        FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
       WHERE con.connamespace = $1::regnamespace AND rel.relname <> 'schema_migrations'
       ORDER BY 1, 2`),
    indexes: await query(`
      SELECT tablename, indexname, indexdef FROM pg_indexes
       WHERE schemaname = $1 AND tablename <> 'schema_migrations' ORDER BY 1, 2`),
    relations: await query(`
      SELECT relname, relkind::text FROM pg_class
       WHERE relnamespace = $1::regnamespace AND relname NOT LIKE 'schema_migrations%'
       ORDER BY 1`),
    types: await query(`
      SELECT typname FROM pg_type
       WHERE typnamespace = $1::regnamespace AND typrelid = 0 AND typname NOT LIKE '%schema_migrations' ORDER BY 1`),
  };
}

/** Runs `sql` and expects PostgreSQL to refuse it with SQLSTATE `code`. */
async function refuses(pool, what, sql, params, code, nudge) {
  const result = await attempt(() => pool.query(sql, params));
  const names = { 23502: 'not_null_violation', 23503: 'foreign_key_violation', 23505: 'unique_violation', 23514: 'check_violation' };
  assert.equal(
    result.error?.code,
    code,
    `${what} must be refused with ${code} (${names[code]}), but the insert ${outcome(result)}\n${nudge}`,
  );
}

async function insertUser(pool, email) {
  const { rows } = await pool.query('INSERT INTO users (email, display_name) VALUES ($1, $2) RETURNING id', [email, email.split('@')[0]]);
  return rows[0].id;
}

async function insertPost(pool, authorId, fields = {}) {
  const columns = ['author_id', ...Object.keys(fields)];
  const values = [authorId, ...Object.values(fields)];
  const { rows } = await pool.query(
    `INSERT INTO posts (${columns.join(', ')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
    values,
  );
  return rows[0];
}

/** Writes a folder of migration files. */
async function migrationsDir(files) {
  const dir = join(await tempDir('migrations-'), 'migrations');
  await mkdir(dir);
  for (const name of Object.keys(files)) await writeFile(join(dir, name), files[name]);
  return dir;
}

function poolIsIdle(pool, when) {
  assert.equal(pool.idleCount, pool.totalCount, `${when}, every client must be back in the pool (${pool.totalCount - pool.idleCount} still checked out): release it in a finally block`);
}

const dbErrorCode = (error) => error?.code ?? error?.cause?.code;

test('applies 001–004 in order on an empty schema, records each in schema_migrations and resolves to their names', { timeout: 5000 }, async (t) => {
  const { schema, pool } = await freshSchema(t);
  const result = await attempt(() => migrate(pool));
  assert.deepEqual(result.value, NAMES, `migrate(pool) ${outcome(result)}; on an empty database it should apply the four migrations of migrations/ and resolve to their names (file names without .up.sql)`);
  assert.deepEqual(await tables(schema), ['comments', 'posts', 'schema_migrations', 'users'], 'after migrate() the schema should hold exactly users, posts, comments and schema_migrations');
  assert.deepEqual(
    await versions(pool),
    NAMES.map((name, i) => ({ version: i + 1, name })),
    'schema_migrations needs one row per applied migration: version (the number in front of the name) and name',
  );
  assert.deepEqual(
    await columnsOf(schema, 'schema_migrations'),
    { applied_at: 'timestamp with time zone NOT NULL', name: 'text NOT NULL', version: 'integer NOT NULL' },
    'schema_migrations is (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
  );
});

test('a second run applies nothing and leaves schema and schema_migrations untouched', { timeout: 5000 }, async (t) => {
  const { schema, pool } = await freshSchema(t);
  await migrate(pool);
  const recorded = (await pool.query('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')).rows;
  const before = await snapshot(schema);
  for (const run of ['second', 'third']) {
    const result = await attempt(() => migrate(pool));
    assert.deepEqual(result.value, [], `a ${run} migrate(pool) ${outcome(result)}; with every migration recorded it should apply nothing and resolve to []`);
  }
  assert.deepEqual((await pool.query('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')).rows, recorded, 're-running migrate() must not add, rewrite or re-date schema_migrations rows');
  assert.deepEqual(await snapshot(schema), before, 're-running migrate() must not change the schema');
});

test('`to` applies migrations up to and including that version; a later run applies the rest', { timeout: 5000 }, async (t) => {
  const { schema, pool } = await freshSchema(t);
  let result = await attempt(() => migrate(pool, { to: 2 }));
  assert.deepEqual(result.value, NAMES.slice(0, 2), `migrate(pool, { to: 2 }) ${outcome(result)}; it should apply 001 and 002 (to is inclusive) and stop`);
  assert.deepEqual(await tables(schema), ['posts', 'schema_migrations', 'users'], 'after migrating to version 2 only users and posts should exist');
  result = await attempt(() => migrate(pool, { to: 2 }));
  assert.deepEqual(result.value, [], `migrate(pool, { to: 2 }) again ${outcome(result)}; nothing is pending up to version 2`);
  result = await attempt(() => migrate(pool));
  assert.deepEqual(result.value, NAMES.slice(2), `migrate(pool) after { to: 2 } ${outcome(result)}; it should apply only 003 and 004`);
  assert.deepEqual((await versions(pool)).map((row) => row.version), [1, 2, 3, 4], 'schema_migrations should now record versions 1 to 4');
});

test('creates the columns of the contract with their types, nullability and defaults', { timeout: 5000 }, async (t) => {
  const { schema, pool } = await freshSchema(t);
  await migrate(pool);
  const ts = 'timestamp with time zone';
  const expected = {
    users: { created_at: `${ts} NOT NULL`, display_name: 'text NOT NULL', email: 'text NOT NULL', id: 'bigint NOT NULL' },
    posts: {
      author_id: 'bigint NOT NULL', body: 'text NOT NULL', created_at: `${ts} NOT NULL`, id: 'bigint NOT NULL',
      published_at: `${ts} NULL`, slug: 'text NOT NULL', status: 'text NOT NULL', title: 'text NOT NULL',
    },
    comments: { author_id: 'bigint NULL', body: 'text NOT NULL', created_at: `${ts} NOT NULL`, id: 'bigint NOT NULL', post_id: 'bigint NOT NULL' },
  };
  for (const [table, columns] of Object.entries(expected)) {
    assert.deepEqual(await columnsOf(schema, table), columns, `${table} should have exactly these columns as "type NULL/NOT NULL" (see the comments in the migration files)`);
  }

  const userId = await insertUser(pool, 'ada@example.com');
  const post = await insertPost(pool, userId, { title: 'Hello', slug: 'hello' });
  assert.ok(Number(post.id) > 0, `inserting a post without an id should generate one (got ${post.id}): make id an identity column`);
  assert.equal(post.body, '', "a post inserted without body should get the default ''");
  assert.equal(post.status, 'draft', "a post inserted without status should get the default 'draft'");
  assert.equal(post.published_at, null, 'published_at stays NULL unless given');
  assert.ok(post.created_at instanceof Date && Math.abs(post.created_at - Date.now()) < 60_000, `created_at should default to now() (got ${post.created_at})`);
  const { rows } = await pool.query('INSERT INTO comments (post_id, author_id, body) VALUES ($1, $2, $3) RETURNING id, created_at', [post.id, userId, 'Nice']);
  assert.ok(Number(rows[0].id) > 0 && rows[0].created_at instanceof Date, 'comments need a generated id and created_at DEFAULT now()');
});

test('has the primary keys, unique keys, foreign keys and foreign-key indexes of the contract', { timeout: 5000 }, async (t) => {
  const { schema, pool } = await freshSchema(t);
  // Each index must exist by the migration that adds the foreign key, not only after 004.
  await migrate(pool, { to: 3 });
  const leading = async (table, column) =>
    (await admin.query(
      `SELECT i.indexrelid::regclass::text AS name FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid = to_regclass($1) AND a.attname = $2`,
      [`${schema}.${table}`, column],
    )).rows;
  for (const [table, column] of [['posts', 'author_id'], ['comments', 'post_id']]) {
    assert.ok((await leading(table, column)).length > 0, `${table} needs an index whose first column is ${column}: PostgreSQL does not index the referencing side of a foreign key, so every lookup (and every cascade) would scan the whole table`);
  }

  await migrate(pool);
  const keys = async (table) =>
    (await admin.query(
      `SELECT i.indisprimary AS primary, array_agg(a.attname::text ORDER BY k.ord) AS columns
         FROM pg_index i
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = to_regclass($1) AND i.indisunique
        GROUP BY i.indexrelid, i.indisprimary ORDER BY 1 DESC, 2`,
      [`${schema}.${table}`],
    )).rows.map((row) => `${row.primary ? 'PRIMARY KEY' : 'UNIQUE'} (${row.columns.join(', ')})`);
  assert.deepEqual(await keys('users'), ['PRIMARY KEY (id)', 'UNIQUE (email)'], 'users: primary key id, unique email');
  assert.deepEqual(await keys('posts'), ['PRIMARY KEY (id)', 'UNIQUE (author_id, slug)'], 'posts: primary key id and, from 004, UNIQUE (author_id, slug) (a slug is unique per author, not globally)');
  assert.deepEqual(await keys('comments'), ['PRIMARY KEY (id)'], 'comments: primary key id and nothing else unique');

  const { rows } = await admin.query(
    `SELECT rel.relname || '.' || a.attname AS column, ref.relname AS refers_to, con.confdeltype AS on_delete
       FROM pg_constraint con
       JOIN pg_class rel ON rel.oid = con.conrelid
       JOIN pg_class ref ON ref.oid = con.confrelid
       JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
      WHERE con.contype = 'f' AND con.connamespace = $1::regnamespace ORDER BY 1`,
    [schema],
  );
  const restrict = (row) => (row?.on_delete === 'a' ? { ...row, on_delete: 'r' } : row); // NO ACTION refuses too
  const actions = { r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', a: 'NO ACTION', d: 'SET DEFAULT' };
  const fks = rows.map(restrict).map((row) => `${row.column} -> ${row.refers_to} ON DELETE ${actions[row.on_delete]}`);
  assert.deepEqual(
    fks,
    ['comments.author_id -> users ON DELETE SET NULL', 'comments.post_id -> posts ON DELETE CASCADE', 'posts.author_id -> users ON DELETE RESTRICT'],
    'expected exactly these three foreign keys',
  );
});

test('refuses rows that break NOT NULL, UNIQUE, CHECK and FOREIGN KEY rules', { timeout: 5000 }, async (t) => {
  const { pool } = await freshSchema(t);
  await migrate(pool);
  const ada = await insertUser(pool, 'ada@example.com');
  let slugs = 0;
  const post = (fields) => [
    'INSERT INTO posts (author_id, title, slug, status, published_at) VALUES ($1, $2, $3, $4, $5)',
    [fields.author === undefined ? ada : fields.author, fields.title ?? 'A title', `slug-${++slugs}`, fields.status ?? 'draft', fields.publishedAt ?? null],
  ];

  await refuses(pool, 'a user without email', 'INSERT INTO users (email, display_name) VALUES (NULL, $1)', ['x'], '23502', 'users.email is NOT NULL');
  await refuses(pool, 'a second user with email ada@example.com', 'INSERT INTO users (email, display_name) VALUES ($1, $2)', ['ada@example.com', 'Other'], '23505', 'users.email is UNIQUE');
  await refuses(pool, "the email 'ada.example.com'", 'INSERT INTO users (email, display_name) VALUES ($1, $2)', ['ada.example.com', 'x'], '23514', 'users.email must contain an @');

  await refuses(pool, 'a post without author', ...post({ author: null }), '23502', 'posts.author_id is NOT NULL');
  await refuses(pool, 'a post by the unknown user 987654', ...post({ author: 987654 }), '23503', 'posts.author_id REFERENCES users (id)');
  await refuses(pool, "a post with title ''", ...post({ title: '' }), '23514', 'a title has 1 to 200 characters: CHECK (char_length(title) BETWEEN 1 AND 200)');
  await refuses(pool, 'a post with a 201-character title', ...post({ title: 'x'.repeat(201) }), '23514', 'a title has at most 200 characters');
  await pool.query(...post({ title: 'é'.repeat(200) })).catch((error) => {
    assert.fail(`a title of 200 'é' (200 characters, 400 bytes) must be accepted, but the insert failed with ${error.code}: ${error.message}\ncount characters (char_length), not bytes (octet_length)`);
  });
  await refuses(pool, "a post with status 'deleted'", ...post({ status: 'deleted' }), '23514', "status is one of 'draft', 'published', 'archived'");
  await refuses(pool, 'a published post without published_at', ...post({ status: 'published' }), '23514', "a table CHECK: status <> 'published' OR published_at IS NOT NULL");
  for (const status of ['published', 'archived']) {
    await pool.query(...post({ status, publishedAt: new Date() })).catch((error) => {
      assert.fail(`a ${status} post with published_at must be accepted, but the insert failed with ${error.code}: ${error.message}`);
    });
  }

  const { id: postId } = await insertPost(pool, ada, { title: 'Commented', slug: 'commented' });
  await refuses(pool, 'a comment without post', 'INSERT INTO comments (post_id, author_id, body) VALUES (NULL, $1, $2)', [ada, 'Hi'], '23502', 'comments.post_id is NOT NULL');
  await refuses(pool, 'a comment on the unknown post 987654', 'INSERT INTO comments (post_id, author_id, body) VALUES ($1, $2, $3)', [987654, ada, 'Hi'], '23503', 'comments.post_id REFERENCES posts (id)');
  await refuses(pool, 'a comment by the unknown user 987654', 'INSERT INTO comments (post_id, author_id, body) VALUES ($1, $2, $3)', [postId, 987654, 'Hi'], '23503', 'comments.author_id REFERENCES users (id)');
  await refuses(pool, "a comment with body ''", 'INSERT INTO comments (post_id, author_id, body) VALUES ($1, $2, $3)', [postId, ada, ''], '23514', 'a comment body must not be empty');
  await pool.query('INSERT INTO comments (post_id, author_id, body) VALUES ($1, NULL, $2)', [postId, 'anonymous']).catch((error) => {
    assert.fail(`a comment without author must be accepted (author_id may be NULL), but the insert failed with ${error.code}: ${error.message}`);
  });
});

test('deleting a post deletes its comments, deleting a user keeps their comments without author, and a user with posts cannot be deleted', { timeout: 5000 }, async (t) => {
  const { pool } = await freshSchema(t);
  await migrate(pool);
  const ada = await insertUser(pool, 'ada@example.com');
  const bob = await insertUser(pool, 'bob@example.com');
  const kept = await insertPost(pool, ada, { title: 'Kept', slug: 'kept' });
  const doomed = await insertPost(pool, ada, { title: 'Doomed', slug: 'doomed' });
  const comment = async (postId, authorId, body) =>
    (await pool.query('INSERT INTO comments (post_id, author_id, body) VALUES ($1, $2, $3) RETURNING id', [postId, authorId, body])).rows[0].id;
  const bobsComment = await comment(kept.id, bob, 'by bob');
  await comment(doomed.id, ada, 'on doomed 1');
  await comment(doomed.id, bob, 'on doomed 2');

  await pool.query('DELETE FROM posts WHERE id = $1', [doomed.id]);
  const { rows: left } = await pool.query('SELECT body FROM comments ORDER BY id');
  assert.deepEqual(left.map((row) => row.body), ['by bob'], 'deleting a post must delete its comments with it: comments.post_id ... ON DELETE CASCADE');

  await pool.query('DELETE FROM users WHERE id = $1', [bob]).catch((error) => {
    assert.fail(`deleting a user without posts must work, but it failed with ${error.code}: ${error.message}\ncomments.author_id should be ON DELETE SET NULL`);
  });
  const { rows: [orphan] } = await pool.query('SELECT author_id, body FROM comments WHERE id = $1', [bobsComment]);
  assert.deepEqual(orphan, { author_id: null, body: 'by bob' }, "a deleted user's comments must stay, with author_id set to NULL (ON DELETE SET NULL)");

  await refuses(pool, 'deleting a user who still has posts', 'DELETE FROM users WHERE id = $1', [ada], '23503', 'posts.author_id ... ON DELETE RESTRICT: deleting an author must not silently delete their posts');
  const { rows: [{ count }] } = await pool.query('SELECT count(*)::int AS count FROM posts');
  assert.equal(count, 1, 'the refused delete must leave the posts in place');
});

test('004 fills slug for existing posts, then requires it and keeps it unique per author; down and up again keep the rows', { timeout: 5000 }, async (t) => {
  const { pool } = await freshSchema(t);
  await migrate(pool, { to: 3 });
  const ada = await insertUser(pool, 'ada@example.com');
  const bob = await insertUser(pool, 'bob@example.com');
  const ids = [];
  for (const [author, title] of [[ada, 'One'], [ada, 'Two'], [bob, 'Three']]) ids.push((await insertPost(pool, author, { title })).id);

  const result = await attempt(() => migrate(pool));
  assert.deepEqual(result.value, ['004_add_post_slugs'], `migrate(pool) on a posts table that already has rows ${outcome(result)}\nadd the column as NULL-able, fill it, then SET NOT NULL`);
  const slugs = async () => (await pool.query('SELECT id, slug FROM posts ORDER BY id')).rows;
  assert.deepEqual(await slugs(), ids.map((id) => ({ id, slug: `post-${id}` })), "004 must fill every existing post's slug with 'post-' || id");

  await refuses(pool, 'a new post without slug', 'INSERT INTO posts (author_id, title) VALUES ($1, $2)', [ada, 'No slug'], '23502', 'after the backfill, slug is NOT NULL, with no default');
  await refuses(pool, `a second post by the same author with slug post-${ids[0]}`, 'INSERT INTO posts (author_id, title, slug) VALUES ($1, $2, $3)', [ada, 'Dup', `post-${ids[0]}`], '23505', 'UNIQUE (author_id, slug)');
  await insertPost(pool, bob, { title: 'Same slug, other author', slug: `post-${ids[0]}` }).catch((error) => {
    assert.fail(`another author may reuse a slug, but the insert failed with ${error.code}: ${error.message}\nthe key is UNIQUE (author_id, slug), not UNIQUE (slug)`);
  });

  assert.equal(await down(pool), '004_add_post_slugs', 'down() should roll back 004');
  const { rows } = await pool.query('SELECT count(*)::int AS count FROM posts');
  assert.equal(rows[0].count, 4, 'rolling back 004 must keep the posts: drop the column, not the table');
  assert.deepEqual(await migrate(pool), ['004_add_post_slugs'], 'migrate() after the rollback should apply 004 again');
  const again = await slugs();
  assert.ok(again.every(({ id, slug }) => slug === `post-${id}`), `re-applying 004 should fill every slug again: ${JSON.stringify(again)}`);
});

test('each down() rolls back exactly the last migration and restores the schema as it was before it', { timeout: 8000 }, async (t) => {
  const { schema, pool } = await freshSchema(t);
  const before = [await snapshot(schema)];
  for (let version = 1; version <= NAMES.length; version++) {
    await migrate(pool, { to: version });
    before.push(await snapshot(schema));
    assert.notDeepEqual(before[version], before[version - 1], `${NAMES[version - 1]} should change the schema`);
  }
  for (let version = NAMES.length; version >= 1; version--) {
    const result = await attempt(() => down(pool));
    assert.equal(result.value, NAMES[version - 1], `down() with ${NAMES.slice(0, version).join(', ')} applied ${outcome(result)}; it should roll back ${NAMES[version - 1]} and resolve to its name`);
    assert.deepEqual(
      await snapshot(schema),
      before[version - 1],
      `after rolling back ${NAMES[version - 1]}, the columns, constraints, indexes, tables and types must be exactly those from before it was applied\ncheck ${NAMES[version - 1]}.down.sql undoes everything its up file does, and nothing more`,
    );
    assert.deepEqual((await versions(pool)).map((row) => row.name), NAMES.slice(0, version - 1), `down() must delete the schema_migrations row of ${NAMES[version - 1]} and no other`);
  }
  const result = await attempt(() => down(pool));
  assert.equal(result.value, null, `down() with nothing applied ${outcome(result)}; it should resolve to null`);
});

test('applies migration files in numeric version order, whatever their names sort like as text, and ignores other files', { timeout: 5000 }, async (t) => {
  const { pool } = await freshSchema(t);
  // Not zero-padded: as strings '10_…' < '2_…', and readdir sorts by name.
  const numbers = [2, 3, 5, 8, 9, 10, 11, 20, 100];
  const files = {
    '1_steps.up.sql': 'CREATE TABLE steps (id serial PRIMARY KEY, version int NOT NULL);',
    '1_steps.down.sql': 'DROP TABLE steps;',
    'README.md': '# not a migration',
    'notes.sql': 'INSERT INTO steps (version) VALUES (-1);',
    '20_step.up.sql.bak': 'INSERT INTO steps (version) VALUES (-2);',
  };
  for (const n of numbers) {
    files[`${n}_step.up.sql`] = `INSERT INTO steps (version) VALUES (${n});`;
    files[`${n}_step.down.sql`] = `DELETE FROM steps WHERE version = ${n};`;
  }
  const dir = await migrationsDir(files);
  const expected = ['1_steps', ...numbers.map((n) => `${n}_step`)];

  let result = await attempt(() => migrate(pool, { dir, to: 10 }));
  assert.deepEqual(result.value, expected.slice(0, 7), `migrate(pool, { dir, to: 10 }) ${outcome(result)}\nonly *.up.sql files count; compare versions as numbers (9 before 10, although '10_step' < '9_step' as text) and stop after version 10`);
  result = await attempt(() => migrate(pool, { dir }));
  assert.deepEqual(result.value, expected.slice(7), `migrate(pool, { dir }) ${outcome(result)}; it should apply the remaining versions in order`);
  const { rows } = await pool.query('SELECT version FROM steps ORDER BY id');
  assert.deepEqual(rows.map((row) => row.version), numbers, 'the migrations must run in ascending version order, up files only (README.md, notes.sql, .bak and .down.sql files are not migrations)');
  assert.deepEqual((await versions(pool)).map((row) => row.version), [1, ...numbers], 'schema_migrations should record every applied version');
});

test('a failing migration leaves no partial changes and is not recorded; the ones before it stay applied', { timeout: 5000 }, async (t) => {
  const { schema, pool } = await freshSchema(t);
  const dir = await migrationsDir({
    '001_a.up.sql': 'CREATE TABLE a (id int);',
    '001_a.down.sql': 'DROP TABLE a;',
    '002_b.up.sql': 'CREATE TABLE b (id int);\nINSERT INTO a VALUES (1);\nALTER TABLE a ADD COLUMN extra int;\nSELECT 1 / 0;',
    '002_b.down.sql': 'DROP TABLE b; ALTER TABLE a DROP COLUMN extra;',
    '003_c.up.sql': 'CREATE TABLE c (id int);',
    '003_c.down.sql': 'DROP TABLE c;',
  });
  const result = await attempt(() => migrate(pool, { dir }));
  assert.equal(dbErrorCode(result.error), '22012', `migrate() with a 002 that ends in SELECT 1 / 0 ${outcome(result)}; it should reject with the database error (division_by_zero, 22012)`);
  assert.deepEqual(await tables(schema), ['a', 'schema_migrations'], 'after 002 failed only 001 (table a) may remain: 002 must be rolled back as a whole (table b gone) and 003 must not run');
  assert.deepEqual(Object.keys(await columnsOf(schema, 'a')), ['id'], 'the ALTER TABLE of the failed 002 must be rolled back too: run the whole file inside BEGIN … COMMIT on one client');
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM a')).rows[0].n, 0, 'the INSERT of the failed 002 must be rolled back');
  assert.deepEqual(await versions(pool), [{ version: 1, name: '001_a' }], 'only 001 may be recorded');
  poolIsIdle(pool, 'after a failed migration');

  await writeFile(join(dir, '002_b.up.sql'), 'CREATE TABLE b (id int);\nALTER TABLE a ADD COLUMN extra int;');
  const fixed = await attempt(() => migrate(pool, { dir }));
  assert.deepEqual(fixed.value, ['002_b', '003_c'], `once 002 is fixed, migrate() ${outcome(fixed)}; it should apply 002 and 003`);
});

test('a migration whose schema_migrations row cannot be written is rolled back with it', { timeout: 5000 }, async (t) => {
  const { schema, pool } = await freshSchema(t);
  // The table exists already (as the contract describes it) and refuses to record version 2.
  await pool.query(`
    CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
    CREATE FUNCTION refuse_version_2() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.version = 2 THEN RAISE EXCEPTION 'schema_migrations is read-only for version 2'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER refuse_version_2 BEFORE INSERT ON schema_migrations FOR EACH ROW EXECUTE FUNCTION refuse_version_2();
  `);
  const dir = await migrationsDir({
    '001_a.up.sql': 'CREATE TABLE a (id int);',
    '002_b.up.sql': 'CREATE TABLE b (id int);',
    '003_c.up.sql': 'CREATE TABLE c (id int);',
  });
  const result = await attempt(() => migrate(pool, { dir }));
  assert.ok(result.error, `migrate() ${outcome(result)}, but recording version 2 fails, so it should reject`);
  assert.deepEqual(await tables(schema), ['a', 'schema_migrations'], 'table b must not exist: the migration and the insert of its schema_migrations row belong in the same transaction, or the next run finds a table no row accounts for');
  assert.deepEqual((await versions(pool)).map((row) => row.version), [1], 'only version 1 may be recorded');
  poolIsIdle(pool, 'after a failed migration');
});

test('a failing down() leaves the migration applied and recorded', { timeout: 5000 }, async (t) => {
  const { schema, pool } = await freshSchema(t);
  const dir = await migrationsDir({
    '001_a.up.sql': 'CREATE TABLE a (id int);',
    '001_a.down.sql': 'DROP TABLE a;',
    '002_extra.up.sql': 'ALTER TABLE a ADD COLUMN extra int;',
    '002_extra.down.sql': 'ALTER TABLE a DROP COLUMN extra;\nSELECT 1 / 0;',
  });
  await migrate(pool, { dir });
  const result = await attempt(() => down(pool, { dir }));
  assert.equal(dbErrorCode(result.error), '22012', `down() with a down file that ends in SELECT 1 / 0 ${outcome(result)}; it should reject with the database error`);
  assert.deepEqual(Object.keys(await columnsOf(schema, 'a')), ['extra', 'id'], 'the failed down must be rolled back: column extra stays');
  assert.deepEqual((await versions(pool)).map((row) => row.version), [1, 2], 'a failed down must keep its schema_migrations row: delete it in the same transaction, after the down file succeeded');
  poolIsIdle(pool, 'after a failed down()');

  await writeFile(join(dir, '002_extra.down.sql'), 'ALTER TABLE a DROP COLUMN extra;');
  const fixed = await attempt(() => down(pool, { dir }));
  assert.equal(fixed.value, '002_extra', `once fixed, down(pool, { dir }) ${outcome(fixed)}`);
  assert.deepEqual(Object.keys(await columnsOf(schema, 'a')), ['id'], 'the fixed down should drop column extra');
  assert.deepEqual((await versions(pool)).map((row) => row.version), [1], 'only version 1 should remain recorded');
});
