import express from 'express';
// TODO: import { rateLimit } from 'express-rate-limit';

export function createApp() {
  const app = express();
  app.use(express.json());

  // TODO: limit POST /login to 5 attempts per 15 minutes per client IP, with the
  // RateLimit-* headers and the 429 body from the README. Only this route is limited.
  app.post('/login', (req, res) => {
    const { username, password } = req.body ?? {};
    if (username === 'ada' && password === 'correct horse') return res.json({ ok: true });
    res.status(401).json({ error: 'invalid credentials' });
  });

  app.get('/health', (req, res) => {
    res.json({ ok: true });
  });

  return app;
}
