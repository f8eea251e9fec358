/**
 * Fixed-window rate limiter middleware: at most `limit` requests per key in each window
 * of `windowMs` milliseconds, windows aligned to the clock (Date.now()).
 */
export function fixedWindow({ limit, windowMs, key = (req) => req.ip }) {
  // TODO: count requests per key in the current window. Set RateLimit-Limit,
  // RateLimit-Remaining and RateLimit-Reset on every response; over the limit answer
  // 429 with Retry-After and { "error": "too many requests" }. Read the time with
  // Date.now() only, and drop the counts of ended windows.
  function middleware(req, res, next) {
    next();
  }

  // The number of keys the limiter holds right now.
  Object.defineProperty(middleware, 'size', {
    get: () => 0, // TODO
  });
  return middleware;
}
