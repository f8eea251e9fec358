import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { importExercise, requireExport, seededRandom } from './support.mjs';

const mod = await importExercise('transfer.js');
const transfer = requireExport(mod, 'transfer', 'function', 'transfer.js');

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error('DATABASE_URL is not set: this exercise needs a PostgreSQL database');

// Commits need not wait for the disk in a throwaway test database (faster, and no
// change to locking or atomicity). PostgreSQL looks for deadlocks only after
// `deadlock_timeout` (1 s by default); where we may (superuser), it looks sooner, so a
// deadlock fails its test quickly instead of stalling it.
let options = '-c synchronous_commit=off -c deadlock_timeout=10ms';
try {
  const probe = new pg.Client({ connectionString, options });
  await probe.connect();
  await probe.end();
} catch {
  options = '-c synchronous_commit=off';
}

/** The suite's own connections, for seeding and inspecting. */
const admin = new pg.Pool({ connectionString, options, max: 2 });
after(() => admin.end());

/**
 * A pool handed to transfer(). Ten connections (pg's default) let transfers really
 * overlap; one connection that gives up quickly shows a client that was never released.
 */
function learnerPool(max = 10) {
  const created = new pg.Pool({ connectionString, options, max, connectionTimeoutMillis: max === 1 ? 700 : 0 });
  // Not awaited: a wrong solution may leave transactions hanging, and the run must still end.
  after(() => { created.end().catch(() => {}); });
  return created;
}
const pool = learnerPool();

await admin.query(`
  DROP TABLE IF EXISTS transfers, accounts;
  DROP FUNCTION IF EXISTS reject_frozen();
  CREATE TABLE accounts (
    id            integer PRIMARY KEY,
    owner         text    NOT NULL,
    balance_cents bigint  NOT NULL
  );
  CREATE TABLE transfers (
    id           bigserial   PRIMARY KEY,
    from_id      integer     NOT NULL REFERENCES accounts (id),
    to_id        integer     NOT NULL REFERENCES accounts (id),
    amount_cents bigint      NOT NULL CHECK (amount_cents > 0),
    created_at   timestamptz NOT NULL DEFAULT now()
  );
  -- Stands in for any database error raised after the balances were already updated.
  CREATE FUNCTION reject_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    RAISE EXCEPTION 'account % is frozen by compliance', NEW.to_id;
  END $$;
  CREATE TRIGGER frozen_accounts BEFORE INSERT ON transfers
    FOR EACH ROW WHEN (NEW.to_id = 666) EXECUTE FUNCTION reject_frozen();
`);

// Every test works on its own account ids, so one test's leftovers cannot disturb another.

/** Creates the given accounts, { id: balanceCents }, and returns their ids. */
async function seed(accounts) {
  for (const [id, balance] of Object.entries(accounts)) {
    await admin.query('INSERT INTO accounts (id, owner, balance_cents) VALUES ($1, $2, $3)', [Number(id), `owner-${id}`, String(balance)]);
  }
  return Object.keys(accounts).map(Number);
}

/** The balances of `ids` as { id: 'cents' } (strings, so bigint values survive). */
async function balances(ids) {
  const { rows } = await admin.query('SELECT id, balance_cents FROM accounts WHERE id = ANY($1) ORDER BY id', [ids]);
  return Object.fromEntries(rows.map((row) => [row.id, row.balance_cents]));
}

/** The ledger rows that touch any of `ids`, oldest first. */
async function ledger(ids) {
  const { rows } = await admin.query(
    'SELECT from_id, to_id, amount_cents::int AS amount FROM transfers WHERE from_id = ANY($1) OR to_id = ANY($1) ORDER BY id',
    [ids],
  );
  return rows;
}

/** Calls transfer and captures the outcome, including a synchronous throw. */
async function attempt(target, args) {
  try {
    return { value: await transfer(target, args) };
  } catch (error) {
    return { error };
  }
}

const show = (args) => `transfer(pool, ${JSON.stringify(args)})`;
const outcome = ({ value, error }) =>
  error ? `rejected with ${error.code ? `code ${error.code}: ` : ''}${error.message}` : `resolved to ${JSON.stringify(value)}`;

async function expectRejected(target, args, code, nudge) {
  const result = await attempt(target, args);
  assert.ok(result.error, `${show(args)} must reject with code ${code}, but it ${outcome(result)}\n${nudge}`);
  assert.equal(result.error.code, code, `${show(args)} must reject with code ${code}, but it ${outcome(result)}\n${nudge}`);
}

/**
 * Runs the transfers all at once and waits for every outcome, but fails after
 * `budgetMs` (correct code needs well under a second) naming what is still stuck.
 */
async function runConcurrently(list, budgetMs = 8000) {
  const target = learnerPool();
  let settled = 0;
  let timer;
  const all = Promise.all(list.map((args) => attempt(target, args).finally(() => { settled += 1; })));
  const budget = new Promise((resolve) => { timer = setTimeout(resolve, budgetMs); });
  try {
    const results = await Promise.race([all, budget]);
    if (!results) {
      assert.fail(
        `${list.length - settled} of ${list.length} concurrent transfers were still waiting after ${budgetMs / 1000} s (correct code needs about a second). Either:\n` +
          "- transactions each hold one row lock and wait for the other's (a deadlock PostgreSQL may be slow to break): lock the two rows in one fixed order, lower id first; or\n" +
          '- transfers wait for a pool connection that never comes: release every client, and inside a transfer use only your client, never pool.query',
      );
    }
    return results;
  } finally {
    clearTimeout(timer);
  }
}

/** After failures on `small`, its one client must be idle and still able to transfer. */
async function expectPoolHealthy(small, args, nudge) {
  assert.equal(small.idleCount, small.totalCount, `every client must be back in the pool once transfer() settles (${small.totalCount - small.idleCount} still checked out)\n${nudge}`);
  const ids = [args.from, args.to];
  const before = await balances(ids);
  const result = await attempt(small, args);
  assert.ok(!result.error, `after that failure, the next ${show(args)} on the same one-connection pool ${outcome(result)}\n${nudge}`);
  const now = await balances(ids);
  assert.equal(BigInt(now[args.from]), BigInt(before[args.from]) - BigInt(args.amountCents), `the follow-up ${show(args)} must debit account ${args.from}`);
}

test('moves money between two accounts, records it in the ledger and returns both balances', { timeout: 3000 }, async () => {
  const ids = await seed({ 11: 10_000, 12: 2_500 });
  const args = { from: 11, to: 12, amountCents: 1_234 };
  const result = await attempt(pool, args);
  assert.deepEqual(result.value, { fromBalanceCents: 8_766, toBalanceCents: 3_734 }, `${show(args)} ${outcome(result)}; it should resolve to the balances after the transfer, as numbers (pg returns bigint columns as strings)`);
  assert.deepEqual(await balances(ids), { 11: '8766', 12: '3734' }, 'the accounts table must show the new balances');
  assert.deepEqual(await ledger(ids), [{ from_id: 11, to_id: 12, amount: 1_234 }], 'each transfer adds exactly one row to the transfers table');
});

test('may empty an account exactly, but rejects one cent more with INSUFFICIENT_FUNDS and changes nothing', { timeout: 3000 }, async () => {
  const ids = await seed({ 21: 500, 22: 0, 23: 100 });
  await expectRejected(pool, { from: 23, to: 22, amountCents: 101 }, 'INSUFFICIENT_FUNDS', 'compare the balance you locked with the amount before writing anything');
  assert.deepEqual(await balances(ids), { 21: '500', 22: '0', 23: '100' }, 'a rejected transfer must not change any balance');
  assert.deepEqual(await ledger(ids), [], 'a rejected transfer must not leave a ledger row');

  const args = { from: 21, to: 22, amountCents: 500 };
  const result = await attempt(pool, args);
  assert.deepEqual(result.value, { fromBalanceCents: 0, toBalanceCents: 500 }, `${show(args)} ${outcome(result)}; a balance may reach exactly zero`);
});

test('rejects an unknown account with ACCOUNT_NOT_FOUND and changes nothing', { timeout: 3000 }, async () => {
  const ids = await seed({ 31: 1_000, 32: 1_000 });
  await expectRejected(pool, { from: 31, to: 39, amountCents: 100 }, 'ACCOUNT_NOT_FOUND', 'an UPDATE that matches no row is not an error in SQL: check that you found both accounts');
  await expectRejected(pool, { from: 38, to: 32, amountCents: 100 }, 'ACCOUNT_NOT_FOUND', 'the sender must exist too');
  assert.deepEqual(await balances(ids), { 31: '1000', 32: '1000' }, 'money sent to an account that does not exist must stay with the sender');
  assert.deepEqual(await ledger(ids), [], 'no ledger row for a transfer that did not happen');
});

test('rejects amounts that are not positive whole cents, and transfers to the same account', { timeout: 3000 }, async () => {
  const ids = await seed({ 41: 1_000, 42: 1_000 });
  for (const amountCents of [0, -100, 1.5, '100', Number.NaN, undefined, 2 ** 53]) {
    await expectRejected(pool, { from: 41, to: 42, amountCents }, 'INVALID_AMOUNT', 'money is counted in whole cents: accept only a positive safe integer (Number.isSafeInteger)');
  }
  await expectRejected(pool, { from: 41, to: 41, amountCents: 100 }, 'SAME_ACCOUNT', 'a transfer needs two different accounts');
  assert.deepEqual(await balances(ids), { 41: '1000', 42: '1000' }, 'invalid transfers must not change any balance');
  assert.deepEqual(await ledger(ids), [], 'invalid transfers must not leave ledger rows');
});

test('rolls everything back when a statement fails half way, and the connection stays usable', { timeout: 5000 }, async () => {
  // Crediting account 52 overflows bigint: the database refuses that UPDATE.
  const ids = await seed({ 51: 1_000, 52: '9223372036854775807' });
  const before = await balances(ids);
  const small = learnerPool(1);
  const args = { from: 51, to: 52, amountCents: 1 };
  const result = await attempt(small, args);
  assert.ok(result.error, `${show(args)} must reject when the database refuses the credit, but it ${outcome(result)}`);
  assert.deepEqual(await balances(ids), before, 'the debit must be undone when the credit fails: run every statement inside BEGIN … COMMIT on one client and ROLLBACK on error');
  assert.deepEqual(await ledger(ids), [], 'nothing may reach the ledger when the transfer failed');
  await expectPoolHealthy(small, { from: 52, to: 51, amountCents: 1 }, 'a client released in the middle of a failed transaction stays "aborted" (and keeps its row locks): ROLLBACK in catch, release() in finally');
});

test('rolls back the balance updates when the ledger insert fails', { timeout: 5000 }, async () => {
  // Transfers to account 666 are refused by a trigger on the transfers table.
  const ids = await seed({ 61: 1_000, 62: 1_000, 666: 0 });
  const before = await balances(ids);
  const small = learnerPool(1);
  const args = { from: 61, to: 666, amountCents: 300 };
  const result = await attempt(small, args);
  assert.ok(result.error, `${show(args)} must reject when the ledger row is refused, but it ${outcome(result)}`);
  assert.deepEqual(await balances(ids), before, 'the balances must be unchanged when the ledger insert fails: all three writes succeed together or not at all');
  await expectPoolHealthy(small, { from: 61, to: 62, amountCents: 1 }, 'ROLLBACK in catch, release() in finally');
});

test('returns its connection to the pool after every kind of failure', { timeout: 5000 }, async () => {
  const ids = await seed({ 71: 1_000, 72: 1_000 });
  const before = await balances(ids);
  const small = learnerPool(1);
  for (const args of [
    { from: 71, to: 72, amountCents: 5_000 },
    { from: 71, to: 72, amountCents: 5_000 },
    { from: 71, to: 77, amountCents: 10 },
    { from: 77, to: 72, amountCents: 10 },
  ]) {
    const result = await attempt(small, args);
    assert.ok(result.error, `${show(args)} should reject, but it ${outcome(result)}`);
    assert.equal(small.idleCount, small.totalCount, `after ${show(args)} ${outcome(result)}, the client was not released: with a pool of one connection the next transfer would wait forever. Release it in a finally block`);
  }
  assert.deepEqual(await balances(ids), before, 'failed transfers must not change any balance');
  await expectPoolHealthy(small, { from: 71, to: 72, amountCents: 1 }, 'release the client in finally, on success and on every error');
});

test('many concurrent transfers from one account never overdraw it', { timeout: 12000 }, async () => {
  const ids = await seed({ 81: 1_000, 82: 0, 83: 0, 84: 0 });
  const args = Array.from({ length: 40 }, (_, i) => ({ from: 81, to: 82 + (i % 3), amountCents: 100 }));
  const results = await runConcurrently(args);
  const other = results.find((r) => r.error && r.error.code !== 'INSUFFICIENT_FUNDS');
  assert.ok(!other, `40 transfers of 100 cents ran at once; one ${other && outcome(other)}`);
  const ok = results.filter((r) => !r.error);
  const now = await balances(ids);
  assert.equal(ok.length, 10, `account 81 held 1000 cents, so exactly 10 of the 40 concurrent 100-cent transfers can succeed; ${ok.length} did (balances now ${JSON.stringify(now)}).\nTwo requests that both read the balance before either writes will both pass the check: lock the row with SELECT … FOR UPDATE inside a transaction`);
  const seen = ok.map((r) => r.value.fromBalanceCents).sort((a, b) => b - a);
  assert.deepEqual(seen, [900, 800, 700, 600, 500, 400, 300, 200, 100, 0], 'each successful transfer should see the balance left by the one before it: the returned fromBalanceCents must be 900, 800, … 0, each once');
  assert.equal(now[81], '0', `account 81 must end at 0, found ${now[81]}`);
  const received = BigInt(now[82]) + BigInt(now[83]) + BigInt(now[84]);
  assert.equal(received, 1_000n, `the receivers must hold exactly the 1000 cents that left account 81, they hold ${received} (${JSON.stringify(now)}): updates were lost or money was created`);
});

test('200 concurrent random transfers conserve money and match the ledger (no lost updates)', { timeout: 12000 }, async () => {
  const start = { 91: 5_000, 92: 5_000, 93: 5_000, 94: 5_000 };
  const ids = await seed(start);
  const random = seededRandom();
  const args = Array.from({ length: 200 }, () => {
    const from = ids[Math.floor(random() * 4)];
    const to = ids.filter((id) => id !== from)[Math.floor(random() * 3)];
    return { from, to, amountCents: 1 + Math.floor(random() * 1_500) };
  });
  const results = await runConcurrently(args);
  const other = results.find((r) => r.error && r.error.code !== 'INSUFFICIENT_FUNDS');
  assert.ok(!other, `only INSUFFICIENT_FUNDS may reject a valid transfer, but one ${other && outcome(other)}${other?.error.code === '40P01' ? '\nThat is a deadlock: lock the two rows in one fixed order (lower id first)' : ''}`);

  const expected = Object.fromEntries(ids.map((id) => [id, BigInt(start[id])]));
  let succeeded = 0;
  results.forEach((r, i) => {
    if (r.error) return;
    succeeded += 1;
    expected[args[i].from] -= BigInt(args[i].amountCents);
    expected[args[i].to] += BigInt(args[i].amountCents);
  });
  const now = await balances(ids);
  const total = ids.reduce((sum, id) => sum + BigInt(now[id]), 0n);
  assert.equal(total, 20_000n, `the four accounts held 20000 cents in total and must still do after transfers between them, found ${total} (${JSON.stringify(now)}): concurrent read-then-write lost updates`);
  for (const id of ids) {
    assert.ok(BigInt(now[id]) >= 0n, `account ${id} went negative (${now[id]}): check the balance on the locked row`);
  }
  assert.deepEqual(
    now,
    Object.fromEntries(ids.map((id) => [id, String(expected[id])])),
    `each balance must equal its start plus the successful transfers in minus those out (${succeeded} of 200 succeeded); a mismatch means an update was lost`,
  );
  const rows = await ledger(ids);
  assert.equal(rows.length, succeeded, `the ledger must hold one row per successful transfer: ${succeeded} succeeded, ${rows.length} rows`);
});

test('transfers in opposite directions at the same time do not deadlock', { timeout: 12000 }, async () => {
  const ids = await seed({ 101: 1_000_000, 102: 1_000_000, 103: 1_000_000 });
  const pairs = [[101, 102], [102, 101], [102, 103], [103, 102], [103, 101], [101, 103]];
  const args = Array.from({ length: 180 }, (_, i) => ({ from: pairs[i % 6][0], to: pairs[i % 6][1], amountCents: 10 + (i % 7) }));
  const results = await runConcurrently(args);
  const failed = results.filter((r) => r.error);
  const deadlocks = failed.filter((r) => r.error.code === '40P01').length;
  assert.equal(
    failed.length,
    0,
    `all 180 transfers had enough money and should succeed, ${failed.length} failed${deadlocks ? ` (${deadlocks} deadlocks, code 40P01)` : ''}; first: ${failed[0] && outcome(failed[0])}\nA→B locking A then B while B→A locks B then A deadlocks: always lock the lower id first`,
  );
  const expected = Object.fromEntries(ids.map((id) => [id, 1_000_000n]));
  for (const a of args) {
    expected[a.from] -= BigInt(a.amountCents);
    expected[a.to] += BigInt(a.amountCents);
  }
  assert.deepEqual(await balances(ids), Object.fromEntries(ids.map((id) => [id, String(expected[id])])), 'each balance must reflect every transfer exactly once');
});
