import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import express from 'express';
import pg from 'pg';
import { exercisePath, importExercise, listen, request, requireExport } from './support.mjs';

const appModule = await importExercise('app.js');
const createApp = requireExport(appModule, 'createApp', 'function', 'app.js');
const rbacModule = await importExercise('rbac.js');
const authenticate = requireExport(rbacModule, 'authenticate', 'function', 'rbac.js');
const requirePermission = requireExport(rbacModule, 'requirePermission', 'function', 'rbac.js');

if (!process.env.DATABASE_URL) {
  throw new Error('needs postgres: DATABASE_URL is not set (the engine provides a fresh database for this exercise)');
}
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 6 });
after(() => pool.end());

// ---------------------------------------------------------------------------------------
// Fixture: the learner's schema.sql, then roles, permissions and users seeded by the suite.

const PERMISSIONS = ['posts:read', 'posts:create', 'posts:update', 'posts:update:own', 'posts:delete', 'posts:delete:own', 'roles:assign'];
const ROLES = {
  viewer: ['posts:read'],
  author: ['posts:read', 'posts:create', 'posts:update:own', 'posts:delete:own'],
  editor: ['posts:read', 'posts:update', 'posts:delete'],
  admin: ['posts:read', 'roles:assign'],
};
// sam holds two roles; nora is authenticated but has no role at all.
const USERS = { vera: ['viewer'], alice: ['author'], amir: ['author'], eddie: ['editor'], ada: ['admin'], sam: ['author', 'admin'], nora: [] };

let fixture;
/** Applies schema.sql and seeds once; every test awaits it (so a broken schema fails each test, not the load). */
function setup() {
  fixture ??= (async () => {
    const sql = await readFile(exercisePath('schema.sql'), 'utf8');
    try {
      await pool.query(sql);
    } catch (error) {
      throw new Error(`applying schema.sql to an empty database failed: ${error.message}`);
    }
    try {
      for (const name of PERMISSIONS) await pool.query('INSERT INTO permissions (name) VALUES ($1)', [name]);
      for (const [role, permissions] of Object.entries(ROLES)) await createRole(role, permissions);
      const users = {};
      for (const [name, roles] of Object.entries(USERS)) users[name] = await createUser(name, roles);
      return { users };
    } catch (error) {
      throw new Error(
        `seeding failed (${error.message}). The suite inserts into roles(name), permissions(name), ` +
          'user_roles(user_id, role_id), role_permissions(role_id, permission_id) and users(name, token): ' +
          'create them in schema.sql with exactly these names',
      );
    }
  })();
  return fixture;
}

async function createRole(name, permissions) {
  const { rows } = await pool.query('INSERT INTO roles (name) VALUES ($1) RETURNING id', [name]);
  for (const permission of permissions) {
    await pool.query(
      'INSERT INTO permissions (name) VALUES ($1) ON CONFLICT (name) DO NOTHING',
      [permission],
    );
    await pool.query(
      'INSERT INTO role_permissions (role_id, permission_id) SELECT $1, id FROM permissions WHERE name = $2',
      [rows[0].id, permission],
    );
  }
  return rows[0].id;
}

let userCounter = 0;
async function createUser(name, roles) {
  const token = `tok_${name}_${(++userCounter).toString(36)}_f00d`;
  const { rows } = await pool.query('INSERT INTO users (name, token) VALUES ($1, $2) RETURNING id', [name, token]);
  for (const role of roles) {
    await pool.query('INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE name = $2', [rows[0].id, role]);
  }
  return { id: rows[0].id, name, token, auth: { authorization: `Bearer ${token}` } };
}

/** A user of its own for tests that change roles, so no test depends on another. */
const freshUser = (prefix, roles) => createUser(`${prefix}_${userCounter + 1}`, roles);

async function createPost(author, title = `post by ${author.name}`) {
  const { rows } = await pool.query('INSERT INTO posts (author_id, title, body) VALUES ($1, $2, $3) RETURNING id', [author.id, title, 'original body']);
  return rows[0].id;
}

async function readPost(id) {
  const { rows } = await pool.query('SELECT id, author_id, title, body FROM posts WHERE id = $1', [id]);
  return rows[0];
}

async function roleNamesOf(userId) {
  const { rows } = await pool.query(
    'SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = $1 ORDER BY r.name',
    [userId],
  );
  return rows.map((row) => row.name);
}

const countPosts = async () => Number((await pool.query('SELECT count(*) AS n FROM posts')).rows[0].n);

async function start() {
  const { users } = await setup();
  const { url } = await listen(createApp({ pool }));
  return { url, users };
}

function expectError(res, status, code, hint) {
  assert.equal(res.status, status, `${hint}\n${res.describe()}`);
  assert.equal(res.json?.error?.code, code, `expected the body { "error": { "code": "${code}", "message": … } }\n${res.describe()}`);
  assert.equal(typeof res.json.error.message, 'string', `error.message must be a string\n${res.describe()}`);
}

// ---------------------------------------------------------------------------------------

test('schema.sql links users, roles and permissions through keyed many-to-many tables that cascade', { timeout: 5000 }, async () => {
  await setup();
  const user = await freshUser('schema', []);
  const roleId = await createRole(`temp_role_${user.id}`, ['posts:read', 'roles:assign']);
  await pool.query('INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)', [user.id, roleId]);

  await assert.rejects(
    pool.query('INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)', [user.id, roleId]),
    (error) => error.code === '23505',
    'assigning the same role twice must violate a unique key: give user_roles PRIMARY KEY (user_id, role_id)',
  );
  await assert.rejects(
    pool.query('INSERT INTO role_permissions (role_id, permission_id) SELECT $1, id FROM permissions WHERE name = $2', [roleId, 'posts:read']),
    (error) => error.code === '23505',
    'granting the same permission twice must violate a unique key: give role_permissions PRIMARY KEY (role_id, permission_id)',
  );
  await assert.rejects(
    pool.query('INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)', [2_000_000_000, roleId]),
    (error) => error.code === '23503',
    'user_roles.user_id must be a foreign key to users(id): a role for a user that does not exist must be refused',
  );
  await assert.rejects(
    pool.query('INSERT INTO role_permissions (role_id, permission_id) VALUES ($1, $2)', [roleId, 2_000_000_000]),
    (error) => error.code === '23503',
    'role_permissions.permission_id must be a foreign key to permissions(id)',
  );

  await pool.query('DELETE FROM roles WHERE id = $1', [roleId]);
  const links = await pool.query(
    'SELECT (SELECT count(*) FROM user_roles WHERE role_id = $1) AS u, (SELECT count(*) FROM role_permissions WHERE role_id = $1) AS p',
    [roleId],
  );
  assert.deepEqual(
    { userRoles: Number(links.rows[0].u), rolePermissions: Number(links.rows[0].p) },
    { userRoles: 0, rolePermissions: 0 },
    'deleting a role must delete its links: declare the foreign keys of both join tables with ON DELETE CASCADE',
  );
  await pool.query('DELETE FROM users WHERE id = $1', [user.id]);
});

test('answers 401 with WWW-Authenticate: Bearer for a missing, malformed or unknown token and changes nothing', { timeout: 8000 }, async () => {
  const { url, users } = await start();
  const postId = await createPost(users.alice);
  const before = await countPosts();
  const badHeaders = [
    {},
    { authorization: 'Bearer' },
    { authorization: 'Bearer ' },
    { authorization: `Basic ${Buffer.from('alice:secret').toString('base64')}` },
    { authorization: users.alice.token },
    { authorization: 'Bearer not-a-real-token' },
    { authorization: `Bearer ${users.eddie.token}x` },
    { authorization: `Bearer ${users.eddie.token.slice(0, -2)}` },
  ];
  const routes = [
    ['GET', '/me'],
    ['GET', '/posts'],
    ['GET', `/posts/${postId}`],
    ['GET', '/posts/999999'],
    ['POST', '/posts', { title: 'sneaky' }],
    ['PATCH', `/posts/${postId}`, { title: 'sneaky' }],
    ['DELETE', `/posts/${postId}`],
    ['PUT', `/users/${users.nora.id}/roles/admin`],
  ];
  // Every bad header on two routes, and the two commonest on every route.
  const cases = [
    ...badHeaders.flatMap((headers) => [routes[0], routes[5]].map((route) => [headers, route])),
    ...[badHeaders[0], badHeaders[5]].flatMap((headers) => routes.map((route) => [headers, route])),
  ];
  for (const [headers, [method, path, json]] of cases) {
    const res = await request(url, method, path, { headers, json });
    expectError(res, 401, 'UNAUTHENTICATED', `no valid bearer token means 401, before any permission check or lookup (headers sent: ${JSON.stringify(headers)})`);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer\b/i, `a 401 must say how to authenticate: WWW-Authenticate: Bearer\n${res.describe()}`);
  }
  assert.equal(await countPosts(), before, 'an unauthenticated POST /posts must not insert a row');
  const post = await readPost(postId);
  assert.ok(post, 'an unauthenticated DELETE must not delete the post');
  assert.equal(post.title, `post by alice`, 'an unauthenticated PATCH must not change the post');
  assert.deepEqual(await roleNamesOf(users.nora.id), [], 'an unauthenticated PUT must not assign a role');
});

test('GET /me returns the user with the union of the permissions of all their roles', { timeout: 5000 }, async () => {
  const { url, users } = await start();
  const sorted = (values) => [...values].sort();

  const sam = await request(url, 'GET', '/me', { headers: users.sam.auth });
  assert.equal(sam.status, 200, `a valid token is enough for GET /me\n${sam.describe()}`);
  assert.equal(sam.json?.id, users.sam.id, `id is the user's users.id\n${sam.describe()}`);
  assert.equal(sam.json?.name, 'sam', `name is the user's users.name\n${sam.describe()}`);
  assert.ok(Array.isArray(sam.json?.roles) && Array.isArray(sam.json?.permissions), `roles and permissions are arrays of names\n${sam.describe()}`);
  assert.deepEqual(sorted(sam.json.roles), ['admin', 'author'], `sam has two roles; list both\n${sam.describe()}`);
  const union = sorted(new Set([...ROLES.author, ...ROLES.admin]));
  assert.deepEqual(
    sorted(sam.json.permissions),
    union,
    `a user's permissions are the union over ALL their roles, each name once (posts:read comes from both)\n${sam.describe()}`,
  );

  const nora = await request(url, 'GET', '/me', { headers: users.nora.auth });
  assert.equal(nora.status, 200, `a user without roles is still authenticated: 200, not 401\n${nora.describe()}`);
  assert.deepEqual(
    { roles: nora.json?.roles, permissions: nora.json?.permissions },
    { roles: [], permissions: [] },
    `a user without roles has empty arrays (watch out for [null] from a LEFT JOIN)\n${nora.describe()}`,
  );
});

test('reading posts needs posts:read: every seeded role reads, a user without roles gets 403', { timeout: 5000 }, async () => {
  const { url, users } = await start();
  const postId = await createPost(users.amir, 'readable');
  for (const name of ['vera', 'alice', 'eddie', 'ada', 'sam']) {
    const list = await request(url, 'GET', '/posts', { headers: users[name].auth });
    assert.equal(list.status, 200, `${name} (${USERS[name].join(' + ')}) holds posts:read\n${list.describe()}`);
    assert.ok(Array.isArray(list.json), `GET /posts answers an array of posts\n${list.describe()}`);
    const ids = list.json.map((post) => post.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), `GET /posts lists posts by id\n${list.describe()}`);
    assert.ok(ids.includes(postId), `GET /posts must include post ${postId}\n${list.describe()}`);

    const one = await request(url, 'GET', `/posts/${postId}`, { headers: users[name].auth });
    assert.equal(one.status, 200, `${name} may read post ${postId}\n${one.describe()}`);
    assert.deepEqual(one.json, { id: postId, authorId: users.amir.id, title: 'readable', body: 'original body' }, `a post is { id, authorId, title, body }\n${one.describe()}`);
  }
  const missing = await request(url, 'GET', '/posts/999999', { headers: users.vera.auth });
  expectError(missing, 404, 'NOT_FOUND', 'a reader asking for an unknown post gets 404');

  for (const path of ['/posts', `/posts/${postId}`, '/posts/999999']) {
    const res = await request(url, 'GET', path, { headers: users.nora.auth });
    expectError(res, 403, 'FORBIDDEN', 'nora is authenticated but holds no permission: 403 (not 401, and before any lookup, so not 404 either)');
  }
});

test('only holders of posts:create create posts, always as themselves', { timeout: 5000 }, async () => {
  const { url, users } = await start();
  for (const name of ['alice', 'sam']) {
    const before = await countPosts();
    const res = await request(url, 'POST', '/posts', { headers: users[name].auth, json: { title: `new by ${name}`, body: 'hello', authorId: users.eddie.id } });
    assert.equal(res.status, 201, `${name} holds posts:create: 201 Created\n${res.describe()}`);
    assert.equal(res.json?.authorId, users[name].id, `the author is the caller, never a client-sent authorId\n${res.describe()}`);
    assert.equal(typeof res.json?.id, 'number', `the created post has its numeric id\n${res.describe()}`);
    const row = await readPost(res.json.id);
    assert.deepEqual(
      row && { author_id: row.author_id, title: row.title, body: row.body },
      { author_id: users[name].id, title: `new by ${name}`, body: 'hello' },
      `the row in posts must hold what was sent, with author_id = the caller (${users[name].id})`,
    );
    assert.equal(await countPosts(), before + 1, 'one POST inserts exactly one row');
  }
  for (const name of ['vera', 'eddie', 'ada', 'nora']) {
    const before = await countPosts();
    const res = await request(url, 'POST', '/posts', { headers: users[name].auth, json: { title: `denied for ${name}` } });
    expectError(res, 403, 'FORBIDDEN', `${name} (${USERS[name].join(' + ') || 'no role'}) lacks posts:create: 403`);
    assert.equal(await countPosts(), before, `a refused POST must not insert anything (${name})`);
  }
});

// Who may change whose post: [actor, owner of the post, allowed?]
const CHANGE_MATRIX = [
  ['alice', 'alice', true, 'an author changes their own post (posts:*:own)'],
  ['alice', 'amir', false, "an author's :own permission does not cover someone else's post"],
  ['sam', 'sam', true, 'sam is an author too: their own post is theirs to change'],
  ['sam', 'alice', false, 'admin + author still does not cover other people’s posts'],
  ['eddie', 'alice', true, 'an editor holds the permission for any post'],
  ['eddie', 'eddie', true, 'an editor changes their own post as well'],
  ['vera', 'alice', false, 'a viewer only reads'],
  ['vera', 'vera', false, 'a viewer cannot change even a post of their own'],
  ['ada', 'alice', false, 'an admin assigns roles but does not edit posts'],
  ['nora', 'nora', false, 'a user without roles may do nothing'],
];

test('PATCH /posts/:id follows the role × ownership matrix and only allowed updates reach the database', { timeout: 8000 }, async () => {
  const { url, users } = await start();
  for (const [actor, owner, allowed, why] of CHANGE_MATRIX) {
    const postId = await createPost(users[owner]);
    const res = await request(url, 'PATCH', `/posts/${postId}`, { headers: users[actor].auth, json: { title: `edited by ${actor}`, authorId: users[actor].id } });
    const row = await readPost(postId);
    if (allowed) {
      assert.equal(res.status, 200, `${actor} on ${owner}'s post: ${why}\n${res.describe()}`);
      assert.deepEqual(res.json, { id: postId, authorId: users[owner].id, title: `edited by ${actor}`, body: 'original body' }, `PATCH answers the updated post; fields not sent stay, authorId never changes\n${res.describe()}`);
      assert.deepEqual(
        { title: row.title, body: row.body, author_id: row.author_id },
        { title: `edited by ${actor}`, body: 'original body', author_id: users[owner].id },
        `after ${actor}'s allowed PATCH the row must hold the new title, the old body and the same author`,
      );
    } else {
      expectError(res, 403, 'FORBIDDEN', `${actor} on ${owner}'s post: ${why} → 403`);
      assert.deepEqual(
        { title: row.title, author_id: row.author_id },
        { title: `post by ${owner}`, author_id: users[owner].id },
        `a refused PATCH (${actor} on ${owner}'s post) must leave the row untouched: check before you UPDATE`,
      );
    }
  }
});

test('DELETE /posts/:id follows the role × ownership matrix and only allowed deletes remove the row', { timeout: 8000 }, async () => {
  const { url, users } = await start();
  for (const [actor, owner, allowed, why] of CHANGE_MATRIX) {
    const postId = await createPost(users[owner]);
    const res = await request(url, 'DELETE', `/posts/${postId}`, { headers: users[actor].auth });
    const row = await readPost(postId);
    if (allowed) {
      assert.equal(res.status, 204, `${actor} deletes ${owner}'s post: ${why}\n${res.describe()}`);
      assert.equal(res.text, '', `204 has no body\n${res.describe()}`);
      assert.equal(row, undefined, `after ${actor}'s allowed DELETE post ${postId} must be gone from the table`);
    } else {
      expectError(res, 403, 'FORBIDDEN', `${actor} deletes ${owner}'s post: ${why} → 403`);
      assert.ok(row, `a refused DELETE (${actor} on ${owner}'s post) must leave post ${postId} in the table`);
    }
  }
});

test('checks in order: 403 without the permission, then 404 for a missing post, then 403 for ownership, then 400', { timeout: 5000 }, async () => {
  const { url, users } = await start();
  const alicePost = await createPost(users.alice);

  for (const [method, path, json] of [['PATCH', '/posts/999999', { title: 'x' }], ['DELETE', '/posts/999999']]) {
    const viewer = await request(url, method, path, { headers: users.vera.auth, json });
    expectError(viewer, 403, 'FORBIDDEN', 'a viewer holds no update/delete permission at all: 403 comes before looking the post up');
    for (const name of ['amir', 'eddie']) {
      const res = await request(url, method, path, { headers: users[name].auth, json });
      expectError(res, 404, 'NOT_FOUND', `${name} could change some posts, so a missing post is 404`);
    }
  }
  const notAnId = await request(url, 'PATCH', '/posts/abc', { headers: users.alice.auth, json: { title: 'x' } });
  expectError(notAnId, 404, 'NOT_FOUND', 'an id that cannot exist answers 404 like an unknown one (never 500)');

  const notOwnerBadBody = await request(url, 'PATCH', `/posts/${alicePost}`, { headers: users.amir.auth, json: { title: '' } });
  expectError(notOwnerBadBody, 403, 'FORBIDDEN', 'amir may not edit alice’s post, whatever he sends: check ownership before validating the body');
  const viewerBadBody = await request(url, 'POST', '/posts', { headers: users.vera.auth, json: { nope: true } });
  expectError(viewerBadBody, 403, 'FORBIDDEN', 'a viewer may not create posts: 403 before validating the body');
});

test('rejects invalid post bodies with 400 VALIDATION_ERROR and changes nothing', { timeout: 5000 }, async () => {
  const { url, users } = await start();
  const postId = await createPost(users.alice);
  for (const json of [{ title: '' }, { title: '   ' }, { title: 42 }, { body: ['x'] }, { title: 'x'.repeat(201) }]) {
    const res = await request(url, 'PATCH', `/posts/${postId}`, { headers: users.alice.auth, json });
    expectError(res, 400, 'VALIDATION_ERROR', `title must be a non-empty string (at most 200 characters) and body a string (sent ${JSON.stringify(json).slice(0, 60)})`);
  }
  const row = await readPost(postId);
  assert.deepEqual({ title: row.title, body: row.body }, { title: 'post by alice', body: 'original body' }, 'a refused PATCH must leave the post unchanged');

  const before = await countPosts();
  for (const json of [{ body: 'no title' }, { title: '' }]) {
    const res = await request(url, 'POST', '/posts', { headers: users.alice.auth, json });
    expectError(res, 400, 'VALIDATION_ERROR', `POST /posts needs a non-empty title (sent ${JSON.stringify(json)})`);
  }
  assert.equal(await countPosts(), before, 'an invalid POST must not insert a row');
});

test('roles:assign holders grant and revoke roles, and the change applies on the next request', { timeout: 5000 }, async () => {
  const { url, users } = await start();
  const writer = await freshUser('writer', ['author']);
  const target = await createPost(users.alice);
  const edit = () => request(url, 'PATCH', `/posts/${target}`, { headers: writer.auth, json: { title: `edited by ${writer.name}` } });

  const denied = await edit();
  expectError(denied, 403, 'FORBIDDEN', 'an author cannot edit alice’s post yet');

  for (let attempt = 1; attempt <= 2; attempt++) {
    const grant = await request(url, 'PUT', `/users/${writer.id}/roles/editor`, { headers: users.ada.auth });
    assert.equal(grant.status, 204, `an admin assigns a role with 204; PUT is idempotent, so the second one is 204 too (attempt ${attempt})\n${grant.describe()}`);
  }
  assert.deepEqual(await roleNamesOf(writer.id), ['author', 'editor'], 'after the PUT, user_roles must link the user to editor exactly once, keeping author');

  const allowed = await edit();
  assert.equal(allowed.status, 200, `with the editor role the user edits any post on the very next request: load permissions per request, do not cache them\n${allowed.describe()}`);

  const revoke = await request(url, 'DELETE', `/users/${writer.id}/roles/editor`, { headers: users.sam.auth });
  assert.equal(revoke.status, 204, `sam (author + admin) holds roles:assign through admin and revokes with 204\n${revoke.describe()}`);
  assert.deepEqual(await roleNamesOf(writer.id), ['author'], 'after the DELETE the editor link must be gone from user_roles');
  const deniedAgain = await edit();
  expectError(deniedAgain, 403, 'FORBIDDEN', 'a revoked role stops working on the next request');

  for (const [path, what] of [[`/users/2000000000/roles/editor`, 'an unknown user'], [`/users/abc/roles/editor`, 'a user id that cannot exist'], [`/users/${writer.id}/roles/superuser`, 'an unknown role']]) {
    const res = await request(url, 'PUT', path, { headers: users.ada.auth });
    expectError(res, 404, 'NOT_FOUND', `assigning to ${what} answers 404`);
  }
  assert.deepEqual(await roleNamesOf(writer.id), ['author'], 'failed assignments must not touch user_roles');
});

test('no privilege escalation: without roles:assign nobody grants or revokes roles, not even for themselves', { timeout: 5000 }, async () => {
  const { url, users } = await start();
  const attempts = [
    ['PUT', users.eddie, users.eddie, 'admin', 'an editor granting themselves admin'],
    ['PUT', users.alice, users.alice, 'editor', 'an author promoting themselves to editor'],
    ['PUT', users.nora, users.nora, 'viewer', 'a user without roles granting themselves one'],
    ['PUT', users.vera, users.amir, 'editor', 'a viewer promoting someone else'],
    ['DELETE', users.eddie, users.ada, 'admin', 'an editor removing the admin'],
  ];
  for (const [method, actor, subject, role, what] of attempts) {
    const before = await roleNamesOf(subject.id);
    const res = await request(url, method, `/users/${subject.id}/roles/${role}`, { headers: actor.auth });
    expectError(res, 403, 'FORBIDDEN', `${what} must be refused: only roles:assign may change roles`);
    assert.deepEqual(await roleNamesOf(subject.id), before, `${what}: user_roles must be unchanged after the 403`);
  }
});

test('requirePermission guards any route with any permission names, read from the database on each request', { timeout: 5000 }, async () => {
  await setup();
  const analyst = await freshUser('analyst', []);
  const roleName = `analyst_${analyst.id}`;
  await createRole(roleName, ['reports:view']);
  await pool.query('INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE name = $2', [analyst.id, roleName]);
  const outsider = await freshUser('outsider', ['viewer']);

  const probe = express();
  probe.use(authenticate(pool));
  probe.get('/reports', requirePermission('reports:view'), (req, res) => res.json({ ok: true }));
  probe.get('/either', requirePermission('reports:export', 'reports:view'), (req, res) => res.json({ ok: true }));
  const { url } = await listen(probe);

  const ok = await request(url, 'GET', '/reports', { headers: analyst.auth });
  assert.equal(ok.status, 200, `a role holding 'reports:view' (made up by the suite) must pass requirePermission('reports:view'): read permissions from the tables, never hard-code role names\n${ok.describe()}`);
  const either = await request(url, 'GET', '/either', { headers: analyst.auth });
  assert.equal(either.status, 200, `requirePermission('reports:export', 'reports:view') passes a user holding ANY one of them\n${either.describe()}`);
  const other = await request(url, 'GET', '/reports', { headers: outsider.auth });
  assert.equal(other.status, 403, `a viewer lacks 'reports:view': 403\n${other.describe()}`);
  const anonymous = await request(url, 'GET', '/reports');
  assert.equal(anonymous.status, 401, `no token at all: 401 from authenticate()\n${anonymous.describe()}`);

  await pool.query(
    'DELETE FROM role_permissions WHERE role_id = (SELECT id FROM roles WHERE name = $1)',
    [roleName],
  );
  const revoked = await request(url, 'GET', '/reports', { headers: analyst.auth });
  assert.equal(revoked.status, 403, `the permission was removed from the role in the database: the next request must be refused (no cache of permissions across requests)\n${revoked.describe()}`);
});
