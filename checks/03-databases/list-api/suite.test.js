import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { exercisePath, importExercise, listen, request, requireExport, seededRandom } from './support.mjs';

const appModule = await importExercise('app.js');
const createApp = requireExport(appModule, 'createApp', 'function', 'app.js');

if (!process.env.DATABASE_URL) {
  throw new Error('needs postgres: DATABASE_URL is not set (the engine provides a fresh database for this exercise)');
}
// The suite's own pool (schema, seed, expectations) and the pool handed to the app. Every
// query the app sends through its pool is recorded, so the suite can EXPLAIN it.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 3 });
const appPool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
after(() => Promise.all([pool.end(), appPool.end()]));
const recorded = [];
appPool.on('connect', (client) => {
  const query = client.query.bind(client);
  client.query = (config, values, callback) => {
    if (typeof config === 'string') recorded.push({ text: config, values: Array.isArray(values) ? values : [] });
    else if (config && typeof config.text === 'string') recorded.push({ text: config.text, values: config.values ?? (Array.isArray(values) ? values : []) });
    return query(config, values, callback);
  };
});

// ---------------------------------------------------------------------------------------
// Seed: 300 articles with many ties on every sort key, plus planted search documents.

const random = seededRandom();
const pick = (items) => items[Math.floor(random() * items.length)];
const CATEGORIES = ['databases', 'frontend', 'devops', 'security'];
const AUTHORS = ['ana', 'bo', 'chen', 'dara', 'eli', 'fay'];
const TOPICS = ['caching', 'queues', 'latency', 'testing', 'logging', 'tracing', 'routing', 'sessions', 'cookies', 'streams',
  'backups', 'replicas', 'metrics', 'deploys', 'containers', 'schemas', 'migrations', 'payloads', 'sockets', 'workers'];
const FILLER = ['server', 'client', 'request', 'response', 'cache', 'queue', 'latency', 'throughput', 'deploy', 'cluster',
  'schema', 'migration', 'transaction', 'replica', 'backup', 'metric', 'router', 'handler', 'session', 'cookie', 'payload',
  'stream', 'buffer', 'socket', 'thread', 'worker', 'retry', 'timeout', 'header', 'status'];
const INDEX_FORMS = ['index', 'indexes', 'indexing', 'indexed'];
const BASE_TIME = Date.UTC(2024, 0, 1);
const COUNT = 300;
// Indices (0-based, in insertion order) of the planted documents.
const K1 = 40;
const K2 = 41;
const K3 = 170;
const Z1 = 171;

function makeArticle(i) {
  const words = Array.from({ length: 12 }, () => pick(FILLER));
  let title = `Notes on ${pick(TOPICS)}`;
  if (i % 3 === 0) words.splice(3, 0, 'postgres');
  if (i % 6 === 0) words.splice(9, 0, 'postgres');
  if (i % 15 === 0) title = `Postgres ${title.toLowerCase()}`;
  if (i % 9 === 0) words.splice(7, 0, 'mysql');
  if (i % 10 === 1) words.splice(5, 0, INDEX_FORMS[(i / 10) % 4 | 0]);
  if (i % 25 === 2) words.splice(2, 0, 'connection', 'pool');
  if (i % 25 === 3) words.splice(2, 0, 'pool', 'of', 'idle', 'connection');
  if (i === K1) {
    title = 'Kubernetes in production';
    words.splice(0, 12, 'kubernetes', 'operators', 'schedule', 'kubernetes', 'pods', 'across', 'kubernetes', 'nodes', 'with', 'kubernetes', 'controllers', 'daily');
  }
  if (i === K2 || i === K3) words.splice(4, 1, 'kubernetes');
  if (i === Z1) title = 'Zookeeper elections';
  return {
    title,
    body: words.join(' '),
    author: pick(AUTHORS),
    category: pick(CATEGORIES),
    views: Math.floor(random() * 10),
    publishedAt: new Date(BASE_TIME + Math.floor(random() * 40) * 3_600_000),
  };
}

let fixture;
/** Applies schema.sql and seeds once; every test awaits it (a broken schema fails each test, not the load). */
function setup() {
  fixture ??= (async () => {
    const sql = await readFile(exercisePath('schema.sql'), 'utf8');
    try {
      await pool.query(sql);
    } catch (error) {
      throw new Error(`applying schema.sql to an empty database failed: ${error.message}`);
    }
    let ids;
    try {
      const articles = Array.from({ length: COUNT }, (_, i) => makeArticle(i));
      const column = (name) => articles.map((a) => a[name]);
      // One statement; identity values follow the ORDER BY, so ids[i] is article i.
      const { rows } = await pool.query(
        `INSERT INTO articles (title, body, author, category, views, published_at)
         SELECT t, b, a, c, v, p
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[]) WITH ORDINALITY AS u(t, b, a, c, v, p, n)
          ORDER BY n
         RETURNING id`,
        [column('title'), column('body'), column('author'), column('category'), column('views'), column('publishedAt')],
      );
      ids = rows.map((row) => row.id).sort((x, y) => x - y);
    } catch (error) {
      throw new Error(`seeding articles(title, body, author, category, views, published_at) failed: ${error.message}`);
    }
    // Rewrite every third row so the table's physical order is no longer id order: an
    // ORDER BY without the id tie-breaker then returns ties in an order that shows.
    await pool.query('UPDATE articles SET views = views WHERE id % 3 = 0');
    await pool.query('ANALYZE articles');
    return { ids };
  })();
  return fixture;
}

async function start() {
  const { ids } = await setup();
  const { url } = await listen(createApp({ pool: appPool }));
  return { url, ids };
}

const ORDER_BY = {
  published_at: 'published_at ASC, id ASC',
  '-published_at': 'published_at DESC, id DESC',
  views: 'views ASC, id ASC',
  '-views': 'views DESC, id DESC',
  title: 'title ASC, id ASC',
  '-title': 'title DESC, id DESC',
};
const MATCH = "to_tsvector('english', title || ' ' || body) @@ websearch_to_tsquery('english', $1)";

/** The ids the contract promises, in order, computed by the database itself. */
async function expectedIds({ sort = '-published_at', category, author } = {}) {
  const values = [];
  const where = [];
  if (category !== undefined) where.push(`category = $${values.push(category)}`);
  if (author !== undefined) where.push(`author = $${values.push(author)}`);
  const { rows } = await pool.query(
    `SELECT id FROM articles ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${ORDER_BY[sort]}`,
    values,
  );
  return rows.map((row) => row.id);
}

async function matchingIds(q) {
  const { rows } = await pool.query(`SELECT id FROM articles WHERE ${MATCH} ORDER BY id`, [q]);
  return rows.map((row) => row.id);
}

const query = (params) => `/articles?${new URLSearchParams(params)}`;

function expectOk(res, hint = '') {
  assert.equal(res.status, 200, `expected 200${hint ? ` (${hint})` : ''}\n${res.describe()}`);
  assert.ok(res.json && Array.isArray(res.json.data), `the body is { data: [...], limit, nextCursor, ... }\n${res.describe()}`);
}

function expectBadQuery(res, hint) {
  assert.equal(res.status, 400, `${hint}\n${res.describe()}`);
  assert.equal(res.json?.error?.code, 'INVALID_QUERY', `a rejected query answers { "error": { "code": "INVALID_QUERY", "message": … } }\n${res.describe()}`);
}

/** Explains what is wrong between the ids a walk returned and the ids it should have. */
function compareWalk(got, expected, label) {
  const seen = new Set();
  const duplicate = got.find((id) => (seen.has(id) ? true : (seen.add(id), false)));
  assert.equal(duplicate, undefined, `${label}: article ${duplicate} came back twice while paging; the order needs a unique tie-breaker (…, id) and the next page must start strictly after the last row`);
  const missing = expected.filter((id) => !seen.has(id));
  assert.deepEqual(missing.slice(0, 10), [], `${label}: ${missing.length} article(s) were never returned (gaps between pages), e.g. ${missing.slice(0, 5).join(', ')}`);
  const extra = got.filter((id) => !expected.includes(id));
  assert.deepEqual(extra.slice(0, 10), [], `${label}: returned articles that do not match the filters`);
  const firstDiff = got.findIndex((id, i) => id !== expected[i]);
  assert.equal(
    firstDiff,
    -1,
    `${label}: the order differs at position ${firstDiff} (got id ${got[firstDiff]}, expected ${expected[firstDiff]}): ` +
      'order by the sort key, then by id in the same direction',
  );
}

/** Follows nextCursor (or the Link header) from the first page to the last. */
async function walk(url, params, { via = 'nextCursor' } = {}) {
  const ids = [];
  let path = query(params);
  for (let pageNo = 1; path; pageNo++) {
    assert.ok(pageNo <= 200, 'more than 200 pages: nextCursor never becomes null');
    const res = await request(url, 'GET', path);
    expectOk(res, `page ${pageNo} of ${JSON.stringify(params)}`);
    const { data, nextCursor } = res.json;
    assert.ok(data.length <= params.limit, `a page holds at most limit=${params.limit} items\n${res.describe()}`);
    const repeated = data.some((article) => ids.includes(article.id));
    ids.push(...data.map((article) => article.id));
    if (repeated) break; // compareWalk names the duplicate; walking on could loop forever
    const link = res.headers.get('link');
    if (nextCursor === null) {
      assert.equal(link, null, `the last page (nextCursor null) has no Link header\n${res.describe()}`);
      break;
    }
    assert.equal(typeof nextCursor, 'string', `nextCursor is a string, or null on the last page\n${res.describe()}`);
    assert.equal(data.length, params.limit, `only the last page may be short: a page with a nextCursor must be full\n${res.describe()}`);
    if (via === 'link') {
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link ?? '');
      assert.ok(next, `a page with a nextCursor needs a header Link: <url>; rel="next" (got ${link})\n${res.describe()}`);
      const target = new URL(next[1], url);
      assert.equal(target.searchParams.get('cursor'), nextCursor, `the Link URL carries cursor=<nextCursor> (got ${next[1]})`);
      path = target.pathname + target.search;
    } else {
      path = query({ ...params, cursor: nextCursor });
    }
  }
  return ids;
}

const toIso = (value) => new Date(value).toISOString();

// ---------------------------------------------------------------------------------------

test('the first page defaults to newest first, 20 items, with total and offset', { timeout: 5000 }, async () => {
  const { url } = await start();
  const res = await request(url, 'GET', '/articles');
  expectOk(res);
  const expected = await expectedIds({ sort: '-published_at' });
  assert.equal(res.json.total, COUNT, `offset pages carry total, the number of matching articles\n${res.describe()}`);
  assert.equal(res.json.offset, 0, `offset defaults to 0\n${res.describe()}`);
  assert.equal(res.json.limit, 20, `limit defaults to 20\n${res.describe()}`);
  compareWalk(res.json.data.map((a) => a.id), expected.slice(0, 20), 'GET /articles (default sort -published_at)');

  const { rows } = await pool.query('SELECT id, title, body, author, category, views, published_at FROM articles WHERE id = $1', [expected[0]]);
  const first = res.json.data[0];
  assert.deepEqual(
    { ...first, publishedAt: first.publishedAt && toIso(first.publishedAt) },
    { id: rows[0].id, title: rows[0].title, body: rows[0].body, author: rows[0].author, category: rows[0].category, views: rows[0].views, publishedAt: rows[0].published_at.toISOString() },
    `an item is exactly { id, title, body, author, category, views, publishedAt } with publishedAt an ISO 8601 string\n${res.describe()}`,
  );
});

test('walks every sort page by page with nextCursor: exact order, no duplicates, no gaps across ties', { timeout: 10000 }, async () => {
  const { url } = await start();
  for (const sort of Object.keys(ORDER_BY)) {
    const got = await walk(url, { sort, limit: 30 });
    compareWalk(got, await expectedIds({ sort }), `walking sort=${sort}&limit=30 with nextCursor`);
  }
});

test('follows the Link header, which keeps the filters, sort and limit', { timeout: 8000 }, async () => {
  const { url } = await start();
  for (const params of [{ category: 'databases', sort: 'views', limit: 6 }, { category: 'devops', author: 'bo', sort: '-title', limit: 2 }]) {
    const got = await walk(url, params, { via: 'link' });
    const { sort, ...filters } = params;
    delete filters.limit;
    compareWalk(got, await expectedIds({ sort, ...filters }), `following Link rel="next" from ${query(params)}`);
  }
});

test('offset pages cover everything in order, count the filtered total and end empty past the end', { timeout: 8000 }, async () => {
  const { url } = await start();
  const expected = await expectedIds({ sort: '-views' });
  const got = [];
  for (let offset = 0; offset < COUNT; offset += 40) {
    const res = await request(url, 'GET', query({ sort: '-views', limit: 40, offset }));
    expectOk(res, 'offset pagination');
    assert.equal(res.json.offset, offset, `offset pages echo the offset\n${res.describe()}`);
    assert.equal(res.json.total, COUNT, `total counts every matching article, not just this page\n${res.describe()}`);
    got.push(...res.json.data.map((a) => a.id));
  }
  compareWalk(got, expected, 'reading sort=-views with offset=0,40,80,…');

  const filtered = await expectedIds({ sort: 'title', category: 'security', author: 'chen' });
  const res = await request(url, 'GET', query({ category: 'security', author: 'chen', sort: 'title', limit: 3, offset: 2 }));
  expectOk(res);
  assert.equal(res.json.total, filtered.length, `total counts the articles matching ALL filters (category AND author)\n${res.describe()}`);
  compareWalk(res.json.data.map((a) => a.id), filtered.slice(2, 5), 'category=security&author=chen&sort=title&limit=3&offset=2');

  const past = await request(url, 'GET', query({ offset: COUNT + 5 }));
  expectOk(past, 'an offset past the end is not an error');
  assert.deepEqual([past.json.data, past.json.nextCursor, past.json.total], [[], null, COUNT], `past the end: empty data, nextCursor null, the same total\n${past.describe()}`);

  const injected = await request(url, 'GET', query({ category: "x' OR '1'='1" }));
  expectOk(injected);
  assert.equal(injected.json.total, 0, `filter values are data, never SQL: bind them as parameters\n${injected.describe()}`);
});

test('nextCursor is null on the last page, also when the last page is exactly full', { timeout: 5000 }, async () => {
  const { url } = await start();
  const expected = await expectedIds({ sort: 'views', category: 'frontend' });
  const exact = await request(url, 'GET', query({ category: 'frontend', sort: 'views', limit: expected.length }));
  expectOk(exact);
  assert.equal(exact.json.data.length, expected.length, `all ${expected.length} frontend articles fit in one page\n${exact.describe()}`);
  assert.equal(exact.json.nextCursor, null, `when nothing follows, nextCursor is null: fetch limit + 1 rows to know, instead of sending the client to an empty page\n${exact.describe()}`);
  assert.equal(exact.headers.get('link'), null, `no Link header on the last page\n${exact.describe()}`);

  const first = await request(url, 'GET', query({ category: 'frontend', sort: 'views', limit: expected.length - 1 }));
  expectOk(first);
  assert.equal(typeof first.json.nextCursor, 'string', `one article is left, so there is a nextCursor\n${first.describe()}`);
  const last = await request(url, 'GET', query({ category: 'frontend', sort: 'views', limit: expected.length - 1, cursor: first.json.nextCursor }));
  expectOk(last);
  assert.deepEqual(last.json.data.map((a) => a.id), expected.slice(-1), `the cursor page holds the one article left\n${last.describe()}`);
  assert.equal(last.json.nextCursor, null, `and it is the last page\n${last.describe()}`);
});

test('limit defaults to 20, is clamped to 100 and must be a positive integer', { timeout: 5000 }, async () => {
  const { url } = await start();
  const big = await request(url, 'GET', query({ limit: 1000 }));
  expectOk(big, 'a too large limit is clamped, not refused');
  assert.equal(big.json.data.length, 100, `limit=1000 returns 100 items: never let a client pick an unbounded page size\n${big.describe()}`);
  assert.equal(big.json.limit, 100, `the body reports the limit actually used\n${big.describe()}`);
  for (const limit of ['0', '-5', 'abc', '2.5', '']) {
    expectBadQuery(await request(url, 'GET', `/articles?limit=${limit}`), `limit=${limit} is not a positive integer: 400`);
  }
  for (const offset of ['-1', 'x', '1.5']) {
    expectBadQuery(await request(url, 'GET', `/articles?offset=${offset}`), `offset=${offset} is not an integer ≥ 0: 400`);
  }
});

test('sorts only by the allow-list: anything else is 400 and never reaches SQL', { timeout: 5000 }, async () => {
  const { url } = await start();
  const attempts = ['body', 'id', 'VIEWS', 'views desc', '-relevance', 'views; DROP TABLE articles', '(SELECT 1)', 'published_at,title', 'relevance'];
  for (const sort of attempts) {
    const res = await request(url, 'GET', query({ sort }));
    expectBadQuery(res, `sort=${sort} is not allowed${sort === 'relevance' ? ' without q' : ''}: compare with a fixed list, never interpolate the client's text`);
  }
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM articles');
  assert.equal(rows[0].n, COUNT, 'the articles table must be intact after the injection attempts');
  const repeated = await request(url, 'GET', '/articles?sort=views&sort=title');
  expectBadQuery(repeated, 'a repeated sort parameter arrives as an array: refuse it with 400 rather than crash');
});

test('rejects tampered cursors, cursors of another sort and cursor plus offset with 400', { timeout: 8000 }, async () => {
  const { url } = await start();
  const b64 = (text) => Buffer.from(text).toString('base64url');
  for (const cursor of ['not-a-cursor!', '%%%', b64('hello'), b64('null'), b64('[]'), b64('{}'), b64('42'), b64('{"id":"1 OR 1=1"}')]) {
    const res = await request(url, 'GET', query({ sort: 'views', cursor }));
    expectBadQuery(res, `cursor=${cursor} was not made by this API: 400, never 500 and never a silent first page`);
  }

  for (const [sort, keyOf] of [['views', (a) => a.views], ['-published_at', (a) => a.publishedAt], ['title', (a) => a.title]]) {
    const page = await request(url, 'GET', query({ sort, limit: 10 }));
    expectOk(page);
    const { nextCursor } = page.json;
    assert.match(nextCursor ?? '', /^[A-Za-z0-9_-]+$/, `nextCursor is base64url (letters, digits, - and _ only; no padding)\n${page.describe()}`);
    let decoded;
    try {
      decoded = JSON.parse(Buffer.from(nextCursor, 'base64url').toString('utf8'));
    } catch {
      assert.fail(`nextCursor must be base64url-encoded JSON (decoded: ${Buffer.from(nextCursor, 'base64url').toString('utf8').slice(0, 80)})`);
    }
    const last = page.json.data.at(-1);
    const ok = await request(url, 'GET', query({ sort, limit: 10, cursor: nextCursor }));
    expectOk(ok, 'the untouched cursor works');

    // Find where the cursor keeps the last row's id and sort value, and corrupt each.
    const leaves = [];
    (function visit(node, path) {
      if (node !== null && typeof node === 'object') for (const [k, v] of Object.entries(node)) visit(v, [...path, k]);
      else leaves.push({ path, value: node });
    })(decoded, []);
    const isId = (v) => v === last.id || v === String(last.id);
    const key = keyOf(last);
    const isKey = (v) => v === key || (sort === '-published_at' && (typeof v === 'string' ? Date.parse(v) : v) === Date.parse(key));
    const targets = leaves.filter((leaf) => isId(leaf.value) || isKey(leaf.value));
    assert.ok(leaves.some((leaf) => isId(leaf.value)), `the cursor must hold the last row's id ${last.id} (decoded: ${JSON.stringify(decoded)})`);
    assert.ok(leaves.some((leaf) => isKey(leaf.value)), `the cursor must hold the last row's ${sort} value ${JSON.stringify(key)} (decoded: ${JSON.stringify(decoded)})`);
    for (const { path, value } of targets.filter((leaf) => leaf.path.length > 0)) {
      const replacements = typeof value === 'number' ? [null, {}, 'abc', 1.5] : [null, {}, 42, ...(sort === '-published_at' ? ['not-a-date'] : [])];
      for (const replacement of replacements) {
        const copy = structuredClone(decoded);
        let node = copy;
        for (const k of path.slice(0, -1)) node = node[k];
        node[path.at(-1)] = replacement;
        const res = await request(url, 'GET', query({ sort, limit: 10, cursor: b64(JSON.stringify(copy)) }));
        expectBadQuery(res, `a cursor whose ${path.join('.')} was changed from ${JSON.stringify(value)} to ${JSON.stringify(replacement)} must be refused: check every field's type`);
      }
    }
  }

  const views = await request(url, 'GET', query({ sort: 'views', limit: 10 }));
  for (const other of ['-views', 'title']) {
    const res = await request(url, 'GET', query({ sort: other, limit: 10, cursor: views.json.nextCursor }));
    expectBadQuery(res, `a cursor made for sort=views used with sort=${other} points nowhere: keep the sort in the cursor and refuse the mix`);
  }
  const both = await request(url, 'GET', query({ sort: 'views', limit: 10, offset: 10, cursor: views.json.nextCursor }));
  expectBadQuery(both, 'offset and cursor together are ambiguous: 400');
});

test('full-text search matches title and body with stemming and web-search syntax', { timeout: 8000 }, async () => {
  const { url, ids } = await start();
  const search = async (q) => {
    const res = await request(url, 'GET', query({ q, limit: 100 }));
    expectOk(res, `search q=${q}`);
    return res;
  };

  const k = await search('kubernetes');
  assert.deepEqual(k.json.data.map((a) => a.id).sort((a, b) => a - b), [ids[K1], ids[K2], ids[K3]], `q=kubernetes finds exactly the three articles that mention it\n${k.describe()}`);
  assert.equal(k.json.total, 3, `total counts the matches\n${k.describe()}`);
  assert.equal(k.json.data[0].id, ids[K1], `with q, results are ordered by relevance: the article with kubernetes in its title and four times in its body comes first\n${k.describe()}`);

  const cases = [
    ['kubernetes or zookeeper', 'OR from websearch_to_tsquery, and titles are searched too'],
    ['postgres -mysql', 'a leading minus excludes a word (websearch_to_tsquery, not plainto_tsquery)'],
    ['"connection pool"', 'quotes search a phrase: adjacent words only'],
    ['indexes', "stemming: 'indexes' also finds index, indexing and indexed (the 'english' configuration)"],
    ['Postgres', 'search is case-insensitive'],
  ];
  for (const [q, why] of cases) {
    const res = await search(q);
    const expected = await matchingIds(q);
    assert.equal(res.json.total, expected.length, `q=${q}: ${why}; expected ${expected.length} matches\n${res.describe()}`);
    const got = res.json.data.map((a) => a.id).sort((a, b) => a - b);
    assert.deepEqual(got, expected.slice(0, 100), `q=${q}: ${why}\n${res.describe()}`);
  }

  const filtered = await request(url, 'GET', query({ q: 'postgres', category: 'databases', sort: 'views', limit: 100 }));
  expectOk(filtered);
  const { rows } = await pool.query(`SELECT id FROM articles WHERE ${MATCH} AND category = 'databases' ORDER BY views, id`, ['postgres']);
  compareWalk(filtered.json.data.map((a) => a.id), rows.map((r) => r.id), 'q=postgres&category=databases&sort=views (search combines with filters and other sorts)');
});

test('search results page by relevance with nextCursor without duplicates or gaps', { timeout: 8000 }, async () => {
  const { url } = await start();
  for (const q of ['postgres', 'pool or index']) {
    const got = await walk(url, { q, limit: 9 });
    const expected = await matchingIds(q);
    assert.equal(new Set(got).size, got.length, `q=${q}: an article came back twice across relevance pages; order by rank, then id, and compare (rank, id) in the cursor with the rank as the real that ts_rank returns (a ::float8 cast never equals it)`);
    assert.deepEqual([...got].sort((a, b) => a - b), expected, `q=${q}: walking every relevance page must return each match exactly once (${got.length} returned, ${expected.length} match)`);
  }
});

test('the search query uses a GIN index (EXPLAIN of the SQL the app sent)', { timeout: 8000 }, async () => {
  const { url } = await start();
  const { rows: gin } = await pool.query(`
    SELECT i.relname AS name
      FROM pg_index x
      JOIN pg_class i ON i.oid = x.indexrelid
      JOIN pg_am am ON am.oid = i.relam
     WHERE x.indrelid = 'articles'::regclass AND am.amname = 'gin'`);
  assert.ok(gin.length > 0, 'schema.sql must create a GIN index on articles for full-text search (CREATE INDEX … USING gin (…))');

  recorded.length = 0;
  const res = await request(url, 'GET', query({ q: 'kubernetes' }));
  expectOk(res);
  const searches = recorded.filter((r) => r.text.includes('@@'));
  assert.ok(searches.length > 0, `the app sent no SQL with @@ through the pool given to createApp (sent: ${recorded.map((r) => r.text.trim().slice(0, 80)).join(' | ') || 'nothing'})`);

  const ginNames = new Set(gin.map((row) => row.name));
  const client = await pool.connect();
  try {
    for (const { text, values } of searches) {
      await client.query('BEGIN');
      // With a few hundred rows a sequential scan is cheapest; forbid it to see whether
      // the index can serve the query at all (the expression must match the index).
      await client.query('SET LOCAL enable_seqscan = off');
      const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
      await client.query('ROLLBACK');
      const plan = rows[0]['QUERY PLAN'];
      const used = [];
      (function visit(node) {
        if (node && typeof node === 'object') {
          if (node['Index Name']) used.push(node['Index Name']);
          Object.values(node).forEach(visit);
        }
      })(plan);
      assert.ok(
        used.some((name) => ginNames.has(name)),
        `this search query does not use the GIN index (${[...ginNames].join(', ')}); indexes used: ${used.join(', ') || 'none'}.\n` +
          `Query: ${text.trim().replace(/\s+/g, ' ').slice(0, 300)}\n` +
          'Search the same tsvector the index was built on: a stored generated column, or the identical to_tsvector(…) expression.',
      );
    }
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    client.release();
  }
});
