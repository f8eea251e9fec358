import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

/**
 * Maps `fn` over `items` without blocking the event loop for more than about
 * `budgetMs` milliseconds at a time.
 */
export async function mapInChunks(items, fn, { budgetMs = 10 } = {}) {
  const results = new Array(items.length);
  let index = 0;
  while (index < items.length) {
    // Slices are time-boxed rather than a fixed number of items: the cost of `fn` is
    // unknown, so only the clock says when this slice has held the thread long enough.
    const deadline = performance.now() + budgetMs;
    do {
      results[index] = fn(items[index], index);
      index += 1;
    } while (index < items.length && performance.now() < deadline);
    // A macrotask, not a microtask: timers and I/O callbacks run before we resume.
    if (index < items.length) await yieldToLoop();
  }
  return results;
}
