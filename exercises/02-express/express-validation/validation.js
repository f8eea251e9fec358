/**
 * Answers 400 with the field-level error body:
 * { error: { code: 'VALIDATION_ERROR', message, fields: [{ location, path, message }] } }
 */
export function sendValidationError(res, fields) {
  // TODO
  throw new Error('TODO: sendValidationError');
}

/**
 * Checks a POST /api/tasks body by hand, without a library.
 * Returns { value } (only title, priority and tags, parsed) or { fields } (every problem).
 */
export function validateNewTask(body) {
  // TODO
  throw new Error('TODO: validateNewTask');
}

/**
 * Middleware factory: validate({ params, query, body }) takes zod schemas (each optional),
 * parses those parts of the request and hands the parsed values to the next handler,
 * or answers 400 with every issue of every part.
 */
export function validate(schemas) {
  // TODO
  return (req, res, next) => next(new Error('TODO: validate'));
}
