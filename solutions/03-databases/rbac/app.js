import express from 'express';
import { authenticate, can, errorHandler, forbidden, HttpError, requirePermission } from './rbac.js';

const notFound = (what) => new HttpError(404, 'NOT_FOUND', `no such ${what}`);
const invalid = (message) => new HttpError(400, 'VALIDATION_ERROR', message);

const POST_COLUMNS = 'id, author_id AS "authorId", title, body';

/** A path id, or null when it cannot name a row (so it answers 404 like an unknown id). */
function parseId(raw) {
  return /^[1-9]\d{0,9}$/.test(raw) && Number(raw) <= 2147483647 ? Number(raw) : null;
}

/** Only title and body are taken from the client; author_id never is. */
function postFields(body, { partial }) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('the body must be a JSON object');
  const fields = {};
  if (body.title !== undefined || !partial) {
    if (typeof body.title !== 'string' || body.title.trim() === '' || body.title.length > 200) {
      throw invalid('title must be a non-empty string of at most 200 characters');
    }
    fields.title = body.title;
  }
  if (body.body !== undefined) {
    if (typeof body.body !== 'string') throw invalid('body must be a string');
    fields.body = body.body;
  }
  return fields;
}

/**
 * The posts API with role-based access control. Returns an Express app that is not
 * listening; every query goes through `pool`.
 */
export function createApp({ pool }) {
  const app = express();
  app.use(authenticate(pool));
  app.use(express.json());

  async function findPost(rawId) {
    const id = parseId(rawId);
    const { rows } = id === null ? { rows: [] } : await pool.query(`SELECT ${POST_COLUMNS} FROM posts WHERE id = $1`, [id]);
    if (rows.length === 0) throw notFound('post');
    return rows[0];
  }

  // `:own` permissions only cover the caller's posts; the wider one covers every post.
  function checkOwnership(req, post, anyPermission) {
    if (!can(req, anyPermission) && post.authorId !== req.user.id) throw forbidden('you can only change your own posts');
  }

  app.get('/me', (req, res) => {
    const { id, name, roles, permissions } = req.user;
    res.json({ id, name, roles, permissions: [...permissions] });
  });

  app.get('/posts', requirePermission('posts:read'), async (req, res) => {
    const { rows } = await pool.query(`SELECT ${POST_COLUMNS} FROM posts ORDER BY id`);
    res.json(rows);
  });

  app.get('/posts/:id', requirePermission('posts:read'), async (req, res) => {
    res.json(await findPost(req.params.id));
  });

  app.post('/posts', requirePermission('posts:create'), async (req, res) => {
    const { title, body = '' } = postFields(req.body, { partial: false });
    const { rows } = await pool.query(
      `INSERT INTO posts (author_id, title, body) VALUES ($1, $2, $3) RETURNING ${POST_COLUMNS}`,
      [req.user.id, title, body],
    );
    res.status(201).location(`/posts/${rows[0].id}`).json(rows[0]);
  });

  app.patch('/posts/:id', requirePermission('posts:update', 'posts:update:own'), async (req, res) => {
    const post = await findPost(req.params.id);
    checkOwnership(req, post, 'posts:update');
    const { title = null, body = null } = postFields(req.body, { partial: true });
    const { rows } = await pool.query(
      `UPDATE posts SET title = coalesce($2, title), body = coalesce($3, body) WHERE id = $1 RETURNING ${POST_COLUMNS}`,
      [post.id, title, body],
    );
    res.json(rows[0]);
  });

  app.delete('/posts/:id', requirePermission('posts:delete', 'posts:delete:own'), async (req, res) => {
    const post = await findPost(req.params.id);
    checkOwnership(req, post, 'posts:delete');
    await pool.query('DELETE FROM posts WHERE id = $1', [post.id]);
    res.status(204).end();
  });

  async function findUserAndRole(req) {
    const userId = parseId(req.params.id);
    const { rows } = await pool.query(
      'SELECT (SELECT id FROM users WHERE id = $1) AS "userId", (SELECT id FROM roles WHERE name = $2) AS "roleId"',
      [userId, req.params.role],
    );
    if (rows[0].userId === null) throw notFound('user');
    if (rows[0].roleId === null) throw notFound('role');
    return rows[0];
  }

  app.put('/users/:id/roles/:role', requirePermission('roles:assign'), async (req, res) => {
    const { userId, roleId } = await findUserAndRole(req);
    await pool.query('INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [userId, roleId]);
    res.status(204).end();
  });

  app.delete('/users/:id/roles/:role', requirePermission('roles:assign'), async (req, res) => {
    const { userId, roleId } = await findUserAndRole(req);
    await pool.query('DELETE FROM user_roles WHERE user_id = $1 AND role_id = $2', [userId, roleId]);
    res.status(204).end();
  });

  app.use((req, res, next) => next(notFound('route')));
  app.use(errorHandler);
  return app;
}
