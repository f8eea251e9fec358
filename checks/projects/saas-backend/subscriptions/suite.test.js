// Stage 2 of the SaaS backend: the plan catalogue, trials, subscriptions scoped to the
// caller's organization, and signed payment-provider webhooks. Runs against a fresh,
// empty PostgreSQL database (DATABASE_URL) that the learner's migrate(pool) sets up.
import { after, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import pg from 'pg';
import { importExercise, listen, request, requireExport } from './support.mjs';

const appModule = await importExercise('src/app.js');
const createApp = requireExport(appModule, 'createApp', 'function', 'src/app.js');
const migrateModule = await importExercise('src/migrate.js');
const migrate = requireExport(migrateModule, 'migrate', 'function', 'src/migrate.js');

if (!process.env.DATABASE_URL) {
  throw new Error('needs postgres: DATABASE_URL is not set (the engine provides a fresh database for this project)');
}
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 12 });
after(() => pool.end());

const SECRET = 'suite-access-token-secret-5d02b7e1aa';
const WEBHOOK_SECRET = `whsec_${randomBytes(18).toString('hex')}`;
// Far from the real date, so code that reads Date.now() instead of clock() shows up.
const T0 = Date.parse('2030-03-04T10:30:00.000Z');
const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;
const PASSWORD = 'correct horse battery';

const CATALOGUE = [
  { id: 'starter', name: 'Starter', priceCents: 900, currency: 'usd', interval: 'month', trialDays: 14, limits: { seats: 3, projects: 5 } },
  { id: 'pro', name: 'Pro', priceCents: 2900, currency: 'usd', interval: 'month', trialDays: 14, limits: { seats: 20, projects: 50 } },
  { id: 'business', name: 'Business', priceCents: 9900, currency: 'usd', interval: 'month', trialDays: 30, limits: { seats: 100, projects: 500 } },
];
const PLAN = Object.fromEntries(CATALOGUE.map((plan) => [plan.id, plan]));

let migrated;
/** Runs the learner's migrations once; every test awaits it, so a failure shows in each test. */
function setup() {
  migrated ??= (async () => {
    try {
      await migrate(pool);
    } catch (error) {
      throw new Error(`migrate(pool) failed on an empty database: ${error.message}`);
    }
  })();
  return migrated;
}

/** A fresh app on the shared database with its own clock (starts at T0). */
async function start({ at = T0 } = {}) {
  await setup();
  let now = at;
  const app = createApp({ pool, secret: SECRET, clock: () => now, webhookSecret: WEBHOOK_SECRET, hashCost: 4 });
  const { url } = await listen(app);
  return {
    url,
    now: () => now,
    advance(ms) {
      now += ms;
    },
  };
}

let sequence = 0;
const freshEmail = (name = 'user') => `${name}.${++sequence}@example.com`;

async function loginHeaders(url, email) {
  const login = await request(url, 'POST', '/auth/login', { json: { email, password: PASSWORD } });
  assert.equal(login.status, 200, `stage 1's login must keep working\n${login.describe()}`);
  return { authorization: `Bearer ${login.json.accessToken}` };
}

/** Signs up a new organization and logs its owner in (log in again after moving the clock). */
async function newOrg(url, orgName = 'Acme') {
  const email = freshEmail('owner');
  const res = await request(url, 'POST', '/auth/register', { json: { email, password: PASSWORD, orgName } });
  assert.equal(res.status, 201, `stage 1's sign-up must keep working\n${res.describe()}`);
  return { ...res.json, headers: await loginHeaders(url, email) };
}

async function subscribe(url, org, planId = 'starter') {
  const res = await request(url, 'POST', '/subscriptions', { headers: org.headers, json: { planId } });
  assert.equal(res.status, 201, `POST /subscriptions { planId: "${planId}" } must answer 201 for an organization without a subscription\n${res.describe()}`);
  assert.ok(res.json?.id !== undefined && res.json.id !== null, `the new subscription needs an id\n${res.describe()}`);
  return res.json;
}

async function statusOf(url, org, id) {
  const res = await request(url, 'GET', `/subscriptions/${id}`, { headers: org.headers });
  assert.equal(res.status, 200, `a member of the organization must be able to read its subscription\n${res.describe()}`);
  return res.json.status;
}

function expectError(res, status, code, hint) {
  assert.equal(res.status, status, `${hint}\n${res.describe()}`);
  assert.equal(res.json?.error?.code, code, `expected the body { "error": { "code": "${code}", "message": … } }\n${res.describe()}`);
}

/**
 * Sends concurrent requests the way real load lines them up: while `fire()` runs, every
 * table is locked against writes (reads go on), and the lock is released once `waiters`
 * requests are blocked on it, so their check-then-write steps overlap.
 */
async function inLockstep(waiters, fire) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query(
      "SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    await client.query(`LOCK TABLE ${rows.map((row) => row.name).join(', ')} IN SHARE ROW EXCLUSIVE MODE`);
    const pending = fire();
    pending.catch(() => {}); // awaited below; this only keeps an early rejection from going unhandled
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline) {
      await client.query('SELECT pg_stat_clear_snapshot()'); // pg_stat_activity is otherwise frozen for the transaction
      const blocked = await client.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
      );
      if (blocked.rows[0].n >= waiters) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await client.query('COMMIT');
    return await pending;
  } finally {
    client.release();
  }
}

const signatureFor = (body, t, secret = WEBHOOK_SECRET) => createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');

/**
 * The event as the provider would send it: pretty-printed and with a \u escape, so
 * JSON.stringify(JSON.parse(body)) is NOT the body that was signed.
 */
function eventBody(type, subscriptionId, id = `evt_${randomBytes(8).toString('hex')}`) {
  return `{\n  "id": ${JSON.stringify(id)},\n  "type": ${JSON.stringify(type)},\n  "created": 1893456000,\n  "data": {\n    "subscriptionId": ${JSON.stringify(subscriptionId)},\n    "customer": "Zo\\u00eb Stra\\u00dfe"\n  }\n}`;
}

function deliver(app, body, { t = Math.floor(app.now() / 1000), signature, header } = {}) {
  const headers = { 'content-type': 'application/json' };
  const value = header !== undefined ? header : `t=${t},v1=${signature ?? signatureFor(body, t)}`;
  if (value !== null) headers['payment-signature'] = value;
  return request(app.url, 'POST', '/webhooks/payments', { body, headers });
}

async function expectAccepted(app, body, options, hint) {
  const res = await deliver(app, body, options);
  assert.ok(res.status >= 200 && res.status < 300, `${hint}\n${res.describe()}`);
  return res;
}

// ---------------------------------------------------------------------------------------

test('the migrations seed the plan catalogue once, and GET /plans lists it by price', { timeout: 5000 }, async () => {
  await setup();
  let rows;
  try {
    ({ rows } = await pool.query('SELECT id FROM plans ORDER BY id'));
  } catch (error) {
    assert.fail(`after migrate(pool) there must be a plans table with an id column (${error.message})`);
  }
  assert.deepEqual(rows.map((row) => row.id), ['business', 'pro', 'starter'], 'a migration must INSERT the three plans of the README');
  await migrate(pool);
  const again = await pool.query('SELECT count(*)::int AS n FROM plans');
  assert.equal(again.rows[0].n, 3, 'running migrate(pool) again must not seed the plans twice');

  const { url } = await start();
  const res = await request(url, 'GET', '/plans');
  assert.equal(res.status, 200, `GET /plans is public: 200 without a token\n${res.describe()}`);
  const plans = res.json?.plans;
  assert.ok(Array.isArray(plans), `GET /plans answers { plans: [...] }\n${res.describe()}`);
  const shown = plans.map(({ id, name, priceCents, currency, interval, trialDays, limits }) => ({ id, name, priceCents, currency, interval, trialDays, limits }));
  assert.deepEqual(shown, CATALOGUE, `the catalogue, cheapest first, each { id, name, priceCents, currency, interval, trialDays, limits: { seats, projects } }\n${res.describe()}`);
});

test('POST /subscriptions starts a trial as long as the plan says, counted from clock()', { timeout: 5000 }, async () => {
  const app = await start({ at: T0 + 7 * 3600 * SECOND + 123 });
  const org = await newOrg(app.url, 'Trial Co');
  const res = await request(app.url, 'POST', '/subscriptions', { headers: org.headers, json: { planId: 'starter' } });
  assert.equal(res.status, 201, `POST /subscriptions { planId } must answer 201\n${res.describe()}`);
  const sub = res.json;
  assert.equal(sub.planId, 'starter', `the answer is { id, orgId, planId, status, trialEndsAt, limits }\n${res.describe()}`);
  assert.equal(sub.status, 'trialing', `a new subscription starts in the trial: status "trialing"\n${res.describe()}`);
  assert.deepEqual(sub.orgId, org.organization.id, `the subscription belongs to the caller's organization\n${res.describe()}`);
  assert.deepEqual(sub.limits, PLAN.starter.limits, `limits come from the plan\n${res.describe()}`);
  const expected = new Date(app.now() + 14 * DAY).toISOString();
  assert.equal(typeof sub.trialEndsAt, 'string', `trialEndsAt must be an ISO 8601 string\n${res.describe()}`);
  assert.equal(
    new Date(sub.trialEndsAt).toISOString(),
    expected,
    `a 14-day trial started at ${new Date(app.now()).toISOString()} ends exactly 14 × 24 hours later, at ${expected}`,
  );
  const read = await request(app.url, 'GET', `/subscriptions/${sub.id}`, { headers: org.headers });
  assert.equal(read.status, 200, `GET /subscriptions/:id must show the new subscription\n${read.describe()}`);
  assert.deepEqual(
    { ...read.json, trialEndsAt: new Date(read.json.trialEndsAt).toISOString() },
    { ...sub, trialEndsAt: expected },
    `GET /subscriptions/:id answers what POST answered\n${read.describe()}`,
  );

  const other = await newOrg(app.url);
  const business = await subscribe(app.url, other, 'business');
  assert.equal(
    new Date(business.trialEndsAt).toISOString(),
    new Date(app.now() + 30 * DAY).toISOString(),
    'the business plan has a 30-day trial: read trialDays from the plan, do not hard-code 14',
  );
});

test('POST /subscriptions needs a token and a known plan, and allows one live subscription per organization', { timeout: 5000 }, async () => {
  const app = await start();
  const noToken = await request(app.url, 'POST', '/subscriptions', { json: { planId: 'starter' } });
  expectError(noToken, 401, 'UNAUTHENTICATED', 'subscribing without an access token must answer 401');
  const org = await newOrg(app.url);
  for (const [what, json] of [['an unknown planId', { planId: 'platinum' }], ['no planId', {}], ['a numeric planId', { planId: 1 }]]) {
    const res = await request(app.url, 'POST', '/subscriptions', { headers: org.headers, json });
    expectError(res, 400, 'VALIDATION_ERROR', `POST /subscriptions with ${what} must answer 400`);
  }
  await subscribe(app.url, org, 'starter');
  const second = await request(app.url, 'POST', '/subscriptions', { headers: org.headers, json: { planId: 'pro' } });
  expectError(second, 409, 'SUBSCRIPTION_EXISTS', 'an organization that already has a live subscription must get 409');

  const racer = await newOrg(app.url);
  const results = await inLockstep(4, () =>
    Promise.all(
      ['starter', 'pro', 'business', 'starter'].map((planId) =>
        request(app.url, 'POST', '/subscriptions', { headers: racer.headers, json: { planId } }),
      ),
    ),
  );
  assert.deepEqual(
    results.map((res) => res.status).sort(),
    [201, 409, 409, 409],
    'four simultaneous POST /subscriptions for one organization must give one 201 and three 409s: a SELECT first cannot ' +
      'stop a race; a partial UNIQUE index on the organization (WHERE status <> \'canceled\') can.\n' +
      results.map((res) => res.describe()).join('\n'),
  );
});

test('only members of the organization can see or change its subscription', { timeout: 5000 }, async () => {
  const app = await start();
  const owner = await newOrg(app.url, 'Victim Ltd');
  const stranger = await newOrg(app.url, 'Curious Corp');
  const sub = await subscribe(app.url, owner, 'starter');

  const peek = await request(app.url, 'GET', `/subscriptions/${sub.id}`, { headers: stranger.headers });
  expectError(peek, 404, 'NOT_FOUND', "another organization's subscription must answer 404, as if it did not exist (a 403 would confirm the id)");
  const change = await request(app.url, 'PATCH', `/subscriptions/${sub.id}`, { headers: stranger.headers, json: { planId: 'business' } });
  expectError(change, 404, 'NOT_FOUND', "changing another organization's subscription must answer 404");
  const anonymous = await request(app.url, 'GET', `/subscriptions/${sub.id}`);
  expectError(anonymous, 401, 'UNAUTHENTICATED', 'reading a subscription without a token must answer 401');

  const mine = await request(app.url, 'GET', `/subscriptions/${sub.id}`, { headers: owner.headers });
  assert.equal(mine.json?.planId, 'starter', `a stranger's PATCH must not change the plan\n${mine.describe()}`);
  for (const id of ['does-not-exist', '00000000-0000-4000-8000-000000000000', '2147483999', randomUUID()]) {
    const res = await request(app.url, 'GET', `/subscriptions/${id}`, { headers: owner.headers });
    expectError(res, 404, 'NOT_FOUND', `an unknown or malformed id (${id}) must answer 404, not 500`);
  }
});

test('PATCH /subscriptions/:id switches the plan and its limits, keeping the trial', { timeout: 5000 }, async () => {
  const app = await start();
  const org = await newOrg(app.url);
  const sub = await subscribe(app.url, org, 'starter');
  app.advance(3 * DAY);
  org.headers = await loginHeaders(app.url, org.email);
  const res = await request(app.url, 'PATCH', `/subscriptions/${sub.id}`, { headers: org.headers, json: { planId: 'pro' } });
  assert.equal(res.status, 200, `a member may switch plans: PATCH { planId } answers 200 with the subscription\n${res.describe()}`);
  assert.equal(res.json?.planId, 'pro', `the plan must change\n${res.describe()}`);
  assert.deepEqual(res.json.limits, PLAN.pro.limits, `the limits follow the new plan\n${res.describe()}`);
  assert.equal(res.json.status, 'trialing', `switching plans keeps the trial running\n${res.describe()}`);
  assert.equal(new Date(res.json.trialEndsAt).getTime(), new Date(sub.trialEndsAt).getTime(), `switching plans does not restart the trial\n${res.describe()}`);
  const bad = await request(app.url, 'PATCH', `/subscriptions/${sub.id}`, { headers: org.headers, json: { planId: 'gold' } });
  expectError(bad, 400, 'VALIDATION_ERROR', 'switching to an unknown plan must answer 400');
  const read = await request(app.url, 'GET', `/subscriptions/${sub.id}`, { headers: org.headers });
  assert.equal(read.json?.planId, 'pro', `a refused PATCH changes nothing\n${read.describe()}`);
});

test('a trial that runs out without a paid invoice reads as past_due', { timeout: 5000 }, async () => {
  const app = await start();
  const org = await newOrg(app.url);
  const sub = await subscribe(app.url, org, 'pro');
  app.advance(14 * DAY - SECOND);
  org.headers = await loginHeaders(app.url, org.email);
  assert.equal(await statusOf(app.url, org, sub.id), 'trialing', 'one second before trialEndsAt the trial is still running');
  app.advance(SECOND);
  assert.equal(
    await statusOf(app.url, org, sub.id),
    'past_due',
    'from trialEndsAt on, a trial without an invoice.paid event is past_due (compare trialEndsAt with clock() when you read it)',
  );
});

test('a signed invoice.paid event activates the subscription; the signature covers the raw body', { timeout: 5000 }, async () => {
  const app = await start();
  const org = await newOrg(app.url);
  const sub = await subscribe(app.url, org);
  const res = await deliver(app, eventBody('invoice.paid', sub.id));
  assert.equal(
    res.status,
    200,
    'a correctly signed event must answer 200. The provider signed these exact bytes (pretty-printed, with \\u escapes): ' +
      'verify the signature over the raw body (express.raw() on this route, mounted before express.json()), ' +
      `not over JSON.stringify(req.body)\n${res.describe()}`,
  );
  assert.equal(await statusOf(app.url, org, sub.id), 'active', 'invoice.paid moves the subscription to active');
});

test('payment events drive the states, and a canceled subscription stays canceled', { timeout: 5000 }, async () => {
  const app = await start();
  const org = await newOrg(app.url);
  const sub = await subscribe(app.url, org);
  const steps = [
    ['invoice.payment_failed', 'past_due'],
    ['invoice.paid', 'active'],
    ['customer.updated', 'active'],
    ['invoice.payment_failed', 'past_due'],
    ['subscription.canceled', 'canceled'],
    ['invoice.paid', 'canceled'],
    ['invoice.payment_failed', 'canceled'],
  ];
  for (const [type, expected] of steps) {
    await expectAccepted(app, eventBody(type, sub.id), {}, `a correctly signed ${type} event must be acknowledged with 2xx`);
    assert.equal(
      await statusOf(app.url, org, sub.id),
      expected,
      `after ${type} the status must be ${expected}` +
        (type === 'customer.updated' ? ' (event types you do not handle are acknowledged and ignored)' : '') +
        (expected === 'canceled' && type !== 'subscription.canceled' ? ' (events arrive late and out of order: nothing revives a canceled subscription)' : ''),
    );
  }
  const change = await request(app.url, 'PATCH', `/subscriptions/${sub.id}`, { headers: org.headers, json: { planId: 'pro' } });
  expectError(change, 409, 'SUBSCRIPTION_CANCELED', 'a canceled subscription cannot switch plans');
  const again = await request(app.url, 'POST', '/subscriptions', { headers: org.headers, json: { planId: 'pro' } });
  assert.equal(again.status, 201, `once its subscription is canceled, the organization may subscribe again\n${again.describe()}`);
});

test('webhooks without a valid signature are refused with 400 and change nothing', { timeout: 5000 }, async () => {
  const app = await start();
  const org = await newOrg(app.url);
  const sub = await subscribe(app.url, org);
  const body = eventBody('invoice.paid', sub.id);
  const t = Math.floor(app.now() / 1000);
  const good = signatureFor(body, t);
  const failedBody = eventBody('invoice.payment_failed', sub.id);
  const cases = [
    ['no Payment-Signature header', body, { header: null }],
    ['a header without t=', body, { header: `v1=${good}` }],
    ['a header without v1=', body, { header: `t=${t}` }],
    ['a signature made with another secret', body, { signature: signatureFor(body, t, 'whsec_attacker') }],
    ['a signature of the body alone, without the timestamp', body, { signature: createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex') }],
    ['a signature from 10 minutes ago with t= edited to now', body, { t, signature: signatureFor(body, t - 600) }],
    ['a body edited after signing', body.replace('invoice.paid', 'invoice.paid '), { signature: good }],
    ['another event\'s signature', body, { signature: signatureFor(failedBody, t) }],
    ['a truncated signature', body, { signature: good.slice(0, 32) }],
    ['a signature that is not hex', body, { signature: 'z'.repeat(64) }],
  ];
  for (const [what, sentBody, options] of cases) {
    const res = await deliver(app, sentBody, options);
    expectError(res, 400, 'INVALID_SIGNATURE', `a webhook with ${what} must answer 400`);
  }
  assert.equal(await statusOf(app.url, org, sub.id), 'trialing', 'refused webhooks must not change the subscription');

  await expectAccepted(
    app,
    body,
    { header: `t=${t},v1=${signatureFor(body, t, 'whsec_old_secret')},v1=${good}` },
    'while the provider rotates secrets the header carries several v1= signatures: accept the event when any of them matches',
  );
  assert.equal(await statusOf(app.url, org, sub.id), 'active', 'the event with a matching second v1= must be applied');
});

test('a refused event does not use up its id', { timeout: 5000 }, async () => {
  const app = await start();
  const org = await newOrg(app.url);
  const sub = await subscribe(app.url, org);
  const body = eventBody('invoice.paid', sub.id, `evt_forged_then_real_${sequence}`);
  const forged = await deliver(app, body, { signature: signatureFor(body, Math.floor(app.now() / 1000), 'whsec_attacker') });
  expectError(forged, 400, 'INVALID_SIGNATURE', 'a forged event must answer 400');
  await expectAccepted(app, body, {}, 'the genuine event with the same id must be accepted');
  assert.equal(
    await statusOf(app.url, org, sub.id),
    'active',
    'the genuine event must be applied: record an event id only after its signature checks out, or an attacker can block real events by guessing ids',
  );
});

test('timestamps more than 5 minutes away from clock() are refused', { timeout: 5000 }, async () => {
  const app = await start();
  const org = await newOrg(app.url);
  const sub = await subscribe(app.url, org);
  const now = Math.floor(app.now() / 1000);
  for (const [what, t] of [['301 seconds old', now - 301], ['301 seconds in the future', now + 301]]) {
    const res = await deliver(app, eventBody('invoice.paid', sub.id), { t });
    expectError(res, 400, 'INVALID_SIGNATURE', `a correctly signed event whose t= is ${what} must be refused: a captured request must not be replayable forever`);
  }
  assert.equal(await statusOf(app.url, org, sub.id), 'trialing', 'stale events must not change the subscription');
  await expectAccepted(app, eventBody('invoice.paid', sub.id), { t: now - 299 }, 'an event signed 299 seconds ago is within the 5-minute tolerance');
  assert.equal(await statusOf(app.url, org, sub.id), 'active', 'the event within the tolerance must be applied');
});

test('a re-delivered event is acknowledged but applied only once, whichever instance receives it', { timeout: 5000 }, async () => {
  const app = await start();
  const org = await newOrg(app.url);
  const sub = await subscribe(app.url, org);
  const failed = eventBody('invoice.payment_failed', sub.id, `evt_failed_${sequence}`);
  const t = Math.floor(app.now() / 1000);
  await expectAccepted(app, failed, { t }, 'the first delivery must be accepted');
  await expectAccepted(app, eventBody('invoice.paid', sub.id), {}, 'invoice.paid must be accepted');
  assert.equal(await statusOf(app.url, org, sub.id), 'active', 'invoice.paid after a failed payment makes the subscription active');

  await expectAccepted(app, failed, { t }, 'a re-delivered event must still get 2xx (or the provider keeps retrying)');
  assert.equal(
    await statusOf(app.url, org, sub.id),
    'active',
    'the same request sent again must not be applied again: store each event id and skip ids you have seen',
  );
  const other = await start({ at: app.now() + 60 * SECOND });
  await expectAccepted(other, failed, {}, 'a retry (new t=, same event id) on another instance must get 2xx');
  assert.equal(
    await statusOf(app.url, org, sub.id),
    'active',
    'a retry arriving at another instance of the app must be recognised too: keep seen event ids in PostgreSQL, not in memory',
  );

  const burst = eventBody('subscription.canceled', sub.id, `evt_burst_${sequence}`);
  const results = await inLockstep(3, () => Promise.all([deliver(app, burst), deliver(other, burst), deliver(app, burst)]));
  for (const res of results) {
    assert.ok(res.status >= 200 && res.status < 300, `simultaneous deliveries of one event must all get 2xx, not a unique-violation 500 (INSERT … ON CONFLICT DO NOTHING)\n${res.describe()}`);
  }
  assert.equal(await statusOf(app.url, org, sub.id), 'canceled', 'the event delivered three times at once is applied');
});

test('signatures are compared in constant time with crypto.timingSafeEqual', { timeout: 5000 }, async () => {
  const app = await start();
  const org = await newOrg(app.url);
  const sub = await subscribe(app.url, org);
  const cryptoModule = createRequire(import.meta.url)('node:crypto');
  const timingSafe = mock.method(cryptoModule, 'timingSafeEqual');
  const subtleVerify = mock.method(cryptoModule.webcrypto.subtle, 'verify');
  syncBuiltinESMExports(); // so `import { timingSafeEqual } from 'node:crypto'` sees the spy too
  try {
    const body = eventBody('invoice.payment_failed', sub.id);
    const t = Math.floor(app.now() / 1000);
    const expected = Buffer.from(signatureFor(body, t), 'hex');
    // The expected HMAC may be compared as raw bytes or as its hex text.
    const isExpected = (arg) => isBytes(arg) && (bytes(arg).equals(expected) || bytes(arg).equals(Buffer.from(expected.toString('hex'))));
    const sawExpected = () =>
      timingSafe.mock.calls.some((call) => call.arguments.some(isExpected)) ||
      subtleVerify.mock.calls.some((call) => isBytes(call.arguments[2]) && bytes(call.arguments[2]).equals(expected));

    const forgedSignature = Buffer.from(expected).fill(0x5a, 0, 16).toString('hex');
    const forged = await deliver(app, body, { t, signature: forgedSignature });
    expectError(forged, 400, 'INVALID_SIGNATURE', 'a signature that differs in its first bytes must be refused');
    assert.ok(
      timingSafe.mock.callCount() + subtleVerify.mock.callCount() > 0,
      'comparing the signature with === or Buffer.equals stops at the first differing byte, and the response time tells an attacker ' +
        'how many bytes were right. Compare the decoded signatures with crypto.timingSafeEqual (after checking the lengths match)',
    );
    await expectAccepted(app, body, { t }, 'the correctly signed event must be accepted');
    assert.ok(sawExpected(), 'crypto.timingSafeEqual must be what compares the expected HMAC with the v1= signature');
  } finally {
    timingSafe.mock.restore();
    subtleVerify.mock.restore();
    syncBuiltinESMExports();
  }
});

test('signed events with a malformed payload get 400; events about unknown subscriptions are acknowledged', { timeout: 5000 }, async () => {
  const app = await start();
  const notJson = await deliver(app, 'this is not json');
  expectError(notJson, 400, 'VALIDATION_ERROR', 'a correctly signed body that is not JSON must answer 400');
  const noId = await deliver(app, '{"type": "invoice.paid", "data": {}}');
  expectError(noId, 400, 'VALIDATION_ERROR', 'an event without a string id cannot be deduplicated: 400');
  for (const subscriptionId of ['sub_does_not_exist', randomUUID(), 12345]) {
    await expectAccepted(
      app,
      eventBody('invoice.paid', subscriptionId),
      {},
      `an event about a subscription this app does not know (${JSON.stringify(subscriptionId)}) must be acknowledged with 2xx and ignored, not 500`,
    );
  }
});

const isBytes = (value) => Buffer.isBuffer(value) || ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
const bytes = (value) =>
  Buffer.isBuffer(value) ? value : value instanceof ArrayBuffer ? Buffer.from(value) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
