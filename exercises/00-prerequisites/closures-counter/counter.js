// Counters, once and memoize: private state kept in closures.

/**
 * A counter whose value lives in a closure.
 * @param {{ start?: number, step?: number }} [options]
 * @returns {{ increment(): number, decrement(): number, reset(): number, value(): number }}
 */
export function createCounter({ start = 0, step = 1 } = {}) {
  // TODO: keep the count in a local variable and return the four methods.
  throw new Error('TODO: implement createCounter');
}

/**
 * Wraps `fn` so it runs at most once; later calls return the first result.
 * @param {Function} fn
 * @returns {Function}
 */
export function once(fn) {
  // TODO: remember whether fn has run and what it returned.
  throw new Error('TODO: implement once');
}

/**
 * Caches `fn`'s results by key (the first argument, or `key(...args)`).
 * @param {Function} fn
 * @param {{ key?: (...args: any[]) => any, maxSize?: number }} [options]
 * @returns {Function}
 */
export function memoize(fn, { key, maxSize = Infinity } = {}) {
  // TODO: keep a Map from key to result; evict the least recently used entry.
  throw new Error('TODO: implement memoize');
}
