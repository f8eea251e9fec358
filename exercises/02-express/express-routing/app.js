import express from 'express';
import { catalog } from './catalog.js';

/**
 * A read-only product catalog API. Returns an Express app that is not listening.
 * `products` and `reviews` are arrays shaped like the ones in catalog.js.
 */
export function createApp({ products, reviews } = catalog) {
  const app = express();

  // TODO: build a products router with express.Router() and mount it at /api/products:
  //   GET /              the list, with page, limit, category and inStock from the query
  //   GET /featured      the featured products
  //   GET /:id           one product (validate the id first)
  // TODO: a reviews router for GET /api/products/:id/reviews, mounted on the products
  //       router (it needs to see :id).
  // TODO: 405 for other methods on those paths, and a JSON 404 for every unknown route.

  return app;
}
