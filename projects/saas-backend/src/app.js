import express from 'express';
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
  const app = express();

  // TODO (stage 2): mount POST /webhooks/payments here, before express.json(), with a
  // body parser that keeps the raw bytes: the signature covers them, not the parsed JSON.

  app.use(express.json());

  // TODO (stage 1): POST /auth/register, POST /auth/login, POST /auth/refresh,
  // POST /auth/logout and GET /me, as the README describes. Put them in their own
  // module(s) (for example src/auth.js) and mount them here.

  // TODO (stage 2): GET /plans, POST /subscriptions, GET and PATCH /subscriptions/:id.

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
