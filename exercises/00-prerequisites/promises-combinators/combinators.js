// Promise combinators built by hand. Do not call the built-in Promise.all,
// Promise.allSettled, Promise.any or Promise.race: use new Promise, Promise.resolve and .then.

/** Resolves with every value in input order; rejects with the first rejection. */
export function all(iterable) {
  // TODO
  throw new Error('TODO: implement all');
}

/** Resolves with { status, value } / { status, reason } for every item, in input order. */
export function allSettled(iterable) {
  // TODO
  throw new Error('TODO: implement allSettled');
}

/** Resolves with the first fulfilment; rejects with an AggregateError if all reject. */
export function any(iterable) {
  // TODO
  throw new Error('TODO: implement any');
}

/** Settles like the first item to settle. */
export function race(iterable) {
  // TODO
  throw new Error('TODO: implement race');
}

/** Settles like `promise`, or rejects with a TimeoutError after `ms` milliseconds. */
export function timeout(promise, ms) {
  // TODO
  throw new Error('TODO: implement timeout');
}
