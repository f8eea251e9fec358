export function sendValidationError(res, fields) {
  res.status(400).json({ error: { code: 'VALIDATION_ERROR', message: 'The request is invalid', fields } });
}

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The by-hand version of the rules, to see what a schema library saves. It collects
 * every problem instead of stopping at the first, and builds the value from the known
 * fields only: the store saves whatever it is given.
 */
export function validateNewTask(body) {
  if (!isObject(body)) return { fields: [{ location: 'body', path: '', message: 'must be a JSON object' }] };

  const fields = [];
  const problem = (path, message) => fields.push({ location: 'body', path, message });

  const title = typeof body.title === 'string' ? body.title.trim() : undefined;
  if (title === undefined) problem('title', 'is required and must be a string');
  else if (title.length < 1 || title.length > 100) problem('title', 'must be 1 to 100 characters');

  const { priority } = body;
  // JSON already has numbers: "3" is a client bug, not something to coerce.
  if (!Number.isInteger(priority) || priority < 1 || priority > 5) problem('priority', 'must be an integer from 1 to 5');

  const tags = body.tags ?? [];
  if (!Array.isArray(tags)) problem('tags', 'must be an array of strings');
  else {
    if (tags.length > 5) problem('tags', 'must have at most 5 tags');
    tags.forEach((tag, i) => {
      if (typeof tag !== 'string' || tag.length < 1 || tag.length > 20) problem(`tags.${i}`, 'must be a string of 1 to 20 characters');
    });
  }

  return fields.length > 0 ? { fields } : { value: { title, priority, tags } };
}

/**
 * Parses each given part with its schema. The parsed values go to res.locals.valid:
 * Express 5 defines req.query as a getter, so it cannot be replaced.
 */
export function validate(schemas) {
  return (req, res, next) => {
    const valid = {};
    const fields = [];
    for (const location of ['params', 'query', 'body']) {
      if (!schemas[location]) continue;
      const result = schemas[location].safeParse(req[location]);
      if (result.success) valid[location] = result.data;
      else {
        for (const issue of result.error.issues) {
          fields.push({ location, path: issue.path.join('.'), message: issue.message });
        }
      }
    }
    if (fields.length > 0) return sendValidationError(res, fields);
    res.locals.valid = valid;
    next();
  };
}
