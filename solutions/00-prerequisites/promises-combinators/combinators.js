// Promise combinators built by hand from new Promise, Promise.resolve and .then.

export function all(iterable) {
  return new Promise((resolve, reject) => {
    const values = [];
    let pending = 0;
    let index = 0;
    for (const item of iterable) {
      const i = index++;
      pending += 1;
      // Promise.resolve adopts promises and thenables and wraps plain values.
      Promise.resolve(item).then((value) => {
        values[i] = value; // by index, not push: settlement order is not input order
        if (--pending === 0) resolve(values);
      }, reject);
    }
    if (pending === 0) resolve(values);
  });
}

export function allSettled(iterable) {
  return all(
    Array.from(iterable, (item) =>
      Promise.resolve(item).then(
        (value) => ({ status: 'fulfilled', value }),
        (reason) => ({ status: 'rejected', reason }),
      ),
    ),
  );
}

export function any(iterable) {
  return new Promise((resolve, reject) => {
    const errors = [];
    let pending = 0;
    let index = 0;
    const fail = () => reject(new AggregateError(errors, 'All promises were rejected'));
    for (const item of iterable) {
      const i = index++;
      pending += 1;
      Promise.resolve(item).then(resolve, (reason) => {
        errors[i] = reason;
        if (--pending === 0) fail();
      });
    }
    if (pending === 0) fail();
  });
}

export function race(iterable) {
  return new Promise((resolve, reject) => {
    // The first call to resolve or reject wins; later ones are ignored.
    for (const item of iterable) Promise.resolve(item).then(resolve, reject);
  });
}

export function timeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new Error(`timed out after ${ms} ms`);
      error.name = 'TimeoutError';
      reject(error);
    }, ms);
    // Clear the timer once the promise wins, or it keeps the event loop alive for ms.
    Promise.resolve(promise)
      .then(resolve, reject)
      .finally(() => clearTimeout(timer));
  });
}
