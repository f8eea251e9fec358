import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { importExercise, requireExport } from './support.mjs';

const schema = await importExercise('schema.js');
const repositoryModule = await importExercise('repository.js');
const createUserRepository = requireExport(repositoryModule, 'createUserRepository', 'function', 'repository.js');
requireExport(schema, 'users', 'value', 'schema.js');
requireExport(schema, 'posts', 'value', 'schema.js');

if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is not set: this suite needs a PostgreSQL database');

// Every statement that reaches PostgreSQL, from pool.query and from checked-out clients
// alike, goes through a client's query(); counting there sees them all exactly once.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
after(() => pool.end());
const log = { statements: [], rows: 0 };
pool.on('connect', (client) => {
  const query = client.query.bind(client);
  const countRows = (res) => {
    for (const one of [res].flat()) log.rows += one?.rowCount ?? one?.rows?.length ?? 0;
  };
  client.query = (config, ...rest) => {
    log.statements.push(typeof config === 'string' ? config : config?.text);
    // pool.query() hands the client a callback; drizzle's checked-out clients use the promise.
    const callback = rest.at(-1);
    if (typeof callback === 'function') {
      rest[rest.length - 1] = (error, res) => {
        if (!error) countRows(res);
        callback(error, res);
      };
      return query(config, ...rest);
    }
    const result = query(config, ...rest);
    result?.then?.(countRows, () => {});
    return result;
  };
});

/** Runs fn and reports the statements it sent and the rows PostgreSQL returned or touched. */
async function measure(fn) {
  log.statements = [];
  log.rows = 0;
  const result = await fn();
  return { result, statements: [...log.statements], rows: log.rows };
}
const showStatements = (statements) =>
  [
    ...statements.slice(0, 4).map((sql) => `  ${sql.length > 140 ? `${sql.slice(0, 140)}…` : sql}`),
    ...(statements.length > 4 ? [`  … and ${statements.length - 4} more`] : []),
  ].join('\n') || '  (none)';

// The tables, as `drizzle-kit generate` would write them from the schema in the README.
await pool.query(`
  CREATE TABLE users (
    id serial PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE,
    name varchar(255) NOT NULL,
    bio text,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE posts (
    id serial PRIMARY KEY,
    author_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title varchar(255) NOT NULL,
    published boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX posts_author_id_idx ON posts (author_id);
`);

let db;
let dbError;
try {
  db = drizzle({ client: pool, schema });
} catch (error) {
  dbError = error;
}

// 12 users, ids 1..12; users 1, 2, 4, 5 and 6 have posts.
const USERS = Array.from({ length: 12 }, (_, index) => {
  const id = index + 1;
  const n = String(id).padStart(2, '0');
  return {
    id,
    email: `user${n}@example.com`,
    name: id === 3 ? "Maeve O'Hara" : `User ${n}`,
    bio: id % 2 === 0 ? `Bio of user ${n}` : null,
    createdAt: new Date(`2024-03-${n}T09:30:00.000Z`),
  };
});
const POSTS_PER_USER = { 1: 3, 2: 1, 4: 6, 5: 2, 6: 1 };
const POSTS = [];
for (const [authorId, count] of Object.entries(POSTS_PER_USER)) {
  for (let i = 0; i < count; i += 1) {
    const id = POSTS.length + 1;
    POSTS.push({
      id,
      authorId: Number(authorId),
      title: `Post ${id} by user ${authorId}`,
      published: id % 3 !== 0,
      createdAt: new Date(Date.UTC(2024, 3, 1, 12, id)),
    });
  }
}
const postsOf = (userId) =>
  POSTS.filter((post) => post.authorId === userId).map(({ id, title, published, createdAt }) => ({ id, title, published, createdAt }));
const userWithPosts = (id) => ({ ...USERS[id - 1], posts: postsOf(id) });

/** Empties and reseeds both tables, and returns a fresh repository over the suite's db. */
async function fresh() {
  if (dbError) throw new Error(`drizzle({ client: pool, schema }) failed with your schema.js: ${dbError.message}`);
  await pool.query('TRUNCATE users, posts RESTART IDENTITY CASCADE');
  // Inserted in reverse, so rows sit on disk in the opposite of id order: only an
  // ORDER BY gives pages and post lists in id order.
  const users = [...USERS].reverse();
  const posts = [...POSTS].reverse();
  await pool.query(
    `INSERT INTO users (id, email, name, bio, created_at)
       SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])`,
    [users.map((u) => u.id), users.map((u) => u.email), users.map((u) => u.name), users.map((u) => u.bio), users.map((u) => u.createdAt)],
  );
  await pool.query(
    `INSERT INTO posts (id, author_id, title, published, created_at)
       SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::bool[], $5::timestamptz[])`,
    [posts.map((p) => p.id), posts.map((p) => p.authorId), posts.map((p) => p.title), posts.map((p) => p.published), posts.map((p) => p.createdAt)],
  );
  await pool.query("SELECT setval('users_id_seq', $1), setval('posts_id_seq', $2)", [USERS.length, POSTS.length]);
  return createUserRepository(db);
}

async function outcome(promise) {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

const keys = (value) => (value && typeof value === 'object' ? Object.keys(value).sort().join(', ') : String(value));

test('schema.js declares users and posts with the columns of the database and both relations', { timeout: 5000 }, async () => {
  await fresh();
  const expected = {
    users: [
      ['id', 'id', true],
      ['email', 'email', true],
      ['name', 'name', true],
      ['bio', 'bio', false],
      ['createdAt', 'created_at', true],
    ],
    posts: [
      ['id', 'id', true],
      ['authorId', 'author_id', true],
      ['title', 'title', true],
      ['published', 'published', true],
      ['createdAt', 'created_at', true],
    ],
  };
  for (const [tableName, columns] of Object.entries(expected)) {
    const table = schema[tableName];
    let config;
    try {
      config = getTableConfig(table);
    } catch {
      assert.fail(`schema.js must export ${tableName} = pgTable('${tableName}', { … }), found ${typeof table}`);
    }
    assert.equal(config.name, tableName, `the ${tableName} export must declare the table '${tableName}', found '${config.name}'`);
    for (const [property, column, notNull] of columns) {
      assert.equal(
        table[property]?.name,
        column,
        `${tableName}.${property} must map to the column '${column}' (found ${table[property]?.name ?? 'no such property'}); ` +
          `the property is what your code uses, the string is the column in the database`,
      );
      assert.equal(table[property].notNull, notNull, `${tableName}.${property} must ${notNull ? '' : 'not '}be declared .notNull(), like the column`);
    }
    assert.match(
      table.createdAt.getSQLType(),
      /with time zone/,
      `${tableName}.createdAt must be timestamp('created_at', { withTimezone: true }): the column is timestamptz`,
    );
  }

  const withPosts = await outcome(db.query.users.findFirst({ where: (user, { eq }) => eq(user.id, 1), with: { posts: true } }));
  assert.ok(
    !withPosts.error && Array.isArray(withPosts.value?.posts) && withPosts.value.posts.length === 3,
    `db.query.users.findFirst({ with: { posts: true } }) must load user 1 with 3 posts: export usersRelations = relations(users, ({ many }) => ({ posts: many(posts) }))` +
      `\n  got: ${withPosts.error ? withPosts.error.message : JSON.stringify(withPosts.value)}`,
  );
  const withAuthor = await outcome(db.query.posts.findFirst({ where: (post, { eq }) => eq(post.id, 1), with: { author: true } }));
  assert.equal(
    withAuthor.value?.author?.email,
    'user01@example.com',
    `db.query.posts.findFirst({ with: { author: true } }) must load the author: export postsRelations with author: one(users, { fields: [posts.authorId], references: [users.id] })` +
      `\n  got: ${withAuthor.error ? withAuthor.error.message : JSON.stringify(withAuthor.value)}`,
  );
});

test('create inserts a user and returns it as { id, email, name, bio, createdAt }', { timeout: 5000 }, async () => {
  const repo = await fresh();
  const before = Date.now();
  const created = await repo.create({ email: 'ines@example.com', name: "Inès D'Arcy", bio: 'Writes about databases.' });
  assert.equal(keys(created), 'bio, createdAt, email, id, name', `create must resolve to exactly { id, email, name, bio, createdAt }, got ${JSON.stringify(created)}`);
  assert.deepEqual(
    { ...created, createdAt: undefined },
    { id: 13, email: 'ines@example.com', name: "Inès D'Arcy", bio: 'Writes about databases.', createdAt: undefined },
    'create returns the stored user with its new id (13 after the 12 seeded ones)',
  );
  assert.ok(
    created.createdAt instanceof Date && Math.abs(created.createdAt.getTime() - before) < 60_000,
    `createdAt must be a Date set by the database default (now()), got ${JSON.stringify(created.createdAt)}`,
  );
  const { rows } = await pool.query('SELECT name, bio FROM users WHERE email = $1', ['ines@example.com']);
  assert.deepEqual(rows, [{ name: "Inès D'Arcy", bio: 'Writes about databases.' }], 'the row must be in the users table');

  const plain = await repo.create({ email: 'plain@example.com', name: 'Plain' });
  assert.equal(plain?.bio, null, `without a bio the user is created with bio null, got ${JSON.stringify(plain)}`);
});

test('create rejects a taken email with an error whose code is EMAIL_TAKEN', { timeout: 5000 }, async () => {
  const repo = await fresh();
  const { value, error } = await outcome(repo.create({ email: 'user01@example.com', name: 'Impostor' }));
  assert.ok(error, `creating a second user01@example.com must reject, it resolved to ${JSON.stringify(value)}`);
  assert.equal(
    error.code,
    'EMAIL_TAKEN',
    `the repository turns the unique violation into a domain error with code 'EMAIL_TAKEN', so callers never see SQLSTATE 23505; ` +
      `got code ${JSON.stringify(error.code)} (${error.message.split('\n')[0]}). drizzle wraps the pg error: look at error.cause`,
  );
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM users');
  assert.equal(rows[0].n, 12, 'a rejected create must not leave a row behind');
});

test('findById returns the user with their posts in id order, in at most 2 queries', { timeout: 5000 }, async () => {
  const repo = await fresh();
  const { result: user, statements } = await measure(() => repo.findById(4));
  assert.deepEqual(
    user,
    userWithPosts(4),
    'findById(4) must return { id, email, name, bio, createdAt, posts } with posts as { id, title, published, createdAt } ordered by id ' +
      '(the author id stays hidden; createdAt values are Dates)',
  );
  assert.ok(
    statements.length <= 2,
    `findById sent ${statements.length} statements for one user with 6 posts; load the posts with the user (with: { posts }) ` +
      `or in one more query, never one per post:\n${showStatements(statements)}`,
  );
  assert.deepEqual(await repo.findById(3), userWithPosts(3), "findById(3): a user without posts has posts: [] (and the quote in O'Hara is just data)");
});

test('findById resolves to null for an id that does not exist', { timeout: 5000 }, async () => {
  const repo = await fresh();
  const { value, error } = await outcome(repo.findById(999));
  if (error) assert.fail(`findById(999) must resolve to null, not throw: ${error.message}`);
  assert.equal(value, null, `findById(999) must resolve to null, got ${JSON.stringify(value)}`);
});

test('update changes only the fields it is given and returns the updated user', { timeout: 5000 }, async () => {
  const repo = await fresh();
  const renamed = await repo.update(2, { name: 'Renamed Two' });
  const expected = { ...USERS[1], name: 'Renamed Two' };
  assert.deepEqual(
    renamed,
    expected,
    "update(2, { name }) must change the name only and resolve to { id, email, name, bio, createdAt }; keys left out of the patch keep their values (don't write undefined as NULL)",
  );
  assert.deepEqual(
    (await repo.findById(2))?.bio,
    USERS[1].bio,
    'after update(2, { name }) the bio must still be stored unchanged',
  );
  const cleared = await repo.update(2, { bio: null, email: 'two@example.com' });
  assert.deepEqual(cleared, { ...expected, bio: null, email: 'two@example.com' }, 'bio: null clears the bio (null is a value, undefined means "leave it")');

  const ignored = await outcome(repo.update(5, { id: 999, createdAt: new Date('2000-01-01T00:00:00Z'), name: 'Five' }));
  if (ignored.error) {
    assert.fail(
      `update(5, { id: 999, createdAt, name }) threw "${ignored.error.message.split('\n')[0]}": only email, name and bio may reach set(); ` +
        'copy those keys out of the patch instead of passing the whole patch (a caller could rewrite ids)',
    );
  }
  assert.deepEqual(
    ignored.value,
    { ...USERS[4], name: 'Five' },
    'only email, name and bio can change: id and createdAt in a patch are ignored (passing the whole patch to set() lets a caller rewrite ids)',
  );
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM users WHERE id = 999');
  assert.equal(rows[0].n, 0, 'no user may end up with id 999');
});

test('update with an empty patch returns the user unchanged, and null for an unknown id', { timeout: 5000 }, async () => {
  const repo = await fresh();
  const same = await outcome(repo.update(7, {}));
  if (same.error) assert.fail(`update(7, {}) must not throw (drizzle's set() refuses an empty object): ${same.error.message}`);
  assert.deepEqual(same.value, USERS[6], 'update(7, {}) resolves to user 7 as stored');
  const undefinedOnly = await outcome(repo.update(7, { name: undefined }));
  assert.deepEqual(undefinedOnly.value, USERS[6], `update(7, { name: undefined }) changes nothing; got ${undefinedOnly.error?.message ?? JSON.stringify(undefinedOnly.value)}`);
  assert.equal(await repo.update(999, { name: 'Ghost' }), null, 'update of an id that does not exist resolves to null');
  assert.equal(await repo.update(999, {}), null, 'update(999, {}) resolves to null as well');
});

test('update rejects a taken email with code EMAIL_TAKEN and changes nothing', { timeout: 5000 }, async () => {
  const repo = await fresh();
  const { value, error } = await outcome(repo.update(2, { email: 'user01@example.com', name: 'Should Not Stick' }));
  assert.equal(error?.code, 'EMAIL_TAKEN', `update(2, { email: a taken one }) must reject with code 'EMAIL_TAKEN', got ${error ? `code ${JSON.stringify(error.code)}` : `a result ${JSON.stringify(value)}`}`);
  const { rows } = await pool.query('SELECT email, name FROM users WHERE id = 2');
  assert.deepEqual(rows[0], { email: USERS[1].email, name: USERS[1].name }, 'the failed update must leave user 2 as it was');
});

test('delete removes the user and their posts, and reports whether it deleted anything', { timeout: 5000 }, async () => {
  const repo = await fresh();
  assert.equal(await repo.delete(1), true, 'delete(1) resolves to true when the user existed');
  assert.equal(await repo.findById(1), null, 'after delete(1), findById(1) is null');
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM posts WHERE author_id = 1');
  assert.equal(rows[0].n, 0, "user 1's posts must be gone with the user");
  assert.equal(await repo.delete(1), false, 'deleting the same id again resolves to false');
  const { rows: left } = await pool.query('SELECT count(*)::int AS n FROM users');
  assert.equal(left[0].n, 11, 'delete(1) must remove exactly one user');
});

test('list pages through users by id, each with their posts, and ends with nextCursor null', { timeout: 5000 }, async () => {
  const repo = await fresh();
  const pages = [];
  let cursor;
  do {
    const page = await repo.list({ cursor, limit: 5 });
    assert.ok(Array.isArray(page?.items), `list must resolve to { items, nextCursor }, got ${JSON.stringify(page)}`);
    pages.push(page.items.map((user) => user.id));
    assert.ok(
      page.nextCursor === null || typeof page.nextCursor === 'string',
      `nextCursor must be a string (opaque to callers) or null, got ${JSON.stringify(page.nextCursor)}`,
    );
    cursor = page.nextCursor;
  } while (cursor && pages.length < 5);
  assert.deepEqual(pages, [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]], 'pages of 5 over 12 users, then nextCursor null after the last page');

  const first = await repo.list();
  assert.equal(first.items.length, 10, 'list() without options returns the first 10 users (the default limit)');
  assert.deepEqual(first.items[0], userWithPosts(1), 'list items look like findById results: the user with posts ordered by id');
  assert.deepEqual(first.items[3], userWithPosts(4), 'list item for user 4 must carry all 6 posts');
});

test('list answers nextCursor null when the last page is exactly full', { timeout: 5000 }, async () => {
  const repo = await fresh();
  for (const limit of [6, 12, 4]) {
    const pages = [];
    let cursor;
    do {
      const page = await repo.list({ cursor, limit });
      pages.push(page.items.map((user) => user.id));
      cursor = page.nextCursor;
    } while (cursor && pages.length < 6);
    assert.equal(
      pages.length,
      12 / limit,
      `with limit ${limit} there are exactly ${12 / limit} pages; got ${JSON.stringify(pages)}. ` +
        'A full page is not proof of a next one: fetch limit + 1 rows to know',
    );
    assert.deepEqual(pages.flat(), USERS.map((u) => u.id), `with limit ${limit} the pages cover ids 1..12 once each`);
  }
});

test('list keeps its place when earlier rows are deleted (keyset, not offset)', { timeout: 5000 }, async () => {
  const repo = await fresh();
  const first = await repo.list({ limit: 4 });
  await pool.query('DELETE FROM users WHERE id IN (1, 2)');
  const second = await repo.list({ cursor: first.nextCursor, limit: 4 });
  assert.deepEqual(
    second.items.map((user) => user.id),
    [5, 6, 7, 8],
    'after page 1 (ids 1-4) two users on it were deleted; page 2 must still start at id 5. ' +
      'An OFFSET skips rows when earlier ones disappear: the cursor must mean "ids after the last one seen" (WHERE id > …)',
  );
});

test('list reads only the rows of the page, in at most 2 queries', { timeout: 5000 }, async () => {
  const repo = await fresh();
  const { result: full, statements } = await measure(() => repo.list({ limit: 10 }));
  assert.equal(full.items.length, 10, 'list({ limit: 10 }) returns 10 users');
  assert.ok(
    statements.length <= 2,
    `list({ limit: 10 }) sent ${statements.length} statements: loading posts user by user is the N+1 problem; ` +
      `load them with the page (with: { posts }) or with one inArray() query:\n${showStatements(statements)}`,
  );
  const middle = await repo.list({ limit: 6 }); // ids 1..6; the next page holds users without posts
  const { result: page, rows } = await measure(() => repo.list({ cursor: middle.nextCursor, limit: 2 }));
  assert.deepEqual(page.items.map((user) => user.id), [7, 8], 'the page after ids 1..6 with limit 2 holds users 7 and 8');
  assert.ok(
    rows <= 4,
    `a page of 2 users (without posts) made PostgreSQL return ${rows} rows; let the database skip to the cursor and stop at ` +
      'limit + 1 (WHERE id > … ORDER BY id LIMIT …) instead of reading the table and slicing it in JavaScript',
  );
});
