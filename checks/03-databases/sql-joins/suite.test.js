import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { importExercise, requireExport, seededRandom } from './support.mjs';

const mod = await importExercise('reports.js');
const topCustomers = requireExport(mod, 'topCustomers', 'function', 'reports.js');
const revenueByMonth = requireExport(mod, 'revenueByMonth', 'function', 'reports.js');
const productsNeverOrdered = requireExport(mod, 'productsNeverOrdered', 'function', 'reports.js');
const ordersWithItemsCount = requireExport(mod, 'ordersWithItemsCount', 'function', 'reports.js');
const categoryShare = requireExport(mod, 'categoryShare', 'function', 'reports.js');

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error('DATABASE_URL is not set: this exercise needs a PostgreSQL database');
const pool = new pg.Pool({ connectionString, options: '-c synchronous_commit=off', max: 4 });
after(() => pool.end());

// ---------------------------------------------------------------------------------------
// The data: random orders from the seeded generator, plus hand-made orders for the traps.
// ---------------------------------------------------------------------------------------
const rand = seededRandom();
const between = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const CATEGORIES = ['books', 'games', 'music', 'tools'];

const customers = [];
for (let id = 1; id <= 40; id++) customers.push({ id, name: `Customer ${id}` });
customers.push({ id: 41, name: 'Ada Lovelace' }, { id: 42, name: 'Alan Turing' }, { id: 43, name: 'Grace Hopper' }, { id: 44, name: 'Edsger Dijkstra' });

const products = [];
for (let id = 1; id <= 30; id++) products.push({ id, name: `Product ${id}`, category: CATEGORIES[id % 4], price: between(5, 60) * 100 - 1 });
const priceOf = (id) => products[id - 1].price;

const orders = [];
const items = [];
const refunds = [];
const START = Date.parse('2023-12-15T00:00:00Z');
const MINUTES = (Date.parse('2025-01-15T00:00:00Z') - START) / 60_000;
// Customers 1–36 order at random; 37–40 never order; 41–44 only have the hand-made orders.
for (let id = 1; id <= 400; id++) {
  const r = rand();
  const order = {
    id,
    customer_id: between(1, 36),
    status: r < 0.7 ? 'paid' : r < 0.85 ? 'pending' : 'cancelled',
    created_at: new Date(START + between(0, MINUTES) * 60_000),
  };
  orders.push(order);
  let gross = 0;
  const lines = rand() < 0.15 ? 0 : between(1, 4);
  for (let n = 0; n < lines; n++) {
    // About 8% of lines lost their product (deleted later: product_id is NULL).
    const product = rand() < 0.08 ? null : between(1, 25);
    const line = { id: items.length + 1, order_id: id, product_id: product, quantity: between(1, 3), unit_price_cents: product ? priceOf(product) : between(3, 40) * 100 };
    items.push(line);
    gross += line.quantity * line.unit_price_cents;
  }
  const refundCount = order.status === 'paid' && gross > 0 ? [0, 0, 0, 0, 0, 0, 0, 1, 1, 2][between(0, 9)] : 0;
  for (let n = 0; n < refundCount; n++) {
    refunds.push({ id: refunds.length + 1, order_id: id, amount_cents: Math.min(between(1, 5) * 100, Math.floor(gross / 4)) });
  }
}

function fixture(order, lines = [], refundAmounts = []) {
  orders.push({ ...order, created_at: new Date(order.created_at) });
  for (const [product_id, quantity, unit_price_cents] of lines) items.push({ id: items.length + 1, order_id: order.id, product_id, quantity, unit_price_cents });
  for (const amount_cents of refundAmounts) refunds.push({ id: refunds.length + 1, order_id: order.id, amount_cents });
}
// February 2025: after all random orders, so these alone decide topCustomers since 2025-02-01.
const SINCE = new Date('2025-02-01T00:00:00Z');
fixture({ id: 1001, customer_id: 41, status: 'paid', created_at: '2025-02-01T00:00:00.000Z' }, [[1, 2, 1000]]);
fixture({ id: 1002, customer_id: 42, status: 'paid', created_at: '2025-02-03T12:00:00.000Z' }, [[2, 1, 1500], [null, 1, 500]]);
fixture({ id: 1003, customer_id: 43, status: 'paid', created_at: '2025-01-31T23:59:59.999Z' }, [[3, 1, 9999]]);
fixture({ id: 1004, customer_id: 43, status: 'cancelled', created_at: '2025-02-02T10:00:00.000Z' }, [[26, 5, 2000]]);
fixture({ id: 1005, customer_id: 43, status: 'paid', created_at: '2025-02-05T09:00:00.000Z' }, [[4, 1, 1000], [5, 1, 2000], [6, 1, 3000]], [500, 700]);
fixture({ id: 1006, customer_id: 43, status: 'paid', created_at: '2025-02-06T09:00:00.000Z' });
fixture({ id: 1007, customer_id: 44, status: 'pending', created_at: '2025-02-04T09:00:00.000Z' }, [[7, 2, 700]]);
// Near month and year boundaries: another month, or year, in Oslo or New York than in UTC.
fixture({ id: 1008, customer_id: 41, status: 'paid', created_at: '2023-12-31T23:30:00.000Z' }, [[8, 1, 1111]]);
fixture({ id: 1009, customer_id: 41, status: 'paid', created_at: '2024-12-31T23:30:00.000Z' }, [[9, 1, 2222]]);
fixture({ id: 1010, customer_id: 42, status: 'paid', created_at: '2024-03-01T03:00:00.000Z' }, [[10, 1, 3333]]);
fixture({ id: 1011, customer_id: 42, status: 'paid', created_at: '2024-06-30T22:30:00.000Z' }, [[11, 2, 2500]], [1000]);

await pool.query(`
  DROP TABLE IF EXISTS refunds, order_items, orders, products, customers;
  CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL);
  CREATE TABLE products (id integer PRIMARY KEY, name text NOT NULL, category text NOT NULL, price_cents integer NOT NULL);
  CREATE TABLE orders (
    id          integer PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers (id),
    status      text NOT NULL CHECK (status IN ('pending', 'paid', 'cancelled')),
    created_at  timestamptz NOT NULL
  );
  CREATE TABLE order_items (
    id               integer PRIMARY KEY,
    order_id         integer NOT NULL REFERENCES orders (id),
    product_id       integer REFERENCES products (id) ON DELETE SET NULL,
    quantity         integer NOT NULL CHECK (quantity > 0),
    unit_price_cents integer NOT NULL
  );
  CREATE TABLE refunds (
    id           integer PRIMARY KEY,
    order_id     integer NOT NULL REFERENCES orders (id),
    amount_cents integer NOT NULL CHECK (amount_cents > 0)
  );
`);
const column = (rows, key) => rows.map((row) => row[key]);
await pool.query('INSERT INTO customers SELECT * FROM unnest($1::int[], $2::text[])', [column(customers, 'id'), column(customers, 'name')]);
await pool.query('INSERT INTO products SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[])', ['id', 'name', 'category', 'price'].map((key) => column(products, key)));
await pool.query('INSERT INTO orders SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::timestamptz[])', ['id', 'customer_id', 'status', 'created_at'].map((key) => column(orders, key)));
await pool.query('INSERT INTO order_items SELECT * FROM unnest($1::int[], $2::int[], $3::int[], $4::int[], $5::int[])', ['id', 'order_id', 'product_id', 'quantity', 'unit_price_cents'].map((key) => column(items, key)));
await pool.query('INSERT INTO refunds SELECT * FROM unnest($1::int[], $2::int[], $3::int[])', ['id', 'order_id', 'amount_cents'].map((key) => column(refunds, key)));

// ---------------------------------------------------------------------------------------
// The expected answers, computed from the same data in plain JavaScript.
// ---------------------------------------------------------------------------------------
const sumBy = (rows, key, f) => {
  const sums = new Map();
  for (const row of rows) sums.set(row[key], (sums.get(row[key]) ?? 0) + f(row));
  return sums;
};
const grossOf = sumBy(items, 'order_id', (line) => line.quantity * line.unit_price_cents);
const refundedOf = sumBy(refunds, 'order_id', (refund) => refund.amount_cents);
const lineCountOf = sumBy(items, 'order_id', () => 1);
const paid = orders
  .filter((order) => order.status === 'paid')
  .map((order) => ({ ...order, net: (grossOf.get(order.id) ?? 0) - (refundedOf.get(order.id) ?? 0) }));

function expectedTopCustomers(since, limit) {
  const byCustomer = new Map();
  for (const order of paid.filter((o) => o.created_at >= since)) {
    const entry = byCustomer.get(order.customer_id) ?? { customerId: order.customer_id, name: customers[order.customer_id - 1].name, orders: 0, revenueCents: 0 };
    entry.orders += 1;
    entry.revenueCents += order.net;
    byCustomer.set(order.customer_id, entry);
  }
  return [...byCustomer.values()].sort((a, b) => b.revenueCents - a.revenueCents || a.customerId - b.customerId).slice(0, limit);
}

function expectedRevenueByMonth(year, timeZone) {
  const format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit' });
  const monthOf = (date) => {
    const parts = Object.fromEntries(format.formatToParts(date).map((part) => [part.type, part.value]));
    return `${parts.year}-${parts.month}`;
  };
  const months = paid.map((order) => ({ month: monthOf(order.created_at), net: order.net }));
  return Array.from({ length: 12 }, (_, i) => {
    const month = `${year}-${String(i + 1).padStart(2, '0')}`;
    const inMonth = months.filter((order) => order.month === month);
    return { month, orders: inMonth.length, revenueCents: inMonth.reduce((sum, order) => sum + order.net, 0) };
  });
}

function expectedOrdersWithItemsCount(customerId) {
  return orders
    .filter((order) => order.customer_id === customerId)
    .sort((a, b) => a.created_at - b.created_at || a.id - b.id)
    .map((order) => ({ orderId: order.id, status: order.status, itemCount: lineCountOf.get(order.id) ?? 0, totalCents: grossOf.get(order.id) ?? 0 }));
}

function expectedCategoryShare() {
  const paidIds = new Set(paid.map((order) => order.id));
  const byCategory = sumBy(
    items.filter((line) => paidIds.has(line.order_id)).map((line) => ({ ...line, category: line.product_id ? products[line.product_id - 1].category : '(deleted)' })),
    'category',
    (line) => line.quantity * line.unit_price_cents,
  );
  const total = [...byCategory.values()].reduce((a, b) => a + b, 0);
  return [...byCategory]
    // 100 * cents / total rounded to one decimal, half up, in integers: no float surprises.
    .map(([category, cents]) => ({ category, salesCents: cents, sharePercent: Math.floor((2000 * cents + total) / (2 * total)) / 10 }))
    .sort((a, b) => b.salesCents - a.salesCents || (a.category < b.category ? -1 : 1));
}

// ---------------------------------------------------------------------------------------
// Helpers for messages.
// ---------------------------------------------------------------------------------------
async function call(name, fn, args) {
  const shown = args === undefined ? `${name}(pool)` : `${name}(pool, ${JSON.stringify(args)})`;
  try {
    return { shown, value: await (args === undefined ? fn(pool) : fn(pool, args)) };
  } catch (error) {
    assert.fail(`${shown} rejected with ${error.code ? `${error.code}: ` : ''}${error.message}`);
  }
}

function hasStringNumbers(value) {
  return Array.isArray(value) && value.some((row) => row && Object.entries(row).some(([key, v]) => typeof v === 'string' && key !== 'name' && /^-?\d+(\.\d+)?$/.test(v)));
}

function sameRows(result, expected, nudge) {
  const types = hasStringNumbers(result.value)
    ? '\npg returns count() and sum() (bigint and numeric) as strings to keep their precision: convert them with Number()'
    : '';
  assert.deepEqual(result.value, expected, `${result.shown} returned other rows than expected${types}\n${nudge}`);
}

const FANOUT =
  'joining order_items and refunds to the same order in one query pairs every line with every refund: sum each table per order in a subquery first, then join';

// ---------------------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------------------
test("topCustomers ranks customers by the net revenue of their paid orders since a date", { timeout: 3000 }, async () => {
  for (const [since, limit] of [[new Date('2024-06-01T00:00:00Z'), 5], [new Date('2024-01-01T00:00:00Z'), 100]]) {
    const result = await call('topCustomers', topCustomers, { since, limit });
    sameRows(result, expectedTopCustomers(since, limit), `each row is { customerId, name, orders, revenueCents }: paid orders created at or after since, revenue = line amounts minus refunds, highest first\n${FANOUT}`);
  }
});

test('topCustomers counts each order and each refund once, including paid orders without lines', { timeout: 3000 }, async () => {
  const result = await call('topCustomers', topCustomers, { since: SINCE, limit: 10 });
  const grace = result.value?.find?.((row) => row?.customerId === 43);
  assert.ok(grace, `${result.shown} returned ${JSON.stringify(result.value)}; Grace Hopper (43) has two paid orders in February 2025 and must be listed`);
  if (Number(grace.revenueCents) === 8400) assert.fail(`${result.shown}: Grace Hopper's revenue came back as 8400 instead of 4800 (6000 of lines minus 1200 of refunds)\n${FANOUT}`);
  if (Number(grace.orders) === 1) assert.fail(`${result.shown}: Grace Hopper has 2 paid orders since then, one without lines; an INNER JOIN to order_items drops it (count orders from orders, LEFT JOIN the rest)`);
  if (Number(grace.orders) > 2) assert.fail(`${result.shown}: Grace Hopper has 2 paid orders since then, not ${grace.orders}: count(*) after joining the lines counts lines; count the orders`);
  sameRows(
    result,
    [
      { customerId: 43, name: 'Grace Hopper', orders: 2, revenueCents: 4800 },
      { customerId: 41, name: 'Ada Lovelace', orders: 1, revenueCents: 2000 },
      { customerId: 42, name: 'Alan Turing', orders: 1, revenueCents: 2000 },
    ],
    'only paid orders count (not pending or cancelled ones), and customers without such orders are not listed',
  );
});

test('topCustomers includes an order placed exactly at `since`, breaks ties by customerId and honours limit', { timeout: 3000 }, async () => {
  const two = await call('topCustomers', topCustomers, { since: SINCE, limit: 2 });
  sameRows(
    two,
    [
      { customerId: 43, name: 'Grace Hopper', orders: 2, revenueCents: 4800 },
      { customerId: 41, name: 'Ada Lovelace', orders: 1, revenueCents: 2000 },
    ],
    "Ada's order was placed at exactly 2025-02-01T00:00:00Z (created_at >= since), and she ties with Alan Turing (42) at 2000: the lower customerId comes first, then LIMIT",
  );
  const later = await call('topCustomers', topCustomers, { since: new Date('2025-02-01T00:00:00.001Z'), limit: 10 });
  assert.deepEqual(later.value?.map?.((row) => row.customerId), [43, 42], `${later.shown} returned ${JSON.stringify(later.value)}; one millisecond later Ada's order no longer counts`);
});

test('revenueByMonth returns all twelve months in order, with zeros for months without paid orders', { timeout: 3000 }, async () => {
  const result = await call('revenueByMonth', revenueByMonth, { year: 2023, timeZone: 'UTC' });
  assert.equal(result.value?.length, 12, `${result.shown} returned ${JSON.stringify(result.value)}; it must have one row per month, January to December, even where there were no orders (generate_series the months and LEFT JOIN the orders)`);
  sameRows(result, expectedRevenueByMonth(2023, 'UTC'), "rows are { month: 'YYYY-MM', orders, revenueCents }: months without paid orders have orders 0 and revenueCents 0, not null");
});

test('revenueByMonth buckets orders by their month in the given time zone', { timeout: 3000 }, async () => {
  for (const timeZone of ['Europe/Oslo', 'America/New_York', 'UTC']) {
    const result = await call('revenueByMonth', revenueByMonth, { year: 2024, timeZone });
    sameRows(
      result,
      expectedRevenueByMonth(2024, timeZone),
      `an order placed at 2024-03-01T03:00Z was placed in February in New York; one at 2023-12-31T23:30Z belongs to January 2024 in Oslo. Bucket by date_trunc('month', created_at AT TIME ZONE $2), and pick the year's orders in that zone too (a month starts at local midnight, which moves in UTC with daylight saving time)\n${FANOUT}`,
    );
  }
});

test('productsNeverOrdered finds the products on no order line, although some lines have lost their product', { timeout: 3000 }, async () => {
  const result = await call('productsNeverOrdered', productsNeverOrdered, undefined);
  const used = new Set(items.map((line) => line.product_id));
  const expected = products.filter((product) => !used.has(product.id)).map(({ id, name }) => ({ id, name }));
  if (Array.isArray(result.value) && result.value.length === 0) {
    assert.fail(`${result.shown} returned []; products ${expected.map((p) => p.id).join(', ')} are on no line. Some lines have product_id NULL, and \`id NOT IN (SELECT product_id …)\` is never true once the list holds a NULL: use NOT EXISTS or a LEFT JOIN … WHERE i.id IS NULL`);
  }
  sameRows(result, expected, 'rows are { id, name } by id; a product on any order line (even of a cancelled order) has been ordered');
});

test('ordersWithItemsCount keeps orders without lines, with itemCount 0 and totalCents 0', { timeout: 3000 }, async () => {
  const result = await call('ordersWithItemsCount', ordersWithItemsCount, { customerId: 43 });
  const empty = result.value?.find?.((row) => row?.orderId === 1006);
  assert.ok(empty, `${result.shown} returned ${JSON.stringify(result.value)}; order 1006 has no lines and must still be listed: LEFT JOIN order_items, not JOIN`);
  assert.equal(Number(empty.itemCount), 0, `${result.shown}: order 1006 has no lines but itemCount came back as ${empty.itemCount}; after a LEFT JOIN, count(*) counts the one row of NULLs, count(i.id) does not`);
  assert.equal(empty.totalCents, 0, `${result.shown}: order 1006 has no lines but totalCents came back as ${JSON.stringify(empty.totalCents)}; sum() over no rows is NULL: COALESCE it to 0`);
  sameRows(
    result,
    [
      { orderId: 1003, status: 'paid', itemCount: 1, totalCents: 9999 },
      { orderId: 1004, status: 'cancelled', itemCount: 1, totalCents: 10000 },
      { orderId: 1005, status: 'paid', itemCount: 3, totalCents: 6000 },
      { orderId: 1006, status: 'paid', itemCount: 0, totalCents: 0 },
    ],
    'every order of the customer in any status, oldest first: { orderId, status, itemCount (lines), totalCents (quantity × unit price, before refunds) }',
  );
});

test('ordersWithItemsCount lists every order of other customers too, and nothing for customers without orders', { timeout: 3000 }, async () => {
  for (const customerId of [7, 19, 41, 42]) {
    const result = await call('ordersWithItemsCount', ordersWithItemsCount, { customerId });
    sameRows(result, expectedOrdersWithItemsCount(customerId), 'every order of that customer, by created_at then id, with its number of lines and their total');
  }
  for (const customerId of [38, 999]) {
    const result = await call('ordersWithItemsCount', ordersWithItemsCount, { customerId });
    sameRows(result, [], 'a customer without orders (or an unknown id) has no rows');
  }
});

test("categoryShare gives each category's share of paid sales to one decimal, with deleted products as '(deleted)'", { timeout: 3000 }, async () => {
  const result = await call('categoryShare', categoryShare, undefined);
  const expected = expectedCategoryShare();
  const shares = Array.isArray(result.value) ? result.value.map((row) => Number(row?.sharePercent)) : [];
  if (shares.length > 0 && shares.every((share) => Number.isInteger(share))) {
    assert.fail(`${result.shown} returned ${JSON.stringify(result.value)}: every share is a whole number. integer / integer is integer division in SQL: use 100.0 * cents / total (numeric), then round(…, 1)`);
  }
  if (Array.isArray(result.value) && !result.value.some((row) => row?.category === '(deleted)')) {
    assert.fail(`${result.shown} returned ${JSON.stringify(result.value)}: lines whose product was deleted (product_id NULL) are sales too, under the category '(deleted)'; an INNER JOIN to products drops them: LEFT JOIN and COALESCE(p.category, '(deleted)')`);
  }
  sameRows(result, expected, 'rows are { category, salesCents, sharePercent } for lines of paid orders only, largest first; sharePercent = round(100.0 * salesCents / all paid sales, 1)');
});
