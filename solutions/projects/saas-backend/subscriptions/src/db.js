/**
 * Runs `work(client)` inside one transaction on one pooled connection: BEGIN, then
 * COMMIT if it resolves or ROLLBACK if it throws (the error is rethrown).
 */
export async function withTransaction(pool, work) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string from a URL or a token can be a uuid column value (else pg throws 22P02). */
export const isUuid = (value) => typeof value === 'string' && UUID.test(value);
