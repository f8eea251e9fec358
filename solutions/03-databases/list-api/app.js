import express from 'express';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

// The allow-list: the only strings that ever reach ORDER BY. Each key also checks the
// sort value a cursor carries for it.
const SORT_KEYS = {
  published_at: { expr: 'published_at', valid: (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)) },
  views: { expr: 'views', valid: Number.isInteger },
  title: { expr: 'title', valid: (v) => typeof v === 'string' },
  relevance: { expr: 'ts_rank(search, query)', valid: Number.isFinite },
};
const SORTS = {
  published_at: ['published_at', 'ASC'],
  '-published_at': ['published_at', 'DESC'],
  views: ['views', 'ASC'],
  '-views': ['views', 'DESC'],
  title: ['title', 'ASC'],
  '-title': ['title', 'DESC'],
  relevance: ['relevance', 'DESC'],
};

class BadQuery extends Error {}

function integerParam(raw, name, min) {
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new BadQuery(`${name} must be an integer ≥ ${min}`);
  return Number(raw);
}

function encodeCursor(sort, row) {
  return Buffer.from(JSON.stringify({ sort, value: row.sort_value, id: row.id })).toString('base64url');
}

function decodeCursor(raw, sort) {
  let cursor;
  try {
    cursor = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new BadQuery('cursor is not valid');
  }
  const key = SORT_KEYS[SORTS[sort][0]];
  if (
    cursor === null || typeof cursor !== 'object' || cursor.sort !== sort ||
    !key.valid(cursor.value) || !Number.isInteger(cursor.id) || cursor.id < 1
  ) {
    throw new BadQuery('cursor is not valid for this sort');
  }
  return cursor;
}

/** Reads and checks the query string; throws BadQuery for anything off the contract. */
function parseQuery(query) {
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== 'string') throw new BadQuery(`${name} must be given once`);
  }
  const q = query.q?.trim() || null;
  const sort = query.sort ?? (q ? 'relevance' : '-published_at');
  if (!Object.hasOwn(SORTS, sort)) throw new BadQuery(`sort must be one of ${Object.keys(SORTS).join(', ')}`);
  if (sort === 'relevance' && !q) throw new BadQuery('sort=relevance needs q');
  const limit = query.limit === undefined ? DEFAULT_LIMIT : Math.min(integerParam(query.limit, 'limit', 1), MAX_LIMIT);
  if (query.cursor !== undefined && query.offset !== undefined) throw new BadQuery('use either offset or cursor');
  const offset = query.offset === undefined ? 0 : integerParam(query.offset, 'offset', 0);
  const cursor = query.cursor === undefined ? null : decodeCursor(query.cursor, sort);
  return { q, category: query.category ?? null, author: query.author ?? null, sort, limit, offset, cursor };
}

function nextLink(params, nextCursor) {
  const search = new URLSearchParams();
  for (const name of ['q', 'category', 'author', 'sort']) if (params[name] !== null) search.set(name, params[name]);
  search.set('limit', params.limit);
  search.set('cursor', nextCursor);
  return `</articles?${search}>; rel="next"`;
}

const toArticle = (row) => ({
  id: row.id,
  title: row.title,
  body: row.body,
  author: row.author,
  category: row.category,
  views: row.views,
  publishedAt: row.published_at.toISOString(),
});

/** GET /articles over `pool`: filters, allow-listed sorts, offset or keyset pages, search. */
export function createApp({ pool }) {
  const app = express();

  app.get('/articles', async (req, res) => {
    const params = parseQuery(req.query);
    const values = [];
    const bind = (value) => `$${values.push(value)}`;

    const from = params.q ? `articles, websearch_to_tsquery('english', ${bind(params.q)}) AS query` : 'articles';
    const where = [];
    if (params.q) where.push('search @@ query');
    if (params.category !== null) where.push(`category = ${bind(params.category)}`);
    if (params.author !== null) where.push(`author = ${bind(params.author)}`);
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';

    const [key, dir] = SORTS[params.sort];
    const sortExpr = SORT_KEYS[key].expr;
    const page = [...where];
    if (params.cursor) {
      // The tie-breaker runs in the sort's direction, so one row comparison does it.
      page.push(`(${sortExpr}, id) ${dir === 'ASC' ? '>' : '<'} (${bind(params.cursor.value)}, ${bind(params.cursor.id)})`);
    }
    const sql = `
      SELECT id, title, body, author, category, views, published_at, ${sortExpr} AS sort_value
        FROM ${from}
        ${page.length ? `WHERE ${page.join(' AND ')}` : ''}
       ORDER BY ${sortExpr} ${dir}, id ${dir}
       LIMIT ${params.limit + 1} ${params.cursor ? '' : `OFFSET ${params.offset}`}`;
    const { rows } = await pool.query(sql, values);

    const hasMore = rows.length > params.limit;
    const data = rows.slice(0, params.limit);
    const nextCursor = hasMore ? encodeCursor(params.sort, {
      id: data.at(-1).id,
      sort_value: data.at(-1).sort_value instanceof Date ? data.at(-1).sort_value.toISOString() : data.at(-1).sort_value,
    }) : null;

    const body = { data: data.map(toArticle), limit: params.limit, nextCursor };
    if (!params.cursor) {
      // Offset pages count; keyset pages skip the count, which is what makes them cheap.
      const { rows: [{ total }] } = await pool.query(`SELECT count(*)::int AS total FROM ${from} ${filter}`, values);
      Object.assign(body, { total, offset: params.offset });
    }
    if (nextCursor) res.set('Link', nextLink(params, nextCursor));
    res.json(body);
  });

  app.use((err, req, res, next) => {
    if (err instanceof BadQuery) return res.status(400).json({ error: { code: 'INVALID_QUERY', message: err.message } });
    next(err);
  });
  return app;
}
