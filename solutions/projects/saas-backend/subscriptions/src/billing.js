import { Router } from 'express';
import { isUuid, withTransaction } from './db.js';
import { HttpError } from './errors.js';
import { verifySignature } from './webhooks.js';

const DAY_MS = 24 * 60 * 60 * 1000;

// The status each provider event moves a subscription to. A canceled subscription
// stays canceled: a late invoice.paid must not bring it back.
const TRANSITIONS = {
  'invoice.paid': 'active',
  'invoice.payment_failed': 'past_due',
  'subscription.canceled': 'canceled',
};

const invalid = (message) => new HttpError(400, 'VALIDATION_ERROR', message);
const notFound = () => new HttpError(404, 'NOT_FOUND', 'no such subscription');

const PLAN_COLUMNS = `id, name, price_cents AS "priceCents", currency, billing_interval AS interval,
  trial_days AS "trialDays", json_build_object('seats', max_seats, 'projects', max_projects) AS limits`;

/**
 * Plans, subscriptions and the payment provider's webhook. `authenticate` is stage 1's
 * middleware; it sets req.user with the caller's organization.
 */
export function createBilling({ pool, clock, webhookSecret, authenticate }) {
  const now = () => new Date(clock());

  async function findPlan(planId) {
    if (typeof planId !== 'string') throw invalid('planId must be the id of a plan from GET /plans');
    const { rows } = await pool.query(`SELECT ${PLAN_COLUMNS} FROM plans WHERE id = $1`, [planId]);
    if (rows.length === 0) throw invalid(`there is no plan "${planId}"`);
    return rows[0];
  }

  /** The subscription if it belongs to the caller's organization; anyone else gets 404. */
  async function findSubscription(req) {
    const { id } = req.params;
    const { rows } = isUuid(id)
      ? await pool.query(
          `SELECT s.id, s.org_id, s.plan_id, s.status, s.trial_ends_at, p.max_seats, p.max_projects
             FROM subscriptions s JOIN plans p ON p.id = s.plan_id
            WHERE s.id = $1 AND s.org_id = $2`,
          [id, req.user.organization.id],
        )
      : { rows: [] };
    if (rows.length === 0) throw notFound();
    return rows[0];
  }

  const view = (row) => ({
    id: row.id,
    orgId: row.org_id,
    planId: row.plan_id,
    // A trial that ran out without a paid invoice no longer grants access; no job has
    // to flip the row at the right moment for that to hold.
    status: row.status === 'trialing' && row.trial_ends_at <= now() ? 'past_due' : row.status,
    trialEndsAt: row.trial_ends_at.toISOString(),
    limits: { seats: row.max_seats, projects: row.max_projects },
  });

  const router = Router();

  router.get('/plans', async (req, res) => {
    const { rows } = await pool.query(`SELECT ${PLAN_COLUMNS} FROM plans ORDER BY price_cents, id`);
    res.json({ plans: rows });
  });

  router.post('/subscriptions', authenticate, async (req, res) => {
    const plan = await findPlan(req.body?.planId);
    try {
      const { rows } = await pool.query(
        `INSERT INTO subscriptions (org_id, plan_id, status, trial_ends_at, created_at)
         VALUES ($1, $2, 'trialing', $3, $4) RETURNING id, org_id, plan_id, status, trial_ends_at`,
        [req.user.organization.id, plan.id, new Date(clock() + plan.trialDays * DAY_MS), now()],
      );
      const subscription = view({ ...rows[0], max_seats: plan.limits.seats, max_projects: plan.limits.projects });
      res.status(201).location(`/subscriptions/${subscription.id}`).json(subscription);
    } catch (error) {
      // The partial unique index decides, so two racing requests cannot both subscribe.
      if (error.code === '23505') {
        throw new HttpError(409, 'SUBSCRIPTION_EXISTS', 'this organization already has a subscription');
      }
      throw error;
    }
  });

  router.get('/subscriptions/:id', authenticate, async (req, res) => {
    res.json(view(await findSubscription(req)));
  });

  router.patch('/subscriptions/:id', authenticate, async (req, res) => {
    const current = await findSubscription(req);
    const plan = await findPlan(req.body?.planId);
    const { rows } = await pool.query(
      `UPDATE subscriptions SET plan_id = $2 WHERE id = $1 AND status <> 'canceled'
       RETURNING id, org_id, plan_id, status, trial_ends_at`,
      [current.id, plan.id],
    );
    if (rows.length === 0) throw new HttpError(409, 'SUBSCRIPTION_CANCELED', 'a canceled subscription cannot change plans');
    res.json(view({ ...rows[0], max_seats: plan.limits.seats, max_projects: plan.limits.projects }));
  });

  // Mounted with express.raw(): req.body is the exact bytes the provider signed.
  async function paymentWebhook(req, res) {
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!verifySignature({ header: req.get('payment-signature'), rawBody, secret: webhookSecret, nowMs: clock() })) {
      throw new HttpError(400, 'INVALID_SIGNATURE', 'the Payment-Signature header does not match this body');
    }
    let event;
    try {
      event = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw invalid('the event is not valid JSON');
    }
    if (typeof event?.id !== 'string' || event.id === '' || typeof event.type !== 'string') {
      throw invalid('an event needs a string id and type');
    }
    const duplicate = await withTransaction(pool, async (db) => {
      // Recording the id and applying the event commit together: a crash in between
      // cannot leave an event recorded but never applied.
      const recorded = await db.query(
        'INSERT INTO payment_events (id, type, payload, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING',
        [event.id, event.type, event, now()],
      );
      if (recorded.rowCount === 0) return true;
      const status = TRANSITIONS[event.type];
      const subscriptionId = event.data?.subscriptionId;
      // Unknown types and subscriptions are acknowledged: a non-2xx would only make the provider retry.
      if (status && isUuid(subscriptionId)) {
        await db.query(
          `UPDATE subscriptions SET status = $2, canceled_at = CASE WHEN $2 = 'canceled' THEN $3::timestamptz END
            WHERE id = $1 AND status <> 'canceled'`,
          [subscriptionId, status, now()],
        );
      }
      return false;
    });
    res.json({ received: true, duplicate });
  }

  return { router, paymentWebhook };
}
