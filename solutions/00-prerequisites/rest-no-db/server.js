import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';

const COLLECTION_METHODS = ['GET', 'POST'];
const ITEM_METHODS = ['GET', 'PATCH', 'DELETE'];
const MAX_TITLE = 200;

class HttpError extends Error {
  constructor(status, code, message, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

function send(res, status, body, headers = {}) {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  const payload = JSON.stringify(body);
  res
    .writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      ...headers,
    })
    .end(payload);
}

async function readJson(req) {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  }
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'the request body is not valid JSON');
  }
}

const invalid = (message) => new HttpError(400, 'VALIDATION_ERROR', message);

/** Returns only the validated fields; throws before anything is stored or changed. */
function validate(body, { partial }) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid('the body must be a JSON object');
  }
  for (const key of Object.keys(body)) {
    if (key !== 'title' && key !== 'done') throw invalid(`unknown field "${key}"`);
  }
  const fields = {};
  if (Object.hasOwn(body, 'title')) {
    const { title } = body;
    if (typeof title !== 'string' || title.trim() === '' || title.length > MAX_TITLE) {
      throw invalid(`title must be a non-blank string of at most ${MAX_TITLE} characters`);
    }
    fields.title = title;
  } else if (!partial) {
    throw invalid('title is required');
  }
  if (Object.hasOwn(body, 'done')) {
    if (typeof body.done !== 'boolean') throw invalid('done must be a boolean');
    fields.done = body.done;
  }
  return fields;
}

export function createServer() {
  const todos = new Map();

  async function handle(req, res) {
    const path = req.url.split('?')[0];
    const id = path.startsWith('/todos/') ? path.slice('/todos/'.length) : undefined;
    const allowed = path === '/todos' ? COLLECTION_METHODS : id && !id.includes('/') ? ITEM_METHODS : undefined;
    if (!allowed) throw new HttpError(404, 'NOT_FOUND', `no route for ${path}`);
    if (!allowed.includes(req.method)) {
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not supported on ${path}`, {
        allow: allowed.join(', '),
      });
    }

    if (id === undefined) {
      if (req.method === 'GET') return send(res, 200, [...todos.values()]);
      const fields = validate(await readJson(req), { partial: false });
      const todo = { id: randomUUID(), title: fields.title, done: fields.done ?? false };
      todos.set(todo.id, todo);
      return send(res, 201, todo, { location: `/todos/${todo.id}` });
    }

    const todo = todos.get(id);
    if (!todo) throw new HttpError(404, 'NOT_FOUND', `no todo with id ${id}`);
    if (req.method === 'GET') return send(res, 200, todo);
    if (req.method === 'DELETE') {
      todos.delete(id);
      return send(res, 204);
    }
    Object.assign(todo, validate(await readJson(req), { partial: true }));
    return send(res, 200, todo);
  }

  return createHttpServer((req, res) => {
    handle(req, res).catch((error) => {
      if (error instanceof HttpError) {
        send(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
      } else {
        // Never leak internals, and never leave the client hanging.
        send(res, 500, { error: { code: 'INTERNAL', message: 'internal server error' } });
      }
    });
  });
}
