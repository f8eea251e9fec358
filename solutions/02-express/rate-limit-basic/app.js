import express from 'express';
import { rateLimit } from 'express-rate-limit';

export function createApp() {
  const app = express();
  app.use(express.json());

  // Created per app: each limiter has its own in-memory store.
  const loginLimiter = rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: 5,
    standardHeaders: 'draft-6',
    legacyHeaders: false,
    message: { error: 'too many login attempts' },
  });

  app.post('/login', loginLimiter, (req, res) => {
    const { username, password } = req.body ?? {};
    if (username === 'ada' && password === 'correct horse') return res.json({ ok: true });
    res.status(401).json({ error: 'invalid credentials' });
  });

  app.get('/health', (req, res) => {
    res.json({ ok: true });
  });

  return app;
}
