// Stage 1 of the SaaS backend: sign-up with organizations, login, access and refresh
// tokens, GET /me. Runs against a fresh, empty PostgreSQL database (DATABASE_URL) that
// the learner's migrate(pool) sets up.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import pg from 'pg';
import { importExercise, listen, request, requireExport } from './support.mjs';

const appModule = await importExercise('src/app.js');
const createApp = requireExport(appModule, 'createApp', 'function', 'src/app.js');
const migrateModule = await importExercise('src/migrate.js');
const migrate = requireExport(migrateModule, 'migrate', 'function', 'src/migrate.js');

if (!process.env.DATABASE_URL) {
  throw new Error('needs postgres: DATABASE_URL is not set (the engine provides a fresh database for this project)');
}
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 12 });
after(() => pool.end());

const SECRET = 'suite-access-token-secret-3f9a1c0e77';
const KEY = new TextEncoder().encode(SECRET);
// Far from the real date, so code that reads Date.now() instead of clock() shows up.
const T0 = Date.parse('2030-01-15T09:00:00.000Z');
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const PASSWORD = 'correct horse battery';

let firstMigration;
/** Runs the learner's migrations once; every test awaits it, so a failure shows in each test. */
function setup() {
  firstMigration ??= (async () => {
    try {
      return await migrate(pool);
    } catch (error) {
      throw new Error(`migrate(pool) failed on an empty database: ${error.message}`);
    }
  })();
  return firstMigration;
}

/** A fresh app on the shared database with its own clock (starts at T0). */
async function start({ at = T0, hashCost = 4 } = {}) {
  await setup();
  let now = at;
  const app = createApp({ pool, secret: SECRET, clock: () => now, webhookSecret: 'whsec_stage_1_unused', hashCost });
  const { url } = await listen(app);
  return {
    url,
    advance(ms) {
      now += ms;
    },
  };
}

let sequence = 0;
const freshEmail = (name = 'user') => `${name}.${++sequence}@example.com`;
const bearer = (token) => ({ authorization: `Bearer ${token}` });

async function signup(url, { email = freshEmail(), password = PASSWORD, orgName = 'Acme' } = {}) {
  const res = await request(url, 'POST', '/auth/register', { json: { email, password, orgName } });
  assert.equal(res.status, 201, `POST /auth/register with a new email must answer 201\n${res.describe()}`);
  return res.json;
}

async function login(url, email, password = PASSWORD) {
  const res = await request(url, 'POST', '/auth/login', { json: { email, password } });
  assert.equal(res.status, 200, `POST /auth/login with the right password must answer 200\n${res.describe()}`);
  assert.equal(typeof res.json?.accessToken, 'string', `the login answer needs an accessToken string\n${res.describe()}`);
  assert.equal(typeof res.json?.refreshToken, 'string', `the login answer needs a refreshToken string\n${res.describe()}`);
  return res.json;
}

function expectError(res, status, code, hint) {
  assert.equal(res.status, status, `${hint}\n${res.describe()}`);
  assert.equal(res.json?.error?.code, code, `expected the body { "error": { "code": "${code}", "message": … } }\n${res.describe()}`);
  assert.equal(typeof res.json.error.message, 'string', `error.message must be a string\n${res.describe()}`);
}

function expect401(res, hint) {
  expectError(res, 401, 'UNAUTHENTICATED', hint);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/i, `a 401 must carry WWW-Authenticate: Bearer\n${res.describe()}`);
}

/** Row count of every table in the public schema, whatever the learner named them. */
async function tableCounts() {
  const { rows } = await pool.query(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
  );
  const counts = {};
  for (const { table_name: table } of rows) {
    const result = await pool.query(`SELECT count(*)::int AS n FROM "${table.replaceAll('"', '""')}"`);
    counts[table] = result.rows[0].n;
  }
  return counts;
}

const growth = (before, after) =>
  Object.fromEntries(Object.keys(after).map((t) => [t, after[t] - (before[t] ?? 0)]).filter(([, n]) => n !== 0));

// ---------------------------------------------------------------------------------------

test('migrate(pool) builds the schema on an empty database, and a second run applies nothing', { timeout: 5000 }, async () => {
  const applied = await setup();
  assert.ok(
    Array.isArray(applied) && applied.length > 0 && applied.every((name) => typeof name === 'string'),
    `on an empty database migrate(pool) must resolve to the names of the files it applied, got ${JSON.stringify(applied)}`,
  );
  assert.deepEqual(applied, [...applied].sort(), 'migrations must be applied in file name order (001_… before 002_…)');
  const tables = Object.keys(await tableCounts());
  assert.ok(tables.length >= 2, `after migrate(pool) the database should hold your tables, found ${JSON.stringify(tables)}`);
  let again;
  try {
    again = await migrate(pool);
  } catch (error) {
    assert.fail(`a second migrate(pool) must not fail (it should skip applied files, which schema_migrations records): ${error.message}`);
  }
  assert.deepEqual(again, [], 'a second migrate(pool) must apply nothing and resolve to []: record each applied file');
});

test('sign-up creates an organization with the new user as its owner', { timeout: 5000 }, async () => {
  const { url } = await start();
  const email = freshEmail('Grace.Hopper').replace('example.com', 'Example.COM');
  const res = await request(url, 'POST', '/auth/register', { json: { email, password: PASSWORD, orgName: 'Hopper Labs' } });
  assert.equal(res.status, 201, `a valid sign-up must answer 201\n${res.describe()}`);
  const body = res.json;
  assert.ok(body?.id !== undefined && body.id !== null, `the answer needs the user's id\n${res.describe()}`);
  assert.equal(body.email, email.toLowerCase(), `emails are stored trimmed and lower-cased, so Grace@X and grace@x are one account\n${res.describe()}`);
  assert.equal(body.role, 'owner', `whoever signs up owns the new organization: role "owner"\n${res.describe()}`);
  assert.equal(body.organization?.name, 'Hopper Labs', `the answer needs organization: { id, name }\n${res.describe()}`);
  assert.ok(body.organization.id !== undefined && body.organization.id !== null, `organization.id is missing\n${res.describe()}`);
  assert.ok(!/password|hash/i.test(res.text) && !res.text.includes(PASSWORD), `never send the password or its hash back\n${res.describe()}`);

  const other = await signup(url, { orgName: 'Hopper Labs' });
  assert.notEqual(other.organization.id, body.organization.id, 'every sign-up creates its own organization, even with a name already in use');
  assert.notEqual(other.id, body.id, 'two sign-ups must be two users');
});

test('sign-up refuses invalid input with 400 VALIDATION_ERROR and stores nothing', { timeout: 5000 }, async () => {
  const { url } = await start();
  const before = await tableCounts();
  const ok = { email: freshEmail('valid'), password: PASSWORD, orgName: 'Valid Org' };
  const cases = [
    ['an empty object', {}],
    ['a missing email', { ...ok, email: undefined }],
    ['an email without @', { ...ok, email: 'not-an-email' }],
    ['an email that is a number', { ...ok, email: 42 }],
    ['a 7-character password', { ...ok, password: 'short12' }],
    ['a 73-character password (bcrypt would silently ignore the tail)', { ...ok, password: 'p'.repeat(73) }],
    ['a password that is not a string', { ...ok, password: 12345678 }],
    ['a missing orgName', { ...ok, orgName: undefined }],
    ['a blank orgName', { ...ok, orgName: '   ' }],
    ['a 101-character orgName', { ...ok, orgName: 'o'.repeat(101) }],
    ['a JSON array', [ok]],
  ];
  for (const [what, json] of cases) {
    const res = await request(url, 'POST', '/auth/register', { json });
    expectError(res, 400, 'VALIDATION_ERROR', `sign-up with ${what} must answer 400`);
  }
  const broken = await request(url, 'POST', '/auth/register', {
    body: '{"email": "x@example.com", "password":',
    headers: { 'content-type': 'application/json' },
  });
  expectError(broken, 400, 'VALIDATION_ERROR', 'a body that is not valid JSON must answer 400, not 500');
  assert.deepEqual(growth(before, await tableCounts()), {}, 'refused sign-ups must not store anything');
});

test('sign-up with a taken email answers 409 whatever its case, and leaves no orphan rows', { timeout: 5000 }, async () => {
  const { url } = await start();
  const email = freshEmail('taken');
  await signup(url, { email });
  const before = await tableCounts();
  const res = await request(url, 'POST', '/auth/register', {
    json: { email: `  ${email.toUpperCase()} `, password: 'another password', orgName: 'Second Org' },
  });
  expectError(res, 409, 'EMAIL_TAKEN', 'an email that is already registered (in any letter case) must answer 409');
  assert.deepEqual(
    growth(before, await tableCounts()),
    {},
    'a refused sign-up must leave no rows behind (an organization without its owner is an orphan): insert the organization and the user in ONE transaction',
  );
});

test('concurrent sign-ups with one email: exactly one wins, the others get 409', { timeout: 5000 }, async () => {
  const { url } = await start();
  const calibrate = await tableCounts();
  await signup(url);
  const oneSignup = growth(calibrate, await tableCounts());

  const email = freshEmail('race');
  const before = await tableCounts();
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      request(url, 'POST', '/auth/register', { json: { email, password: PASSWORD, orgName: `Racer ${i}` } }),
    ),
  );
  const statuses = results.map((res) => res.status).sort();
  assert.deepEqual(
    statuses,
    [201, 409, 409, 409, 409, 409],
    'six simultaneous sign-ups with one email must give one 201 and five 409s. Checking with a SELECT first is not enough ' +
      '(all six pass the check before any inserts): let a UNIQUE constraint decide and turn its error (23505) into 409.\n' +
      results.map((res) => res.describe()).join('\n'),
  );
  assert.deepEqual(
    growth(before, await tableCounts()),
    oneSignup,
    'the race must leave exactly the rows of one sign-up: the losers must roll back their organization too',
  );
});

test('passwords are stored only as slow salted hashes', { timeout: 5000 }, async () => {
  const { url } = await start();
  const password = `Canary-${randomUUID().slice(0, 8)}-pass`;
  const email = freshEmail('canary');
  await signup(url, { email, password });
  const fastHashes = ['md5', 'sha1', 'sha256', 'sha512'].flatMap((algorithm) => {
    const digest = createHash(algorithm).update(password).digest();
    return [digest.toString('hex'), digest.toString('base64'), digest.toString('base64url')];
  });
  const { rows: columns } = await pool.query(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')`,
  );
  for (const { table_name: table, column_name: column } of columns) {
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM "${table}" WHERE strpos("${column}"::text, $1) > 0 OR "${column}"::text = ANY($2)`,
      [password, fastHashes],
    );
    assert.equal(
      rows[0].n,
      0,
      `${table}.${column} holds the password in plain text or as an unsalted fast hash (md5/sha): store bcrypt.hash(password, hashCost) instead`,
    );
  }
  await login(url, email, password);
});

test('login issues a 15-minute HS256 access token for the user, and a refresh token', { timeout: 5000 }, async () => {
  const { url } = await start();
  const user = await signup(url, { email: freshEmail('token') });
  const res = await request(url, 'POST', '/auth/login', { json: { email: user.email.toUpperCase(), password: PASSWORD } });
  assert.equal(res.status, 200, `login must accept the email in any letter case\n${res.describe()}`);
  const { accessToken, refreshToken, tokenType, expiresIn } = res.json ?? {};
  assert.equal(tokenType, 'Bearer', `the answer is { accessToken, refreshToken, tokenType: "Bearer", expiresIn: 900 }\n${res.describe()}`);
  assert.equal(expiresIn, 900, `expiresIn is the access token's lifetime in seconds: 900\n${res.describe()}`);
  assert.ok(typeof refreshToken === 'string' && refreshToken.length >= 20, `refreshToken must be a long random string\n${res.describe()}`);
  let header;
  try {
    header = decodeProtectedHeader(accessToken);
  } catch {
    assert.fail(`accessToken must be a JWT\n${res.describe()}`);
  }
  assert.equal(header.alg, 'HS256', `sign access tokens with HS256 (jose SignJWT)\n${res.describe()}`);
  let payload;
  try {
    ({ payload } = await jwtVerify(accessToken, KEY, { algorithms: ['HS256'], currentDate: new Date(T0) }));
  } catch (error) {
    assert.fail(`the access token must verify with createApp's secret at the clock's time (${error.code ?? error.message}): take "now" from clock(), not Date.now()`);
  }
  assert.equal(String(payload.sub), String(user.id), 'the token\'s "sub" claim must be the user\'s id');
  assert.equal(payload.exp, T0 / 1000 + 900, `"exp" must be 15 minutes after clock(): ${T0 / 1000 + 900}, got ${payload.exp}`);
});

test('login answers the same 401 for an unknown email and for a wrong password', { timeout: 5000 }, async () => {
  const { url } = await start();
  const user = await signup(url);
  const wrongPassword = await request(url, 'POST', '/auth/login', { json: { email: user.email, password: 'not the password' } });
  expectError(wrongPassword, 401, 'INVALID_CREDENTIALS', 'a wrong password must answer 401');
  const unknownEmail = await request(url, 'POST', '/auth/login', { json: { email: freshEmail('nobody'), password: 'not the password' } });
  expectError(unknownEmail, 401, 'INVALID_CREDENTIALS', 'an unknown email must answer 401 too');
  assert.deepEqual(
    unknownEmail.json,
    wrongPassword.json,
    `an unknown email and a wrong password must get identical answers, or the login form tells attackers which emails have accounts\n${wrongPassword.describe()}\n${unknownEmail.describe()}`,
  );
  for (const [what, json] of [
    ['no password', { email: user.email }],
    ['no email', { password: PASSWORD }],
    ['a numeric password', { email: user.email, password: 12345678 }],
  ]) {
    const res = await request(url, 'POST', '/auth/login', { json });
    expectError(res, 400, 'VALIDATION_ERROR', `a login with ${what} is a malformed request: 400`);
  }
});

test('an unknown email takes as long to refuse as a wrong password (no timing leak)', { timeout: 10000 }, async () => {
  // hashCost 8 makes one bcrypt comparison take tens of milliseconds.
  const { url } = await start({ hashCost: 8 });
  const user = await signup(url);
  const timed = async (email) => {
    const started = performance.now();
    const res = await request(url, 'POST', '/auth/login', { json: { email, password: 'wrong password' } });
    assert.equal(res.status, 401, `a failed login must answer 401\n${res.describe()}`);
    return performance.now() - started;
  };
  await timed(user.email);
  await timed(freshEmail('warmup'));
  const wrong = [];
  const unknown = [];
  for (let i = 0; i < 3; i++) {
    wrong.push(await timed(user.email));
    unknown.push(await timed(freshEmail('ghost')));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[1];
  assert.ok(
    median(unknown) >= 0.4 * median(wrong),
    `a wrong password took ~${median(wrong).toFixed(0)} ms (a bcrypt comparison) but an unknown email only ~${median(unknown).toFixed(0)} ms: ` +
      'the difference tells attackers which emails exist. When the email is unknown, still compare the password against a dummy bcrypt hash made with hashCost',
  );
});

test('GET /me returns the caller and their organization, from any instance of the app', { timeout: 5000 }, async () => {
  const first = await start();
  const second = await start();
  const user = await signup(first.url, { orgName: 'Shared State Inc' });
  // Logging in on another instance only works when users live in PostgreSQL, not in memory.
  const { accessToken } = await login(second.url, user.email);
  const res = await request(first.url, 'GET', '/me', { headers: bearer(accessToken) });
  assert.equal(res.status, 200, `GET /me with a valid access token must answer 200\n${res.describe()}`);
  assert.deepEqual(
    { id: res.json?.id, email: res.json?.email, role: res.json?.role, organization: res.json?.organization },
    { id: user.id, email: user.email, role: 'owner', organization: user.organization },
    `GET /me answers { id, email, role, organization: { id, name } } like the sign-up did\n${res.describe()}`,
  );
});

test('GET /me refuses missing, forged and expired access tokens with 401', { timeout: 5000 }, async () => {
  const app = await start();
  const user = await signup(app.url);
  const { accessToken } = await login(app.url, user.email);
  const claims = decodeJwt(accessToken);
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const sign = (payload, key = KEY) => new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);
  const sub = String(claims.sub);
  const missingUser = /^\d+$/.test(sub) ? String(Number(sub) + 987_654) : /^[0-9a-f-]{36}$/i.test(sub) ? randomUUID() : `${sub}x`;
  const other = await signup(app.url);
  const [head, , signature] = accessToken.split('.');

  const cases = [
    ['no Authorization header', {}],
    ['a Basic scheme instead of Bearer', { authorization: `Basic ${Buffer.from(`${user.email}:${PASSWORD}`).toString('base64')}` }],
    ['a token that is not a JWT', bearer('not-a-jwt')],
    ['a token signed with another secret', bearer(await sign(claims, new TextEncoder().encode('some-other-secret-entirely')))],
    ['a token with alg "none" and no signature', bearer(`${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`)],
    ['a token whose payload was edited to another user', bearer(`${head}.${encode({ ...claims, sub: other.id })}.${signature}`)],
    ['a correctly signed token for a user that does not exist', bearer(await sign({ ...claims, sub: missingUser }))],
  ];
  for (const [what, headers] of cases) {
    const res = await request(app.url, 'GET', '/me', { headers });
    expect401(res, `GET /me with ${what} must answer 401 (verify the signature with jose's jwtVerify and algorithms: ['HS256'], then load the user)`);
  }

  app.advance(899_000);
  const stillValid = await request(app.url, 'GET', '/me', { headers: bearer(accessToken) });
  assert.equal(stillValid.status, 200, `899 seconds after login the access token is still valid\n${stillValid.describe()}`);
  app.advance(2_000);
  const expired = await request(app.url, 'GET', '/me', { headers: bearer(accessToken) });
  expect401(expired, '901 seconds after login the access token has expired (pass currentDate: new Date(clock()) to jwtVerify)');
});

test('refresh rotates the refresh token, and reusing a rotated one revokes the session', { timeout: 5000 }, async () => {
  const app = await start();
  const user = await signup(app.url);
  const first = await login(app.url, user.email);

  app.advance(20 * MINUTE); // the access token has expired; the refresh token has not
  const rotated = await request(app.url, 'POST', '/auth/refresh', { json: { refreshToken: first.refreshToken } });
  assert.equal(rotated.status, 200, `POST /auth/refresh with a fresh refresh token must answer 200\n${rotated.describe()}`);
  const second = rotated.json;
  assert.ok(typeof second?.accessToken === 'string' && typeof second.refreshToken === 'string', `refresh answers like login: { accessToken, refreshToken, tokenType, expiresIn }\n${rotated.describe()}`);
  assert.notEqual(second.refreshToken, first.refreshToken, 'every refresh must hand out a NEW refresh token (rotation)');
  const me = await request(app.url, 'GET', '/me', { headers: bearer(second.accessToken) });
  assert.equal(me.status, 200, `the new access token must work right away\n${me.describe()}`);

  const reused = await request(app.url, 'POST', '/auth/refresh', { json: { refreshToken: first.refreshToken } });
  expect401(reused, 'a refresh token that was already used once must answer 401');
  const afterReuse = await request(app.url, 'POST', '/auth/refresh', { json: { refreshToken: second.refreshToken } });
  expect401(
    afterReuse,
    'after a used refresh token comes back, the whole session must be revoked, including the newest refresh token (one of the two holders is a thief)',
  );

  const unknown = await request(app.url, 'POST', '/auth/refresh', { json: { refreshToken: 'x'.repeat(43) } });
  expect401(unknown, 'an unknown refresh token must answer 401');
  const missing = await request(app.url, 'POST', '/auth/refresh', { json: {} });
  expectError(missing, 400, 'VALIDATION_ERROR', 'a refresh without refreshToken is a malformed request: 400');
});

test('a session ends 30 days after login', { timeout: 5000 }, async () => {
  const app = await start();
  const user = await signup(app.url);
  const early = await login(app.url, user.email);
  const late = await login(app.url, user.email);
  app.advance(30 * DAY - MINUTE);
  const ok = await request(app.url, 'POST', '/auth/refresh', { json: { refreshToken: early.refreshToken } });
  assert.equal(ok.status, 200, `a minute before its 30 days are up the session can still refresh\n${ok.describe()}`);
  app.advance(2 * MINUTE);
  const expired = await request(app.url, 'POST', '/auth/refresh', { json: { refreshToken: late.refreshToken } });
  expect401(expired, 'a refresh token from a login more than 30 days ago (by clock()) must answer 401');
});

test('logout revokes the refresh token and is idempotent', { timeout: 5000 }, async () => {
  const app = await start();
  const user = await signup(app.url);
  const kept = await login(app.url, user.email);
  const ended = await login(app.url, user.email);
  const res = await request(app.url, 'POST', '/auth/logout', { json: { refreshToken: ended.refreshToken } });
  assert.equal(res.status, 204, `POST /auth/logout must answer 204\n${res.describe()}`);
  const refused = await request(app.url, 'POST', '/auth/refresh', { json: { refreshToken: ended.refreshToken } });
  expect401(refused, 'after logout the refresh token must answer 401');
  const otherSession = await request(app.url, 'POST', '/auth/refresh', { json: { refreshToken: kept.refreshToken } });
  assert.equal(otherSession.status, 200, `logout ends one session; the user's other logins go on\n${otherSession.describe()}`);

  const again = await request(app.url, 'POST', '/auth/logout', { json: { refreshToken: ended.refreshToken } });
  assert.equal(again.status, 204, `logging out twice is fine: 204 again\n${again.describe()}`);
  const unknown = await request(app.url, 'POST', '/auth/logout', { json: { refreshToken: 'y'.repeat(43) } });
  assert.equal(unknown.status, 204, `an unknown refresh token also gets 204, revealing nothing\n${unknown.describe()}`);
  const missing = await request(app.url, 'POST', '/auth/logout', { json: {} });
  expectError(missing, 400, 'VALIDATION_ERROR', 'a logout without refreshToken is a malformed request: 400');
});
