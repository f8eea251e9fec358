import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server } from 'node:http';
import { importExercise, listen, request, requireExport } from './support.mjs';

const mod = await importExercise('server.js');
const createServer = requireExport(mod, 'createServer', 'function', 'server.js');

/** A fresh server (own store) listening on a free port. */
async function start() {
  const server = createServer();
  assert.ok(server instanceof Server, `createServer() must return a node:http Server (got ${Object.prototype.toString.call(server)}); build it with http.createServer and do not call listen()`);
  assert.equal(server.listening, false, 'createServer() must return a server that is not listening yet: the caller chooses the port');
  return (await listen(server)).url;
}

function expectJson(res, status, hint = '') {
  assert.equal(res.status, status, `expected ${status}${hint ? ` (${hint})` : ''}\n${res.describe()}`);
  assert.match(
    res.headers.get('content-type') ?? '(none)',
    /^application\/json\b/i,
    `every response with a body needs Content-Type: application/json (got ${res.headers.get('content-type') ?? 'none'})\n${res.describe()}`,
  );
  assert.ok(res.json !== undefined, `the body must be valid JSON\n${res.describe()}`);
}

function expectError(res, status, code, hint) {
  expectJson(res, status, hint);
  const error = res.json?.error;
  assert.ok(error && typeof error === 'object', `errors need the body { "error": { "code", "message" } }\n${res.describe()}`);
  assert.equal(error.code, code, `expected error.code ${JSON.stringify(code)}\n${res.describe()}`);
  assert.ok(typeof error.message === 'string' && error.message.length > 0, `error.message must be a non-empty string\n${res.describe()}`);
}

async function create(url, json) {
  const res = await request(url, 'POST', '/todos', { json });
  expectJson(res, 201, 'a successful create answers 201 Created');
  return res.json;
}

test('creates a todo with 201, the stored todo and a Location that reads it back', { timeout: 3000 }, async () => {
  const url = await start();
  const res = await request(url, 'POST', '/todos', { json: { title: 'write the suite' } });
  expectJson(res, 201, 'a successful create answers 201 Created, not 200');
  const todo = res.json;
  assert.equal(typeof todo.id, 'string', `the created todo needs a string id\n${res.describe()}`);
  assert.ok(todo.id.length > 0, `the id must not be empty\n${res.describe()}`);
  assert.deepEqual(todo, { id: todo.id, title: 'write the suite', done: false }, `the body is the new todo, with done defaulting to false\n${res.describe()}`);

  const location = res.headers.get('location');
  assert.ok(location, `201 Created needs a Location header pointing at the new todo\n${res.describe()}`);
  assert.equal(new URL(location, url).pathname, `/todos/${todo.id}`, `Location must be /todos/<id> (got ${location})`);

  const read = await request(url, 'GET', location);
  expectJson(read, 200, 'GET /todos/<id> answers 200 with the todo');
  assert.deepEqual(read.json, todo, `reading the Location must return the todo that was created\n${read.describe()}`);

  const explicit = await create(url, { title: 'already done', done: true });
  assert.equal(explicit.done, true, `done sent on POST must be stored\n${JSON.stringify(explicit)}`);
});

test('lists every todo in creation order with 200', { timeout: 3000 }, async () => {
  const url = await start();
  const empty = await request(url, 'GET', '/todos');
  expectJson(empty, 200);
  assert.deepEqual(empty.json, [], `a new server starts with no todos: GET /todos answers []\n${empty.describe()}`);

  const titles = ['first', 'second', 'third', 'fourth'];
  const created = [];
  for (const title of titles) created.push(await create(url, { title }));
  const list = await request(url, 'GET', '/todos');
  expectJson(list, 200);
  assert.deepEqual(list.json, created, `GET /todos returns every todo, oldest first\n${list.describe()}`);
});

test('matches routes without the query string', { timeout: 3000 }, async () => {
  const url = await start();
  const todo = await create(url, { title: 'query' });
  const list = await request(url, 'GET', '/todos?done=false&page=1');
  expectJson(list, 200, '/todos?done=false is still the /todos route: compare the path without the query string');
  assert.deepEqual(list.json, [todo], `${list.describe()}`);
  const one = await request(url, 'GET', `/todos/${todo.id}?fields=title`);
  expectJson(one, 200, 'the query string is not part of the id');
  assert.deepEqual(one.json, todo, `${one.describe()}`);
});

test('PATCH changes only the fields sent and answers 200 with the whole todo', { timeout: 3000 }, async () => {
  const url = await start();
  const todo = await create(url, { title: 'patch me' });
  const other = await create(url, { title: 'leave me alone' });

  const done = await request(url, 'PATCH', `/todos/${todo.id}`, { json: { done: true } });
  expectJson(done, 200);
  assert.deepEqual(done.json, { id: todo.id, title: 'patch me', done: true }, `PATCH { done } must keep the title\n${done.describe()}`);

  const renamed = await request(url, 'PATCH', `/todos/${todo.id}`, { json: { title: 'patched' } });
  expectJson(renamed, 200);
  assert.deepEqual(renamed.json, { id: todo.id, title: 'patched', done: true }, `PATCH { title } must keep done (a partial update, not a replace)\n${renamed.describe()}`);

  const read = await request(url, 'GET', `/todos/${todo.id}`);
  assert.deepEqual(read.json, renamed.json, `the change must be stored, not only echoed\n${read.describe()}`);
  const untouched = await request(url, 'GET', `/todos/${other.id}`);
  assert.deepEqual(untouched.json, other, `PATCH must change only the todo it names\n${untouched.describe()}`);
});

test('DELETE answers 204 with an empty body, and ids are never reused', { timeout: 3000 }, async () => {
  const url = await start();
  const [a, b] = [await create(url, { title: 'a' }), await create(url, { title: 'b' })];

  const del = await request(url, 'DELETE', `/todos/${a.id}`);
  assert.equal(del.status, 204, `a successful delete answers 204 No Content\n${del.describe()}`);
  assert.equal(del.text, '', `204 must not carry a body\n${del.describe()}`);

  const gone = await request(url, 'GET', `/todos/${a.id}`);
  expectError(gone, 404, 'NOT_FOUND', 'a deleted todo is gone');
  const again = await request(url, 'DELETE', `/todos/${a.id}`);
  expectError(again, 404, 'NOT_FOUND', 'deleting twice finds nothing the second time');

  const c = await create(url, { title: 'c' });
  assert.ok(c.id !== a.id && c.id !== b.id, `a new todo got id ${c.id}, already used by ${c.id === b.id ? 'b' : 'the deleted a'}: counting the store (size + 1) reuses ids after a delete`);
  const list = await request(url, 'GET', '/todos');
  assert.deepEqual(list.json, [b, c], `after deleting a, the list holds b and c\n${list.describe()}`);
});

test('answers 404 NOT_FOUND for unknown ids', { timeout: 3000 }, async () => {
  const url = await start();
  await create(url, { title: 'exists' });
  for (const [method, json] of [['GET'], ['PATCH', { done: true }], ['DELETE']]) {
    const res = await request(url, method, '/todos/does-not-exist', json ? { json } : {});
    expectError(res, 404, 'NOT_FOUND', `${method} on an unknown id`);
  }
});

test('answers 404 NOT_FOUND for unknown paths', { timeout: 3000 }, async () => {
  const url = await start();
  const todo = await create(url, { title: 'nested' });
  for (const path of ['/', '/todo', '/todosx', '/api/todos', `/todos/${todo.id}/extra`]) {
    const res = await request(url, 'GET', path);
    expectError(res, 404, 'NOT_FOUND', `${path} is not a route: match the whole path, not a prefix`);
  }
});

test('answers 405 with an Allow header for methods a route does not support', { timeout: 3000 }, async () => {
  const url = await start();
  const todo = await create(url, { title: 'allow' });
  const cases = [
    ['DELETE', '/todos', 'GET, POST'],
    ['PUT', '/todos', 'GET, POST'],
    ['PUT', `/todos/${todo.id}`, 'GET, PATCH, DELETE'],
    ['POST', `/todos/${todo.id}`, 'GET, PATCH, DELETE'],
  ];
  for (const [method, path, allow] of cases) {
    const res = await request(url, method, path, { json: { title: 'x' } });
    expectError(res, 405, 'METHOD_NOT_ALLOWED', `the path exists but not for ${method}: 405, not 404`);
    const got = (res.headers.get('allow') ?? '').split(',').map((m) => m.trim().toUpperCase()).filter(Boolean).sort();
    assert.deepEqual(got, allow.split(', ').sort(), `405 must list the supported methods: Allow: ${allow} (got ${res.headers.get('allow') ?? 'no Allow header'})\n${res.describe()}`);
  }
});

test('rejects malformed JSON with 400 INVALID_JSON and keeps serving', { timeout: 3000 }, async () => {
  const url = await start();
  const todo = await create(url, { title: 'survivor' });
  const headers = { 'content-type': 'application/json' };
  for (const body of ['{"title": "unfinished', "{'title': 'single quotes'}", '']) {
    const res = await request(url, 'POST', '/todos', { headers, body });
    expectError(res, 400, 'INVALID_JSON', 'JSON.parse throws: catch it and answer 400');
  }
  const patch = await request(url, 'PATCH', `/todos/${todo.id}`, { headers, body: '{done: true}' });
  expectError(patch, 400, 'INVALID_JSON');
  const list = await request(url, 'GET', '/todos');
  expectJson(list, 200, 'the server must keep working after bad bodies');
  assert.deepEqual(list.json, [todo], `bad bodies must not store anything\n${list.describe()}`);
});

test('rejects invalid fields with 400 VALIDATION_ERROR naming the field, changing nothing', { timeout: 3000 }, async () => {
  const url = await start();
  const todo = await create(url, { title: 'valid' });
  const longest = await create(url, { title: 'x'.repeat(200) });
  assert.equal(longest.title.length, 200, 'a 200-character title is allowed');

  const posts = [
    [{}, 'title'],
    [{ title: 42 }, 'title'],
    [{ title: '   ' }, 'title'],
    [{ title: 'x'.repeat(201) }, 'title'],
    [{ title: 'ok', done: 'yes' }, 'done'],
    [{ title: 'ok', priority: 'high' }, 'priority'],
    [{ title: 'ok', id: 'chosen-by-client' }, 'id'],
  ];
  for (const [json, field] of posts) {
    const res = await request(url, 'POST', '/todos', { json });
    expectError(res, 400, 'VALIDATION_ERROR', `invalid ${field}`);
    assert.match(res.json.error.message, new RegExp(`\\b${field}\\b`), `error.message must name the field "${field}"\n${res.describe()}`);
  }
  for (const json of [[{ title: 'array' }], 'a string', null]) {
    const res = await request(url, 'POST', '/todos', { json });
    expectError(res, 400, 'VALIDATION_ERROR', 'the body must be a JSON object');
  }

  const patches = [
    [{ done: 'true' }, 'done'],
    [{ title: '' }, 'title'],
    [{ title: 'renamed', done: 1 }, 'done'],
    [{ id: 'hijacked' }, 'id'],
  ];
  for (const [json, field] of patches) {
    const res = await request(url, 'PATCH', `/todos/${todo.id}`, { json });
    expectError(res, 400, 'VALIDATION_ERROR', `invalid ${field}`);
    assert.match(res.json.error.message, new RegExp(`\\b${field}\\b`), `error.message must name the field "${field}"\n${res.describe()}`);
  }
  const list = await request(url, 'GET', '/todos');
  assert.deepEqual(list.json, [todo, longest], `invalid requests must change nothing: validate every field before applying any (a PATCH with a good title and a bad done must not rename)\n${list.describe()}`);
});

test('rejects a body that is not application/json with 415', { timeout: 3000 }, async () => {
  const url = await start();
  const todo = await create(url, { title: 'typed' });
  const body = JSON.stringify({ title: 'sneaky' });
  const attempts = [
    ['POST', '/todos', { headers: { 'content-type': 'text/plain' }, body }],
    ['POST', '/todos', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'title=sneaky' }],
    ['POST', '/todos', { body: Buffer.from(body) }],
    ['PATCH', `/todos/${todo.id}`, { headers: { 'content-type': 'text/html' }, body: JSON.stringify({ done: true }) }],
  ];
  for (const [method, path, init] of attempts) {
    const res = await request(url, method, path, init);
    const sent = init.headers?.['content-type'] ?? 'no Content-Type';
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', `${method} ${path} with ${sent}`);
  }
  const list = await request(url, 'GET', '/todos');
  assert.deepEqual(list.json, [todo], `rejected bodies must change nothing\n${list.describe()}`);

  const charset = await request(url, 'POST', '/todos', { headers: { 'content-type': 'Application/JSON; charset=utf-8' }, body });
  expectJson(charset, 201, 'media types are case-insensitive and may carry parameters like "; charset=utf-8"');
});

test('sends Content-Type application/json on every response with a body', { timeout: 3000 }, async () => {
  const url = await start();
  const todo = await create(url, { title: 'json' });
  const responses = [
    await request(url, 'GET', '/todos'),
    await request(url, 'GET', `/todos/${todo.id}`),
    await request(url, 'PATCH', `/todos/${todo.id}`, { json: { done: true } }),
    await request(url, 'GET', '/nope'),
    await request(url, 'DELETE', '/todos'),
    await request(url, 'POST', '/todos', { json: {} }),
  ];
  for (const res of responses) {
    assert.ok(res.text.length > 0, `this response should have a body\n${res.describe()}`);
    assert.match(res.headers.get('content-type') ?? '(none)', /^application\/json\b/i, `Content-Type must be application/json (got ${res.headers.get('content-type') ?? 'none'})\n${res.describe()}`);
    assert.doesNotThrow(() => JSON.parse(res.text), `the body must be valid JSON\n${res.describe()}`);
  }
});

test('each createServer() has its own store', { timeout: 3000 }, async () => {
  const first = await start();
  const second = await start();
  const todo = await create(first, { title: 'only on the first server' });
  const list = await request(second, 'GET', '/todos');
  expectJson(list, 200);
  assert.deepEqual(list.json, [], `a second server must start empty: keep the store inside createServer(), not at module level\n${list.describe()}`);
  const read = await request(second, 'GET', `/todos/${todo.id}`);
  expectError(read, 404, 'NOT_FOUND', 'the second server has never seen this id');
});
