import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { importExercise, listen, request, requireExport } from './support.mjs';

const mod = await importExercise('app.js');
const createApp = requireExport(mod, 'createApp', 'function', 'app.js');

const SECRET = 'suite-secret-4b1d9e7c2a61f0835d';
const ACCESS_TTL = 60;
const REFRESH_TTL = 3600;
// A whole second, far from the real date: an app that reads Date.now() instead of the
// injected clock gets every iat/exp wrong and never sees a token expire.
const T0 = 1_900_000_000_000;
const PASSWORD = 'correct horse battery';

/** A fresh app on its own port with a clock the test moves by hand. */
async function start(options = {}) {
  const clock = { now: T0 };
  const users = new Map();
  const app = createApp({
    secret: SECRET,
    clock: () => clock.now,
    accessTtlSeconds: ACCESS_TTL,
    refreshTtlSeconds: REFRESH_TTL,
    hashRounds: 4,
    users,
    ...options,
  });
  const { url } = await listen(app);
  return { url, users, clock, advance: (seconds) => (clock.now += seconds * 1000) };
}

async function register(url, email, password = PASSWORD) {
  const res = await request(url, 'POST', '/auth/register', { json: { email, password } });
  assert.equal(res.status, 201, `registering a new, valid user must answer 201\n${res.describe()}`);
  return res.json;
}

async function login(url, email, password = PASSWORD) {
  const res = await request(url, 'POST', '/auth/login', { json: { email, password } });
  assert.equal(res.status, 200, `logging in with the right email and password must answer 200\n${res.describe()}`);
  assert.equal(typeof res.json?.accessToken, 'string', `login must answer { accessToken, refreshToken, ... }\n${res.describe()}`);
  assert.equal(typeof res.json?.refreshToken, 'string', `login must answer { accessToken, refreshToken, ... }\n${res.describe()}`);
  return res.json;
}

const refresh = (url, refreshToken) => request(url, 'POST', '/auth/refresh', { json: { refreshToken } });
const me = (url, accessToken) => request(url, 'GET', '/me', { headers: { authorization: `Bearer ${accessToken}` } });

/** Refreshes and insists it works; returns the new token pair. */
async function rotate(url, refreshToken, why) {
  const res = await refresh(url, refreshToken);
  assert.equal(res.status, 200, `${why}\n${res.describe()}`);
  return res.json;
}

/**
 * Sends the same JSON POST on `count` connections so the server handles them together:
 * every request first sends its headers with `Expect: 100-continue`; once the server has
 * answered `100 Continue` on all of them (each handler is now waiting for its body), all
 * bodies are written in the same tick. Answers [{ status, json, describe }].
 */
async function burst(url, path, json, count) {
  const { hostname, port } = new URL(url);
  const body = JSON.stringify(json);
  const head =
    `POST ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nExpect: 100-continue\r\n\r\n`;
  const sockets = await Promise.all(
    Array.from({ length: count }, () => new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => resolve(socket));
      socket.once('error', reject);
    })),
  );
  const continued = sockets.map((socket) => new Promise((resolve) => socket.once('data', (chunk) => resolve(chunk.toString('latin1')))));
  for (const socket of sockets) socket.write(head);
  for (const interim of await Promise.all(continued)) {
    assert.match(interim, /^HTTP\/1\.1 100 /, `expected the server to answer "100 Continue" to Expect: 100-continue, got: ${interim.slice(0, 200)}`);
  }
  const answers = sockets.map((socket) => new Promise((resolve, reject) => {
    const chunks = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const payload = split === -1 ? '' : text.slice(split + 4);
      let parsed;
      try {
        parsed = JSON.parse(payload);
      } catch {
        parsed = undefined;
      }
      const status = Number(text.split(' ')[1]);
      resolve({ status, json: parsed, describe: () => `POST ${path} ${body} → ${status} ${payload.slice(0, 300)}` });
    });
  }));
  for (const socket of sockets) socket.write(body);
  return Promise.all(answers);
}

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
const hs256 = (input, secret) => createHmac('sha256', secret).update(input).digest('base64url');
const sign = (header, payload, secret) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${hs256(input, secret)}`;
};

function assertRejected(res, what) {
  assert.equal(res.status, 401, `${what} must be refused with 401\n${res.describe()}`);
  const challenge = res.headers.get('www-authenticate') ?? '';
  assert.match(
    challenge,
    /^Bearer\b/i,
    `${what}: a 401 must tell the client how to authenticate with a \`WWW-Authenticate: Bearer ...\` header (got ${challenge || 'none'})\n${res.describe()}`,
  );
  return challenge;
}

function assertInvalidToken(res, what) {
  const challenge = assertRejected(res, what);
  assert.match(
    challenge,
    /error="invalid_token"/,
    `${what}: a token that was sent but is not acceptable gets \`WWW-Authenticate: Bearer error="invalid_token"\` (RFC 6750), got: ${challenge}`,
  );
}

/** Every string a stored value holds, buffers included (as utf8, hex and base64). */
function strings(value, seen = new Set()) {
  if (typeof value === 'string') return [value];
  if (ArrayBuffer.isView(value)) {
    const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return [buf.toString('utf8'), buf.toString('hex'), buf.toString('base64'), buf.toString('base64url')];
  }
  if (value === null || typeof value !== 'object' || seen.has(value)) return [];
  seen.add(value);
  const entries = value instanceof Map ? [...value.entries()].flat() : Object.values(value);
  return entries.flatMap((item) => strings(item, seen));
}

test('registers a user with 201 and keeps only a salted, slow hash of the password', { timeout: 3000 }, async () => {
  const { url, users } = await start();
  const res = await request(url, 'POST', '/auth/register', { json: { email: 'Ada@Example.com', password: PASSWORD } });
  assert.equal(res.status, 201, `POST /auth/register with a valid email and password must answer 201\n${res.describe()}`);
  assert.equal(typeof res.json?.id, 'string', `the answer is { id, email } with a string id\n${res.describe()}`);
  assert.ok(res.json.id.length > 0, `the user id must not be empty\n${res.describe()}`);
  assert.equal(res.json.email, 'ada@example.com', `emails are stored lower-cased, and the answer shows the stored email\n${res.describe()}`);
  assert.ok(!res.text.includes(PASSWORD), `the answer must never echo the password\n${res.describe()}`);
  assert.deepEqual(Object.keys(res.json).sort(), ['email', 'id'], `the answer is exactly { id, email }: no password, no hash\n${res.describe()}`);

  assert.ok(users.has('ada@example.com'), `the account must be kept in the \`users\` Map passed to createApp, keyed by the lower-cased email (keys found: ${[...users.keys()].join(', ') || 'none'})`);
  const stored = strings(users.get('ada@example.com'));
  assert.ok(!stored.some((s) => s.includes(PASSWORD)), 'the stored user record contains the plain password: store only a bcrypt (or scrypt) hash of it');
  for (const algorithm of ['md5', 'sha1', 'sha256', 'sha512']) {
    const raw = createHash(algorithm).update(PASSWORD).digest();
    for (const encoding of ['hex', 'base64', 'base64url']) {
      const text = raw.toString(encoding);
      assert.ok(
        !stored.some((s) => s.toLowerCase().includes(text.toLowerCase())),
        `the stored record holds an unsalted ${algorithm} of the password: a fast hash is cracked by lookup tables in seconds. Use bcrypt.hash(password, hashRounds)`,
      );
    }
  }
});

test('answers 409 to a second registration of the same email, whatever its case', { timeout: 3000 }, async () => {
  const { url, users } = await start();
  await register(url, 'grace@example.com');
  const res = await request(url, 'POST', '/auth/register', { json: { email: 'Grace@EXAMPLE.com', password: 'another password' } });
  assert.equal(res.status, 409, `an email that is already registered (compared case-insensitively) must answer 409\n${res.describe()}`);
  assert.equal(typeof res.json?.error, 'string', `errors are JSON { error: "..." }\n${res.describe()}`);
  assert.equal(users.size, 1, `a refused registration must not add or replace an account (users has ${users.size} entries)`);
  await login(url, 'grace@example.com', PASSWORD);
  const hijack = await request(url, 'POST', '/auth/login', { json: { email: 'grace@example.com', password: 'another password' } });
  assert.equal(hijack.status, 401, `the refused registration must not have changed the password\n${hijack.describe()}`);
});

test('answers 400 with a JSON error for invalid registration and login input', { timeout: 3000 }, async () => {
  const { url, users } = await start();
  const cases = [
    ['register', 'an empty object', { json: {} }],
    ['register', 'a missing password', { json: { email: 'ada@example.com' } }],
    ['register', 'an email without @', { json: { email: 'ada.example.com', password: PASSWORD } }],
    ['register', 'an email that is a number', { json: { email: 42, password: PASSWORD } }],
    ['register', 'a password of 7 characters', { json: { email: 'ada@example.com', password: 'x'.repeat(7) } }],
    ['register', 'a password of 73 bytes (bcrypt ignores everything after the 72nd)', { json: { email: 'ada@example.com', password: 'x'.repeat(73) } }],
    ['register', 'a password that is a number', { json: { email: 'ada@example.com', password: 12345678 } }],
    ['register', 'a JSON array', { json: [] }],
    ['register', 'a body that is not valid JSON', { body: '{"email":', headers: { 'content-type': 'application/json' } }],
    ['login', 'a missing password', { json: { email: 'ada@example.com' } }],
    ['login', 'a body that is not valid JSON', { body: '{"email":', headers: { 'content-type': 'application/json' } }],
  ];
  for (const [route, what, options] of cases) {
    const res = await request(url, 'POST', `/auth/${route}`, options);
    assert.equal(res.status, 400, `POST /auth/${route} with ${what} must answer 400\n${res.describe()}`);
    assert.equal(typeof res.json?.error, 'string', `POST /auth/${route} with ${what}: errors are JSON { error: "..." } (add an error handler for express.json()'s parse errors)\n${res.describe()}`);
  }
  assert.equal(users.size, 0, `invalid registrations must not store anything (users has ${users.size} entries)`);
  await register(url, 'ada@example.com', 'x'.repeat(8));
  await register(url, 'bob@example.com', 'y'.repeat(72));
});

test('logs in and issues an HS256 access token with sub, iat, exp and a unique jti', { timeout: 3000 }, async () => {
  const { url } = await start();
  const { id } = await register(url, 'ada@example.com');
  const first = await login(url, 'ADA@example.com');
  assert.equal(first.tokenType, 'Bearer', `the login answer has tokenType "Bearer"\n${JSON.stringify(first)}`);
  assert.equal(first.expiresIn, ACCESS_TTL, `the login answer has expiresIn = accessTtlSeconds (${ACCESS_TTL})\n${JSON.stringify(first)}`);
  assert.notEqual(first.refreshToken, first.accessToken, 'the refresh token must be a different token from the access token');

  const parts = first.accessToken.split('.');
  assert.equal(parts.length, 3, `the access token must be a JWT (header.payload.signature), got ${first.accessToken}`);
  const header = decode(parts[0]);
  assert.equal(header.alg, 'HS256', `the access token must be signed with HS256, its header is ${JSON.stringify(header)}`);
  assert.equal(
    parts[2],
    hs256(`${parts[0]}.${parts[1]}`, SECRET),
    'the signature does not verify with HMAC-SHA256 over the UTF-8 bytes of `secret`: sign with new TextEncoder().encode(secret)',
  );
  const claims = decode(parts[1]);
  assert.equal(claims.sub, id, `sub must be the user's id from /auth/register (${id}), claims: ${JSON.stringify(claims)}`);
  assert.equal(claims.iat, T0 / 1000, `iat must be the injected clock's time in seconds (${T0 / 1000}), claims: ${JSON.stringify(claims)}. Use clock(), not Date.now()`);
  assert.equal(claims.exp, T0 / 1000 + ACCESS_TTL, `exp must be iat + accessTtlSeconds (${T0 / 1000 + ACCESS_TTL}), claims: ${JSON.stringify(claims)}`);
  assert.equal(typeof claims.jti, 'string', `the token needs a jti (a unique id, e.g. crypto.randomUUID()), claims: ${JSON.stringify(claims)}`);

  const second = await login(url, 'ada@example.com');
  const jti2 = decode(second.accessToken.split('.')[1]).jti;
  assert.notEqual(jti2, claims.jti, `every access token needs its own jti, two logins both got ${claims.jti}`);
  assert.notEqual(second.refreshToken, first.refreshToken, 'two logins must get two different refresh tokens');
});

test('answers an unknown email exactly like a wrong password', { timeout: 3000 }, async () => {
  const { url } = await start();
  await register(url, 'ada@example.com');
  const unknown = await request(url, 'POST', '/auth/login', { json: { email: 'nobody@example.com', password: PASSWORD } });
  const wrong = await request(url, 'POST', '/auth/login', { json: { email: 'ada@example.com', password: 'not the password' } });
  assert.equal(wrong.status, 401, `a wrong password must answer 401\n${wrong.describe()}`);
  assert.equal(unknown.status, 401, `an unknown email must answer 401, like a wrong password (a 404 tells an attacker which emails have accounts)\n${unknown.describe()}`);
  assert.equal(
    unknown.text,
    wrong.text,
    `an unknown email and a wrong password must get the same body, or attackers learn who has an account\n${unknown.describe()}\n${wrong.describe()}`,
  );
  assert.equal(unknown.headers.get('www-authenticate'), wrong.headers.get('www-authenticate'), 'both failures must send the same WWW-Authenticate (or none)');
});

test('spends as long on an unknown email as on a wrong password', { timeout: 10000 }, async () => {
  // At cost 8 one bcrypt comparison takes tens of milliseconds: skipping it for unknown
  // emails makes them answer many times faster, which leaks who has an account.
  const { url } = await start({ hashRounds: 8 });
  await register(url, 'ada@example.com');
  const time = async (email, password) => {
    const started = performance.now();
    const res = await request(url, 'POST', '/auth/login', { json: { email, password } });
    assert.equal(res.status, 401, `a failed login must answer 401\n${res.describe()}`);
    return performance.now() - started;
  };
  await time('warm@example.com', 'warm-up pass');
  const unknown = [];
  const wrong = [];
  for (let i = 0; i < 5; i += 1) {
    unknown.push(await time(`nobody${i}@example.com`, PASSWORD));
    wrong.push(await time('ada@example.com', `wrong password ${i}`));
  }
  const median = (list) => list.sort((a, b) => a - b)[2];
  const [u, w] = [median(unknown), median(wrong)];
  assert.ok(
    u >= w * 0.5 - 3,
    `an unknown email answered in ${u.toFixed(1)} ms, a wrong password in ${w.toFixed(1)} ms: the difference tells an attacker which emails exist. ` +
      'When the email is unknown, still run bcrypt.compare against a dummy hash made with the same cost',
  );
});

test('serves GET /me to a valid Bearer token and answers 401 with WWW-Authenticate otherwise', { timeout: 3000 }, async () => {
  const { url } = await start();
  const { id } = await register(url, 'ada@example.com');
  const { accessToken } = await login(url, 'ada@example.com');
  const ok = await me(url, accessToken);
  assert.equal(ok.status, 200, `GET /me with a fresh access token must answer 200\n${ok.describe()}`);
  assert.deepEqual(ok.json, { id, email: 'ada@example.com' }, `GET /me answers { id, email } of the token's user\n${ok.describe()}`);

  assertRejected(await request(url, 'GET', '/me'), 'GET /me without an Authorization header');
  assertRejected(await request(url, 'GET', '/me', { headers: { authorization: `Basic ${Buffer.from('ada:x').toString('base64')}` } }), 'GET /me with a Basic (not Bearer) Authorization header');
  assertRejected(await request(url, 'GET', '/me', { headers: { authorization: accessToken } }), 'GET /me with the token but no "Bearer " prefix');
  const garbage = await me(url, 'not-a-jwt');
  assertInvalidToken(garbage, 'GET /me with "Bearer not-a-jwt"');
  assert.equal(typeof garbage.json?.error, 'string', `errors are JSON { error: "..." }\n${garbage.describe()}`);
});

test('refuses forged access tokens: alg none, another secret, a changed payload, a refresh token', { timeout: 3000 }, async () => {
  const { url } = await start();
  await register(url, 'ada@example.com');
  const mallory = await register(url, 'mallory@example.com');
  const { accessToken, refreshToken } = await login(url, 'mallory@example.com');
  const [h, p, s] = accessToken.split('.');
  const claims = decode(p);
  const victim = await login(url, 'ada@example.com');
  const victimClaims = decode(victim.accessToken.split('.')[1]);
  assert.notEqual(victimClaims.sub, mallory.id, 'two users must have different ids');

  const forgeries = [
    ['a token with alg "none" and no signature (verify with algorithms: ["HS256"])', `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`],
    ['a token with alg "none" that keeps the old signature', `${b64({ alg: 'none', typ: 'JWT' })}.${p}.${s}`],
    ['a token signed with another secret (did you decode without verifying?)', sign(decode(h), claims, 'some-other-secret')],
    ['a token whose payload was changed to another user\'s sub', `${h}.${b64({ ...claims, sub: victimClaims.sub })}.${s}`],
    ['a token with its signature cut off', `${h}.${p}.`],
    ['a refresh token used as an access token', refreshToken],
  ];
  for (const [what, token] of forgeries) assertInvalidToken(await me(url, token), `GET /me with ${what}`);
  assert.equal((await me(url, accessToken)).status, 200, 'the genuine token must still work after the forgeries were refused');
});

test('rejects an access token with 401 from the second its exp is reached', { timeout: 3000 }, async () => {
  const { url, advance } = await start();
  await register(url, 'ada@example.com');
  const { accessToken } = await login(url, 'ada@example.com');
  advance(ACCESS_TTL - 1);
  const before = await me(url, accessToken);
  assert.equal(before.status, 200, `${ACCESS_TTL - 1} s after login (TTL ${ACCESS_TTL} s) the access token is still valid\n${before.describe()}`);
  advance(1);
  assertInvalidToken(
    await me(url, accessToken),
    `GET /me with an access token exactly ${ACCESS_TTL} s old (it has reached its exp; verify against the injected clock: jwtVerify(token, key, { currentDate: new Date(clock()) }))`,
  );
});

test('rotates refresh tokens: each refresh returns a new pair and the old refresh token stops working', { timeout: 3000 }, async () => {
  const { url, advance } = await start();
  const { id } = await register(url, 'ada@example.com');
  const first = await login(url, 'ada@example.com');
  advance(10);
  const second = await rotate(url, first.refreshToken, 'POST /auth/refresh with the refresh token from login must answer 200');
  assert.equal(typeof second.refreshToken, 'string', `refresh answers { accessToken, refreshToken, tokenType, expiresIn }\n${JSON.stringify(second)}`);
  assert.notEqual(second.refreshToken, first.refreshToken, 'refresh must return a NEW refresh token (rotation): a stolen token must not stay useful forever');
  assert.equal(second.tokenType, 'Bearer', `refresh answers tokenType "Bearer"\n${JSON.stringify(second)}`);
  assert.equal(second.expiresIn, ACCESS_TTL, `refresh answers expiresIn = accessTtlSeconds\n${JSON.stringify(second)}`);
  const claims = decode(second.accessToken.split('.')[1]);
  assert.equal(claims.sub, id, `the refreshed access token belongs to the same user, claims: ${JSON.stringify(claims)}`);
  assert.equal(claims.iat, T0 / 1000 + 10, `the refreshed access token is issued at the clock's current time, claims: ${JSON.stringify(claims)}`);
  assert.notEqual(claims.jti, decode(first.accessToken.split('.')[1]).jti, 'the refreshed access token needs a new jti');
  const ok = await me(url, second.accessToken);
  assert.equal(ok.status, 200, `the refreshed access token must work on GET /me\n${ok.describe()}`);

  const third = await rotate(url, second.refreshToken, 'the rotated refresh token must work for the next refresh');
  assert.notEqual(third.refreshToken, second.refreshToken, 'every refresh returns a new refresh token');
  const again = await refresh(url, first.refreshToken);
  assert.equal(again.status, 401, `a refresh token that was already exchanged must be refused with 401\n${again.describe()}`);
});

test('detects reuse of a rotated refresh token and revokes its whole family, and only that family', { timeout: 3000 }, async () => {
  const { url } = await start();
  await register(url, 'ada@example.com');
  await register(url, 'bob@example.com');
  // Ada's session: the thief copied r1, then Ada kept refreshing (r1 → r2 → r3).
  const r1 = (await login(url, 'ada@example.com')).refreshToken;
  const r2 = (await rotate(url, r1, 'the first refresh must work')).refreshToken;
  const r3 = await rotate(url, r2, 'the second refresh must work');
  const otherDevice = await login(url, 'ada@example.com');
  const bob = await login(url, 'bob@example.com');

  const replay = await refresh(url, r1);
  assert.equal(replay.status, 401, `presenting an already-used refresh token (the thief's copy) must answer 401\n${replay.describe()}`);
  const newest = await refresh(url, r3.refreshToken);
  assert.equal(
    newest.status,
    401,
    `after r1 was replayed, the newest token of its family (r3) must be revoked too: the server can't tell thief from owner, ` +
      `so the whole chain login → r1 → r2 → r3 dies, not only r1's direct successor\n${newest.describe()}`,
  );
  const middle = await refresh(url, r2);
  assert.equal(middle.status, 401, `every token of the revoked family stays refused\n${middle.describe()}`);

  const other = await refresh(url, otherDevice.refreshToken);
  assert.equal(other.status, 200, `Ada's other session (a separate login, its own family) must keep working: revoke the family, not the user\n${other.describe()}`);
  const bobs = await refresh(url, bob.refreshToken);
  assert.equal(bobs.status, 200, `another user's session must keep working\n${bobs.describe()}`);
  const fresh = await login(url, 'ada@example.com');
  await rotate(url, fresh.refreshToken, 'a new login after a revoked family starts a new, working family');
});

test('lets only one of several concurrent refreshes with the same token succeed', { timeout: 3000 }, async () => {
  const { url } = await start();
  await register(url, 'ada@example.com');
  const { refreshToken } = await login(url, 'ada@example.com');
  const results = await burst(url, '/auth/refresh', { refreshToken }, 6);
  const winners = results.filter((res) => res.status === 200);
  assert.equal(
    winners.length,
    1,
    `6 simultaneous refreshes with one token: exactly one may win, ${winners.length} got 200 (statuses ${results.map((r) => r.status).join(', ')}). ` +
      'Mark the token used before the first await (signing a JWT is async), or both requests pass the check',
  );
  for (const res of results.filter((r) => r.status !== 200)) {
    assert.equal(res.status, 401, `the losing refreshes must answer 401\n${res.describe()}`);
  }
  const after = await refresh(url, winners[0].json.refreshToken);
  assert.equal(after.status, 401, `the other requests replayed a used token, so the family (including the winner's new token) is revoked\n${after.describe()}`);
});

test('expires each refresh token refreshTtlSeconds after it was issued', { timeout: 3000 }, async () => {
  const { url, advance } = await start();
  await register(url, 'ada@example.com');
  const first = await login(url, 'ada@example.com');
  advance(REFRESH_TTL - 1);
  const second = await rotate(url, first.refreshToken, `a refresh token ${REFRESH_TTL - 1} s old (TTL ${REFRESH_TTL} s) is still valid`);
  advance(REFRESH_TTL - 1);
  const third = await rotate(
    url,
    second.refreshToken,
    `a rotated refresh token lives ${REFRESH_TTL} s from its own issue time, not from the login: ${REFRESH_TTL - 1} s after its refresh it still works`,
  );
  advance(REFRESH_TTL);
  const expired = await refresh(url, third.refreshToken);
  assert.equal(expired.status, 401, `a refresh token exactly ${REFRESH_TTL} s old is expired (valid only while now < its expiry); use the injected clock\n${expired.describe()}`);
});

test('answers 400 without a refreshToken string and 401 for unknown tokens or an access token', { timeout: 3000 }, async () => {
  const { url } = await start();
  await register(url, 'ada@example.com');
  const { accessToken } = await login(url, 'ada@example.com');
  for (const [what, json] of [['an empty body', {}], ['a number', { refreshToken: 42 }]]) {
    const res = await request(url, 'POST', '/auth/refresh', { json });
    assert.equal(res.status, 400, `POST /auth/refresh with ${what} must answer 400\n${res.describe()}`);
  }
  const unknown = await refresh(url, randomBytes(32).toString('base64url'));
  assert.equal(unknown.status, 401, `an unknown refresh token must answer 401\n${unknown.describe()}`);
  const swapped = await refresh(url, accessToken);
  assert.equal(swapped.status, 401, `an access token is not a refresh token: POST /auth/refresh must refuse it with 401\n${swapped.describe()}`);
  assert.equal((await me(url, accessToken)).status, 200, 'the access token must still work on GET /me');
});

test('logout revokes the presented access token and the session\'s refresh tokens, and no other session', { timeout: 3000 }, async () => {
  const { url } = await start();
  await register(url, 'ada@example.com');
  const laptop = await login(url, 'ada@example.com');
  const rotated = await rotate(url, laptop.refreshToken, 'refresh before logout must work');
  const phone = await login(url, 'ada@example.com');

  assertRejected(await request(url, 'POST', '/auth/logout', { json: { refreshToken: rotated.refreshToken } }), 'POST /auth/logout without an access token');
  const out = await request(url, 'POST', '/auth/logout', {
    headers: { authorization: `Bearer ${rotated.accessToken}` },
    json: { refreshToken: rotated.refreshToken },
  });
  assert.equal(out.status, 204, `POST /auth/logout with a Bearer access token and { refreshToken } must answer 204\n${out.describe()}`);
  assertInvalidToken(await me(url, rotated.accessToken), 'GET /me with the access token that was logged out (remember its jti until it expires)');
  const again = await refresh(url, rotated.refreshToken);
  assert.equal(again.status, 401, `the logged-out refresh token must answer 401\n${again.describe()}`);

  const phoneMe = await me(url, phone.accessToken);
  assert.equal(phoneMe.status, 200, `logging out the laptop must not end the phone's session\n${phoneMe.describe()}`);
  await rotate(url, phone.refreshToken, "logging out the laptop must not revoke the phone's refresh token");
});
