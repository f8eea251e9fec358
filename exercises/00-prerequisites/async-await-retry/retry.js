// Retry with exponential backoff, full jitter and cancellation through an AbortSignal.

/**
 * Calls fn(attempt) until it succeeds, waiting longer after every failure.
 * @param {(attempt: number) => any} fn
 * @param {{
 *   retries?: number, baseMs?: number, factor?: number, maxMs?: number,
 *   jitter?: boolean, random?: () => number, signal?: AbortSignal,
 *   shouldRetry?: (error: unknown, attempt: number) => boolean,
 * }} [options]
 */
export async function retry(
  fn,
  {
    retries = 3,
    baseMs = 100,
    factor = 2,
    maxMs = 10_000,
    jitter = true,
    random = Math.random,
    signal,
    shouldRetry = () => true,
  } = {},
) {
  // TODO: call fn(attempt) in a loop; on failure decide whether to retry, compute the
  // delay, wait with the global setTimeout, and honour `signal` before, between and
  // during attempts.
  throw new Error('TODO: implement retry');
}
