import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { exercisePath } from './support.mjs';

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error('DATABASE_URL is not set: this exercise needs a PostgreSQL database');

const options = '-c synchronous_commit=off';
const pool = new pg.Pool({ connectionString, options, max: 2 });
after(() => pool.end());

// The data of the README: 10,000 customers (every third email capitalised), 50,000 orders
// of 1,000 of them (50 each, spread over the table), 2% pending, one every 10 minutes
// through 2024. Plain arithmetic instead of random(): every run plans on the same data.
await pool.query(`
  DROP TABLE IF EXISTS orders, customers;
  CREATE TABLE customers (
    id         bigint PRIMARY KEY,
    email      text NOT NULL,
    name       text NOT NULL,
    country    text NOT NULL,
    created_at timestamptz NOT NULL
  );
  CREATE TABLE orders (
    id          bigint PRIMARY KEY,
    customer_id bigint NOT NULL,
    status      text NOT NULL,
    total_cents integer NOT NULL,
    created_at  timestamptz NOT NULL
  );
  INSERT INTO customers
  SELECT i,
         CASE WHEN i % 3 = 0 THEN 'User' || i || '@Example.com' ELSE 'user' || i || '@example.com' END,
         'Customer ' || i,
         (ARRAY['NO', 'SE', 'DK', 'FI', 'DE', 'FR', 'NL', 'PL', 'ES', 'IT'])[1 + i % 10],
         timestamptz '2022-01-01 00:00:00+00' + i * interval '1 hour'
    FROM generate_series(1, 10000) AS i;
  INSERT INTO orders
  SELECT i,
         1 + (i * 7919) % 1000,
         CASE WHEN i % 50 = 7 THEN 'pending' WHEN i % 10 = 3 THEN 'cancelled' WHEN i % 3 = 0 THEN 'shipped' ELSE 'paid' END,
         100 + (i * 37) % 20000,
         timestamptz '2024-01-01 00:00:00+00' + i * interval '10 minutes'
    FROM generate_series(1, 50000) AS i;
  ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers (id);
`);

// The learner's file runs on a connection of its own that is thrown away afterwards, so
// no SET in it can change how the queries below are planned.
let setupError = null;
const ownClient = new pg.Client({ connectionString, options });
await ownClient.connect();
try {
  await ownClient.query(await readFile(exercisePath('indexes.sql'), 'utf8'));
} catch (error) {
  setupError = error;
} finally {
  await ownClient.end();
}
// A statistics target this high makes ANALYZE read every row: the same statistics, hence
// the same plans, on every run. VACUUM sets the visibility map for index-only scans.
await pool.query('SET default_statistics_target = 1000');
await pool.query('VACUUM ANALYZE customers, orders');

const QUERIES = {
  Q1: { sql: 'SELECT id, name FROM customers WHERE lower(email) = lower($1)', params: ['USER4242@EXAMPLE.COM'] },
  Q2: { sql: 'SELECT id, status, total_cents, created_at FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20', params: [424] },
  Q3: { sql: 'SELECT count(*) FROM orders WHERE customer_id = $1', params: [424] },
  Q4: { sql: "SELECT id, customer_id, created_at FROM orders WHERE status = 'pending' ORDER BY created_at LIMIT 50", params: [] },
  Q5: { sql: 'SELECT sum(total_cents) FROM orders WHERE created_at >= $1 AND created_at < $2', params: ['2024-03-01T00:00:00Z', '2024-03-02T00:00:00Z'] },
};

const INDEX_NODES = new Set(['Index Scan', 'Index Only Scan', 'Bitmap Index Scan']);

function nodesOf(plan, out = []) {
  out.push(plan);
  for (const child of plan.Plans ?? []) nodesOf(child, out);
  return out;
}

function describeNode(node) {
  const on = node['Relation Name'] ? ` on ${node['Relation Name']}` : '';
  const using = node['Index Name'] ? ` using ${node['Index Name']}` : '';
  return `${node['Node Type']}${node['Scan Direction'] === 'Backward' ? ' Backward' : ''}${using}${on}`;
}

/** The plan of a query as its nodes, with a one-line rendering for messages. */
async function explain(id) {
  const { sql, params } = QUERIES[id];
  const { rows } = await pool.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
  const nodes = nodesOf(rows[0]['QUERY PLAN'][0].Plan);
  return { nodes, text: `${id} (${sql})\n  plan: ${nodes.map(describeNode).join(' > ')}` };
}

/** Every index on the two tables that is not a primary key, with what the suite needs to know. */
async function learnerIndexes() {
  const { rows } = await pool.query(`
    SELECT c.relname AS name, t.relname AS table_name, i.indisunique AS unique,
           pg_get_indexdef(i.indexrelid, 1, true) AS first_key,
           pg_get_indexdef(i.indexrelid) AS definition,
           pg_relation_size(i.indexrelid) AS bytes
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_class t ON t.oid = i.indrelid
     WHERE t.relname IN ('customers', 'orders') AND t.relnamespace = 'public'::regnamespace AND NOT i.indisprimary
     ORDER BY c.relname`);
  return new Map(rows.map((row) => [row.name, { ...row, bytes: Number(row.bytes) }]));
}

function assertSetUp() {
  assert.equal(setupError, null, `indexes.sql failed on the seeded tables: ${setupError?.message}\nit should hold plain CREATE INDEX statements (CONCURRENTLY cannot run inside the one query the file is sent as)`);
}

/**
 * Asserts that the query reads through one of the learner's indexes, never scans a whole
 * table, and returns that index.
 */
async function servedByIndex(id, nudge) {
  assertSetUp();
  const plan = await explain(id);
  const indexes = await learnerIndexes();
  const seq = plan.nodes.find((node) => node['Node Type'] === 'Seq Scan');
  assert.ok(!seq, `${plan.text}\nthe plan reads every row of ${seq?.['Relation Name']} (Seq Scan): ${nudge}`);
  const used = plan.nodes.find((node) => INDEX_NODES.has(node['Node Type']) && indexes.has(node['Index Name']));
  assert.ok(used, `${plan.text}\nthe plan should read through an index from indexes.sql (Index Scan, Index Only Scan or Bitmap Index Scan): ${nudge}`);
  return { plan, index: indexes.get(used['Index Name']) };
}

function assertNoSort(plan, nudge) {
  const sort = plan.nodes.find((node) => /Sort/.test(node['Node Type']));
  assert.ok(!sort, `${plan.text}\nthe plan sorts the rows after finding them (${sort?.['Node Type']}): ${nudge}`);
}

test('indexes.sql runs on the seeded tables and leaves tables, rows and primary keys alone', { timeout: 3000 }, async () => {
  assertSetUp();
  const { rows } = await pool.query(`
    SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM orders)::int AS orders,
           (SELECT count(*) FROM pg_index WHERE indisprimary AND indrelid IN ('customers'::regclass, 'orders'::regclass))::int AS primary_keys`);
  assert.deepEqual(rows[0], { customers: 10000, orders: 50000, primary_keys: 2 }, 'indexes.sql should only add indexes: the rows and both primary keys must still be there');
});

test('Q1 finds a customer by email in any letter case through an index on lower(email)', { timeout: 3000 }, async () => {
  const { plan, index } = await servedByIndex('Q1', 'an index on email cannot answer lower(email) = …: index the expression itself, ON customers (lower(email))');
  assert.equal(index.table_name, 'customers', `${plan.text}\nQ1 should use an index on customers`);
});

test('no two customers may share an email, ignoring case', { timeout: 3000 }, async () => {
  assertSetUp();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const attempt = await client
      .query("INSERT INTO customers (id, email, name, country, created_at) VALUES (20001, 'USER42@example.COM', 'Impostor', 'NO', now())")
      .then(() => null, (error) => error);
    assert.equal(attempt?.code, '23505', `inserting USER42@example.COM while User42@Example.com exists ${attempt ? `failed with ${attempt.code}: ${attempt.message}` : 'succeeded'}; it must fail with 23505 (unique_violation)\nmake Q1's index UNIQUE: CREATE UNIQUE INDEX … ON customers (lower(email))`);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
});

test("Q2 reads a customer's 20 latest orders in order from an index that starts with customer_id", { timeout: 3000 }, async () => {
  const nudge = 'put the equality column first and the ORDER BY column second: ON orders (customer_id, created_at)';
  const { plan, index } = await servedByIndex('Q2', nudge);
  assert.equal(index.first_key, 'customer_id', `${plan.text}\n${index.name} (${index.definition}) starts with ${index.first_key}, so finding one customer's orders walks the whole index: ${nudge}`);
  assertNoSort(plan, `with created_at second in the index, one customer's orders come out already sorted and the scan stops after 20; ${nudge}`);
});

test("Q3 counts a customer's orders from an index that starts with customer_id", { timeout: 3000 }, async () => {
  const nudge = "an index's leading column serves queries on that column alone: Q2's index on (customer_id, created_at) answers Q3 too";
  const { plan, index } = await servedByIndex('Q3', nudge);
  assert.equal(index.first_key, 'customer_id', `${plan.text}\n${index.name} (${index.definition}) starts with ${index.first_key}, so the count walks the whole index: ${nudge}`);
});

test('Q4 reads the oldest pending orders in order from a small, partial index', { timeout: 3000 }, async () => {
  const nudge = "index only the pending orders, sorted by created_at: ON orders (created_at) WHERE status = 'pending'";
  const { plan, index } = await servedByIndex('Q4', nudge);
  assertNoSort(plan, `the index must deliver pending orders by created_at; ${nudge}`);
  const { rows } = await pool.query("SELECT pg_relation_size('orders_pkey')::bigint AS bytes");
  const full = Number(rows[0].bytes);
  assert.ok(
    index.bytes * 10 <= full,
    `${plan.text}\n${index.name} (${index.definition}) takes ${Math.round(index.bytes / 1024)} kB, about as much as an index over all 50,000 orders (${Math.round(full / 1024)} kB), to serve 1,000 pending ones; it should take at most a tenth of that: ${nudge}`,
  );
});

test("Q5 sums one day's orders through an index on created_at", { timeout: 3000 }, async () => {
  const nudge = 'a range condition on created_at needs an index whose first column is created_at';
  const { plan, index } = await servedByIndex('Q5', nudge);
  assert.equal(index.first_key, 'created_at', `${plan.text}\n${index.name} (${index.definition}) does not start with created_at: ${nudge}`);
});

test('uses at most four indexes besides the primary keys, each of them serving one of the queries', { timeout: 3000 }, async () => {
  assertSetUp();
  const indexes = await learnerIndexes();
  const list = [...indexes.values()].map((index) => `  ${index.definition}`).join('\n');
  assert.ok(indexes.size <= 4, `indexes.sql created ${indexes.size} indexes:\n${list}\nevery index slows down every INSERT and UPDATE and takes memory: at most four, so some index must serve two queries`);
  const used = new Set();
  for (const id of Object.keys(QUERIES)) {
    for (const node of (await explain(id)).nodes) if (node['Index Name']) used.add(node['Index Name']);
  }
  const unused = [...indexes.keys()].filter((name) => !used.has(name));
  assert.deepEqual(unused, [], `no query plan uses ${unused.join(', ')}:\n${list}\nan index no query reads only costs writes; drop it`);
});
