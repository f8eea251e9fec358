import express from 'express';

/**
 * GET /articles over `pool`: filters, allow-listed sorts, offset or cursor (keyset)
 * pages and full-text search. Returns an Express app that is not listening.
 */
export function createApp({ pool }) {
  const app = express();

  app.get('/articles', async (req, res) => {
    // TODO: validate req.query (sort against an allow-list, limit, offset, cursor),
    // build ONE parameterised query ordered by (sort key, id), fetch limit + 1 rows,
    // and answer { data, limit, nextCursor } (+ total and offset without a cursor)
    // with a Link: <…>; rel="next" header when there is a next page.
    const { rows } = await pool.query('SELECT id, title FROM articles LIMIT 20');
    res.json({ data: rows, limit: 20, nextCursor: null });
  });

  return app;
}
