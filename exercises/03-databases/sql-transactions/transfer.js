/**
 * Moves `amountCents` from account `from` to account `to` and records it in the
 * `transfers` ledger. Resolves to the two balances after the transfer.
 *
 * This version works when one request runs at a time, and loses money as soon as
 * two run at once: each step uses whichever pooled connection is free, nothing is
 * a transaction, and the balance it checks may be stale by the time it writes.
 */
export async function transfer(pool, { from, to, amountCents }) {
  // TODO: validate the input before touching the database (INVALID_AMOUNT, SAME_ACCOUNT).
  // TODO: borrow ONE client with pool.connect(), BEGIN, and lock both rows with
  //       SELECT … FOR UPDATE, lower id first; ROLLBACK on any error; always release().
  const { rows: fromRows } = await pool.query('SELECT balance_cents FROM accounts WHERE id = $1', [from]);
  const fromBalance = Number(fromRows[0].balance_cents);
  if (fromBalance < amountCents) {
    throw transferError('INSUFFICIENT_FUNDS', `account ${from} has ${fromBalance} cents, needs ${amountCents}`);
  }
  await pool.query('UPDATE accounts SET balance_cents = $2 WHERE id = $1', [from, fromBalance - amountCents]);

  const { rows: toRows } = await pool.query('SELECT balance_cents FROM accounts WHERE id = $1', [to]);
  const toBalance = Number(toRows[0]?.balance_cents);
  await pool.query('UPDATE accounts SET balance_cents = $2 WHERE id = $1', [to, toBalance + amountCents]);

  await pool.query('INSERT INTO transfers (from_id, to_id, amount_cents) VALUES ($1, $2, $3)', [from, to, amountCents]);
  return { fromBalanceCents: fromBalance - amountCents, toBalanceCents: toBalance + amountCents };
}

/** An Error with a machine-readable `code`, e.g. transferError('INSUFFICIENT_FUNDS', '...'). */
export function transferError(code, message) {
  return Object.assign(new Error(message), { code });
}
