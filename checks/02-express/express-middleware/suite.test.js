import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { importExercise, listen, request, requireExport } from './support.mjs';

const mod = await importExercise('app.js');
const createApp = requireExport(mod, 'createApp', 'function', 'app.js');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const TIMING = /^app;dur=(\d+(?:\.\d+)?)$/;

/** A fresh app with a logger that records every entry, listening on a free port. */
async function start() {
  const entries = [];
  const logger = { info: (entry) => entries.push(entry) };
  const app = createApp({ logger });
  assert.equal(typeof app, 'function', 'createApp({ logger }) must return the Express app, not start it');
  const { url } = await listen(app);
  return { url, entries };
}

/** Waits (up to 1 s) until the logger holds `count` entries, then a little longer to catch extras. */
async function logged(entries, count, what) {
  const deadline = Date.now() + 1000;
  while (entries.length < count && Date.now() < deadline) await sleep(5);
  assert.ok(
    entries.length >= count,
    `expected ${count} log ${count === 1 ? 'entry' : 'entries'} after ${what}, got ${entries.length}: call logger.info(entry) once per request, when the response finishes`,
  );
  await sleep(30);
  assert.equal(entries.length, count, `expected exactly ${count} log ${count === 1 ? 'entry' : 'entries'} after ${what}, got ${entries.length}: log each request once (listen to 'finish' once, not to 'finish' and 'close')\n${JSON.stringify(entries)}`);
  return entries;
}

function timing(res, hint = 'set it right before the headers are written') {
  const header = res.headers.get('server-timing');
  assert.ok(header, `every response needs a Server-Timing header (${hint})\n${res.describe()}`);
  const match = TIMING.exec(header.trim());
  assert.ok(match, `Server-Timing must look like "app;dur=12.3" (milliseconds), got ${JSON.stringify(header)}\n${res.describe()}`);
  return Number(match[1]);
}

function checkEntry(entry, expected, res) {
  assert.ok(entry && typeof entry === 'object', `logger.info must receive an object (a structured entry), got ${JSON.stringify(entry)}`);
  for (const [key, value] of Object.entries(expected)) {
    assert.equal(entry[key], value, `log entry field "${key}" should be ${JSON.stringify(value)}, got ${JSON.stringify(entry[key])}\nentry: ${JSON.stringify(entry)}\n${res.describe()}`);
  }
  assert.ok(typeof entry.durationMs === 'number' && Number.isFinite(entry.durationMs) && entry.durationMs >= 0, `log entry field "durationMs" must be a number of milliseconds ≥ 0, got ${JSON.stringify(entry.durationMs)}`);
}

test('generates a UUID request id, sets X-Request-Id and req.id', { timeout: 3000 }, async () => {
  const { url } = await start();
  const first = await request(url, 'GET', '/hello');
  assert.equal(first.status, 200, `${first.describe()}`);
  const id = first.headers.get('x-request-id');
  assert.ok(id, `every response needs an X-Request-Id header\n${first.describe()}`);
  assert.match(id, UUID, `without a valid incoming id, generate one with crypto.randomUUID() (got ${JSON.stringify(id)})`);
  assert.equal(first.json?.requestId, id, `route handlers read the id as req.id: /hello returns it, and it must equal the X-Request-Id header\n${first.describe()}`);

  const second = await request(url, 'GET', '/hello');
  assert.match(second.headers.get('x-request-id') ?? '', UUID, `${second.describe()}`);
  assert.notEqual(second.headers.get('x-request-id'), id, 'every request gets its own id: generate it inside the middleware, per request');
});

test('honours a valid incoming X-Request-Id', { timeout: 3000 }, async () => {
  const { url } = await start();
  for (const incoming of ['abc-123_DEF.456', 'x'.repeat(64), '7', 'f47ac10b-58cc-4372-a567-0e02b2c3d479']) {
    const res = await request(url, 'GET', '/hello', { headers: { 'X-Request-Id': incoming } });
    assert.equal(res.headers.get('x-request-id'), incoming, `a valid incoming X-Request-Id (1–64 of A-Z a-z 0-9 . _ -) is kept, so a request can be traced across services\n${res.describe()}`);
    assert.equal(res.json?.requestId, incoming, `req.id must be the incoming id\n${res.describe()}`);
  }
});

test('replaces an invalid incoming X-Request-Id with a fresh UUID', { timeout: 3000 }, async () => {
  const { url } = await start();
  for (const incoming of ['x'.repeat(65), 'hello world', '<script>alert(1)</script>', 'id;drop', 'a/b', 'ünïcode', '']) {
    const res = await request(url, 'GET', '/hello', { headers: { 'X-Request-Id': incoming } });
    const id = res.headers.get('x-request-id');
    assert.match(id ?? '', UUID, `${JSON.stringify(incoming)} is not a valid id (1–64 of A-Z a-z 0-9 . _ -): ignore it and generate a UUID, never echo untrusted input into headers and logs (got ${JSON.stringify(id)})\n${res.describe()}`);
    assert.equal(res.json?.requestId, id, `${res.describe()}`);
  }
});

test('sets X-Request-Id and Server-Timing on 404s, errors and malformed JSON bodies too', { timeout: 3000 }, async () => {
  const { url } = await start();
  const cases = [
    [await request(url, 'GET', '/nope'), 404, 'an unknown route'],
    [await request(url, 'GET', '/boom'), 500, 'a route that throws'],
    [await request(url, 'POST', '/echo', { headers: { 'content-type': 'application/json' }, body: '{"broken' }), 400, 'a malformed JSON body: express.json() sends it straight to the error handler, so your middleware must run before the body parser'],
    [await request(url, 'POST', '/echo', { json: { ok: true } }), 201, 'a normal POST'],
  ];
  for (const [res, status, what] of cases) {
    assert.equal(res.status, status, `${what}\n${res.describe()}`);
    assert.match(res.headers.get('x-request-id') ?? '', UUID, `${what} still needs X-Request-Id: mount the request id middleware first\n${res.describe()}`);
    timing(res);
    if (status !== 201) {
      assert.equal(res.json?.error?.requestId, res.headers.get('x-request-id'), `the error handler puts req.id in the body; it must match the header\n${res.describe()}`);
    }
  }
});

test('measures Server-Timing up to the moment the headers are sent', { timeout: 3000 }, async () => {
  const { url } = await start();
  const slow = await request(url, 'GET', '/slow?ms=60');
  assert.equal(slow.status, 200, `${slow.describe()}`);
  const dur = timing(slow);
  assert.ok(dur >= 50, `GET /slow?ms=60 waits 60 ms before answering, but Server-Timing says ${dur} ms: set the header when the headers are written, not when the request arrives`);
  assert.ok(dur < 10000, `Server-Timing is in milliseconds; ${dur} looks like microseconds or a wrong start time`);

  const fast = await request(url, 'GET', '/hello');
  const fastDur = timing(fast);
  assert.ok(fastDur < dur, `a fast request must report less time (${fastDur} ms) than a 60 ms one (${dur} ms): measure each request from its own start`);
});

test('sets Server-Timing however the response is sent: redirect, 204, streamed', { timeout: 3000 }, async () => {
  const { url } = await start();
  const missed = 'res.redirect() and res.status(204).end() never call res.json or res.send: hook the moment the headers are written (res.writeHead), which every response goes through';
  const redirect = await request(url, 'GET', '/old-hello');
  assert.equal(redirect.status, 301, `${redirect.describe()}`);
  timing(redirect, missed);

  const empty = await request(url, 'DELETE', '/items/3');
  assert.equal(empty.status, 204, `${empty.describe()}`);
  timing(empty, missed);

  let stream;
  const sentAt = performance.now();
  try {
    stream = await request(url, 'GET', '/stream');
  } catch (error) {
    assert.fail(`GET /stream broke off in the middle of its body (${error.message}). /stream sends its headers with the first res.write(); setting a header later (in a wrapped res.end, on 'finish') throws ERR_HTTP_HEADERS_SENT. Hook res.writeHead instead`);
  }
  assert.equal(stream.status, 200, `${stream.describe()}`);
  assert.equal(stream.text, 'first\nsecond\n', `the streamed body must arrive whole\n${stream.describe()}`);
  const total = performance.now() - sentAt;
  const dur = timing(stream, 'a streamed response writes its headers with the first res.write()');
  assert.ok(dur <= total - 40, `/stream sends its headers with the first chunk, 50 ms before it ends; the whole exchange took ${total.toFixed(1)} ms, yet Server-Timing says ${dur} ms: measure up to the moment the headers are written`);
});

test('logs one structured entry per request after the response finishes', { timeout: 3000 }, async () => {
  const { url, entries } = await start();
  const res = await request(url, 'GET', '/slow?ms=40');
  const [entry] = await logged(entries, 1, 'GET /slow?ms=40');
  checkEntry(entry, { method: 'GET', path: '/slow', status: 200, requestId: res.headers.get('x-request-id') }, res);
  assert.ok(entry.durationMs >= 30, `durationMs covers the whole request: /slow?ms=40 waited 40 ms but durationMs is ${entry.durationMs}. Log when the response finishes (res.on('finish')), not right after next()`);

  await request(url, 'DELETE', '/items/9', { headers: { 'X-Request-Id': 'trace-42' } });
  await request(url, 'GET', '/hello');
  const all = await logged(entries, 3, 'three requests');
  checkEntry(all[1], { method: 'DELETE', path: '/items/9', status: 204, requestId: 'trace-42' }, res);
  assert.equal(all[2].path, '/hello', `entries come in request order\n${JSON.stringify(all)}`);
});

test('logs the final status of 404s, thrown errors and malformed bodies, with the request id', { timeout: 3000 }, async () => {
  const { url, entries } = await start();
  const responses = [
    await request(url, 'GET', '/boom'),
    await request(url, 'PUT', '/nope'),
    await request(url, 'POST', '/echo', { headers: { 'content-type': 'application/json' }, body: '{"broken' }),
  ];
  const all = await logged(entries, 3, 'three failing requests');
  const expected = [
    { method: 'GET', path: '/boom', status: 500 },
    { method: 'PUT', path: '/nope', status: 404 },
    { method: 'POST', path: '/echo', status: 400 },
  ];
  for (const [i, res] of responses.entries()) {
    checkEntry(all[i], { ...expected[i], requestId: res.headers.get('x-request-id') }, res);
  }
});

test('logs the full path without the query string, also inside a mounted router', { timeout: 3000 }, async () => {
  const { url, entries } = await start();
  const res = await request(url, 'GET', '/api/users/42?token=secret&verbose=1');
  assert.deepEqual(res.json, { id: '42' }, `${res.describe()}`);
  const [entry] = await logged(entries, 1, 'GET /api/users/42?token=secret&verbose=1');
  checkEntry(entry, { method: 'GET', path: '/api/users/42', status: 200, requestId: res.headers.get('x-request-id') }, res);
});
