import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importExercise, listen, request, requireExport } from './support.mjs';

const mod = await importExercise('app.js');
const createApp = requireExport(mod, 'createApp', 'function', 'app.js');

/** A fresh app (its own empty store), listening on a free port. */
async function start() {
  const app = createApp();
  assert.equal(typeof app, 'function', 'createApp() must return the Express app (the result of express()), not start it');
  return (await listen(app)).url;
}

const post = (url, json) => request(url, 'POST', '/api/tasks', { json });

/** Creates tasks one by one (ids 1, 2, 3…) and checks each answered 201. */
async function seed(url, tasks) {
  for (const task of tasks) {
    const res = await post(url, task);
    assert.equal(res.status, 201, `creating a valid task must answer 201\n${res.describe()}`);
  }
}

const SEED = [
  { title: 'Write the report', priority: 3, tags: ['work'] },
  { title: 'Buy milk', priority: 1, tags: ['home'] },
  { title: 'Fix the CI', priority: 5, tags: ['work', 'urgent'] },
  { title: 'Call mum', priority: 2 },
  { title: 'Pay the invoice', priority: 4, tags: ['work'] },
  { title: 'Water plants', priority: 2, tags: ['home'] },
  { title: 'Plan the sprint', priority: 4, tags: ['work'] },
];

/**
 * Checks a 400 VALIDATION_ERROR and that `fields` names exactly the expected
 * `location:path` pairs (order free; a pair may repeat if a library reports two issues).
 */
function expectFields(res, expected, hint) {
  assert.equal(res.status, 400, `${hint}: expected 400\n${res.describe()}`);
  assert.match(res.headers.get('content-type') ?? '(none)', /^application\/json\b/i, `the 400 must be JSON\n${res.describe()}`);
  const error = res.json?.error;
  assert.ok(error && typeof error === 'object', `the body must be { error: { code, message, fields } }\n${res.describe()}`);
  assert.equal(error.code, 'VALIDATION_ERROR', `error.code must be "VALIDATION_ERROR"\n${res.describe()}`);
  assert.ok(typeof error.message === 'string' && error.message.length > 0, `error.message must be a non-empty string\n${res.describe()}`);
  assert.ok(Array.isArray(error.fields), `error.fields must be an array of { location, path, message }\n${res.describe()}`);
  for (const field of error.fields) {
    assert.ok(
      ['body', 'query', 'params'].includes(field?.location) && typeof field.path === 'string' && typeof field.message === 'string' && field.message.length > 0,
      `each field is { location: "body" | "query" | "params", path: string, message: non-empty string }; got ${JSON.stringify(field)}\n${res.describe()}`,
    );
  }
  const got = [...new Set(error.fields.map((f) => `${f.location}:${f.path}`))].sort();
  assert.deepEqual(
    got,
    [...expected].sort(),
    `${hint}: error.fields must name every invalid field (not just the first), and nothing else, as location:path\n${res.describe()}`,
  );
}

test('creates a task with a trimmed title, default tags and done: false', { timeout: 3000 }, async () => {
  const url = await start();
  const first = await post(url, { title: '  Write the report  ', priority: 3 });
  assert.equal(first.status, 201, `a valid task answers 201 Created\n${first.describe()}`);
  assert.deepEqual(
    first.json,
    { data: { id: 1, title: 'Write the report', priority: 3, tags: [], done: false } },
    `answer { data: task }: the title trimmed, tags defaulting to [], done false, ids from the store\n${first.describe()}`,
  );

  const long = `  ${'x'.repeat(100)}  `;
  const second = await post(url, { title: long, priority: 5, tags: ['work', 'a'.repeat(20), 'b', 'c', 'd'] });
  assert.equal(second.status, 201, `100 characters after trimming, priority 5, five tags of up to 20 characters are all valid\n${second.describe()}`);
  assert.deepEqual(second.json?.data, { id: 2, title: 'x'.repeat(100), priority: 5, tags: ['work', 'a'.repeat(20), 'b', 'c', 'd'], done: false }, second.describe());
});

test('drops unknown fields so a client cannot set id, done or isAdmin', { timeout: 3000 }, async () => {
  const url = await start();
  const res = await post(url, { title: 'Buy milk', priority: 1, tags: ['home'], id: 99, done: true, isAdmin: true });
  assert.equal(res.status, 201, `unknown fields are not an error: they are dropped\n${res.describe()}`);
  assert.deepEqual(
    res.json?.data,
    { id: 1, title: 'Buy milk', priority: 1, tags: ['home'], done: false },
    `build the value from title, priority and tags only: the store saves whatever it gets (mass assignment)\n${res.describe()}`,
  );
  const list = await request(url, 'GET', '/api/tasks');
  assert.deepEqual(list.json?.data, [res.json.data], `the stored task must not have id 99, done true or isAdmin\n${list.describe()}`);
});

test('lists every invalid body field at once, with dotted paths into arrays', { timeout: 3000 }, async () => {
  const url = await start();
  expectFields(
    await post(url, { title: '   ', priority: 2.5, tags: ['ok', '', 'x'.repeat(21), 7] }),
    ['body:title', 'body:priority', 'body:tags.1', 'body:tags.2', 'body:tags.3'],
    'a blank title, a non-integer priority and three bad tags',
  );
  expectFields(await post(url, { priority: 3 }), ['body:title'], 'title is required');
  expectFields(await post(url, { title: 'Report' }), ['body:priority'], 'priority is required');
  expectFields(await post(url, { title: 'x'.repeat(101), priority: 3 }), ['body:title'], 'a title of 101 characters is too long');
  expectFields(await post(url, { title: 42, priority: 3 }), ['body:title'], 'a title must be a string');
  for (const priority of [0, 6, '3', true, null]) {
    expectFields(await post(url, { title: 'Report', priority }), ['body:priority'], `priority ${JSON.stringify(priority)} is not an integer from 1 to 5 (JSON bodies are typed: no coercion)`);
  }
  expectFields(await post(url, { title: 'Report', priority: 3, tags: 'work' }), ['body:tags'], 'tags must be an array');
  expectFields(await post(url, { title: 'Report', priority: 3, tags: ['a', 'b', 'c', 'd', 'e', 'f'] }), ['body:tags'], 'at most 5 tags');

  const list = await request(url, 'GET', '/api/tasks');
  assert.deepEqual(list.json?.data, [], `an invalid body must never reach the store\n${list.describe()}`);
});

test('answers 400 with path "" when the body is missing or not a JSON object', { timeout: 3000 }, async () => {
  const url = await start();
  expectFields(await request(url, 'POST', '/api/tasks'), ['body:'], 'no body at all (in Express 5 req.body is then undefined)');
  expectFields(await post(url, [{ title: 'x', priority: 1 }]), ['body:'], 'a JSON array is not a task object');
  expectFields(
    await request(url, 'POST', '/api/tasks', { headers: { 'content-type': 'text/plain' }, body: 'title=x' }),
    ['body:'],
    'a text/plain body is not parsed as JSON, so there is no task object',
  );
});

test('coerces the list query: done=false, minPriority, tag, and numeric limit/offset', { timeout: 3000 }, async () => {
  const url = await start();
  await seed(url, SEED);
  for (const id of [2, 6]) {
    const done = await request(url, 'PATCH', `/api/tasks/${id}`, { json: { done: true } });
    assert.equal(done.status, 200, `this test marks tasks done with PATCH first\n${done.describe()}`);
  }

  const all = await request(url, 'GET', '/api/tasks');
  assert.equal(all.status, 200, all.describe());
  assert.deepEqual(
    { ids: all.json?.data?.map((t) => t.id), total: all.json?.total, limit: all.json?.limit, offset: all.json?.offset },
    { ids: [1, 2, 3, 4, 5, 6, 7], total: 7, limit: 20, offset: 0 },
    `GET /api/tasks answers { data, total, limit, offset } with the defaults limit 20, offset 0 as numbers\n${all.describe()}`,
  );

  const open = await request(url, 'GET', '/api/tasks?done=false');
  assert.deepEqual(open.json?.data?.map((t) => t.id), [1, 3, 4, 5, 7], `done=false keeps the open tasks. The query value is the string "false": z.coerce.boolean() makes it true, z.stringbool() reads it right\n${open.describe()}`);
  const closed = await request(url, 'GET', '/api/tasks?done=true');
  assert.deepEqual(closed.json?.data?.map((t) => t.id), [2, 6], `done=true keeps the finished tasks\n${closed.describe()}`);

  const urgent = await request(url, 'GET', '/api/tasks?minPriority=4&tag=work');
  assert.deepEqual(urgent.json?.data?.map((t) => t.id), [3, 5, 7], `minPriority=4&tag=work: priority ≥ 4 and tagged "work"\n${urgent.describe()}`);

  const page = await request(url, 'GET', '/api/tasks?limit=3&offset=2&sort=title');
  assert.equal(page.status, 200, `unknown query parameters (sort) are ignored\n${page.describe()}`);
  assert.deepEqual(
    { ids: page.json?.data?.map((t) => t.id), total: page.json?.total, limit: page.json?.limit, offset: page.json?.offset },
    { ids: [3, 4, 5], total: 7, limit: 3, offset: 2 },
    `limit=3&offset=2 is tasks 3 to 5. With the raw strings, offset + limit is "23", and limit/offset come back as strings: hand the parsed values to the handler\n${page.describe()}`,
  );

  const filteredPage = await request(url, 'GET', '/api/tasks?done=false&limit=2&offset=2');
  assert.deepEqual(
    { ids: filteredPage.json?.data?.map((t) => t.id), total: filteredPage.json?.total },
    { ids: [4, 5], total: 5 },
    `filter, then page; total counts every match\n${filteredPage.describe()}`,
  );
});

test('rejects bad and empty query values with 400 naming each parameter', { timeout: 3000 }, async () => {
  const url = await start();
  await seed(url, SEED.slice(0, 2));
  const cases = [
    ['done=maybe', ['query:done']],
    ['done=', ['query:done']],
    ['minPriority=0', ['query:minPriority']],
    ['minPriority=6', ['query:minPriority']],
    ['minPriority=high', ['query:minPriority']],
    ['limit=0', ['query:limit']],
    ['limit=101', ['query:limit']],
    ['limit=2.5', ['query:limit']],
    ['offset=-1', ['query:offset']],
    ['offset=', ['query:offset']],
    ['tag=', ['query:tag']],
    ['limit=abc&offset=x&done=nope', ['query:limit', 'query:offset', 'query:done']],
  ];
  for (const [query, expected] of cases) {
    expectFields(
      await request(url, 'GET', `/api/tasks?${query}`),
      expected,
      `?${query} is invalid (an empty value is not 0: z.coerce.number() turns "" into 0, so refuse it first)`,
    );
  }
});

test('PATCH updates a task with the parsed body and drops unknown fields', { timeout: 3000 }, async () => {
  const url = await start();
  await seed(url, SEED.slice(0, 3));
  const res = await request(url, 'PATCH', '/api/tasks/2', { json: { title: '  Buy oat milk ', done: true, id: 7, owner: 'mallory' } });
  assert.equal(res.status, 200, `PATCH /api/tasks/2 answers 200. req.params.id is the string "2": the store needs the number 2\n${res.describe()}`);
  assert.deepEqual(
    res.json,
    { data: { id: 2, title: 'Buy oat milk', priority: 1, tags: ['home'], done: true } },
    `answer { data: task } with the title trimmed, done changed, and id/owner dropped (z.object() strips unknown keys; pass its output on, not req.body)\n${res.describe()}`,
  );

  const again = await request(url, 'PATCH', '/api/tasks/3', { json: { priority: 2, tags: [] } });
  assert.deepEqual(again.json?.data, { id: 3, title: 'Fix the CI', priority: 2, tags: [], done: false }, `only the given fields change\n${again.describe()}`);

  const list = await request(url, 'GET', '/api/tasks');
  assert.deepEqual(list.json?.data?.map((t) => t.id), [1, 2, 3], `the stored tasks keep their ids and gain no owner\n${list.describe()}`);
  assert.ok(list.json.data.every((t) => !('owner' in t)), `no stored task may have an owner field\n${list.describe()}`);
});

test('PATCH validates :id and the body, and answers 404 for an unknown id', { timeout: 3000 }, async () => {
  const url = await start();
  await seed(url, SEED.slice(0, 2));
  for (const id of ['abc', '0', '-1', '1.5']) {
    expectFields(await request(url, 'PATCH', `/api/tasks/${id}`, { json: { done: true } }), ['params:id'], `:id "${id}" is not an integer ≥ 1`);
  }
  expectFields(await request(url, 'PATCH', '/api/tasks/1', { json: {} }), ['body:'], 'an empty change is invalid: give at least one field');
  expectFields(
    await request(url, 'PATCH', '/api/tasks/1', { json: { owner: 'mallory' } }),
    ['body:'],
    'only unknown fields: after dropping them nothing is left to change',
  );
  expectFields(
    await request(url, 'PATCH', '/api/tasks/1', { json: { done: 'true', priority: 9, title: '', tags: ['ok', ''] } }),
    ['body:done', 'body:priority', 'body:title', 'body:tags.1'],
    'done must be a JSON boolean, priority 1–5, a title not blank, every tag 1–20 characters',
  );

  const missing = await request(url, 'PATCH', '/api/tasks/99', { json: { done: true } });
  assert.equal(missing.status, 404, `a valid id that no task has answers 404\n${missing.describe()}`);
  assert.equal(missing.json?.error?.code, 'NOT_FOUND', `the body is { error: { code: "NOT_FOUND", message } }\n${missing.describe()}`);
  assert.ok(typeof missing.json?.error?.message === 'string' && missing.json.error.message.length > 0, `error.message must be a non-empty string\n${missing.describe()}`);

  const list = await request(url, 'GET', '/api/tasks');
  assert.deepEqual(
    list.json?.data?.map((t) => [t.title, t.done]),
    [['Write the report', false], ['Buy milk', false]],
    `rejected PATCH requests must change nothing\n${list.describe()}`,
  );
});

test('each app has its own store', { timeout: 3000 }, async () => {
  const a = await start();
  const b = await start();
  await seed(a, SEED.slice(0, 2));
  const res = await request(b, 'GET', '/api/tasks');
  assert.deepEqual(
    { data: res.json?.data, total: res.json?.total },
    { data: [], total: 0 },
    `createApp() makes a new store every time: create it inside createApp, not at module level\n${res.describe()}`,
  );
  const created = await post(b, { title: 'First here', priority: 1 });
  assert.equal(created.json?.data?.id, 1, `ids start at 1 in every app\n${created.describe()}`);
});
