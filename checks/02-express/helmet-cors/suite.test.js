import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importExercise, listen, request, requireExport } from './support.mjs';

const mod = await importExercise('app.js');
const createApp = requireExport(mod, 'createApp', 'function', 'app.js');

const ORIGINS = ['https://app.example.com', 'http://localhost:5173'];
const EVIL = 'https://evil.example';

const ADMIN = 'https://admin.example.org';
// Started at the top level: support's listen() closes its server after the suite, and
// called inside a test it would close it after that test.
const main = await listen(createApp({ allowedOrigins: [...ORIGINS] }));
const adminOnly = await listen(createApp({ allowedOrigins: [ADMIN] }));

/** A comma-separated header as a sorted list of lower-case tokens. */
const tokens = (value) =>
  (value ?? '')
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter(Boolean)
    .sort();

const show = (res, ...names) => names.map((name) => `  ${name}: ${res.headers.get(name) ?? '(not sent)'}`).join('\n');

/** Every Access-Control-* header of a response, as "name: value" lines. */
const corsHeaders = (res) => [...res.headers].filter(([name]) => name.startsWith('access-control-')).map(([name, value]) => `${name}: ${value}`);

const preflight = (url, origin, method = 'DELETE', requestHeaders = 'content-type,authorization') =>
  request(url, 'OPTIONS', '/api/items/1', {
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': requestHeaders },
  });

test('sends exactly the Content-Security-Policy from the contract', { timeout: 2000 }, async () => {
  const { url } = main;
  const res = await request(url, 'GET', '/api/items');
  const header = res.headers.get('content-security-policy');
  assert.ok(header, `every response needs a Content-Security-Policy header (helmet sets it)\n${res.describe()}`);
  const actual = Object.fromEntries(
    header
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name.toLowerCase(), sources.sort().join(' ')]),
  );
  const expected = {
    'default-src': "'self'",
    'img-src': "'self' data:",
    'object-src': "'none'",
    'base-uri': "'none'",
    'form-action': "'self'",
    'frame-ancestors': "'none'",
  };
  for (const [name, sources] of Object.entries(expected)) {
    assert.equal(actual[name], sources, `the CSP directive ${name} must be exactly ${sources}\n  sent: ${header}`);
  }
  const extra = Object.keys(actual).filter((name) => !(name in expected));
  assert.deepEqual(
    extra,
    [],
    `the CSP must have only the contract's directives, found extra ones: ${extra.join(', ')}.\n` +
      `helmet merges its own defaults into yours unless you set contentSecurityPolicy.useDefaults to false\n  sent: ${header}`,
  );
});

test('sends HSTS, nosniff, X-Frame-Options DENY and Referrer-Policy, and hides X-Powered-By, on every response', { timeout: 2000 }, async () => {
  const { url } = main;
  const responses = [
    ['a GET', await request(url, 'GET', '/api/items')],
    ['a POST answering 201', await request(url, 'POST', '/api/items', { json: { name: 'monitor' } })],
    ['a 404', await request(url, 'GET', '/nope')],
    ['a preflight', await preflight(url, ORIGINS[0])],
  ];
  for (const [what, res] of responses) {
    const detail = `\n${res.describe()}\n${show(res, 'strict-transport-security', 'x-content-type-options', 'x-frame-options', 'referrer-policy', 'x-powered-by')}\n` +
      'mount helmet before everything else (CORS and the routes) so every response passes through it';
    assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=31536000\b/, `${what}: Strict-Transport-Security must have max-age=31536000${detail}`);
    assert.match(res.headers.get('strict-transport-security') ?? '', /includesubdomains/i, `${what}: Strict-Transport-Security must include includeSubDomains${detail}`);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${what}: X-Content-Type-Options must be nosniff${detail}`);
    assert.equal(res.headers.get('x-frame-options')?.toUpperCase(), 'DENY', `${what}: X-Frame-Options must be DENY (helmet's default is SAMEORIGIN)${detail}`);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer', `${what}: Referrer-Policy must be no-referrer${detail}`);
    assert.equal(res.headers.get('x-powered-by'), null, `${what}: X-Powered-By tells attackers you run Express; it must not be sent${detail}`);
  }
});

test('echoes an allowed origin with credentials allowed, never *', { timeout: 2000 }, async () => {
  const { url } = main;
  for (const origin of ORIGINS) {
    const res = await request(url, 'GET', '/api/items', { headers: { origin } });
    const detail = `\n${res.describe()}\n${show(res, 'access-control-allow-origin', 'access-control-allow-credentials')}`;
    assert.equal(res.status, 200, `a request from ${origin} must be served normally${detail}`);
    assert.notEqual(res.headers.get('access-control-allow-origin'), '*', `with credentials a browser rejects Access-Control-Allow-Origin: *; echo the origin instead${detail}`);
    assert.equal(res.headers.get('access-control-allow-origin'), origin, `Origin ${origin} is on the list, so Access-Control-Allow-Origin must be exactly that origin${detail}`);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true', `Access-Control-Allow-Credentials must be "true" for allowed origins (cookies and Authorization)${detail}`);
  }
  const created = await request(url, 'POST', '/api/items', { headers: { origin: ORIGINS[1] }, json: { name: 'desk' } });
  assert.equal(created.status, 201, `a POST from an allowed origin must still reach the route\n${created.describe()}`);
  assert.equal(created.headers.get('access-control-allow-origin'), ORIGINS[1], `the POST answer needs the grant too\n${created.describe()}\n${show(created, 'access-control-allow-origin')}`);
});

test('lets browser code read X-Total-Count through Access-Control-Expose-Headers', { timeout: 2000 }, async () => {
  const { url } = main;
  const res = await request(url, 'GET', '/api/items', { headers: { origin: ORIGINS[0] } });
  assert.ok(res.headers.get('x-total-count'), `GET /api/items sets X-Total-Count (the route is given)\n${res.describe()}`);
  assert.ok(
    tokens(res.headers.get('access-control-expose-headers')).includes('x-total-count'),
    `a browser hides custom response headers from cross-origin code unless they are listed in Access-Control-Expose-Headers\n${res.describe()}\n${show(res, 'access-control-expose-headers')}`,
  );
});

test('sends Vary: Origin on every response, whatever the Origin', { timeout: 2000 }, async () => {
  const { url } = main;
  const cases = [
    ['an allowed origin', { origin: ORIGINS[0] }],
    ['an origin not on the list', { origin: EVIL }],
    ['no Origin header at all', {}],
  ];
  for (const [what, headers] of cases) {
    const res = await request(url, 'GET', '/api/items', { headers });
    assert.ok(
      tokens(res.headers.get('vary')).includes('origin'),
      `with ${what} the answer must still carry Vary: Origin. The answer depends on Origin, so a cache that stores ` +
        `one without Vary serves it to the wrong site (often a copy without the CORS grant to your own frontend)\n${res.describe()}\n${show(res, 'vary')}`,
    );
  }
});

test('serves a request from an origin not on the list but grants it nothing', { timeout: 2000 }, async () => {
  const { url } = main;
  const res = await request(url, 'GET', '/api/items', { headers: { origin: EVIL, cookie: 'sid=abc' } });
  const detail = `\n${res.describe()}\n${show(res, 'access-control-allow-origin', 'access-control-allow-credentials')}`;
  assert.equal(
    res.status,
    200,
    `CORS is enforced by the browser: the server answers as usual and only withholds the grant. Do not turn an unknown origin into an error${detail}`,
  );
  assert.ok(Array.isArray(res.json), `the body must be the item list as usual${detail}`);
  assert.deepEqual(
    corsHeaders(res),
    [],
    `${EVIL} is not on the list: send no Access-Control-* header at all (not even Allow-Credentials). With an array as its origin option, cors still sends some of them to every origin; a function answering false makes it add none${detail}`,
  );
});

test('matches origins exactly, not by prefix, suffix or substring', { timeout: 2000 }, async () => {
  const { url } = main;
  const lookalikes = [
    'https://app.example.com.evil.test',
    'https://app.example.com:8443',
    'http://app.example.com',
    'https://app.example',
    'https://appxexample.com',
    'https://evil-app.example.com',
    'http://localhost',
    'http://localhost:51730',
    'null',
  ];
  for (const origin of lookalikes) {
    const res = await request(url, 'GET', '/api/items', { headers: { origin } });
    assert.deepEqual(
      corsHeaders(res),
      [],
      `Origin ${origin} is not on the list (${ORIGINS.join(', ')}) and must get no Access-Control-* header. ` +
        `Compare whole origins exactly (a Set or ===), never startsWith/endsWith/includes or an unanchored RegExp\n${res.describe()}`,
    );
  }
});

test('uses the allowedOrigins passed to createApp', { timeout: 2000 }, async () => {
  const url = adminOnly.url;
  const allowed = await request(url, 'GET', '/api/items', { headers: { origin: ADMIN } });
  assert.equal(allowed.headers.get('access-control-allow-origin'), ADMIN, `createApp({ allowedOrigins: ['${ADMIN}'] }) must allow ${ADMIN}\n${allowed.describe()}\n${show(allowed, 'access-control-allow-origin')}`);
  const other = await request(url, 'GET', '/api/items', { headers: { origin: ORIGINS[0] } });
  assert.equal(
    other.headers.get('access-control-allow-origin'),
    null,
    `${ORIGINS[0]} is not in this app's list ['${ADMIN}']: each app uses its own allowedOrigins, not a hard-coded or shared list\n${other.describe()}\n${show(other, 'access-control-allow-origin')}`,
  );
});

test('answers a preflight from an allowed origin with 204, the allowed methods and headers and a max age', { timeout: 2000 }, async () => {
  const { url } = main;
  const res = await preflight(url, ORIGINS[0]);
  const detail = `\n${res.describe()}\n${show(res, 'access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-max-age')}`;
  assert.equal(res.status, 204, `a preflight (OPTIONS with Access-Control-Request-Method) is answered 204 with no body${detail}`);
  assert.equal(res.headers.get('access-control-allow-origin'), ORIGINS[0], `the preflight must echo the allowed origin${detail}`);
  assert.equal(res.headers.get('access-control-allow-credentials'), 'true', `the preflight must allow credentials too${detail}`);
  assert.deepEqual(tokens(res.headers.get('access-control-allow-methods')), ['delete', 'get', 'patch', 'post'], `Access-Control-Allow-Methods must be exactly GET, POST, PATCH, DELETE${detail}`);
  assert.deepEqual(tokens(res.headers.get('access-control-allow-headers')), ['authorization', 'content-type'], `Access-Control-Allow-Headers must be exactly Content-Type, Authorization${detail}`);
  assert.equal(res.headers.get('access-control-max-age'), '600', `Access-Control-Max-Age must be 600 so browsers cache the preflight for 10 minutes${detail}`);
});

test('allows only Content-Type and Authorization, whatever the preflight asks for', { timeout: 2000 }, async () => {
  const { url } = main;
  const res = await preflight(url, ORIGINS[1], 'POST', 'x-debug-mode,content-type');
  assert.deepEqual(
    tokens(res.headers.get('access-control-allow-headers')),
    ['authorization', 'content-type'],
    `the preflight asked for x-debug-mode; the answer must still list only Content-Type and Authorization. ` +
      `Without an explicit list the cors package reflects whatever the browser asks for\n${res.describe()}\n${show(res, 'access-control-allow-headers')}`,
  );
});

test('gives a preflight from an origin not on the list no grant', { timeout: 2000 }, async () => {
  const { url } = main;
  for (const origin of [EVIL, 'https://app.example.com.evil.test']) {
    const res = await preflight(url, origin);
    assert.deepEqual(
      corsHeaders(res),
      [],
      `a preflight from ${origin} (not on the list) must get no Access-Control-* header at all: no origin, credentials, methods, headers or max age\n${res.describe()}`,
    );
  }
});
