/**
 * An error a route can throw to answer with a status and a JSON error body:
 *   throw new HttpError(409, 'EMAIL_TAKEN', 'that email is already registered')
 * Express 5 passes errors thrown in async handlers to `errorHandler` below.
 */
export class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function notFound(req, res) {
  res.status(404).json({ error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${req.path}` } });
}

// Express recognises an error handler by its four parameters, so `next` stays.
// eslint-disable-next-line no-unused-vars
export function errorHandler(err, req, res, next) {
  if (err instanceof HttpError) {
    // RFC 9110: a 401 tells the client how to authenticate.
    if (err.status === 401) res.set('WWW-Authenticate', 'Bearer');
    return res.status(err.status).json({ error: { code: err.code, message: err.message } });
  }
  // The body parsers (express.json(), express.raw()) throw http-errors with a 4xx status.
  if (err.type === 'entity.parse.failed') {
    return res.status(400).json({ error: { code: 'VALIDATION_ERROR', message: 'the request body is not valid JSON' } });
  }
  if (err.expose && err.status >= 400 && err.status < 500) {
    return res.status(err.status).json({ error: { code: 'BAD_REQUEST', message: err.message } });
  }
  console.error(err);
  res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
}
