import express from 'express';
import { catalog } from './catalog.js';

const DIGITS = /^[0-9]+$/;
const MAX_LIMIT = 50;

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const sendError = (res, status, code, message) =>
  res.status(status).json({ error: { code, message } });

const methodNotAllowed = (req, res) => {
  res.set('Allow', 'GET, HEAD');
  sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.originalUrl.split('?')[0]}`);
};

/** Digits only: Number() and parseInt() would accept '', ' 7', '0x10', '1e3' and '12abc'. */
function parsePositiveInt(raw) {
  if (typeof raw !== 'string' || !DIGITS.test(raw)) return undefined;
  const value = Number(raw);
  return value >= 1 ? value : undefined;
}

/** The query parser turns `?page=1&page=2` into an array: treat that as invalid too. */
function readQuery(query) {
  const invalid = (name, rule) => new ApiError(400, 'INVALID_QUERY', `query parameter "${name}" ${rule}`);
  const single = (name) => {
    const value = query[name];
    if (value !== undefined && typeof value !== 'string') throw invalid(name, 'must be given once');
    return value;
  };

  const rawPage = single('page');
  const page = rawPage === undefined ? 1 : parsePositiveInt(rawPage);
  if (page === undefined) throw invalid('page', 'must be an integer of at least 1');

  const rawLimit = single('limit');
  const limit = rawLimit === undefined ? 10 : parsePositiveInt(rawLimit);
  if (limit === undefined || limit > MAX_LIMIT) throw invalid('limit', `must be an integer from 1 to ${MAX_LIMIT}`);

  const category = single('category');
  if (category === '') throw invalid('category', 'must not be empty');

  const rawInStock = single('inStock');
  if (rawInStock !== undefined && rawInStock !== 'true' && rawInStock !== 'false') {
    throw invalid('inStock', 'must be true or false');
  }
  const inStock = rawInStock === undefined ? undefined : rawInStock === 'true';

  return { page, limit, category, inStock };
}

export function createApp({ products, reviews } = catalog) {
  const app = express();
  const productsRouter = express.Router();
  // mergeParams: without it the nested router cannot see :id from the mount path.
  const reviewsRouter = express.Router({ mergeParams: true });

  function findProduct(req) {
    const id = parsePositiveInt(req.params.id);
    if (id === undefined) throw new ApiError(400, 'INVALID_ID', `product id must be a positive integer, got "${req.params.id}"`);
    const product = products.find((p) => p.id === id);
    if (!product) throw new ApiError(404, 'NOT_FOUND', `product ${id} not found`);
    return product;
  }

  productsRouter
    .route('/')
    .get((req, res) => {
      const { page, limit, category, inStock } = readQuery(req.query);
      const matching = products.filter(
        (p) => (category === undefined || p.category === category) && (inStock === undefined || p.inStock === inStock),
      );
      const start = (page - 1) * limit;
      res.json({ data: matching.slice(start, start + limit), page, limit, total: matching.length });
    })
    .all(methodNotAllowed);

  // Declared before /:id, or "featured" would be taken for an id.
  productsRouter
    .route('/featured')
    .get((req, res) => res.json({ data: products.filter((p) => p.featured) }))
    .all(methodNotAllowed);

  productsRouter
    .route('/:id')
    .get((req, res) => res.json({ data: findProduct(req) }))
    .all(methodNotAllowed);

  reviewsRouter
    .route('/')
    .get((req, res) => {
      const product = findProduct(req);
      res.json({ data: reviews.filter((r) => r.productId === product.id) });
    })
    .all(methodNotAllowed);

  productsRouter.use('/:id/reviews', reviewsRouter);
  app.use('/api/products', productsRouter);

  // Runs only when no route answered. req.path leaves out the query string, which may
  // carry tokens that have no business in an error message.
  app.use((req, res) => {
    sendError(res, 404, 'ROUTE_NOT_FOUND', `No route for ${req.method} ${req.path}`);
  });

  app.use((err, req, res, next) => {
    if (!(err instanceof ApiError)) return next(err);
    sendError(res, err.status, err.code, err.message);
  });

  return app;
}
