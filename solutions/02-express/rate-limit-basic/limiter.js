/**
 * Fixed-window rate limiter middleware: at most `limit` requests per key in each window
 * of `windowMs` milliseconds, windows aligned to the clock (Date.now()).
 */
export function fixedWindow({ limit, windowMs, key = (req) => req.ip }) {
  let window = -1;
  let counts = new Map(); // key → requests seen in `window`

  function middleware(req, res, next) {
    const now = Date.now();
    const current = Math.floor(now / windowMs);
    if (current !== window) {
      // All keys share the same boundaries, so every old count expires at once:
      // replacing the map keeps memory bounded by the keys of one window.
      window = current;
      counts = new Map();
    }

    const id = key(req);
    const count = (counts.get(id) ?? 0) + 1;
    counts.set(id, count);

    const resetSeconds = Math.ceil(((current + 1) * windowMs - now) / 1000);
    res.set({
      'RateLimit-Limit': String(limit),
      'RateLimit-Remaining': String(Math.max(0, limit - count)),
      'RateLimit-Reset': String(resetSeconds),
    });
    if (count > limit) {
      res.set('Retry-After', String(resetSeconds));
      return res.status(429).json({ error: 'too many requests' });
    }
    next();
  }

  Object.defineProperty(middleware, 'size', { get: () => counts.size });
  return middleware;
}
