import { STATUS_CODES } from 'node:http';

export class HttpError extends Error {
  constructor(status, code, message = STATUS_CODES[status], options) {
    super(message, options);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

export function notFound(req, res, next) {
  next(new HttpError(404, 'NOT_FOUND', `No route for ${req.method} ${req.path}`));
}

// 413 → 'Payload Too Large' → 'PAYLOAD_TOO_LARGE'
const codeFor = (status) => (STATUS_CODES[status] ?? 'Error').toUpperCase().replace(/[^A-Z0-9]+/g, '_');

/** What the client may know about an error; `message: undefined` means "hide it". */
function classify(err) {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message };
  if (err?.type === 'entity.parse.failed') {
    return { status: 400, code: 'INVALID_JSON', message: 'the request body is not valid JSON' };
  }
  // Express and its body parser mark client errors with a 4xx status. Anything else is
  // our bug, and its message may hold hosts, SQL or credentials.
  const status = err?.status ?? err?.statusCode;
  if (Number.isInteger(status) && status >= 400 && status < 500) {
    return { status, code: codeFor(status), message: err.message };
  }
  return { status: 500, code: 'INTERNAL_SERVER_ERROR', message: undefined };
}

export function errorHandler({ env, logger }) {
  // Opt in to details: a missing or misspelt NODE_ENV must not leak stack traces.
  const development = env === 'development';

  // Express recognises error middleware by its four parameters.
  return (err, req, res, next) => {
    // Too late for a JSON body: Express's default handler aborts the connection, so the
    // client sees a broken response instead of a truncated one that looks complete.
    if (res.headersSent) return next(err);

    const { status, code, message } = classify(err);
    if (status >= 500) logger.error({ err, requestId: req.id });

    const error = { code, message, requestId: req.id };
    if (message === undefined) error.message = development ? String(err?.message ?? err) : 'Internal Server Error';
    if (development && typeof err?.stack === 'string') error.stack = err.stack;
    res.status(status).json({ error });
  };
}
