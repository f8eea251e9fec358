/**
 * Runs `fn` later: after the current code and every pending nextTick and promise job,
 * on the event loop's check phase. Returns a promise of fn's result.
 * See README.md for the exact contract.
 */
export function defer(fn) {
  // TODO: schedule fn and settle the returned promise with its outcome.
  throw new Error('TODO: implement defer(fn)');
}
