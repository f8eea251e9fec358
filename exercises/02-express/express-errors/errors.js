/**
 * An error meant for the client: its status, code and message end up in the response.
 * new HttpError(404, 'ITEM_NOT_FOUND', 'item 7 not found', { cause })
 */
export class HttpError extends Error {
  constructor(status, code, message, options) {
    super(message, options);
    // TODO: keep status and code, and name the error 'HttpError'.
  }
}

/** Unknown routes: 404 NOT_FOUND with the error body. */
export function notFound(req, res, next) {
  // TODO
  next();
}

/** The one place that turns errors into `{ error: { code, message, requestId } }`. */
export function errorHandler({ env, logger }) {
  return (err, req, res, next) => {
    // TODO: pick status, code and message (see the README's table), hide details
    // unless env is 'development', log unexpected errors, and mind res.headersSent.
    next(err);
  };
}
