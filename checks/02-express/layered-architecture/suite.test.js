import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exercisePath, importExercise, listen, request, requireExport, runNode, tempDir } from './support.mjs';

const errors = await importExercise('errors.js');
const { ValidationError, NotFoundError, ConflictError } = errors;
const createOrderService = requireExport(await importExercise('service.js'), 'createOrderService', 'function', 'service.js');
requireExport(await importExercise('controller.js'), 'createOrderController', 'function', 'controller.js');
const appModule = await importExercise('app.js');
const createApp = requireExport(appModule, 'createApp', 'function', 'app.js');
const buildApp = requireExport(appModule, 'buildApp', 'function', 'app.js');

const PRODUCTS = [
  { sku: 'KB-01', name: 'Keyboard', priceCents: 12900 },
  { sku: 'MS-02', name: 'Mouse', priceCents: 4550 },
  { sku: 'CB-03', name: 'USB-C cable', priceCents: 999 },
];
const START = '2030-01-01T12:00:00.000Z';
const MINUTE = 60_000;

/** A clock the test moves by hand; now() returns a new Date each time. */
function fakeClock(iso = START) {
  let time = Date.parse(iso);
  return { now: () => new Date(time), advance: (ms) => { time += ms; } };
}

/**
 * The repository interface and nothing else (a frozen object with four async methods).
 * Like a database it hands out copies, answers a little later (setImmediate), and
 * assigns ids itself. `orders` is its "table"; `calls` records every call.
 */
function fakeRepo() {
  const catalog = new Map(PRODUCTS.map((p) => [p.sku, p]));
  const orders = new Map();
  const calls = [];
  let lastId = 1000;
  const later = () => new Promise((resolve) => setImmediate(resolve));
  const repo = Object.freeze({
    async findProduct(sku) {
      calls.push(['findProduct', sku]);
      await later();
      return catalog.has(sku) ? structuredClone(catalog.get(sku)) : null;
    },
    async insertOrder(order) {
      calls.push(['insertOrder', structuredClone(order)]);
      await later();
      lastId += 1;
      const stored = { ...structuredClone(order), id: `ord-${lastId}` };
      orders.set(stored.id, stored);
      return structuredClone(stored);
    },
    async findOrder(id) {
      calls.push(['findOrder', id]);
      await later();
      return orders.has(id) ? structuredClone(orders.get(id)) : null;
    },
    async updateOrder(id, changes) {
      calls.push(['updateOrder', id, structuredClone(changes)]);
      await later();
      if (!orders.has(id)) return null;
      const updated = { ...orders.get(id), ...structuredClone(changes), id };
      orders.set(id, updated);
      return structuredClone(updated);
    },
  });
  return { repo, orders, calls, inserts: () => calls.filter(([name]) => name === 'insertOrder').length };
}

function setup() {
  const clock = fakeClock();
  const store = fakeRepo();
  return { clock, ...store, service: createOrderService({ repo: store.repo, clock }) };
}

const ORDER_INPUT = { customerId: 'cus_42', items: [{ sku: 'KB-01', quantity: 2 }, { sku: 'CB-03', quantity: 3 }] };
const PLACED = {
  id: 'ord-1001',
  customerId: 'cus_42',
  items: [
    { sku: 'KB-01', quantity: 2, unitPriceCents: 12900 },
    { sku: 'CB-03', quantity: 3, unitPriceCents: 999 },
  ],
  totalCents: 2 * 12900 + 3 * 999,
  status: 'placed',
  createdAt: START,
  cancelledAt: null,
};

/** Awaits `promise` and checks it rejects with an instance of `type`. */
async function expectDomainError(promise, type, hint) {
  let error;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  assert.ok(error, `${hint}: expected a ${type.name} to be thrown, but the call succeeded`);
  assert.ok(
    error instanceof type,
    `${hint}: expected a ${type.name} (from errors.js), got ${error?.name ?? typeof error}: ${error?.message ?? error}. Throw the domain error, not a TypeError from reading a missing field`,
  );
  assert.ok(typeof error.message === 'string' && error.message.length > 0, `${hint}: the ${type.name} needs a message that says what is wrong`);
  return error;
}

const CHILD = `
import { register } from 'node:module';
const [serviceUrl, ...httpLayer] = process.argv.slice(2);
register('data:text/javascript,' + encodeURIComponent(\`
const httpLayer = new Set(\${JSON.stringify(httpLayer)});
export async function resolve(specifier, context, next) {
  if (/^(node:)?(https?|http2)$/.test(specifier) || /^express(\\\\/|$)/.test(specifier)) {
    throw new Error('the service pulled in "' + specifier + '" (imported from ' + context.parentURL + ')');
  }
  const result = await next(specifier, context);
  if (httpLayer.has(result.url)) {
    throw new Error('the service pulled in ' + result.url + ' (imported from ' + context.parentURL + '), which belongs to the HTTP layer');
  }
  return result;
}\`));
const { createOrderService } = await import(serviceUrl);
const orders = new Map();
const repo = {
  async findProduct(sku) { return sku === 'A' ? { sku: 'A', name: 'A', priceCents: 500 } : null; },
  async insertOrder(order) { const stored = { ...structuredClone(order), id: 'o1' }; orders.set('o1', stored); return structuredClone(stored); },
  async findOrder(id) { return orders.has(id) ? structuredClone(orders.get(id)) : null; },
  async updateOrder(id, changes) { const u = { ...orders.get(id), ...changes, id }; orders.set(id, u); return structuredClone(u); },
};
const clock = { now: () => new Date('2030-01-01T00:00:00.000Z') };
const service = createOrderService({ repo, clock });
const placed = await service.placeOrder({ customerId: 'c1', items: [{ sku: 'A', quantity: 2 }] });
const cancelled = await service.cancelOrder(placed.id);
process.stdout.write(JSON.stringify({ placed, cancelled }));
`;

test('service.js loads and works where Express and node:http cannot be imported', { timeout: 8000 }, async () => {
  const dir = await tempDir('layered-');
  const script = join(dir, 'child.mjs');
  await writeFile(script, CHILD);
  const url = (file) => pathToFileURL(exercisePath(file)).href;
  const run = await runNode(script, [url('service.js'), url('app.js'), url('controller.js')], { timeoutMs: 6000 });
  assert.equal(
    run.code,
    0,
    `service.js was imported in a process where express, node:http, app.js and controller.js cannot be loaded, then used with a plain repository and clock. It failed:\n${(run.stderr || run.stdout).slice(-1500)}\nThe service must be usable without HTTP: import only errors.js (and node: helpers), take everything else from its arguments`,
  );
  const { placed, cancelled } = JSON.parse(run.stdout);
  assert.equal(placed?.totalCents, 1000, `with no HTTP at all, placeOrder priced 2 × 500 as ${placed?.totalCents}`);
  assert.equal(cancelled?.status, 'cancelled', `with no HTTP at all, cancelOrder answered status ${cancelled?.status}`);
});

test('placeOrder prices items from the repository, stamps the clock time and returns the inserted order', { timeout: 2000 }, async () => {
  const { service, orders, calls } = setup();
  const input = {
    customerId: 'cus_42',
    items: [
      { sku: 'KB-01', quantity: 2, unitPriceCents: 1 },
      { sku: 'CB-03', quantity: 3, priceCents: 0 },
    ],
    totalCents: 1,
  };
  const order = await service.placeOrder(input);
  assert.deepEqual(
    order,
    PLACED,
    'placeOrder returns what insertOrder returned (with the id the repository chose): prices from findProduct (the client sent its own!), totalCents = Σ quantity × unitPriceCents, status "placed", createdAt = clock.now().toISOString() (the fake clock says 2030), cancelledAt null, items as { sku, quantity, unitPriceCents }',
  );
  assert.deepEqual(orders.get('ord-1001'), PLACED, 'the order must be stored through repo.insertOrder with all its fields');
  assert.equal(calls.filter(([name]) => name === 'insertOrder').length, 1, 'insert the order exactly once');
  assert.deepEqual(
    calls.filter(([name]) => name === 'findProduct').map(([, sku]) => sku).sort(),
    ['CB-03', 'KB-01'],
    'look up each sku with repo.findProduct',
  );
});

test('placeOrder rejects invalid orders with ValidationError and stores nothing', { timeout: 3000 }, async () => {
  const { service, orders, inserts } = setup();
  const items = [{ sku: 'KB-01', quantity: 1 }];
  const cases = [
    [undefined, 'no input at all (an HTTP request without a JSON body)'],
    [null, 'null'],
    [{ items }, 'no customerId'],
    [{ customerId: '', items }, 'an empty customerId'],
    [{ customerId: 42, items }, 'a customerId that is not a string'],
    [{ customerId: 'c1' }, 'no items'],
    [{ customerId: 'c1', items: [] }, 'an empty items array'],
    [{ customerId: 'c1', items: 'KB-01' }, 'items that are not an array'],
    [{ customerId: 'c1', items: [{ sku: 'KB-01', quantity: 0 }] }, 'quantity 0'],
    [{ customerId: 'c1', items: [{ sku: 'KB-01', quantity: 100 }] }, 'quantity 100'],
    [{ customerId: 'c1', items: [{ sku: 'KB-01', quantity: 1.5 }] }, 'quantity 1.5'],
    [{ customerId: 'c1', items: [{ sku: 'KB-01', quantity: '2' }] }, 'quantity "2" (a string)'],
    [{ customerId: 'c1', items: [{ sku: 'KB-01' }] }, 'an item without a quantity'],
    [{ customerId: 'c1', items: [{ quantity: 1 }] }, 'an item without a sku'],
    [{ customerId: 'c1', items: [{ sku: 'KB-01', quantity: 1 }, { sku: 'NOPE-9', quantity: 1 }] }, 'an unknown sku (after a valid one)'],
    [{ customerId: 'c1', items: [{ sku: 'MS-02', quantity: 1 }, { sku: 'MS-02', quantity: 2 }] }, 'the same sku twice'],
  ];
  for (const [input, what] of cases) {
    await expectDomainError(service.placeOrder(input), ValidationError, `placeOrder with ${what}`);
    assert.equal(inserts(), 0, `placeOrder with ${what} must not call insertOrder: check everything before storing`);
  }
  assert.equal(orders.size, 0, 'no invalid order may be stored');
  assert.equal((await service.placeOrder({ customerId: 'c1', items: [{ sku: 'MS-02', quantity: 99 }] })).totalCents, 99 * 4550, 'quantity 99 is still valid');
});

test('getOrder reads the repository every time and throws NotFoundError for an unknown id', { timeout: 2000 }, async () => {
  const { service, repo, orders, clock } = setup();
  const placed = await service.placeOrder(ORDER_INPUT);
  assert.deepEqual(await service.getOrder(placed.id), PLACED, 'getOrder returns the stored order');

  orders.get(placed.id).status = 'shipped'; // another process changed the row
  assert.equal(
    (await service.getOrder(placed.id)).status,
    'shipped',
    'getOrder must read through repo.findOrder every time: a service that keeps its own copy of orders serves stale data',
  );
  const second = createOrderService({ repo, clock });
  assert.equal((await second.getOrder(placed.id)).id, placed.id, 'a second service over the same repository sees the same orders: all state lives in the repository');

  await expectDomainError(service.getOrder('ord-999'), NotFoundError, 'getOrder with an unknown id');
});

test('cancelOrder cancels an order up to exactly 30 minutes old and persists it with updateOrder', { timeout: 2000 }, async () => {
  const { service, orders, clock, calls } = setup();
  const placed = await service.placeOrder(ORDER_INPUT);
  clock.advance(30 * MINUTE);
  const cancelled = await service.cancelOrder(placed.id);
  const expected = { ...PLACED, status: 'cancelled', cancelledAt: '2030-01-01T12:30:00.000Z' };
  assert.deepEqual(cancelled, expected, 'exactly 30 minutes after createdAt an order can still be cancelled: status "cancelled", cancelledAt = clock.now().toISOString(), everything else unchanged');
  assert.deepEqual(
    orders.get(placed.id),
    expected,
    'the cancellation must be stored with repo.updateOrder: the repository hands out copies, so changing the object from findOrder persists nothing',
  );
  assert.ok(calls.some(([name]) => name === 'updateOrder'), 'cancelOrder must call repo.updateOrder');

  const other = await service.placeOrder({ customerId: 'cus_7', items: [{ sku: 'MS-02', quantity: 1 }] });
  clock.advance(MINUTE);
  assert.equal((await service.cancelOrder(other.id)).status, 'cancelled', 'a minute-old order can be cancelled');
});

test('cancelOrder throws ConflictError after 30 minutes or when already cancelled, NotFoundError when unknown', { timeout: 2000 }, async () => {
  const { service, orders, clock } = setup();
  const late = await service.placeOrder(ORDER_INPUT);
  clock.advance(30 * MINUTE + 1);
  await expectDomainError(service.cancelOrder(late.id), ConflictError, 'cancelOrder 30 minutes and 1 ms after createdAt (use the clock, not Date.now())');
  assert.equal(orders.get(late.id).status, 'placed', 'a refused cancellation must not change the stored order');

  const twice = await service.placeOrder(ORDER_INPUT);
  clock.advance(5 * MINUTE);
  const first = await service.cancelOrder(twice.id);
  clock.advance(MINUTE);
  await expectDomainError(service.cancelOrder(twice.id), ConflictError, 'cancelling an order that is already cancelled');
  assert.equal(orders.get(twice.id).cancelledAt, first.cancelledAt, 'the second cancel must not move cancelledAt');

  const shipped = await service.placeOrder(ORDER_INPUT);
  orders.get(shipped.id).status = 'shipped'; // changed by another part of the system
  await expectDomainError(service.cancelOrder(shipped.id), ConflictError, 'cancelling an order that is "shipped" (only "placed" orders can be cancelled)');

  await expectDomainError(service.cancelOrder('ord-404'), NotFoundError, 'cancelling an unknown order');
});

/** A service double: each method answers what `behave` says and records its arguments. */
function stubService(behave) {
  const calls = [];
  const method = (name) => async (...args) => {
    calls.push([name, ...args]);
    return behave(name, ...args);
  };
  return { calls, service: { placeOrder: method('placeOrder'), getOrder: method('getOrder'), cancelOrder: method('cancelOrder') } };
}

function expectError(res, status, code, message, hint) {
  assert.equal(res.status, status, `${hint}: expected ${status}\n${res.describe()}`);
  assert.equal(res.json?.error?.code, code, `${hint}: the body must be { error: { code: "${code}", message } }\n${res.describe()}`);
  if (message !== undefined) assert.equal(res.json.error.message, message, `${hint}: error.message must be the domain error's message\n${res.describe()}`);
}

test('the app maps domain error classes to 400, 404 and 409 and hides unknown errors behind a 500', { timeout: 3000 }, async () => {
  class OutOfStockError extends ConflictError {}
  const { service, calls } = stubService((name, arg) => {
    if (name === 'placeOrder') throw new ValidationError('quantity of KB-01 must be an integer from 1 to 99');
    if (arg === 'missing') throw new NotFoundError('order missing not found');
    if (arg === 'late') throw new ConflictError('order late can only be cancelled within 30 minutes');
    if (arg === 'stock') throw new OutOfStockError('KB-01 is out of stock');
    throw new Error('connect ECONNREFUSED 10.0.0.5:5432 (password=hunter2)');
  });
  const { url } = await listen(createApp({ service }));

  expectError(await request(url, 'POST', '/orders', { json: { customerId: 'c1', items: [] } }), 400, 'VALIDATION_ERROR', 'quantity of KB-01 must be an integer from 1 to 99', 'ValidationError');
  expectError(await request(url, 'GET', '/orders/missing'), 404, 'NOT_FOUND', 'order missing not found', 'NotFoundError');
  expectError(await request(url, 'POST', '/orders/late/cancel'), 409, 'CONFLICT', 'order late can only be cancelled within 30 minutes', 'ConflictError');
  expectError(await request(url, 'POST', '/orders/stock/cancel'), 409, 'CONFLICT', 'KB-01 is out of stock', 'a subclass of ConflictError (match with instanceof, not by name)');

  const boom = await request(url, 'GET', '/orders/boom');
  expectError(boom, 500, 'INTERNAL', 'Internal Server Error', 'an error that is not a domain error');
  assert.ok(!/ECONNREFUSED|hunter2|at .*\.js/.test(boom.text), `a 500 must not leak the real message or stack to the client\n${boom.describe()}`);

  const bad = await request(url, 'POST', '/orders', { headers: { 'content-type': 'application/json' }, body: '{"customerId": ' });
  expectError(bad, 400, 'VALIDATION_ERROR', undefined, 'malformed JSON is a client error (express.json() throws a SyntaxError with type "entity.parse.failed"), not a 500');
  assert.equal(calls.filter(([name]) => name === 'placeOrder').length, 1, 'malformed JSON must not reach the service');
});

test('controllers pass the body and id to the service unchanged and shape the responses', { timeout: 3000 }, async () => {
  const order = { id: 'ord-77', customerId: 'c1', items: [], totalCents: 0, status: 'placed', createdAt: START, cancelledAt: null };
  const { service, calls } = stubService((name) => (name === 'cancelOrder' ? { ...order, status: 'cancelled' } : order));
  const { url } = await listen(createApp({ service }));

  // Invalid by the business rules (no items): only the service may decide that.
  const body = { customerId: 'c1', items: [], note: 'leave at the door' };
  const created = await request(url, 'POST', '/orders', { json: body });
  assert.equal(created.status, 201, `POST /orders answers 201 with what the service returned; the controller holds no rules, so it must not reject this body itself\n${created.describe()}`);
  assert.equal(created.headers.get('location'), '/orders/ord-77', `201 needs Location: /orders/<id of the new order>\n${created.describe()}`);
  assert.deepEqual(created.json, { data: order }, `answer { data: order }\n${created.describe()}`);
  assert.deepEqual(calls[0], ['placeOrder', body], 'the controller passes req.body to service.placeOrder unchanged');

  const read = await request(url, 'GET', '/orders/ord-77');
  assert.equal(read.status, 200, read.describe());
  assert.deepEqual(read.json, { data: order }, `GET /orders/:id answers { data: order }\n${read.describe()}`);
  assert.deepEqual(calls[1], ['getOrder', 'ord-77'], 'GET /orders/:id calls service.getOrder(req.params.id)');

  const cancelled = await request(url, 'POST', '/orders/ord-77/cancel');
  assert.equal(cancelled.status, 200, cancelled.describe());
  assert.deepEqual(cancelled.json, { data: { ...order, status: 'cancelled' } }, `POST /orders/:id/cancel answers { data: order }\n${cancelled.describe()}`);
  assert.deepEqual(calls[2], ['cancelOrder', 'ord-77'], 'POST /orders/:id/cancel calls service.cancelOrder(req.params.id)');
});

test('buildApp serves the whole flow over HTTP on the repository and clock it is given', { timeout: 3000 }, async () => {
  const clock = fakeClock();
  const { repo, orders } = fakeRepo();
  const { url } = await listen(buildApp({ repo, clock }));

  const created = await request(url, 'POST', '/orders', { json: ORDER_INPUT });
  assert.equal(created.status, 201, `buildApp wires repository → service → controller → app\n${created.describe()}`);
  assert.deepEqual(created.json, { data: PLACED }, `the order priced, stamped and stored by the given repository and clock\n${created.describe()}`);
  assert.equal(created.headers.get('location'), '/orders/ord-1001', created.describe());
  assert.deepEqual(orders.get('ord-1001'), PLACED, 'the order must be stored in the repository passed to buildApp');

  const read = await request(url, 'GET', '/orders/ord-1001');
  assert.deepEqual(read.json, { data: PLACED }, read.describe());

  expectError(await request(url, 'POST', '/orders', { json: { customerId: 'c1', items: [{ sku: 'KB-01', quantity: 0 }] } }), 400, 'VALIDATION_ERROR', undefined, 'quantity 0');
  expectError(await request(url, 'POST', '/orders', { json: { customerId: 'c1', items: [{ sku: 'XX-00', quantity: 1 }] } }), 400, 'VALIDATION_ERROR', undefined, 'an unknown sku');
  expectError(await request(url, 'POST', '/orders'), 400, 'VALIDATION_ERROR', undefined, 'no body at all');
  assert.equal(orders.size, 1, 'rejected orders must not be stored');
  expectError(await request(url, 'GET', '/orders/ord-5'), 404, 'NOT_FOUND', undefined, 'an unknown order');

  clock.advance(31 * MINUTE);
  expectError(await request(url, 'POST', '/orders/ord-1001/cancel'), 409, 'CONFLICT', undefined, '31 minutes after placing');
  const fresh = await request(url, 'POST', '/orders', { json: { customerId: 'c2', items: [{ sku: 'MS-02', quantity: 1 }] } });
  const cancel = await request(url, 'POST', `/orders/${fresh.json?.data?.id}/cancel`);
  assert.equal(cancel.status, 200, `a fresh order can be cancelled\n${cancel.describe()}`);
  assert.equal(cancel.json?.data?.status, 'cancelled', cancel.describe());
  assert.equal(orders.get('ord-1002')?.status, 'cancelled', 'the cancellation is stored in the given repository');
});
