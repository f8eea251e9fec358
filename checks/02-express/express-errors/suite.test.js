import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importExercise, listen, request, requireExport } from './support.mjs';

const errorsModule = await importExercise('errors.js');
const HttpError = requireExport(errorsModule, 'HttpError', 'function', 'errors.js');
const appModule = await importExercise('app.js');
const createApp = requireExport(appModule, 'createApp', 'function', 'app.js');

const SECRET = /hunter2|ECONNREFUSED|10\.0\.0\.12|upstream timed out|export failed/;
const STACK_FRAME = /\bat .*(?:\.js|\.mjs|node:internal)|\(file:\/\//;

/** A fresh app in the given env with a logger that records what it is given. */
async function start(env) {
  const logged = [];
  const logger = { error: (...args) => logged.push(args), warn: () => {}, info: () => {} };
  const app = createApp({ env, logger });
  assert.equal(typeof app, 'function', 'createApp({ env, logger }) must return the Express app, not start it');
  const { url } = await listen(app);
  return { url, logged };
}

/** Checks status, JSON and the { error: { code, message, requestId } } shape; returns the error object. */
function expectError(res, status, code, hint = '') {
  assert.equal(res.status, status, `expected ${status}${hint ? ` (${hint})` : ''}\n${res.describe()}`);
  assert.match(
    res.headers.get('content-type') ?? '(none)',
    /^application\/json\b/i,
    `error responses must be JSON (got Content-Type ${res.headers.get('content-type') ?? 'none'}); Express's default error page is HTML — is your error handler mounted last, with four parameters (err, req, res, next)?\n${res.describe()}`,
  );
  const error = res.json?.error;
  assert.ok(error && typeof error === 'object', `errors have the body { "error": { "code", "message", "requestId" } }\n${res.describe()}`);
  assert.equal(error.code, code, `expected error.code ${JSON.stringify(code)}${hint ? ` (${hint})` : ''}\n${res.describe()}`);
  assert.ok(typeof error.message === 'string' && error.message.length > 0, `error.message must be a non-empty string\n${res.describe()}`);
  assert.equal(error.requestId, res.headers.get('x-request-id'), `error.requestId must be req.id, the same id as the X-Request-Id header, so a user's report can be matched to the logs\n${res.describe()}`);
  return error;
}

function expectNoLeak(res, what) {
  const error = res.json?.error ?? {};
  assert.ok(!('stack' in error), `${what}: no stack trace outside development\n${res.describe()}`);
  assert.doesNotMatch(res.text, SECRET, `${what}: the response reveals the internal error message (hosts, credentials, internals); outside development a 500 says only "Internal Server Error"\n${res.describe()}`);
  assert.doesNotMatch(res.text, STACK_FRAME, `${what}: the response contains stack frames\n${res.describe()}`);
}

test('HttpError is an Error carrying status, code, message and cause', { timeout: 2000 }, () => {
  const cause = new Error('unique constraint "users_email_key"');
  const error = new HttpError(409, 'EMAIL_TAKEN', 'that email is already registered', { cause });
  assert.ok(error instanceof Error, 'class HttpError extends Error, so stack traces and instanceof Error work');
  assert.ok(error instanceof HttpError, 'new HttpError(...) must be an instance of HttpError');
  assert.equal(error.status, 409, `error.status must be the status given (got ${error.status})`);
  assert.equal(error.code, 'EMAIL_TAKEN', `error.code must be the code given (got ${error.code})`);
  assert.equal(error.message, 'that email is already registered', 'error.message must be the message given: pass it to super(message)');
  assert.equal(error.name, 'HttpError', `error.name must be 'HttpError' (got ${JSON.stringify(error.name)})`);
  assert.equal(error.cause, cause, 'the fourth argument is passed to super(message, options), so { cause } is kept');
  assert.equal(typeof error.stack, 'string', 'an HttpError has a stack like any Error');
});

test('answers an HttpError thrown in an async route with its status and { error: { code, message, requestId } }', { timeout: 3000 }, async () => {
  const { url, logged } = await start('production');
  const missing = await request(url, 'GET', '/items/7');
  expectError(missing, 404, 'ITEM_NOT_FOUND', 'the route throws new HttpError(404, "ITEM_NOT_FOUND", ...) after an await; Express 5 hands it to the error handler');
  assert.deepEqual(
    missing.json,
    { error: { code: 'ITEM_NOT_FOUND', message: 'item 7 not found', requestId: missing.headers.get('x-request-id') } },
    `an HttpError's status, code and message are meant for the client: send them as they are, with nothing else\n${missing.describe()}`,
  );

  const invalid = await request(url, 'POST', '/items', { json: { name: '  ' } });
  const error = expectError(invalid, 422, 'VALIDATION_ERROR');
  assert.equal(error.message, 'name must be a non-empty string', `${invalid.describe()}`);

  const ok = await request(url, 'GET', '/items/2');
  assert.equal(ok.status, 200, `routes that do not fail still work\n${ok.describe()}`);
  assert.equal(logged.length, 0, `client errors (4xx) are expected, not incidents: do not pass them to logger.error\n${JSON.stringify(logged.map((args) => String(args[0]?.err ?? args[0])))}`);
});

test('keeps the code and message of a 5xx HttpError, even in production', { timeout: 3000 }, async () => {
  const { url } = await start('production');
  const res = await request(url, 'GET', '/payments');
  expectError(res, 503, 'PAYMENTS_UNAVAILABLE', 'an HttpError decides its own status, also for 5xx');
  assert.equal(res.json.error.message, 'the payment provider is not answering, try again later', `an HttpError's message was written for the client: show it in production too\n${res.describe()}`);
  assert.ok(!('stack' in res.json.error), `no stack in production\n${res.describe()}`);
});

test('answers unknown routes with 404 NOT_FOUND in the error shape', { timeout: 3000 }, async () => {
  const { url } = await start('production');
  for (const [method, path] of [['GET', '/nope'], ['GET', '/'], ['DELETE', '/items/1'], ['POST', '/items/1/children']]) {
    const res = await request(url, method, path);
    expectError(res, 404, 'NOT_FOUND', `${method} ${path} matches no route: a catch-all after the routes, before the error handler`);
    expectNoLeak(res, 'a 404');
  }
});

test('answers a malformed JSON body with 400 INVALID_JSON, not 500', { timeout: 3000 }, async () => {
  const { url, logged } = await start('production');
  for (const body of ['{"name": ', "{'name': 'single quotes'}", '{"name": "a",}']) {
    const res = await request(url, 'POST', '/items', { headers: { 'content-type': 'application/json' }, body });
    expectError(res, 400, 'INVALID_JSON', "a body that does not parse is the client's mistake; express.json() marks it with status 400 and type 'entity.parse.failed'");
    expectNoLeak(res, 'a malformed body');
  }
  const ok = await request(url, 'POST', '/items', { json: { name: 'cable' } });
  assert.equal(ok.status, 201, `the app keeps working after bad bodies\n${ok.describe()}`);
  assert.equal(logged.length, 0, 'a malformed body is a client error: do not pass it to logger.error');
});

test('keeps other 4xx statuses from Express: a body over the limit is 413 PAYLOAD_TOO_LARGE', { timeout: 3000 }, async () => {
  const { url } = await start('production');
  const res = await request(url, 'POST', '/items', { json: { name: 'x'.repeat(2000) } });
  expectError(res, 413, 'PAYLOAD_TOO_LARGE', 'express.json({ limit: "1kb" }) rejects the body with an error whose status is 413; code is the status name from http.STATUS_CODES in UPPER_SNAKE_CASE');
});

test('hides the message and stack of unexpected errors in production', { timeout: 3000 }, async () => {
  const { url } = await start('production');
  for (const path of ['/boom/sync', '/boom/async', '/boom/non-error']) {
    const res = await request(url, 'GET', path);
    expectError(res, 500, 'INTERNAL_SERVER_ERROR', `${path} throws something that is not an HttpError`);
    assert.deepEqual(
      res.json,
      { error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal Server Error', requestId: res.headers.get('x-request-id') } },
      `in production an unexpected error reveals nothing: exactly this body\n${res.describe()}`,
    );
    expectNoLeak(res, `${path} in production`);
  }
});

test('shows the message and stack of unexpected errors in development', { timeout: 3000 }, async () => {
  const { url } = await start('development');
  for (const [path, text] of [['/boom/sync', 'ECONNREFUSED'], ['/boom/async', 'hunter2']]) {
    const res = await request(url, 'GET', path);
    const error = expectError(res, 500, 'INTERNAL_SERVER_ERROR', `${path} in development`);
    assert.ok(error.message.includes(text), `in development error.message is the real message, to debug with\n${res.describe()}`);
    assert.equal(typeof error.stack, 'string', `in development error.stack holds the stack trace\n${res.describe()}`);
    assert.match(error.stack, /\n\s+at /, `error.stack must be the error's stack trace (err.stack)\n${res.describe()}`);
  }
  const odd = await request(url, 'GET', '/boom/non-error');
  expectError(odd, 500, 'INTERNAL_SERVER_ERROR', 'a thrown string has no .message or .stack: the handler must not crash on it');
});

test('hides details in every environment other than development', { timeout: 3000 }, async () => {
  for (const env of ['staging', 'test', undefined, 'Production']) {
    const { url } = await start(env);
    const res = await request(url, 'GET', '/boom/sync');
    expectError(res, 500, 'INTERNAL_SERVER_ERROR', `env ${JSON.stringify(env)}`);
    expectNoLeak(res, `env ${JSON.stringify(env)}: show details only when env is exactly 'development' (a check like env !== 'production' leaks on a typo or a missing NODE_ENV)`);
  }
});

test('logs unexpected errors once with the error and the request id', { timeout: 3000 }, async () => {
  const { url, logged } = await start('production');
  const res = await request(url, 'GET', '/boom/async');
  expectError(res, 500, 'INTERNAL_SERVER_ERROR');
  assert.equal(logged.length, 1, `a 500 must be passed to logger.error exactly once (got ${logged.length} calls): the client sees nothing, so the log is the only trace`);
  const [entry] = logged[0];
  assert.ok(entry && typeof entry === 'object', `call logger.error({ err, requestId }) (got ${String(entry)})`);
  assert.ok(entry.err instanceof TypeError && /hunter2/.test(entry.err.message), `entry.err must be the error that was thrown, with its stack (got ${String(entry.err)})`);
  assert.equal(entry.requestId, res.headers.get('x-request-id'), 'entry.requestId must be req.id, the id the client received');

  const unavailable = await request(url, 'GET', '/payments');
  assert.equal(unavailable.status, 503, `${unavailable.describe()}`);
  assert.equal(logged.length, 2, `every 5xx answer is logged, also one from an HttpError (got ${logged.length} calls in total)`);
  assert.equal(logged[1][0]?.err?.code, 'PAYMENTS_UNAVAILABLE', 'entry.err is the HttpError that was thrown');
});

test('hands errors after the headers were sent to Express, which aborts the response', { timeout: 4000 }, async () => {
  const { url } = await start('production');
  const res = await fetch(`${url}/boom/stream`, { signal: AbortSignal.timeout(1500) });
  assert.equal(res.status, 200, 'the headers (200) were already sent when the route failed');
  let outcome;
  try {
    outcome = `completed normally with the body ${JSON.stringify(await res.text())}`;
  } catch (error) {
    outcome = error.name === 'TimeoutError' ? 'timeout' : 'aborted';
  }
  assert.notEqual(outcome, 'timeout', 'the response never ended: when res.headersSent is true, call next(err) so Express closes the connection (returning without answering leaves the client hanging)');
  assert.equal(outcome, 'aborted', `the response ${outcome}: a cut-off export must not look complete to the client. When res.headersSent is true, call next(err) so Express's default handler aborts the connection`);

  const after = await request(url, 'GET', '/items/1');
  assert.equal(after.status, 200, `the app keeps serving after an aborted response\n${after.describe()}`);
});
