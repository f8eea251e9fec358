import { test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { importExercise, listen, request, requireExport } from './support.mjs';

const appModule = await importExercise('app.js');
const createApp = requireExport(appModule, 'createApp', 'function', 'app.js');
const limiterModule = await importExercise('limiter.js');
const fixedWindow = requireExport(limiterModule, 'fixedWindow', 'function', 'limiter.js');

// A whole minute (UTC), so windows of 1 s, 10 s and 60 s all start exactly here.
const START = Date.UTC(2030, 0, 1, 12, 0, 0);
const MINUTE = 60_000;

/** Freezes Date.now() at `now`; time moves only when the test says so. Reset after the test. */
function clock(t, now = START) {
  t.mock.timers.enable({ apis: ['Date'], now });
  return {
    set: (ms) => t.mock.timers.setTime(ms),
  };
}

const rateHeaders = (res) =>
  ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after']
    .map((name) => `  ${name}: ${res.headers.get(name) ?? '(not sent)'}`)
    .join('\n');
const detail = (res) => `\n${res.describe()}\n${rateHeaders(res)}`;

/** An app with one limited route, `GET /`; counts how often the route ran. */
async function limitedApp(options, { trustProxy = false } = {}) {
  const limiter = fixedWindow(options);
  const app = express();
  if (trustProxy) app.set('trust proxy', true);
  let handled = 0;
  app.get('/', limiter, (req, res) => {
    handled += 1;
    res.json({ ok: true });
  });
  const { url } = await listen(app);
  return { limiter, url, handled: () => handled };
}

const login = (url, password = 'wrong') => request(url, 'POST', '/login', { json: { username: 'ada', password } });

test('POST /login allows five attempts with RateLimit-* headers, then answers 429', { timeout: 3000 }, async (t) => {
  clock(t);
  const { url } = await listen(createApp());
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    const res = await login(url);
    assert.equal(res.status, 401, `attempt ${attempt} of 5 must reach the login route (wrong password → 401)${detail(res)}`);
    assert.equal(res.headers.get('ratelimit-limit'), '5', `RateLimit-Limit must be 5 (use express-rate-limit's standardHeaders: 'draft-6')${detail(res)}`);
    assert.equal(res.headers.get('ratelimit-remaining'), String(5 - attempt), `after attempt ${attempt} RateLimit-Remaining must be ${5 - attempt}${detail(res)}`);
    if (attempt === 1) {
      assert.equal(res.headers.get('ratelimit-reset'), '900', `the window is 15 minutes, so RateLimit-Reset starts at 900 seconds${detail(res)}`);
    }
    const legacy = [...res.headers.keys()].filter((name) => name.startsWith('x-ratelimit-'));
    assert.deepEqual(legacy, [], `send only the standard RateLimit-* headers, not the legacy X-RateLimit-* ones (legacyHeaders: false)${detail(res)}`);
  }
  const blocked = await login(url, 'correct horse');
  assert.equal(blocked.status, 429, `the 6th attempt within 15 minutes must be refused with 429, even with the right password${detail(blocked)}`);
  assert.deepEqual(blocked.json, { error: 'too many login attempts' }, `the 429 body must be {"error":"too many login attempts"}${detail(blocked)}`);
  assert.equal(blocked.headers.get('retry-after'), '900', `a 429 must say when to come back: Retry-After in seconds${detail(blocked)}`);
  assert.equal(blocked.headers.get('ratelimit-remaining'), '0', `RateLimit-Remaining must be 0 when refused${detail(blocked)}`);
});

test('POST /login accepts attempts again once 15 minutes have passed', { timeout: 3000 }, async (t) => {
  const time = clock(t);
  const { url } = await listen(createApp());
  for (let attempt = 1; attempt <= 5; attempt += 1) await login(url);
  time.set(START + 14 * MINUTE + 59_000);
  const early = await login(url);
  assert.equal(early.status, 429, `14:59 after the first attempt the window is still open: still 429${detail(early)}`);
  time.set(START + 15 * MINUTE);
  const later = await login(url, 'correct horse');
  assert.equal(later.status, 200, `15 minutes after the first attempt a new window starts: the login must go through (windowMs is 15 * 60 * 1000)${detail(later)}`);
  assert.equal(later.headers.get('ratelimit-remaining'), '4', `a new window starts with RateLimit-Remaining 4${detail(later)}`);
});

test('limits only POST /login: other routes carry no rate limit', { timeout: 3000 }, async (t) => {
  clock(t);
  const { url } = await listen(createApp());
  for (let attempt = 1; attempt <= 6; attempt += 1) await login(url);
  for (let i = 0; i < 8; i += 1) {
    const res = await request(url, 'GET', '/health');
    assert.equal(res.status, 200, `GET /health must never be limited; mount the limiter on the login route only, not with app.use()${detail(res)}`);
    assert.equal(res.headers.get('ratelimit-limit'), null, `GET /health must not pass through the login limiter${detail(res)}`);
  }
});

test('each createApp() counts login attempts on its own', { timeout: 3000 }, async (t) => {
  clock(t);
  const first = await listen(createApp());
  for (let attempt = 1; attempt <= 6; attempt += 1) await login(first.url);
  const second = await listen(createApp());
  const res = await login(second.url);
  assert.equal(res.status, 401, `a fresh app must start with no attempts counted; create the limiter inside createApp(), not at module level${detail(res)}`);
  assert.equal(res.headers.get('ratelimit-remaining'), '4', `a fresh app's first attempt leaves 4${detail(res)}`);
});

test('fixedWindow lets `limit` requests through with RateLimit-* headers, then answers 429 without running the route', { timeout: 3000 }, async (t) => {
  clock(t, START + 5_000);
  const { url, handled } = await limitedApp({ limit: 3, windowMs: MINUTE, key: () => 'everyone' });
  for (let n = 1; n <= 3; n += 1) {
    const res = await request(url, 'GET', '/');
    assert.equal(res.status, 200, `request ${n} of a limit of 3 must go through${detail(res)}`);
    assert.equal(res.headers.get('ratelimit-limit'), '3', `RateLimit-Limit must be the limit, 3${detail(res)}`);
    assert.equal(res.headers.get('ratelimit-remaining'), String(3 - n), `after request ${n} of 3, RateLimit-Remaining must be ${3 - n}${detail(res)}`);
    assert.equal(res.headers.get('retry-after'), null, `Retry-After belongs on 429 answers only${detail(res)}`);
  }
  for (let n = 4; n <= 5; n += 1) {
    const res = await request(url, 'GET', '/');
    assert.equal(res.status, 429, `request ${n} with a limit of 3 must be refused with 429${detail(res)}`);
    assert.deepEqual(res.json, { error: 'too many requests' }, `the 429 body must be {"error":"too many requests"}${detail(res)}`);
    assert.equal(res.headers.get('ratelimit-limit'), '3', `a 429 carries the RateLimit-* headers too${detail(res)}`);
    assert.equal(res.headers.get('ratelimit-remaining'), '0', `RateLimit-Remaining never goes below 0${detail(res)}`);
    assert.equal(res.headers.get('retry-after'), '55', `5 s into a 60 s window, Retry-After must be 55 seconds${detail(res)}`);
  }
  assert.equal(handled(), 3, `a refused request must not reach the route handler: it ran ${handled()} times for 3 allowed requests`);
});

test('RateLimit-Reset is the seconds left until the window ends, rounded up', { timeout: 3000 }, async (t) => {
  const time = clock(t);
  const { url } = await limitedApp({ limit: 100, windowMs: MINUTE, key: () => 'everyone' });
  const cases = [
    [0, '60'],
    [12_345, '48'],
    [59_001, '1'],
    [MINUTE + 30_000, '30'],
  ];
  for (const [offset, expected] of cases) {
    time.set(START + offset);
    const res = await request(url, 'GET', '/');
    assert.equal(
      res.headers.get('ratelimit-reset'),
      expected,
      `${offset} ms after a window boundary (Date.now() % 60000 === ${offset % MINUTE}), RateLimit-Reset must be ${expected}: ` +
        `Math.ceil((windowEnd - Date.now()) / 1000) with windowEnd the next multiple of windowMs${detail(res)}`,
    );
  }
});

test('windows are aligned to the clock and reset exactly at the boundary', { timeout: 3000 }, async (t) => {
  const time = clock(t, START + 30_000);
  const { url } = await limitedApp({ limit: 2, windowMs: MINUTE, key: () => 'everyone' });
  await request(url, 'GET', '/');
  await request(url, 'GET', '/');
  time.set(START + 59_999);
  const last = await request(url, 'GET', '/');
  assert.equal(last.status, 429, `1 ms before the boundary the window is still full: 429${detail(last)}`);
  assert.equal(last.headers.get('retry-after'), '1', `1 ms before the boundary Retry-After must be 1 (rounded up)${detail(last)}`);
  time.set(START + MINUTE);
  const fresh = await request(url, 'GET', '/');
  assert.equal(
    fresh.status,
    200,
    `windows start at multiples of windowMs (Math.floor(Date.now() / windowMs)), not at a key's first request: ` +
      `the first request came 30 s into a window, so 30 s later a new window begins${detail(fresh)}`,
  );
  assert.equal(fresh.headers.get('ratelimit-remaining'), '1', `the first request of a new window leaves limit - 1 = 1${detail(fresh)}`);
  assert.equal(fresh.headers.get('ratelimit-reset'), '60', `at the very start of a window RateLimit-Reset is the whole window, 60${detail(fresh)}`);
});

test('counts each key separately', { timeout: 3000 }, async (t) => {
  clock(t);
  const { url } = await limitedApp({ limit: 2, windowMs: 10_000, key: (req) => req.get('x-api-key') ?? 'anonymous' });
  const as = (apiKey) => request(url, 'GET', '/', { headers: { 'x-api-key': apiKey } });
  await as('alpha');
  await as('alpha');
  const alpha = await as('alpha');
  assert.equal(alpha.status, 429, `key "alpha" made 3 requests with a limit of 2: 429${detail(alpha)}`);
  const beta = await as('beta');
  assert.equal(beta.status, 200, `key "beta" has its own count and must not pay for "alpha"${detail(beta)}`);
  assert.equal(beta.headers.get('ratelimit-remaining'), '1', `the first request of key "beta" leaves 1${detail(beta)}`);
  const anonymous = await request(url, 'GET', '/');
  assert.equal(anonymous.status, 200, `a request the key function maps to "anonymous" is counted under that key${detail(anonymous)}`);
});

test('the default key is req.ip', { timeout: 3000 }, async (t) => {
  clock(t);
  // With trust proxy, Express takes req.ip from X-Forwarded-For.
  const { url } = await limitedApp({ limit: 1, windowMs: 10_000 }, { trustProxy: true });
  const from = (ip) => request(url, 'GET', '/', { headers: { 'x-forwarded-for': ip } });
  const first = await from('203.0.113.7');
  assert.equal(first.status, 200, `the first request from 203.0.113.7 must go through${detail(first)}`);
  const again = await from('203.0.113.7');
  assert.equal(again.status, 429, `without a key option, requests are counted per req.ip: the 2nd from 203.0.113.7 must be 429${detail(again)}`);
  const other = await from('198.51.100.23');
  assert.equal(other.status, 200, `198.51.100.23 is another client (req.ip) with its own count; use req.ip, not the socket address${detail(other)}`);
});

test('each fixedWindow() keeps its own counts', { timeout: 3000 }, async (t) => {
  clock(t);
  const strict = fixedWindow({ limit: 1, windowMs: 10_000, key: () => 'same' });
  const relaxed = fixedWindow({ limit: 3, windowMs: 10_000, key: () => 'same' });
  const app = express();
  app.get('/strict', strict, (req, res) => res.json({ ok: true }));
  app.get('/relaxed', relaxed, (req, res) => res.json({ ok: true }));
  const { url } = await listen(app);
  await request(url, 'GET', '/strict');
  const blocked = await request(url, 'GET', '/strict');
  assert.equal(blocked.status, 429, `the limit-1 limiter must refuse its 2nd request${detail(blocked)}`);
  const res = await request(url, 'GET', '/relaxed');
  assert.equal(res.status, 200, `a second limiter with the same key must not share counts with the first; keep the store inside fixedWindow(), not at module level${detail(res)}`);
  assert.equal(res.headers.get('ratelimit-remaining'), '2', `the other limiter's first request leaves 3 - 1 = 2${detail(res)}`);
});

test('drops the counts of ended windows, so memory does not grow without bound', { timeout: 3000 }, async (t) => {
  const time = clock(t);
  const { url, limiter } = await limitedApp({ limit: 5, windowMs: 10_000, key: (req) => req.get('x-api-key') });
  assert.equal(typeof limiter.size, 'number', `the middleware returned by fixedWindow() must have a numeric size property (the number of keys it holds), got ${typeof limiter.size}`);
  await Promise.all(Array.from({ length: 50 }, (_, i) => request(url, 'GET', '/', { headers: { 'x-api-key': `client-${i}` } })));
  assert.equal(limiter.size, 50, `50 different keys sent a request in this window, so size must be 50, got ${limiter.size}`);
  time.set(START + 10_000);
  const res = await request(url, 'GET', '/', { headers: { 'x-api-key': 'newcomer' } });
  assert.equal(res.status, 200, `the newcomer's first request must go through${detail(res)}`);
  assert.equal(
    limiter.size,
    1,
    `after the window ended, one request came from one key, so size must be 1, got ${limiter.size}. ` +
      `Keys that never come back must be dropped too: when a request starts a new window, forget the old window's counts`,
  );
});
