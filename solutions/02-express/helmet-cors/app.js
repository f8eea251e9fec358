import express from 'express';
import helmet from 'helmet';
import cors from 'cors';

export function createApp({ allowedOrigins = [] } = {}) {
  const app = express();

  app.use(
    helmet({
      contentSecurityPolicy: {
        // Only the directives we chose: helmet's defaults would add others.
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      xFrameOptions: { action: 'deny' },
    }),
  );

  // The answer depends on Origin for every request, so caches must key on it: a stored
  // copy without the grant must never be served to an allowed site (and vice versa).
  app.use((req, res, next) => {
    res.vary('Origin');
    next();
  });

  const allowed = new Set(allowedOrigins);
  app.use(
    cors({
      // Exact match only. For `false` cors adds no headers at all and passes the
      // request on: the browser, not the server, enforces CORS.
      origin: (origin, callback) => callback(null, allowed.has(origin)),
      credentials: true,
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Content-Type', 'Authorization'],
      exposedHeaders: ['X-Total-Count'],
      maxAge: 600,
    }),
  );

  const items = [
    { id: 1, name: 'keyboard' },
    { id: 2, name: 'mouse' },
  ];

  app.use(express.json());

  app.get('/api/items', (req, res) => {
    res.set('X-Total-Count', String(items.length)).json(items);
  });

  app.post('/api/items', (req, res) => {
    const item = { id: items.length + 1, name: String(req.body?.name ?? 'unnamed') };
    items.push(item);
    res.status(201).json(item);
  });

  app.delete('/api/items/:id', (req, res) => {
    const index = items.findIndex((item) => item.id === Number(req.params.id));
    if (index === -1) return res.status(404).json({ error: 'not found' });
    items.splice(index, 1);
    res.status(204).end();
  });

  app.use((req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  return app;
}
