import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

// Ids end up in log lines and response headers: accept only short, plain tokens.
const VALID_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function requestId() {
  return (req, res, next) => {
    const incoming = req.get('X-Request-Id');
    req.id = incoming !== undefined && VALID_ID.test(incoming) ? incoming : randomUUID();
    res.set('X-Request-Id', req.id);
    next();
  };
}

export function serverTiming() {
  return (req, res, next) => {
    const start = performance.now();
    // Every way of answering (res.json, res.end, res.write, redirects) goes through
    // writeHead, explicitly or implicitly: the last moment a header can still be added.
    const writeHead = res.writeHead;
    res.writeHead = function writeHeadWithTiming(...args) {
      if (!this.headersSent) {
        this.setHeader('Server-Timing', `app;dur=${(performance.now() - start).toFixed(1)}`);
      }
      return writeHead.apply(this, args);
    };
    next();
  };
}

export function requestLogger(logger) {
  return (req, res, next) => {
    const start = performance.now();
    // 'finish' fires once the final status is known. Read the path from originalUrl:
    // a mounted router rewrites req.url while it handles the request.
    res.once('finish', () => {
      logger.info({
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        durationMs: Math.round((performance.now() - start) * 10) / 10,
        requestId: req.id,
      });
    });
    next();
  };
}
