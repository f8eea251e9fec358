import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { requestId, requestLogger, serverTiming } from './middleware.js';

// One JSON line per request on stdout: what a real logger (pino, winston) would print.
const jsonLines = { info: (entry) => console.log(JSON.stringify(entry)) };

/** The app with its routes; the routes and handlers below are already done. */
export function createApp({ logger = jsonLines } = {}) {
  const app = express();

  // First, before the body parser: on a malformed body it jumps straight to the error
  // handler, skipping every later middleware, and that response needs all three too.
  app.use(requestId());
  app.use(serverTiming());
  app.use(requestLogger(logger));

  app.use(express.json());

  app.get('/hello', (req, res) => {
    res.json({ message: 'hello', requestId: req.id });
  });

  app.get('/slow', async (req, res) => {
    const ms = Math.min(Math.max(Number(req.query.ms) || 0, 0), 1000);
    await sleep(ms);
    res.json({ waitedMs: ms });
  });

  // Headers go out with the first chunk, long before the response ends.
  app.get('/stream', async (req, res) => {
    res.type('text/plain');
    res.write('first\n');
    await sleep(50);
    res.end('second\n');
  });

  app.post('/echo', (req, res) => {
    res.status(201).json(req.body ?? null);
  });

  app.get('/old-hello', (req, res) => {
    res.redirect(301, '/hello');
  });

  app.delete('/items/:id', (req, res) => {
    res.status(204).end();
  });

  app.get('/boom', async () => {
    throw new Error('the database is on fire');
  });

  const users = express.Router();
  users.get('/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  app.use('/api/users', users);

  app.use((req, res) => {
    res.status(404).json({ error: { message: `No route for ${req.method} ${req.path}`, requestId: req.id } });
  });

  // eslint-disable-next-line no-unused-vars
  app.use((err, req, res, next) => {
    const status = err.status >= 400 && err.status < 500 ? err.status : 500;
    const message = status < 500 ? err.message : 'Internal Server Error';
    res.status(status).json({ error: { message, requestId: req.id } });
  });

  return app;
}
