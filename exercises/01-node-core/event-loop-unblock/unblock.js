import { performance } from 'node:perf_hooks';

/**
 * Maps `fn` over `items` without blocking the event loop for more than about
 * `budgetMs` milliseconds at a time.
 *
 * The blocking version is one line — and it freezes every other request while it runs:
 *
 *   return items.map((item, index) => fn(item, index));
 */
export async function mapInChunks(items, fn, { budgetMs = 10 } = {}) {
  // TODO: run `fn` in time-boxed slices (see `performance.now()`), collect the results in
  // order, and `await` a `setImmediate` between slices so timers and I/O get their turn.
  throw new Error('TODO: implement mapInChunks in unblock.js');
}
