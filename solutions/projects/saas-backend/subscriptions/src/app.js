import express from 'express';
import { createAuth } from './auth.js';
import { createBilling } from './billing.js';
import { errorHandler, notFound } from './errors.js';

/**
 * The SaaS backend: returns an Express app that is not listening (src/server.js and the
 * tests start it). Everything it stores goes through `pool`; every "now" comes from `clock`.
 *
 * @param {object} deps
 * @param {import('pg').Pool} deps.pool   the PostgreSQL pool (migrated with migrate(pool))
 * @param {string} deps.secret            HS256 key for access tokens
 * @param {() => number} [deps.clock]     the current time in milliseconds
 * @param {string} [deps.webhookSecret]   the payment provider's signing secret (stage 2)
 * @param {number} [deps.hashCost]        bcrypt cost for password hashes (tests pass 4)
 */
export function createApp({ pool, secret, clock = Date.now, webhookSecret, hashCost = 12 } = {}) {
  const auth = createAuth({ pool, secret, clock, hashCost });
  const billing = createBilling({ pool, clock, webhookSecret, authenticate: auth.authenticate });

  const app = express();
  // Before express.json(): the signature covers the raw bytes, which parsing would lose.
  app.post('/webhooks/payments', express.raw({ type: () => true }), billing.paymentWebhook);
  app.use(express.json());
  app.use(auth.router);
  app.use(billing.router);
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
