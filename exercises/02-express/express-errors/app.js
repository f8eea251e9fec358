import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { HttpError, errorHandler, notFound } from './errors.js';

/**
 * `env` decides how much an error response reveals: 'development' shows details,
 * anything else hides them. `logger` receives unexpected errors.
 */
export function createApp({ env = process.env.NODE_ENV, logger = console } = {}) {
  const app = express();
  const items = new Map([
    [1, { id: 1, name: 'keyboard' }],
    [2, { id: 2, name: 'mouse' }],
  ]);
  // A pretend database call: async, like the real ones.
  const findItem = async (id) => {
    await sleep(1);
    return items.get(id);
  };

  app.use((req, res, next) => {
    req.id = randomUUID();
    res.set('X-Request-Id', req.id);
    next();
  });
  app.use(express.json({ limit: '1kb' }));

  // Express 5 forwards errors thrown in async handlers to the error handler:
  // no try/catch and no asyncHandler wrapper needed.
  app.get('/items/:id', async (req, res) => {
    const item = await findItem(Number(req.params.id));
    if (!item) throw new HttpError(404, 'ITEM_NOT_FOUND', `item ${req.params.id} not found`);
    res.json({ data: item });
  });

  app.post('/items', async (req, res) => {
    const name = req.body?.name;
    if (typeof name !== 'string' || name.trim() === '') {
      throw new HttpError(422, 'VALIDATION_ERROR', 'name must be a non-empty string');
    }
    const item = { id: items.size + 1, name };
    items.set(item.id, item);
    res.status(201).json({ data: item });
  });

  app.get('/payments', async () => {
    throw new HttpError(503, 'PAYMENTS_UNAVAILABLE', 'the payment provider is not answering, try again later');
  });

  app.get('/boom/sync', () => {
    throw new Error('connect ECONNREFUSED postgres://admin:hunter2@10.0.0.12:5432/shop');
  });

  app.get('/boom/async', async () => {
    await sleep(1);
    throw new TypeError("Cannot read properties of undefined (reading 'hunter2')");
  });

  app.get('/boom/non-error', async () => {
    throw 'upstream timed out after 30000 ms'; // some libraries reject with plain values
  });

  // The error comes after the headers and part of the body are already on the wire.
  app.get('/boom/stream', async (req, res) => {
    res.type('text/plain');
    res.write('row 1\n');
    await sleep(5);
    throw new Error('export failed halfway');
  });

  // TODO: mount notFound and errorHandler({ env, logger }). Where do they belong?

  return app;
}
