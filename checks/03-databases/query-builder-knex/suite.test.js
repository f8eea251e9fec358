import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import knexFactory from 'knex';
import { exercisePath, importExercise, requireExport } from './support.mjs';

const mod = await importExercise('users.js');
const findUsers = requireExport(mod, 'findUsers', 'function', 'users.js');
const createUserWithProfile = requireExport(mod, 'createUserWithProfile', 'function', 'users.js');
const countPublishedPosts = requireExport(mod, 'countPublishedPosts', 'function', 'users.js');

if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is not set: this suite needs a PostgreSQL database');

const knex = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL, pool: { min: 0, max: 4 } });
after(() => knex.destroy());
const migrations = { directory: exercisePath('migrations'), loadExtensions: ['.js'] };

// 25 users, ids 1..25 in this order. A few are chosen for the search tests; the rest fill pages.
const SEED_USERS = [
  ['Ada Lindberg', 'ada@example.com', 'admin'],
  ['Grace Hopper', 'grace@example.com', 'member'],
  ['Linus Berggren', 'linus@example.org', 'member'],
  ['Margaret Hamilton', 'maggie@bergmail.test', 'guest'],
  ['Dev Ops', 'dev_ops@example.com', 'member'],
  ['Bot 100% Real', 'bot@example.com', 'guest'],
  ["Conan O'Brien", 'conan@example.com', 'member'],
  ['Edsger Dijkstra', 'edsger@example.com', 'admin'],
];
for (let i = SEED_USERS.length + 1; i <= 25; i += 1) {
  const n = String(i).padStart(2, '0');
  SEED_USERS.push([`Filler User ${n}`, `filler${n}@example.net`, ['member', 'guest', 'member'][i % 3]]);
}
const USERS = SEED_USERS.map(([name, email, role], index) => ({ id: index + 1, name, email, role }));
// Every user whose id is not a multiple of 3 has a profile.
const bioOf = (id) => (id % 3 === 0 ? null : `Bio of user ${id}`);
// [user id, published, drafts]
const POSTS = [
  [1, 3, 1],
  [2, 0, 2],
  [3, 3, 0],
  [4, 0, 5],
  [5, 1, 0],
  [8, 2, 1],
  [12, 1, 0],
];

const expectedUser = (user) => ({ ...user, bio: bioOf(user.id) });

/** Runs the learner's migrations and reseeds every table, so no test depends on another. */
async function fresh() {
  try {
    await knex.migrate.latest(migrations);
  } catch (error) {
    throw new Error(`knex.migrate.latest() failed on your migrations/ folder: ${error.message}`);
  }
  try {
    await knex.raw('TRUNCATE users, profiles, posts RESTART IDENTITY CASCADE');
    await knex('users').insert(USERS.map(({ name, email, role }) => ({ name, email, role })));
    await knex('profiles').insert(
      USERS.filter((user) => bioOf(user.id) !== null).map((user) => ({ user_id: user.id, bio: bioOf(user.id), website: null })),
    );
    const posts = [];
    for (const [userId, published, drafts] of POSTS) {
      for (let i = 0; i < published + drafts; i += 1) posts.push({ user_id: userId, title: `Post ${i + 1} by ${userId}`, published: i < published });
    }
    await knex('posts').insert(posts);
  } catch (error) {
    throw new Error(
      `could not seed the tables your migration created (users, profiles, posts with the contract's columns): ${error.message}`,
    );
  }
}

/** Runs fn while recording every statement knex sends, transaction control excluded. */
async function recordQueries(fn) {
  const queries = [];
  const listener = (query) => {
    if (!/^\s*(begin|commit|rollback)\b/i.test(query.sql)) queries.push({ sql: query.sql, bindings: query.bindings ?? [] });
  };
  knex.on('query', listener);
  try {
    const result = await fn();
    return { result, queries };
  } finally {
    knex.removeListener('query', listener);
  }
}

const showQueries = (queries) => queries.map((q) => `  ${q.sql}  ${JSON.stringify(q.bindings)}`).join('\n') || '  (none)';
const ids = (rows) => (Array.isArray(rows) ? rows.map((row) => row.id) : rows);

async function rejectsInsert(table, row) {
  try {
    await knex(table).insert(row);
  } catch {
    return true;
  }
  return false;
}

test('the migration creates users, profiles and posts with the contracted columns', { timeout: 5000 }, async () => {
  await fresh();
  const { rows } = await knex.raw(
    `SELECT table_name, column_name, data_type, is_nullable, character_maximum_length
       FROM information_schema.columns WHERE table_schema = current_schema() AND table_name IN ('users', 'profiles', 'posts')`,
  );
  const columns = new Map(rows.map((row) => [`${row.table_name}.${row.column_name}`, row]));
  const text = ['character varying', 'text'];
  const expected = [
    ['users.id', ['integer'], false],
    ['users.email', text, false],
    ['users.name', text, false],
    ['users.role', [...text, 'USER-DEFINED'], false],
    ['users.created_at', ['timestamp with time zone'], false],
    ['profiles.user_id', ['integer'], false],
    ['profiles.bio', ['character varying'], true],
    ['profiles.website', text, true],
    ['posts.id', ['integer'], false],
    ['posts.user_id', ['integer'], false],
    ['posts.title', text, false],
    ['posts.published', ['boolean'], false],
    ['posts.created_at', ['timestamp with time zone'], false],
  ];
  for (const [name, types, nullable] of expected) {
    const column = columns.get(name);
    assert.ok(column, `after migrate.latest() the column ${name} must exist; found: ${[...columns.keys()].sort().join(', ') || 'no columns'}`);
    assert.ok(
      types.includes(column.data_type),
      `${name} must be ${types.join(' or ')}, found ${column.data_type}` +
        (name.endsWith('id') ? ' (use increments() / integer(): a bigint id comes back from pg as a string)' : ''),
    );
    assert.equal(column.is_nullable === 'YES', nullable, `${name} must be ${nullable ? 'nullable' : 'NOT NULL'}, found is_nullable = ${column.is_nullable}`);
  }
  assert.equal(
    columns.get('profiles.bio').character_maximum_length,
    280,
    `profiles.bio must be varchar(280): table.string('bio', 280), found length ${columns.get('profiles.bio').character_maximum_length}`,
  );
});

test('the migration enforces unique emails, the role list, defaults and cascading deletes', { timeout: 5000 }, async () => {
  await fresh();
  assert.ok(
    await rejectsInsert('users', { name: 'Copy', email: 'ada@example.com', role: 'member' }),
    'inserting a second user with ada@example.com must fail: users.email needs a UNIQUE constraint',
  );
  assert.ok(
    await rejectsInsert('users', { name: 'Root', email: 'root@example.com', role: 'root' }),
    "role 'root' must be rejected: only admin, member and guest are allowed (table.enu() adds the CHECK)",
  );
  const [plain] = await knex('users').insert({ name: 'Plain', email: 'plain@example.com' }).returning(['id', 'role', 'created_at']);
  assert.equal(plain.role, 'member', `a user inserted without a role must get 'member', got ${plain.role}`);
  assert.ok(plain.created_at instanceof Date, `users.created_at must default to now(), got ${plain.created_at}`);
  const [post] = await knex('posts').insert({ user_id: plain.id, title: 'Draft' }).returning(['published', 'created_at']);
  assert.equal(post.published, false, `posts.published must default to false, got ${post.published}`);
  assert.ok(post.created_at instanceof Date, `posts.created_at must default to now(), got ${post.created_at}`);
  assert.ok(
    await rejectsInsert('posts', { user_id: 9999, title: 'Orphan' }),
    'a post for a user that does not exist must be rejected: posts.user_id references users(id)',
  );
  assert.ok(
    await rejectsInsert('profiles', { user_id: 1, bio: 'second profile' }),
    'a second profile for user 1 must be rejected: profiles.user_id is the primary key',
  );

  await knex('users').where({ id: 1 }).delete();
  const [{ count: profiles }] = await knex('profiles').where({ user_id: 1 }).count();
  const [{ count: posts }] = await knex('posts').where({ user_id: 1 }).count();
  assert.equal(Number(profiles), 0, "deleting user 1 must delete its profile: references('id').inTable('users').onDelete('CASCADE')");
  assert.equal(Number(posts), 0, "deleting user 1 must delete its posts: references('id').inTable('users').onDelete('CASCADE')");
});

test('the migration indexes posts.user_id', { timeout: 5000 }, async () => {
  await fresh();
  const { rows } = await knex.raw(
    `SELECT i.relname AS name
       FROM pg_index x
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
      WHERE t.relname = 'posts' AND t.relnamespace = current_schema()::regnamespace AND a.attname = 'user_id'`,
  );
  assert.ok(
    rows.length > 0,
    'posts needs an index that starts with user_id: PostgreSQL does not index foreign keys for you, ' +
      "and every join or cascade from users to posts scans the whole table without it (.index() on the column)",
  );
});

test('rolling back the migration drops every table it created', { timeout: 5000 }, async () => {
  await fresh();
  try {
    await knex.migrate.rollback(migrations, true);
  } catch (error) {
    throw new Error(`knex.migrate.rollback() failed: ${error.message}\n  down() must drop the tables that reference users before users itself`);
  }
  const { rows } = await knex.raw(
    "SELECT to_regclass('users') AS users, to_regclass('profiles') AS profiles, to_regclass('posts') AS posts",
  );
  const left = Object.entries(rows[0]).filter(([, value]) => value !== null).map(([name]) => name);
  assert.deepEqual(left, [], `after rollback these tables still exist: ${left.join(', ')}; down() must undo everything up() did`);
  await knex.migrate.latest(migrations);
  const { rows: again } = await knex.raw("SELECT to_regclass('users') AS users");
  assert.notEqual(again[0].users, null, 'migrate.latest() after a rollback must create the tables again');
});

test('findUsers returns the first 20 users by id with their bio, including users without a profile', { timeout: 5000 }, async () => {
  await fresh();
  const users = await findUsers(knex, {});
  assert.ok(Array.isArray(users), `findUsers must resolve to an array of users, got ${JSON.stringify(users)}`);
  assert.deepEqual(
    ids(users),
    USERS.slice(0, 20).map((user) => user.id),
    'without filters findUsers returns 20 users (the default limit), ordered by id; users without a profile are included too (a left join)',
  );
  assert.deepEqual(
    users,
    USERS.slice(0, 20).map(expectedUser),
    'each user is exactly { id, email, name, role, bio } with bio taken from profiles (null when there is no profile)',
  );
  const shortPage = await findUsers(knex);
  assert.equal(shortPage.length, 20, 'findUsers(knex) with no options at all must work like findUsers(knex, {})');
});

test('findUsers searches name and email case-insensitively and keeps the role filter', { timeout: 5000 }, async () => {
  await fresh();
  assert.deepEqual(
    ids(await findUsers(knex, { search: 'BERG' })),
    [1, 3, 4],
    "search 'BERG' must match Ada Lindberg and Linus Berggren by name and maggie@bergmail.test by email, ignoring case (whereILike)",
  );
  assert.deepEqual(
    ids(await findUsers(knex, { search: 'berg', role: 'admin' })),
    [1],
    "search 'berg' with role 'admin' must return only Ada Lindberg. Getting more? The OR between name and email escaped the role filter: " +
      'group it as role = ? AND (name ILIKE ? OR email ILIKE ?) with .where((q) => …)',
  );
  assert.deepEqual(
    ids(await findUsers(knex, { role: 'admin' })),
    [1, 8],
    "role 'admin' alone must return the two admins, ids 1 and 8",
  );
  assert.deepEqual(ids(await findUsers(knex, { search: 'example.org' })), [3], "search 'example.org' must match the email linus@example.org");
  assert.deepEqual(ids(await findUsers(knex, { search: 'nobody-has-this' })), [], 'a search that matches nothing returns []');
});

test('findUsers pages with limit and offset', { timeout: 5000 }, async () => {
  await fresh();
  const members = USERS.filter((user) => user.role === 'member').map((user) => user.id);
  const pages = [];
  for (let offset = 0; offset < members.length; offset += 4) {
    pages.push(ids(await findUsers(knex, { role: 'member', limit: 4, offset })));
  }
  assert.deepEqual(pages.flat(), members, `pages of 4 members must follow each other without gaps or repeats; got pages ${JSON.stringify(pages)}`);
  assert.ok(pages.slice(0, -1).every((page) => page.length === 4), `every page but the last must hold 4 users: ${JSON.stringify(pages)}`);
  assert.deepEqual(ids(await findUsers(knex, { limit: 3, offset: 23 })), [24, 25], 'limit 3 offset 23 must return the last two users, 24 and 25');
  assert.deepEqual(ids(await findUsers(knex, { offset: 100 })), [], 'an offset past the end returns []');
});

test("findUsers matches %, _ and quotes literally instead of as wildcards or SQL", { timeout: 5000 }, async () => {
  await fresh();
  const cases = [
    ['%', [6], "'%' must match only 'Bot 100% Real': escape % in the LIKE pattern, or it matches everyone"],
    ['100%', [6], "'100%' must match only 'Bot 100% Real'"],
    ['_', [5], "'_' must match only dev_ops@example.com: escape _ in the LIKE pattern, or it matches any character"],
    ["O'Brien", [7], "a quote is just a character: \"O'Brien\" must find Conan O'Brien (bind the value, never build SQL strings)"],
    ["' OR '1'='1", [], 'an injection attempt is just a search text that matches no one'],
  ];
  for (const [search, expected, why] of cases) {
    let found;
    try {
      found = ids(await findUsers(knex, { search }));
    } catch (error) {
      assert.fail(`findUsers({ search: ${JSON.stringify(search)} }) threw "${error.message}": ${why}`);
    }
    assert.deepEqual(found, expected, `findUsers({ search: ${JSON.stringify(search)} }): ${why}`);
  }
});

test('findUsers sends search and role as bindings, never inside the SQL text', { timeout: 5000 }, async () => {
  await fresh();
  const { queries } = await recordQueries(() => findUsers(knex, { search: 'Berg', role: 'admin', limit: 7, offset: 0 }));
  assert.ok(queries.length > 0, 'findUsers must query through the knex instance it receives');
  for (const value of ['berg', 'admin']) {
    const leaked = queries.filter((q) => q.sql.toLowerCase().includes(value));
    assert.deepEqual(
      leaked.map((q) => q.sql),
      [],
      `the value '${value}' appeared inside the SQL text, so it was interpolated. Pass values as bindings ` +
        `(where('role', role), whereILike(column, pattern), or ? placeholders in whereRaw):\n${showQueries(queries)}`,
    );
    assert.ok(
      queries.some((q) => q.bindings.some((binding) => String(binding).toLowerCase().includes(value))),
      `the value '${value}' must travel as a binding:\n${showQueries(queries)}`,
    );
  }
});

test('findUsers loads a page of any size in at most 2 queries', { timeout: 5000 }, async () => {
  await fresh();
  for (const limit of [2, 20]) {
    const { result, queries } = await recordQueries(() => findUsers(knex, { limit }));
    assert.equal(result.length, limit, `findUsers({ limit: ${limit} }) must return ${limit} users`);
    assert.ok(
      queries.length <= 2,
      `findUsers({ limit: ${limit} }) sent ${queries.length} queries: that is the N+1 problem (one more query per user). ` +
        `Join profiles in the same query (leftJoin) or load them all at once with whereIn:\n${showQueries(queries)}`,
    );
  }
});

test('createUserWithProfile inserts the user and the profile and returns both', { timeout: 5000 }, async () => {
  await fresh();
  const data = { email: 'barbara@example.com', name: 'Barbara Liskov', role: 'admin', bio: 'Substitution.', website: 'https://example.com/barbara' };
  const { result: created, queries } = await recordQueries(() => createUserWithProfile(knex, data));
  assert.deepEqual(
    created,
    { id: 26, ...data },
    'createUserWithProfile resolves to { id, email, name, role, bio, website } with the new id (26 after the 25 seeded users)',
  );
  const [user] = await knex('users').where({ email: data.email });
  const [profile] = await knex('profiles').where({ user_id: created.id });
  assert.equal(user?.name, data.name, 'the user row must be in the users table');
  assert.deepEqual(
    profile && { bio: profile.bio, website: profile.website },
    { bio: data.bio, website: data.website },
    'the profile row must be in the profiles table with user_id = the new id',
  );
  assert.ok(
    queries.every((q) => !q.sql.includes('barbara')),
    `the email must travel as a binding, not inside the SQL:\n${showQueries(queries)}`,
  );

  const minimal = await createUserWithProfile(knex, { email: 'min@example.com', name: 'Min Imal' });
  assert.deepEqual(
    minimal,
    { id: 27, email: 'min@example.com', name: 'Min Imal', role: 'member', bio: null, website: null },
    "without role, bio and website the user is a 'member' with a profile whose bio and website are null",
  );
  const [{ count }] = await knex('profiles').where({ user_id: 27 }).count();
  assert.equal(Number(count), 1, 'the minimal user must have a profile row too');
});

test('createUserWithProfile rolls the user back when the profile insert fails', { timeout: 5000 }, async () => {
  await fresh();
  // The database, not your code, rejects this profile: only a transaction can undo the user row.
  await knex.raw(`
    CREATE OR REPLACE FUNCTION suite_reject_profile() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.website = 'https://reject.invalid' THEN
        RAISE EXCEPTION 'profile rejected by the suite (testing your rollback)';
      END IF;
      RETURN NEW;
    END $$`);
  await knex.raw('CREATE OR REPLACE TRIGGER suite_reject_profile BEFORE INSERT ON profiles FOR EACH ROW EXECUTE FUNCTION suite_reject_profile()');

  let outcome = 'resolved';
  try {
    await createUserWithProfile(knex, { email: 'half@example.com', name: 'Half Done', website: 'https://reject.invalid' });
  } catch {
    outcome = 'rejected';
  }
  await new Promise((resolve) => setTimeout(resolve, 50)); // let an un-awaited insert land, if there is one
  const [{ count }] = await knex('users').where({ email: 'half@example.com' }).count();
  assert.equal(
    Number(count),
    0,
    'the profile insert failed, so the user must not exist either: run both inserts on the trx of knex.transaction(async (trx) => …), ' +
      'await them, and let the error escape the callback so knex rolls back',
  );
  assert.equal(outcome, 'rejected', 'createUserWithProfile must reject when the profile cannot be saved, not swallow the error');

  let duplicate = 'resolved';
  try {
    await createUserWithProfile(knex, { email: 'ada@example.com', name: 'Ada Again' });
  } catch {
    duplicate = 'rejected';
  }
  assert.equal(duplicate, 'rejected', 'creating a user with a taken email must reject');
  const [{ count: users }] = await knex('users').count();
  assert.equal(Number(users), 25, `after two failed creates there must still be 25 users, found ${users}`);
});

test('countPublishedPosts counts published posts per user, including users with none, in at most 2 queries', { timeout: 5000 }, async () => {
  await fresh();
  const published = new Map(POSTS.map(([userId, count]) => [userId, count]));
  const expected = USERS.map((user) => ({ id: user.id, name: user.name, published: published.get(user.id) ?? 0 })).sort(
    (a, b) => b.published - a.published || a.id - b.id,
  );
  const { result, queries } = await recordQueries(() => countPublishedPosts(knex));
  assert.ok(Array.isArray(result), `countPublishedPosts must resolve to an array, got ${JSON.stringify(result)}`);
  assert.equal(
    typeof result[0]?.published,
    'number',
    `published must be a number, got ${JSON.stringify(result[0]?.published)}: PostgreSQL's COUNT is a bigint and pg returns bigints as strings`,
  );
  assert.equal(
    result.length,
    25,
    `every user must appear, also the ones with no published post (published: 0); got ${result.length}. ` +
      'Filtering posts.published in WHERE turns the left join into an inner join: put it in the join condition',
  );
  assert.deepEqual(
    result.slice(0, 6),
    expected.slice(0, 6),
    'the top rows, by published posts (descending) then id: drafts do not count, and ties go to the lower id',
  );
  assert.deepEqual(result, expected, 'every user with their count of published posts (0 when none: count posts.id, not *)');
  assert.ok(
    queries.length <= 2,
    `countPublishedPosts sent ${queries.length} queries: let the database group and count (groupBy + count), not one query per user:\n${showQueries(queries)}`,
  );
});
