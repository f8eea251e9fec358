import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importExercise, listen, request, requireExport } from './support.mjs';

const mod = await importExercise('app.js');
const createApp = requireExport(mod, 'createApp', 'function', 'app.js');

// 23 products with ids 100..122 (so an id is never an array index), three categories,
// every fourth one out of stock, three featured.
const CATEGORIES = ['books', 'games', 'tools'];
const products = Array.from({ length: 23 }, (_, i) => ({
  id: 100 + i,
  name: `Product ${100 + i}`,
  category: CATEGORIES[i % 3],
  price: 5 + i * 2.5,
  inStock: i % 4 !== 3,
  featured: i === 4 || i === 11 || i === 19,
}));
const reviews = [
  { id: 1, productId: 101, rating: 5, body: 'great' },
  { id: 2, productId: 104, rating: 2, body: 'meh' },
  { id: 3, productId: 101, rating: 4, body: 'good' },
  { id: 4, productId: 120, rating: 3, body: 'fine' },
];
const catalogCopy = JSON.stringify({ products, reviews });

/** A fresh app on the suite's catalog, listening on a free port. */
async function start() {
  const app = createApp({ products, reviews });
  assert.equal(typeof app, 'function', 'createApp() must return the Express app (the result of express()), not start it');
  return (await listen(app)).url;
}

function expectJson(res, status, hint = '') {
  assert.equal(res.status, status, `expected ${status}${hint ? ` (${hint})` : ''}\n${res.describe()}`);
  assert.match(
    res.headers.get('content-type') ?? '(none)',
    /^application\/json\b/i,
    `every response must be JSON (got Content-Type ${res.headers.get('content-type') ?? 'none'}); Express's own 404 page is HTML\n${res.describe()}`,
  );
}

function expectError(res, status, code, hint = '') {
  expectJson(res, status, hint);
  const error = res.json?.error;
  assert.ok(error && typeof error === 'object', `errors need the body { "error": { "code", "message" } }\n${res.describe()}`);
  assert.equal(error.code, code, `expected error.code ${JSON.stringify(code)}${hint ? ` (${hint})` : ''}\n${res.describe()}`);
  assert.ok(typeof error.message === 'string' && error.message.length > 0, `error.message must be a non-empty string\n${res.describe()}`);
}

const ids = (res) => (Array.isArray(res.json?.data) ? res.json.data.map((p) => p.id) : res.json?.data);

test('lists the first page with the default page 1 and limit 10', { timeout: 3000 }, async () => {
  const url = await start();
  const res = await request(url, 'GET', '/api/products');
  expectJson(res, 200);
  assert.deepEqual(
    res.json,
    { data: products.slice(0, 10), page: 1, limit: 10, total: 23 },
    `GET /api/products answers { data, page, limit, total }: the first 10 products in catalog order, page and limit as numbers, total = all 23 products\n${res.describe()}`,
  );
});

test('pages with page and limit, and answers an empty page past the end', { timeout: 3000 }, async () => {
  const url = await start();
  const second = await request(url, 'GET', '/api/products?page=2&limit=5');
  expectJson(second, 200);
  assert.deepEqual(
    second.json,
    { data: products.slice(5, 10), page: 2, limit: 5, total: 23 },
    `page 2 of 5 holds products 6 to 10: skip (page - 1) * limit. page and limit come back as numbers, not the strings from the query\n${second.describe()}`,
  );

  const last = await request(url, 'GET', '/api/products?limit=10&page=3');
  expectJson(last, 200);
  assert.deepEqual(ids(last), [120, 121, 122], `the last page holds only what is left (3 of 23)\n${last.describe()}`);

  const max = await request(url, 'GET', '/api/products?limit=50');
  expectJson(max, 200, 'limit may be up to 50');
  assert.equal(max.json?.data?.length, 23, `limit=50 returns all 23 products\n${max.describe()}`);

  const past = await request(url, 'GET', '/api/products?page=9&limit=5');
  expectJson(past, 200, 'a page past the end is not an error');
  assert.deepEqual(past.json, { data: [], page: 9, limit: 5, total: 23 }, `a page past the end answers 200 with data: [] and the real total\n${past.describe()}`);
});

test('filters by category and inStock, with total counting every match', { timeout: 3000 }, async () => {
  const url = await start();
  const books = products.filter((p) => p.category === 'books');
  const res = await request(url, 'GET', '/api/products?category=books&limit=3');
  expectJson(res, 200);
  assert.deepEqual(
    res.json,
    { data: books.slice(0, 3), page: 1, limit: 3, total: books.length },
    `filter first, then page: total is the number of matching products (${books.length}), not the page size and not the whole catalog\n${res.describe()}`,
  );

  const outOfStock = await request(url, 'GET', '/api/products?inStock=false');
  expectJson(outOfStock, 200);
  assert.deepEqual(
    ids(outOfStock),
    products.filter((p) => !p.inStock).map((p) => p.id),
    `inStock=false keeps the products that are out of stock: the string "false" is truthy, compare it to "true"/"false"\n${outOfStock.describe()}`,
  );

  const both = await request(url, 'GET', '/api/products?inStock=true&category=games&limit=50');
  expectJson(both, 200);
  const expected = products.filter((p) => p.inStock && p.category === 'games');
  assert.deepEqual(ids(both), expected.map((p) => p.id), `both filters apply together\n${both.describe()}`);
  assert.equal(both.json.total, expected.length, `total counts products matching both filters\n${both.describe()}`);

  const none = await request(url, 'GET', '/api/products?category=Books');
  expectJson(none, 200, 'an unknown category is not an error, just no match');
  assert.deepEqual(none.json, { data: [], page: 1, limit: 10, total: 0 }, `category matches exactly\n${none.describe()}`);

  const ignored = await request(url, 'GET', '/api/products?sort=price&limit=2');
  expectJson(ignored, 200, 'unknown query parameters are ignored');
  assert.deepEqual(ids(ignored), [100, 101], `${ignored.describe()}`);
});

test('rejects page and limit that are not whole numbers in range with 400 INVALID_QUERY', { timeout: 3000 }, async () => {
  const url = await start();
  const cases = [
    ['page=0', 'page'],
    ['page=-1', 'page'],
    ['page=1.5', 'page'],
    ['page=abc', 'page'],
    ['page=', 'page'],
    ['page=2abc', 'page'],
    ['page=1e1', 'page'],
    ['page=0x2', 'page'],
    ['page=1&page=2', 'page'],
    ['limit=0', 'limit'],
    ['limit=51', 'limit'],
    ['limit=10.0', 'limit'],
    ['limit=%203', 'limit'],
    ['limit=ten', 'limit'],
  ];
  for (const [query, name] of cases) {
    const res = await request(url, 'GET', `/api/products?${query}`);
    expectError(
      res,
      400,
      'INVALID_QUERY',
      `?${query} is not valid: page is an integer ≥ 1, limit an integer from 1 to 50, digits only. Number() and parseInt() accept "", " 3", "0x2", "1e1" and "2abc"`,
    );
    assert.match(res.json.error.message, new RegExp(`\\b${name}\\b`), `error.message must name the parameter "${name}"\n${res.describe()}`);
  }
});

test('rejects inStock other than true or false and an empty category with 400 INVALID_QUERY', { timeout: 3000 }, async () => {
  const url = await start();
  for (const [query, name] of [['inStock=yes', 'inStock'], ['inStock=1', 'inStock'], ['inStock=', 'inStock'], ['inStock=TRUE', 'inStock'], ['category=', 'category']]) {
    const res = await request(url, 'GET', `/api/products?${query}`);
    expectError(res, 400, 'INVALID_QUERY', `?${query} is not valid`);
    assert.match(res.json.error.message, new RegExp(`\\b${name}\\b`), `error.message must name the parameter "${name}"\n${res.describe()}`);
  }
});

test('reads one product by id, and answers 404 NOT_FOUND for an unknown id', { timeout: 3000 }, async () => {
  const url = await start();
  const res = await request(url, 'GET', '/api/products/107');
  expectJson(res, 200);
  assert.deepEqual(res.json, { data: products[7] }, `GET /api/products/107 answers { data: <product 107> }; req.params.id is a string, the ids are numbers\n${res.describe()}`);

  for (const id of ['99', '1', '123', '100000']) {
    const missing = await request(url, 'GET', `/api/products/${id}`);
    expectError(missing, 404, 'NOT_FOUND', `no product has id ${id}: a valid id that does not exist is 404 NOT_FOUND`);
  }
});

test('rejects ids that are not positive integers with 400 INVALID_ID', { timeout: 3000 }, async () => {
  const url = await start();
  for (const id of ['abc', '0', '-101', '101.0', '101abc', '1e2', '0x65', '%20101', '101%20']) {
    const res = await request(url, 'GET', `/api/products/${id}`);
    expectError(res, 400, 'INVALID_ID', `"${decodeURIComponent(id)}" is not a positive integer: 400 before any lookup. Number(" 101") is 101, Number("0x65") is 101 and parseInt("101abc") is 101 too — check the digits`);
  }
});

test('serves /api/products/featured instead of treating "featured" as an id', { timeout: 3000 }, async () => {
  const url = await start();
  const res = await request(url, 'GET', '/api/products/featured');
  expectJson(res, 200, 'routes match in the order they are declared: /featured must come before /:id');
  assert.deepEqual(res.json, { data: products.filter((p) => p.featured) }, `GET /api/products/featured answers { data: [featured products] } in catalog order\n${res.describe()}`);
});

test('lists the reviews of a product through a nested router that sees :id', { timeout: 3000 }, async () => {
  const url = await start();
  const res = await request(url, 'GET', '/api/products/101/reviews');
  expectJson(res, 200, 'a router mounted at /:id/reviews needs express.Router({ mergeParams: true }) to read req.params.id');
  assert.deepEqual(res.json, { data: [reviews[0], reviews[2]] }, `only the reviews of product 101, in catalog order\n${res.describe()}`);

  const other = await request(url, 'GET', '/api/products/120/reviews');
  expectJson(other, 200);
  assert.deepEqual(other.json, { data: [reviews[3]] }, `the reviews follow the id in the URL\n${other.describe()}`);

  const none = await request(url, 'GET', '/api/products/102/reviews');
  expectJson(none, 200, 'a product without reviews is not an error');
  assert.deepEqual(none.json, { data: [] }, `${none.describe()}`);

  const missing = await request(url, 'GET', '/api/products/99/reviews');
  expectError(missing, 404, 'NOT_FOUND', 'the reviews of a product that does not exist are 404, not an empty list');
  const invalid = await request(url, 'GET', '/api/products/abc/reviews');
  expectError(invalid, 400, 'INVALID_ID', 'the same id rules apply on the nested route');
});

test('answers unknown routes with 404 and exactly { error: { code: "ROUTE_NOT_FOUND", message } }', { timeout: 3000 }, async () => {
  const url = await start();
  const cases = [
    ['GET', '/', 'No route for GET /'],
    ['GET', '/api', 'No route for GET /api'],
    ['GET', '/api/product', 'No route for GET /api/product'],
    ['GET', '/api/nope?token=secret', 'No route for GET /api/nope'],
    ['POST', '/api/orders', 'No route for POST /api/orders'],
    ['GET', '/api/products/101/extra', 'No route for GET /api/products/101/extra'],
    ['GET', '/api/products/101/reviews/1', 'No route for GET /api/products/101/reviews/1'],
  ];
  for (const [method, path, message] of cases) {
    const res = await request(url, method, path);
    expectJson(res, 404, `${method} ${path} matches no route`);
    assert.deepEqual(
      res.json,
      { error: { code: 'ROUTE_NOT_FOUND', message } },
      `a catch-all middleware after the routers answers this exact body: the method and the full path, without the query string\n${res.describe()}`,
    );
  }
});

test('answers 405 METHOD_NOT_ALLOWED with Allow for other methods on existing paths', { timeout: 3000 }, async () => {
  const url = await start();
  const cases = [
    ['POST', '/api/products'],
    ['DELETE', '/api/products'],
    ['PUT', '/api/products/101'],
    ['DELETE', '/api/products/101'],
    ['PATCH', '/api/products/featured'],
    ['POST', '/api/products/101/reviews'],
  ];
  for (const [method, path] of cases) {
    const res = await request(url, method, path, { json: { name: 'x' } });
    expectError(res, 405, 'METHOD_NOT_ALLOWED', `${path} exists but the catalog is read-only: 405, not 404 (route.all() after route.get())`);
    const allow = (res.headers.get('allow') ?? '').split(',').map((m) => m.trim().toUpperCase()).filter(Boolean);
    assert.ok(allow.includes('GET') && !allow.includes(method), `405 must carry Allow: GET, HEAD (got ${res.headers.get('allow') ?? 'no Allow header'})\n${res.describe()}`);
  }
  const head = await request(url, 'HEAD', '/api/products/101');
  assert.equal(head.status, 200, `HEAD is answered by the GET route, not 405\n${head.describe()}`);
});

test('uses the catalog passed to createApp and never changes it', { timeout: 3000 }, async () => {
  const url = await start();
  const mine = createApp({ products: [{ ...products[0], id: 7, name: 'only here' }], reviews: [] });
  const other = (await listen(mine)).url;
  const list = await request(other, 'GET', '/api/products');
  expectJson(list, 200);
  assert.deepEqual(ids(list), [7], `each app serves the catalog it was given, not a module-level one\n${list.describe()}`);
  const first = await request(url, 'GET', '/api/products/7');
  expectError(first, 404, 'NOT_FOUND', 'the first app never saw product 7');

  await request(url, 'GET', '/api/products?category=tools&inStock=true&page=2&limit=2');
  await request(url, 'GET', '/api/products/featured');
  await request(url, 'GET', '/api/products/101/reviews');
  assert.equal(JSON.stringify({ products, reviews }), catalogCopy, 'requests must not change the arrays passed in (filter and slice copies; do not sort or splice them in place)');
});
