import express from 'express';
// TODO: import helmet from 'helmet' and cors from 'cors' (both are installed).

export function createApp({ allowedOrigins = [] } = {}) {
  const app = express();

  // TODO: add helmet with the Content-Security-Policy and headers from the README,
  // and CORS for exactly the origins in `allowedOrigins`, before the routes below.

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
