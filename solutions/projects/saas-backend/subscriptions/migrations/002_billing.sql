-- Stage 2: the plan catalogue, one subscription per organization, and the payment
-- provider's events (kept so a re-delivered event is recognised).

CREATE TABLE plans (
  id               text PRIMARY KEY,
  name             text NOT NULL,
  price_cents      integer NOT NULL CHECK (price_cents >= 0),
  currency         text NOT NULL,
  billing_interval text NOT NULL CHECK (billing_interval IN ('month', 'year')),
  trial_days       integer NOT NULL CHECK (trial_days >= 0),
  max_seats        integer NOT NULL,
  max_projects     integer NOT NULL
);

-- Seeded here, not by the app, so every environment has the same catalogue once migrated.
INSERT INTO plans (id, name, price_cents, currency, billing_interval, trial_days, max_seats, max_projects) VALUES
  ('starter',  'Starter',   900, 'usd', 'month', 14,   3,   5),
  ('pro',      'Pro',      2900, 'usd', 'month', 14,  20,  50),
  ('business', 'Business', 9900, 'usd', 'month', 30, 100, 500);

CREATE TABLE subscriptions (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  plan_id       text NOT NULL REFERENCES plans (id),
  status        text NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
  trial_ends_at timestamptz NOT NULL,
  created_at    timestamptz NOT NULL,
  canceled_at   timestamptz
);
-- At most one live subscription per organization, even when two requests race.
CREATE UNIQUE INDEX subscriptions_one_live_per_org ON subscriptions (org_id) WHERE status <> 'canceled';

CREATE TABLE payment_events (
  id          text PRIMARY KEY,
  type        text NOT NULL,
  payload     jsonb NOT NULL,
  received_at timestamptz NOT NULL
);
