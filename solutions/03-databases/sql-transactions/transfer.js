/**
 * Moves `amountCents` from account `from` to account `to` and records it in the
 * `transfers` ledger. Resolves to the two balances after the transfer.
 */
export async function transfer(pool, { from, to, amountCents }) {
  if (!Number.isSafeInteger(amountCents) || amountCents <= 0) {
    throw transferError('INVALID_AMOUNT', `amountCents must be a positive integer, got ${String(amountCents)}`);
  }
  if (from === to) throw transferError('SAME_ACCOUNT', `cannot transfer from account ${from} to itself`);

  // Every statement of a transaction must run on the same connection.
  const client = await pool.connect();
  let broken;
  try {
    await client.query('BEGIN');
    // Locking both rows in one order (lower id first) makes A→B and B→A queue
    // behind each other instead of each holding one lock and waiting for the other.
    const { rows } = await client.query(
      'SELECT id, balance_cents FROM accounts WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE',
      [[from, to]],
    );
    const balances = new Map(rows.map((row) => [row.id, BigInt(row.balance_cents)]));
    for (const id of [from, to]) {
      if (!balances.has(id)) throw transferError('ACCOUNT_NOT_FOUND', `account ${id} does not exist`);
    }
    if (balances.get(from) < BigInt(amountCents)) {
      throw transferError('INSUFFICIENT_FUNDS', `account ${from} has ${balances.get(from)} cents, needs ${amountCents}`);
    }

    const debit = await client.query(
      'UPDATE accounts SET balance_cents = balance_cents - $2 WHERE id = $1 RETURNING balance_cents',
      [from, amountCents],
    );
    const credit = await client.query(
      'UPDATE accounts SET balance_cents = balance_cents + $2 WHERE id = $1 RETURNING balance_cents',
      [to, amountCents],
    );
    await client.query('INSERT INTO transfers (from_id, to_id, amount_cents) VALUES ($1, $2, $3)', [from, to, amountCents]);
    await client.query('COMMIT');
    return {
      fromBalanceCents: Number(debit.rows[0].balance_cents),
      toBalanceCents: Number(credit.rows[0].balance_cents),
    };
  } catch (error) {
    // A client that cannot even roll back is destroyed instead of going back to the pool.
    await client.query('ROLLBACK').catch((rollbackError) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/** An Error with a machine-readable `code`, e.g. transferError('INSUFFICIENT_FUNDS', '...'). */
export function transferError(code, message) {
  return Object.assign(new Error(message), { code });
}
