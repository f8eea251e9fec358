import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { importExercise, requireExport } from './support.mjs';

const mod = await importExercise('orders.js');
const createSchema = requireExport(mod, 'createSchema', 'function', 'orders.js');
const saveOrder = requireExport(mod, 'saveOrder', 'function', 'orders.js');
const findOrdersByCustomerEmail = requireExport(mod, 'findOrdersByCustomerEmail', 'function', 'orders.js');
const findOrdersBySku = requireExport(mod, 'findOrdersBySku', 'function', 'orders.js');
const addItem = requireExport(mod, 'addItem', 'function', 'orders.js');

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error('DATABASE_URL is not set: this exercise needs a PostgreSQL database');
const pool = new pg.Pool({ connectionString, options: '-c synchronous_commit=off', max: 10 });
after(() => pool.end());

// The product catalogue the orders copy names and prices from.
const PRODUCTS = [
  ['MUG-1', 'Coffee Mug', 1200],
  ['MUG-10', 'Giant Mug', 2400],
  ['TEA-1', 'Green Tea', 650],
  ['LAMP-1', 'Desk Lamp', 3900],
  ['RUG-1', 'Wool Rug', 8900],
  ['PEN-1', 'Fountain Pen', 4500],
  ['INK-1', 'Blue Ink', 900],
  ['CUP-1', 'Espresso Cup', 800],
  ['BAG-1', 'Tote Bag', 1500],
  ['HAT-1', 'Sun Hat', 2100],
];
const product = Object.fromEntries(PRODUCTS.map(([sku, name, priceCents]) => [sku, { sku, name, priceCents }]));
const line = (sku, qty) => ({ ...product[sku], qty });

await pool.query(`
  DROP TABLE IF EXISTS orders, customers, products;
  CREATE TABLE products (sku text PRIMARY KEY, name text NOT NULL, price_cents integer NOT NULL);
`);
await pool.query(
  'INSERT INTO products (sku, name, price_cents) SELECT * FROM unnest($1::text[], $2::text[], $3::int[])',
  [PRODUCTS.map((p) => p[0]), PRODUCTS.map((p) => p[1]), PRODUCTS.map((p) => p[2])],
);

let schema;
/** Runs the learner's createSchema once; every test starts by awaiting it. */
async function ready() {
  schema ??= Promise.resolve().then(() => createSchema(pool));
  try {
    await schema;
  } catch (error) {
    assert.fail(`createSchema(pool) failed, so there are no tables to work with: ${error.code ? `${error.code} ` : ''}${error.message}`);
  }
}

const outcome = (result) =>
  result.error ? `rejected with ${result.error.code ? `code ${result.error.code}: ` : ''}${result.error.message}` : `resolved to ${JSON.stringify(result.value)?.slice(0, 400)}`;

async function attempt(fn) {
  try {
    return { value: await fn() };
  } catch (error) {
    return { error };
  }
}

async function mustResolve(label, fn) {
  const result = await attempt(fn);
  assert.ok(!result.error, `${label} ${outcome(result)}`);
  return result.value;
}

async function storedDoc(orderId) {
  const { rows } = await pool.query('SELECT customer_id, doc FROM orders WHERE id = $1', [orderId]);
  assert.equal(rows.length, 1, `no row in orders with id ${JSON.stringify(orderId)}: saveOrder must resolve to the id of the row it inserted`);
  return rows[0];
}

async function customerRows(email) {
  const { rows } = await pool.query('SELECT id, email, name FROM customers WHERE email = $1', [email]);
  return rows;
}

async function countRows() {
  const { rows } = await pool.query('SELECT (SELECT count(*)::int FROM customers) AS customers, (SELECT count(*)::int FROM orders) AS orders');
  return rows[0];
}

/** A pool stand-in that records the SQL text and values of every query. */
function recordingPool() {
  const log = [];
  const record = ([query, values]) => log.push(typeof query === 'string' ? { text: query, values } : { text: query.text, values: query.values ?? values });
  return {
    log,
    query: (...args) => {
      record(args);
      return pool.query(...args);
    },
    async connect() {
      const client = await pool.connect();
      return { query: (...args) => (record(args), client.query(...args)), release: (...args) => client.release(...args) };
    },
  };
}

test('createSchema creates customers and orders with a jsonb document, and can run twice', { timeout: 3000 }, async () => {
  await ready();
  await mustResolve('running createSchema(pool) a second time', () => createSchema(pool));
  const { rows } = await pool.query(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name IN ('customers', 'orders')`,
  );
  const columns = Object.fromEntries(rows.map((r) => [`${r.table_name}.${r.column_name}`, r.data_type]));
  for (const column of ['customers.id', 'customers.email', 'customers.name', 'orders.id', 'orders.customer_id', 'orders.doc']) {
    assert.ok(column in columns, `the schema needs a column ${column}; found ${Object.keys(columns).join(', ') || 'no tables'}`);
  }
  assert.equal(columns['orders.doc'], 'jsonb', `orders.doc must be jsonb (binary, indexable), found ${columns['orders.doc']}`);
});

test('saveOrder embeds the line items with a copy of name and price, and references the customer by id', { timeout: 3000 }, async () => {
  await ready();
  const input = { customer: { email: 'ada@example.com', name: 'Ada Lovelace' }, items: [{ sku: 'MUG-1', qty: 2 }, { sku: 'TEA-1', qty: 1 }] };
  const order = await mustResolve(`saveOrder(pool, ${JSON.stringify(input)})`, () => saveOrder(pool, input));
  const [customer] = await customerRows('ada@example.com');
  assert.ok(customer, 'saveOrder must create a row in customers for a new email');
  assert.equal(customer.name, 'Ada Lovelace', 'the customer row keeps the name');
  assert.equal(typeof order?.id, 'number', `saveOrder must resolve to the order with a numeric id, got ${JSON.stringify(order)}`);
  assert.deepEqual(
    order,
    { id: order.id, customerId: customer.id, status: 'pending', items: [line('MUG-1', 2), line('TEA-1', 1)] },
    'saveOrder resolves to { id, customerId, status: "pending", items: [{ sku, name, priceCents, qty }] }, name and price copied from products',
  );
  const row = await storedDoc(order.id);
  assert.equal(row.customer_id, customer.id, 'orders.customer_id must point at the customer row');
  assert.equal(row.doc.status, 'pending', 'the document holds the status');
  assert.deepEqual(row.doc.items, [line('MUG-1', 2), line('TEA-1', 1)], 'the document embeds the line items: doc.items = [{ sku, name, priceCents, qty }]');
  const text = JSON.stringify(row.doc);
  assert.ok(!text.includes('ada@example.com') && !text.includes('Ada Lovelace'), `the document must reference the customer, not copy their email or name (a copy goes stale when they change it): ${text}`);
});

test('one customer per email: later orders reuse it and update the name, even when they arrive at once', { timeout: 5000 }, async () => {
  await ready();
  const first = await mustResolve('saveOrder for bob@example.com', () =>
    saveOrder(pool, { customer: { email: 'bob@example.com', name: 'Bob' }, items: [{ sku: 'PEN-1', qty: 1 }] }));
  const second = await mustResolve('a second saveOrder for bob@example.com', () =>
    saveOrder(pool, { customer: { email: 'bob@example.com', name: 'Robert' }, items: [{ sku: 'INK-1', qty: 3 }] }));
  assert.ok(second, 'the second order for an existing email must be saved too (INSERT … ON CONFLICT DO NOTHING returns no row for an existing customer)');
  assert.equal(second.customerId, first.customerId, 'the second order must reference the same customer');
  assert.deepEqual((await customerRows('bob@example.com')).map((c) => c.name), ['Robert'], 'one customer row per email, with the latest name');

  const email = 'rush@example.com';
  const results = await Promise.all(
    Array.from({ length: 12 }, (_, i) => attempt(() => saveOrder(pool, { customer: { email, name: `Rush ${i}` }, items: [{ sku: 'CUP-1', qty: 1 }] }))),
  );
  const failed = results.find((r) => r.error);
  assert.ok(!failed, `12 concurrent first orders for a new email must all succeed, one ${failed && outcome(failed)}\nlook up, then insert, races: let INSERT … ON CONFLICT (email) DO UPDATE … RETURNING id decide`);
  assert.equal((await customerRows(email)).length, 1, 'concurrent orders for a new email must create exactly one customer (a UNIQUE constraint on email)');
  assert.equal(new Set(results.map((r) => r.value.customerId)).size, 1, 'all 12 orders must reference that one customer');
});

test('findOrdersByCustomerEmail returns that customer\'s orders oldest first, and [] for an unknown email', { timeout: 3000 }, async () => {
  await ready();
  const mine = [];
  for (const items of [[{ sku: 'LAMP-1', qty: 1 }], [{ sku: 'RUG-1', qty: 1 }, { sku: 'BAG-1', qty: 2 }], [{ sku: 'HAT-1', qty: 1 }]]) {
    mine.push(await mustResolve('saveOrder for cy@example.com', () => saveOrder(pool, { customer: { email: 'cy@example.com', name: 'Cy' }, items })));
    await mustResolve('saveOrder for someone else', () => saveOrder(pool, { customer: { email: 'di@example.com', name: 'Di' }, items }));
  }
  const found = await mustResolve("findOrdersByCustomerEmail(pool, 'cy@example.com')", () => findOrdersByCustomerEmail(pool, 'cy@example.com'));
  assert.deepEqual(found, mine, 'all three of Cy\'s orders, in the order they were placed, each { id, customerId, status, items } with the items embedded, and none of Di\'s');
  assert.deepEqual(await findOrdersByCustomerEmail(pool, 'nobody@example.com'), [], 'an unknown email has no orders');
});

test('a changed customer email follows the reference; a changed product price does not touch placed orders', { timeout: 3000 }, async () => {
  await ready();
  await pool.query("INSERT INTO products VALUES ('VASE-1', 'Glass Vase', 3100) ON CONFLICT DO NOTHING");
  const order = await mustResolve('saveOrder for eve@example.com', () =>
    saveOrder(pool, { customer: { email: 'eve@example.com', name: 'Eve' }, items: [{ sku: 'VASE-1', qty: 2 }] }));
  await pool.query("UPDATE customers SET email = 'eve@new.example.com' WHERE email = 'eve@example.com'");
  await pool.query("UPDATE products SET name = 'Glass Vase XL', price_cents = 9999 WHERE sku = 'VASE-1'");

  const found = await mustResolve("findOrdersByCustomerEmail(pool, 'eve@new.example.com')", () => findOrdersByCustomerEmail(pool, 'eve@new.example.com'));
  assert.deepEqual(found.map((o) => o.id), [order.id], 'after the customer changed their email, their orders are found by the new one: look the customer up through orders.customer_id');
  assert.deepEqual(await findOrdersByCustomerEmail(pool, 'eve@example.com'), [], 'the old email no longer has orders');
  assert.deepEqual(found[0].items, [{ sku: 'VASE-1', name: 'Glass Vase', priceCents: 3100, qty: 2 }], 'an order keeps the name and price it was placed at, even after the product changes: that is why line items are embedded copies');
});

test('findOrdersBySku finds every order with that sku, and only that exact sku', { timeout: 3000 }, async () => {
  await ready();
  await pool.query("INSERT INTO products VALUES ('SOCK-7', 'Red Socks', 700), ('SOCK-77', 'Blue Socks', 770) ON CONFLICT DO NOTHING");
  const customer = { email: 'fay@example.com', name: 'Fay' };
  const a = await mustResolve('saveOrder', () => saveOrder(pool, { customer, items: [{ sku: 'SOCK-7', qty: 1 }, { sku: 'MUG-1', qty: 1 }] }));
  const b = await mustResolve('saveOrder', () => saveOrder(pool, { customer, items: [{ sku: 'SOCK-77', qty: 1 }] }));
  const c = await mustResolve('saveOrder', () => saveOrder(pool, { customer, items: [{ sku: 'MUG-10', qty: 1 }, { sku: 'SOCK-7', qty: 4 }] }));
  const found = await mustResolve("findOrdersBySku(pool, 'SOCK-7')", () => findOrdersBySku(pool, 'SOCK-7'));
  assert.deepEqual(found.map((o) => o.id), [a.id, c.id], `orders ${a.id} and ${c.id} contain SOCK-7 (oldest first); ${b.id} has only SOCK-77, which is a different sku: match the whole value with doc @> '{"items":[{"sku":"SOCK-7"}]}'`);
  assert.deepEqual(found[1], c, 'each found order is the whole order, { id, customerId, status, items }');
  assert.deepEqual(await findOrdersBySku(pool, 'NO-SUCH-SKU'), [], 'a sku nobody ordered finds nothing');
});

test("findOrdersBySku's query is answered by a GIN index on the document", { timeout: 5000 }, async () => {
  await ready();
  // Realistic statistics: thousands of documents, one of them with the sku looked up.
  const { rows: [filler] } = await pool.query(
    "INSERT INTO customers (email, name) VALUES ('filler@example.com', 'Filler') ON CONFLICT (email) DO UPDATE SET name = 'Filler' RETURNING id",
  );
  await pool.query(
    `INSERT INTO orders (customer_id, doc)
     SELECT $1, jsonb_build_object('status', 'paid', 'items', jsonb_build_array(
       jsonb_build_object('sku', 'FILL-' || n, 'name', 'Filler ' || n, 'priceCents', 100 + n, 'qty', 1)))
     FROM generate_series(1, 3000) AS n`,
    [filler.id],
  );
  await pool.query('ANALYZE orders');

  const recorder = recordingPool();
  await mustResolve("findOrdersBySku(pool, 'FILL-1234')", () => findOrdersBySku(recorder, 'FILL-1234'));
  assert.ok(recorder.log.length > 0, 'findOrdersBySku must query through the pool it is given');
  const { rows: ginRows } = await pool.query(
    `SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
     WHERE i.indrelid = 'orders'::regclass AND am.amname = 'gin'`,
  );
  const ginIndexes = ginRows.map((r) => r.relname);
  assert.ok(ginIndexes.length > 0, 'orders has no GIN index: CREATE INDEX … ON orders USING gin (doc jsonb_path_ops) lets @> find documents without reading every row');

  const client = await pool.connect();
  const plans = [];
  try {
    await client.query('BEGIN');
    // The question is whether a GIN index CAN answer the query, whatever the planner
    // would pick for this table's size: discourage reading the whole table or walking
    // the primary key, which leaves bitmap scans (the only way GIN indexes are read).
    await client.query('SET LOCAL enable_seqscan = off');
    await client.query('SET LOCAL enable_indexscan = off');
    await client.query('SET LOCAL enable_indexonlyscan = off');
    for (const { text, values } of recorder.log) {
      const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
      plans.push(rows[0]['QUERY PLAN'][0].Plan);
    }
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
  const usedIndexes = [];
  const walk = (node) => {
    if (node['Index Name']) usedIndexes.push(node['Index Name']);
    (node.Plans ?? []).forEach(walk);
  };
  plans.forEach(walk);
  assert.ok(
    usedIndexes.some((name) => ginIndexes.includes(name)),
    `the query findOrdersBySku sent must be able to use the GIN index (${ginIndexes.join(', ')}), but even with full scans discouraged its plan does not (indexes in the plan: ${usedIndexes.join(', ') || 'none'}).\n` +
      `The query was: ${recorder.log.map((q) => q.text).join(' / ')}\n` +
      'An index on doc serves doc @> $1 (not doc->\'items\' @> …, nor ->> comparisons); the index and the query must use the same expression',
  );
});

test('CHECK constraints reject documents of the wrong shape and accept valid ones', { timeout: 3000 }, async () => {
  await ready();
  const { rows: [customer] } = await pool.query(
    "INSERT INTO customers (email, name) VALUES ('gus@example.com', 'Gus') ON CONFLICT (email) DO UPDATE SET name = 'Gus' RETURNING id",
  );
  const insert = (doc) => attempt(() => pool.query('INSERT INTO orders (customer_id, doc) VALUES ($1, $2::jsonb) RETURNING id', [customer.id, doc]));
  const invalid = [
    ['an array instead of an object', '[]'],
    ['a string instead of an object', '"pending"'],
    ['no items', '{"status":"pending"}'],
    ['items that are not an array', '{"status":"pending","items":{"sku":"MUG-1"}}'],
    ['no status', '{"items":[]}'],
    ['an unknown status', '{"status":"lost","items":[]}'],
    ['a status that is not a string', '{"status":["paid"],"items":[]}'],
  ];
  for (const [what, doc] of invalid) {
    const result = await insert(doc);
    assert.equal(
      result.error?.code,
      '23514',
      `inserting a document with ${what} (${doc}) must fail a CHECK constraint (SQLSTATE 23514), but it ${outcome(result)}.\n` +
        'Use jsonb_typeof() and doc->>\'status\' IN (…); remember a CHECK whose expression is NULL (a missing key) passes: wrap it in (…) IS TRUE or coalesce',
    );
  }
  for (const doc of ['{"status":"paid","items":[]}', '{"status":"shipped","items":[{"sku":"MUG-1","qty":1}],"note":"gift wrap"}', '{"status":"cancelled","items":[]}']) {
    const result = await insert(doc);
    assert.ok(!result.error, `a valid document ${doc} must be accepted (extra keys are fine), but it ${outcome(result)}`);
  }
});

test('saveOrder rejects invalid input with INVALID_INPUT and unknown products with UNKNOWN_SKU, writing nothing', { timeout: 3000 }, async () => {
  await ready();
  const before = await countRows();
  const customer = { email: 'hal@example.com', name: 'Hal' };
  const cases = [
    [{ customer, items: [] }, 'INVALID_INPUT', 'an order needs at least one item'],
    [{ customer, items: [{ sku: 'MUG-1', qty: 0 }] }, 'INVALID_INPUT', 'qty is a positive integer'],
    [{ customer, items: [{ sku: 'MUG-1', qty: 1.5 }] }, 'INVALID_INPUT', 'qty is a positive integer'],
    [{ customer, items: [{ qty: 1 }] }, 'INVALID_INPUT', 'every item needs a sku'],
    [{ customer: { name: 'Hal' }, items: [{ sku: 'MUG-1', qty: 1 }] }, 'INVALID_INPUT', 'the customer needs an email'],
    [{ customer: { email: 'hal@example.com' }, items: [{ sku: 'MUG-1', qty: 1 }] }, 'INVALID_INPUT', 'the customer needs a name'],
    [{ customer, items: [{ sku: 'MUG-1', qty: 1 }, { sku: 'NOPE-1', qty: 1 }] }, 'UNKNOWN_SKU', 'every sku must exist in products'],
  ];
  for (const [input, code, nudge] of cases) {
    const result = await attempt(() => saveOrder(pool, input));
    assert.equal(result.error?.code, code, `saveOrder(pool, ${JSON.stringify(input)}) must reject with code ${code}, but it ${outcome(result)}\n${nudge}`);
  }
  assert.deepEqual(await countRows(), before, 'a rejected order must not create a customer or an order: validate and look up every sku before writing');
});

test('addItem appends a line item with its own copy of name and price, and rejects what it cannot add', { timeout: 3000 }, async () => {
  await ready();
  const order = await mustResolve('saveOrder', () => saveOrder(pool, { customer: { email: 'ivy@example.com', name: 'Ivy' }, items: [{ sku: 'MUG-1', qty: 1 }] }));
  const updated = await mustResolve(`addItem(pool, ${order.id}, { sku: 'LAMP-1', qty: 2 })`, () => addItem(pool, order.id, { sku: 'LAMP-1', qty: 2 }));
  assert.deepEqual(updated, { ...order, items: [line('MUG-1', 1), line('LAMP-1', 2)] }, 'addItem resolves to the whole updated order, the new line last');
  assert.deepEqual((await storedDoc(order.id)).doc.items, [line('MUG-1', 1), line('LAMP-1', 2)], 'the new line must be stored in doc.items');

  const rejects = [
    [999_999, { sku: 'MUG-1', qty: 1 }, 'ORDER_NOT_FOUND', 'an UPDATE that matches no row is not an error: check how many rows came back'],
    [order.id, { sku: 'NOPE-1', qty: 1 }, 'UNKNOWN_SKU', 'the sku must exist in products'],
    [order.id, { sku: 'MUG-1', qty: -2 }, 'INVALID_INPUT', 'qty is a positive integer'],
  ];
  for (const [id, item, code, nudge] of rejects) {
    const result = await attempt(() => addItem(pool, id, item));
    assert.equal(result.error?.code, code, `addItem(pool, ${id}, ${JSON.stringify(item)}) must reject with code ${code}, but it ${outcome(result)}\n${nudge}`);
  }
  assert.equal((await storedDoc(order.id)).doc.items.length, 2, 'rejected items must not be stored');
});

test('40 concurrent addItem calls on one order keep every item and the rest of the document', { timeout: 8000 }, async () => {
  await ready();
  const order = await mustResolve('saveOrder', () => saveOrder(pool, { customer: { email: 'joe@example.com', name: 'Joe' }, items: [{ sku: 'RUG-1', qty: 1 }] }));
  // Something else wrote to the same document: a partial update must keep it.
  await pool.query(`UPDATE orders SET doc = doc || '{"note":"leave at the door"}' WHERE id = $1`, [order.id]);
  const skus = PRODUCTS.map(([sku]) => sku);
  const items = Array.from({ length: 40 }, (_, i) => ({ sku: skus[i % skus.length], qty: i + 1 }));
  const results = await Promise.all(items.map((item) => attempt(() => addItem(pool, order.id, item))));
  const failed = results.find((r) => r.error);
  assert.ok(!failed, `every concurrent addItem must succeed, one ${failed && outcome(failed)}`);

  const { doc } = await storedDoc(order.id);
  const quantities = doc.items.map((item) => item.qty).sort((x, y) => x - y);
  const missing = items.filter((item) => !doc.items.some((stored) => stored.qty === item.qty && stored.sku === item.sku));
  assert.equal(
    doc.items.length,
    41,
    `the order must hold its first item plus all 40 added ones, it holds ${doc.items.length} (missing qty ${missing.map((m) => m.qty).join(', ')}).\n` +
      'Reading the document, pushing in JavaScript and writing it back loses concurrent appends: change it inside one UPDATE, doc = jsonb_set(doc, \'{items}\', doc->\'items\' || $2::jsonb)',
  );
  assert.deepEqual(quantities, [1, ...Array.from({ length: 40 }, (_, i) => i + 1)].sort((x, y) => x - y), 'each added item must be stored exactly once');
  assert.equal(doc.note, 'leave at the door', 'addItem must change only doc.items and keep every other key of the document');
  assert.equal(doc.status, 'pending', 'addItem must keep the status');
});
