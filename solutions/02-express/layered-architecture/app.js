import express from 'express';
import { createOrderController } from './controller.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { createOrderService } from './service.js';

// The one place that knows how domain errors look in HTTP.
const STATUS = new Map([
  [ValidationError, [400, 'VALIDATION_ERROR']],
  [NotFoundError, [404, 'NOT_FOUND']],
  [ConflictError, [409, 'CONFLICT']],
]);

function errorHandler(err, req, res, next) {
  if (res.headersSent) return next(err);
  if (err.type === 'entity.parse.failed') {
    return res.status(400).json({ error: { code: 'VALIDATION_ERROR', message: 'the body is not valid JSON' } });
  }
  for (const [type, [status, code]] of STATUS) {
    if (err instanceof type) return res.status(status).json({ error: { code, message: err.message } });
  }
  // Unknown errors may carry internals (SQL, hostnames): log them, never send them.
  console.error(err);
  res.status(500).json({ error: { code: 'INTERNAL', message: 'Internal Server Error' } });
}

export function createApp({ service }) {
  const app = express();
  const orders = createOrderController(service);
  app.use(express.json());
  // Express 5 passes a rejected handler promise to the error handler.
  app.post('/orders', orders.placeOrder);
  app.get('/orders/:id', orders.getOrder);
  app.post('/orders/:id/cancel', orders.cancelOrder);
  app.use(errorHandler);
  return app;
}

export function buildApp({ repo, clock = { now: () => new Date() } }) {
  return createApp({ service: createOrderService({ repo, clock }) });
}
