import { randomUUID } from 'node:crypto';

/**
 * Gives every request an id: a valid incoming X-Request-Id, or a new UUID.
 * Sets req.id and the X-Request-Id response header.
 */
export function requestId() {
  return (req, res, next) => {
    // TODO: validate the incoming header, fall back to randomUUID(), set req.id and the header.
    next();
  };
}

/** Adds `Server-Timing: app;dur=<ms>`, measured up to the moment the headers are written. */
export function serverTiming() {
  return (req, res, next) => {
    // TODO: remember when the request started, and set the header right before the
    // headers are sent — not now (too early), not on 'finish' (too late).
    next();
  };
}

/** Calls logger.info({ method, path, status, durationMs, requestId }) once per request. */
export function requestLogger(logger) {
  return (req, res, next) => {
    // TODO: log once the response has finished, when the final status is known.
    next();
  };
}
