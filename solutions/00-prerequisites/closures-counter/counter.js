// Counters, once and memoize: private state kept in closures.

export function createCounter({ start = 0, step = 1 } = {}) {
  let count = start;
  // Plain closures rather than `this`, so detached methods keep working.
  return {
    increment: () => (count += step),
    decrement: () => (count -= step),
    reset: () => (count = start),
    value: () => count,
  };
}

export function once(fn) {
  let done = false;
  let result;
  return function (...args) {
    if (!done) {
      result = fn.apply(this, args);
      // Set only after fn returned: a call that threw may be retried.
      done = true;
    }
    return result;
  };
}

export function memoize(fn, { key, maxSize = Infinity } = {}) {
  // A Map keeps 1 and '1' apart and iterates in insertion order, which makes it an LRU:
  // re-inserting on every hit moves the entry to the end, the oldest is first.
  const cache = new Map();
  return function (...args) {
    const k = key ? key.apply(this, args) : args[0];
    if (cache.has(k)) {
      const hit = cache.get(k);
      cache.delete(k);
      cache.set(k, hit);
      return hit;
    }
    const result = fn.apply(this, args);
    if (cache.size >= maxSize) cache.delete(cache.keys().next().value);
    cache.set(k, result);
    return result;
  };
}
