import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { importExercise, requireExport, seededRandom } from './support.mjs';

const mod = await importExercise('search.js');
const searchProducts = requireExport(mod, 'searchProducts', 'function', 'search.js');

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error('DATABASE_URL is not set: this exercise needs a PostgreSQL database');
const pool = new pg.Pool({ connectionString, max: 4 });
after(() => pool.end());

// [id, name, priceCents, tags, day of January 2024 it was created]
const PRODUCTS = [
  [1, 'Oak Chair', 4900, ['furniture', 'wood'], 5],
  [2, 'Oak Table', 12900, ['furniture', 'wood'], 2],
  [3, 'Steel Chair', 3900, ['furniture', 'metal'], 9],
  [4, 'Chair Cushion', 1500, ['textile'], 3],
  [5, '100% Cotton Shirt', 2500, ['textile', 'clothing'], 7],
  [6, '50% Off Sign', 900, ['decor'], 11],
  [7, 'snake_case Mug', 1200, ['kitchen'], 4],
  [8, 'snake-case Mug', 1200, ['kitchen'], 6],
  [9, 'Back\\slash Poster', 1900, ['decor'], 8],
  [10, 'Backslash Book', 2100, ['books'], 10],
  [11, "O'Brien's Tea", 800, ['kitchen', 'food'], 12],
  [12, 'Brass Lamp', 5600, ['decor', 'metal'], 13],
  [13, 'Wool Rug', 8900, ['textile', 'decor'], 1],
  [14, 'Desk Lamp', 3900, ['decor', 'office'], 14],
  [15, 'Office Chair', 15900, ['furniture', 'office'], 15],
  [16, 'Pine Shelf', 4900, ['furniture', 'wood'], 16],
  [17, 'Linen Napkins', 1500, ['textile', 'kitchen'], 17],
  [18, 'Coffee Mug', 1200, ['kitchen'], 18],
  [19, 'Bamboo Tray', 2200, ['kitchen', 'wood'], 19],
  [20, 'Glass Vase', 3100, ['decor'], 20],
  [21, 'Cotton Throw', 4200, ['textile'], 21],
  [22, 'Rattan Chair', 9900, ['furniture'], 22],
  [23, 'Candle Set', 1800, ['decor'], 23],
  [24, 'Wall Clock', 2900, ['decor', 'office'], 24],
  [25, 'Zinc Planter', 2700, ['decor', 'metal'], 25],
].map(([id, name, price, tags, day]) => ({ id, name, price, tags, day }));
const byId = new Map(PRODUCTS.map((p) => [p.id, p]));

// "C" collation: names sort by byte value on every server, whatever its locale.
await pool.query(`
  DROP TABLE IF EXISTS products, users;
  CREATE TABLE products (
    id          integer     PRIMARY KEY,
    name        text        COLLATE "C" NOT NULL,
    price_cents integer     NOT NULL,
    tags        text[]      NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL
  );
  CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL);
  INSERT INTO users VALUES (1, 'admin@example.com', 'SECRET-HASH-1'), (2, 'ops@example.com', 'SECRET-HASH-2');
`);
// Inserted out of id order, so a query that forgets the id tie-breaker shows it.
const random = seededRandom();
const shuffled = [...PRODUCTS].sort(() => random() - 0.5);
for (const p of shuffled) {
  await pool.query('INSERT INTO products (id, name, price_cents, tags, created_at) VALUES ($1, $2, $3, $4, $5)', [
    p.id,
    p.name,
    p.price,
    p.tags,
    new Date(Date.UTC(2024, 0, p.day, 12)),
  ]);
}

/** What a correct search returns, computed here from the seed data. */
function expectedIds({ name, minPrice, maxPrice, tags, sort = 'name', order = 'asc', limit = 20 } = {}) {
  const key = { name: (p) => p.name, price: (p) => p.price, createdAt: (p) => p.day }[sort];
  return PRODUCTS.filter(
    (p) =>
      (name === undefined || p.name.toLowerCase().includes(name.toLowerCase())) &&
      (minPrice === undefined || p.price >= minPrice) &&
      (maxPrice === undefined || p.price <= maxPrice) &&
      (tags === undefined || tags.length === 0 || p.tags.some((t) => tags.includes(t))),
  )
    .sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      const c = x < y ? -1 : x > y ? 1 : 0;
      return (order === 'desc' ? -c : c) || a.id - b.id;
    })
    .slice(0, limit)
    .map((p) => p.id);
}

/** A pool stand-in that records the SQL text and values of every query. */
function recordingPool() {
  const log = [];
  const record = ([query, values]) => {
    log.push(typeof query === 'string' ? { text: query, values } : { text: String(query?.text), values: query?.values ?? values });
  };
  const recorded = {
    log,
    query: (...args) => {
      record(args);
      return pool.query(...args);
    },
    async connect() {
      const client = await pool.connect();
      return {
        query: (...args) => {
          record(args);
          return client.query(...args);
        },
        release: (...args) => client.release(...args),
      };
    },
  };
  return recorded;
}

const show = (filters) => `searchProducts(pool, ${JSON.stringify(filters)})`;
const names = (ids) => ids.map((id) => `${id} ${JSON.stringify(byId.get(id)?.name ?? '?')}`).join(', ') || '(none)';

async function search(filters, target = recordingPool()) {
  try {
    return { value: await searchProducts(target, filters), log: target.log };
  } catch (error) {
    return { error, log: target.log };
  }
}

const outcome = ({ value, error }) =>
  error ? `rejected with ${error.code ? `code ${error.code}: ` : ''}${error.message}` : `returned ${JSON.stringify(value).slice(0, 300)}`;

async function expectResults(filters, nudge) {
  const result = await search(filters);
  assert.ok(!result.error, `${show(filters)} ${outcome(result)}\n${nudge}`);
  assert.ok(Array.isArray(result.value), `${show(filters)} must resolve to an array of products, ${outcome(result)}`);
  const got = result.value.map((row) => row?.id);
  const want = expectedIds(filters);
  assert.deepEqual(got, want, `${show(filters)} returned ids [${got}]\n  got:  ${names(got)}\n  want: ${names(want)}\n${nudge}`);
  return result;
}

async function expectTablesIntact() {
  const { rows } = await pool.query(
    `SELECT to_regclass('products') AS products, to_regclass('users') AS users,
            (SELECT count(*)::int FROM products) AS product_count,
            (SELECT sum(price_cents)::int FROM products) AS price_sum,
            (SELECT count(*)::int FROM users) AS user_count`,
  );
  const state = rows[0];
  assert.ok(state.products && state.users, `the products and users tables must still exist, found ${JSON.stringify(state)}: injected SQL ran`);
  assert.deepEqual(
    [state.product_count, state.price_sum, state.user_count],
    [PRODUCTS.length, PRODUCTS.reduce((sum, p) => sum + p.price, 0), 2],
    'rows were deleted or changed by a search: injected SQL ran',
  );
}

/** Fails if any SQL text sent to the database contains one of `inputs`. */
function expectNotInSql(filters, log, inputs) {
  for (const { text } of log) {
    for (const input of inputs) {
      const found = typeof input === 'number' ? new RegExp(`(?<![$\\w])${input}(?!\\w)`).test(text) : text.includes(input);
      assert.ok(!found, `${show(filters)} put the value ${JSON.stringify(input)} into the SQL text:\n${text}\nSend every value as a $n parameter in the values array; only allow-listed identifiers belong in the text`);
    }
  }
}

async function expectRejected(filters, code, nudge) {
  const result = await search(filters);
  assert.equal(result.error?.code, code, `${show(filters)} must reject with code ${code}, but it ${outcome(result)}\n${nudge}`);
  assert.equal(result.log.length, 0, `${show(filters)} sent a query before rejecting:\n${result.log.map((q) => q.text).join('\n')}\nValidate every field before you build any SQL`);
}

test('returns the first 20 products by name as { id, name, priceCents, tags }', { timeout: 3000 }, async () => {
  const { value } = await expectResults(undefined, 'with no filters: every product, sorted by name, ties by id, at most 20');
  assert.deepEqual(value[0], { id: 5, name: '100% Cotton Shirt', priceCents: 2500, tags: ['textile', 'clothing'] }, 'each product must be exactly { id, name, priceCents, tags }; alias price_cents AS "priceCents"');
  await expectResults({}, 'an empty filter object is the same as no filters');
});

test('filters by a case-insensitive name fragment, an inclusive price range and any of the given tags', { timeout: 3000 }, async () => {
  await expectResults({ name: 'CHAIR' }, 'name matches anywhere in the product name, ignoring case (ILIKE)');
  await expectResults({ name: 'lamp' }, 'name matches anywhere in the product name, ignoring case (ILIKE)');
  await expectResults({ minPrice: 1500, maxPrice: 3900 }, 'both price bounds are inclusive: >= minPrice and <= maxPrice');
  await expectResults({ minPrice: 9900 }, 'minPrice alone keeps everything from that price up');
  await expectResults({ maxPrice: 900 }, 'maxPrice alone keeps everything up to that price');
  await expectResults({ tags: ['wood', 'metal'] }, 'tags keeps a product that has at least one of the given tags (tags && $n::text[])');
  await expectResults({ name: 'a', minPrice: 1000, tags: ['decor', 'office'], sort: 'price' }, 'filters combine with AND');
});

test('treats an empty tags array as no tag filter', { timeout: 3000 }, async () => {
  await expectResults({ tags: [] }, 'tags: [] must not filter anything out');
  await expectResults({ tags: [], maxPrice: 2000 }, 'tags: [] must not filter anything out');
});

test('sorts by name, price or createdAt in either direction, ties broken by id, and honours limit', { timeout: 3000 }, async () => {
  await expectResults({ sort: 'price' }, 'sort "price" orders by price_cents; equal prices are ordered by id ascending');
  await expectResults({ sort: 'price', order: 'desc', limit: 100 }, 'order "desc" reverses the sort; ties are still by id ascending');
  await expectResults({ sort: 'createdAt', order: 'desc', limit: 5 }, 'sort "createdAt" orders by created_at; limit caps the number of rows');
  await expectResults({ sort: 'name', order: 'desc', limit: 1 }, 'sort "name" with order "desc" and limit 1');
  await expectResults({ sort: 'price', limit: 100 }, 'limit may be as high as 100');
});

test('matches %, _ and \\ in the name literally', { timeout: 3000 }, async () => {
  await expectResults({ name: '%' }, 'a % typed by the user is a percent sign, not "anything": escape %, _ and \\ with a backslash before wrapping the value in %…%');
  await expectResults({ name: '0%' }, 'escape % in the user\'s text');
  await expectResults({ name: 'snake_case' }, '_ must match only an underscore, not any single character');
  await expectResults({ name: 'k\\s' }, 'a backslash must match a backslash: escape it too (it is LIKE\'s escape character)');
});

test("finds names that contain quotes", { timeout: 3000 }, async () => {
  await expectResults({ name: "O'Brien" }, 'an apostrophe is ordinary data: with parameters there is nothing to escape');
  await expectResults({ name: "'s Tea" }, 'an apostrophe is ordinary data');
});

test('injection attempts in name and tags match nothing and change nothing', { timeout: 5000 }, async () => {
  const attacks = [
    { name: "' OR 1=1 --" },
    { name: "x'; DROP TABLE products; --" },
    { name: "' UNION SELECT id, email, 0, ARRAY[password_hash] FROM users --" },
    { name: "%'; DELETE FROM products WHERE '1'='1" },
    { name: "\\'; UPDATE products SET price_cents = 0; --" },
    { tags: ["x'] OR true --"] },
    { tags: ["decor']); DROP TABLE users; --"] },
    { name: 'Lamp', tags: ["decor'] || ARRAY['furniture"] },
  ];
  for (const filters of attacks) {
    const result = await search(filters);
    assert.ok(!result.error, `${show(filters)} ${outcome(result)}\nhostile text is still just text: with parameters it matches nothing, it does not break the query`);
    const leaked = result.value.map((row) => row?.id ?? JSON.stringify(row));
    assert.ok(leaked.length === 0, `${show(filters)} must find nothing (no product has that text), but it returned ${leaked.length} rows: ${names(leaked).slice(0, 300)}\nthe user's text became part of the SQL and changed the query`);
    // Escaping quotes by hand changes the text a little; the attack's keywords would still be there.
    const payloads = ['OR 1=1', 'DROP TABLE', 'UNION SELECT', 'DELETE FROM', 'SET price_cents = 0', 'OR true', "|| ARRAY['furniture"];
    expectNotInSql(filters, result.log, [filters.name, ...(filters.tags ?? []), ...payloads].filter(Boolean));
  }
  await expectTablesIntact();
});

test('rejects a sort or order outside the allow-list with INVALID_SORT before querying', { timeout: 3000 }, async () => {
  const nudge = 'map the accepted words to SQL through a fixed allow-list (a Map, or a switch); never put the user\'s text in ORDER BY';
  for (const sort of ['price; DROP TABLE users; --', 'price; DROP TABLE products', 'price_cents', 'id', '(SELECT 1)', 'name--', 'Price', '']) {
    await expectRejected({ sort }, 'INVALID_SORT', nudge);
  }
  for (const sort of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    await expectRejected({ sort }, 'INVALID_SORT', `${nudge}\n"${sort}" exists on every plain object through its prototype: look it up with a Map or Object.hasOwn`);
  }
  for (const order of ['DESC; DROP TABLE products', 'ASC', 'descending', 'asc, (SELECT 1)', 'constructor']) {
    await expectRejected({ order }, 'INVALID_SORT', `${nudge}; order is exactly "asc" or "desc"`);
  }
  await expectTablesIntact();
});

test('rejects prices, limits, names and tags of the wrong kind with INVALID_FILTER before querying', { timeout: 3000 }, async () => {
  const cases = [
    { minPrice: '0 OR 1=1' },
    { maxPrice: '100; DROP TABLE products' },
    { minPrice: '1500' },
    { minPrice: 10.5 },
    { maxPrice: -1 },
    { minPrice: Number.NaN },
    { limit: '1 UNION SELECT 1' },
    { limit: 0 },
    { limit: 101 },
    { limit: 2.5 },
    { name: { $ne: null } },
    { name: ['chair'] },
    { tags: 'decor' },
    { tags: ['decor', 42] },
  ];
  for (const filters of cases) {
    await expectRejected(filters, 'INVALID_FILTER', 'prices are non-negative integers (cents), limit is an integer from 1 to 100, name is a string, tags is an array of strings');
  }
  await expectTablesIntact();
});

test('sends every value as a parameter, never in the SQL text', { timeout: 3000 }, async () => {
  const filters = { name: 'Brass', minPrice: 4321, maxPrice: 98765, tags: ['decor', 'metal'], limit: 87 };
  const result = await expectResults(filters, 'a search with every filter set');
  assert.ok(result.log.length > 0, 'the search must go through the pool it was given (pool.query)');
  expectNotInSql(filters, result.log, ['Brass', 4321, 98765, 'decor', 'metal', 87]);
});
