import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { importExercise, requireExport, exercisePath, runNode, tempDir } from './support.mjs';

const mod = await importExercise('combinators.js');
const all = requireExport(mod, 'all', 'function', 'combinators.js');
const allSettled = requireExport(mod, 'allSettled', 'function', 'combinators.js');
const any = requireExport(mod, 'any', 'function', 'combinators.js');
const race = requireExport(mod, 'race', 'function', 'combinators.js');
const timeout = requireExport(mod, 'timeout', 'function', 'combinators.js');

// While a test runs, the built-in combinators are stubs that record the call and throw,
// so an implementation that delegates to them fails with a clear message.
const BUILTINS = ['all', 'allSettled', 'any', 'race'];
const originals = Object.fromEntries(BUILTINS.map((name) => [name, Promise[name]]));
let builtinCalls = [];
beforeEach(() => {
  builtinCalls = [];
  for (const name of BUILTINS) {
    Promise[name] = function () {
      builtinCalls.push(`Promise.${name}`);
      throw new Error(`combinators.js must not call the built-in Promise.${name}: build it from new Promise, Promise.resolve and .then`);
    };
  }
});
afterEach(() => {
  for (const name of BUILTINS) Promise[name] = originals[name];
});

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

// The state of a promise once every pending microtask has run. Awaiting a learner's
// promise directly would end the whole run if it never settles, so tests inspect it.
async function state(promise, what = 'the result') {
  assert.ok(isPromiseLike(promise), `${what} must be a promise, got ${typeof promise}`);
  let seen = { status: 'pending' };
  promise.then(
    (value) => (seen = { status: 'fulfilled', value }),
    (reason) => (seen = { status: 'rejected', reason }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  return seen;
}

// The value a promise fulfilled with; fails with a message when it is pending or rejected.
async function fulfilled(promise, what) {
  const seen = await state(promise, what);
  const got = seen.status === 'pending' ? 'is still pending after every queued callback ran' : `rejected with ${seen.reason?.message ?? seen.reason}`;
  assert.equal(seen.status, 'fulfilled', `${what} must fulfil, but it ${got}`);
  return seen.value;
}

function isPromiseLike(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function';
}

function* generate(...items) {
  yield* items;
}

const thenable = (value) => ({ then: (onFulfilled) => onFulfilled(value) });
// Rejects only when someone subscribes, so an implementation that throws early leaves no
// unhandled rejection behind.
const rejecting = (reason) => ({ then: (_onFulfilled, onRejected) => onRejected(reason) });

describe('all', () => {
  test('resolves the values in input order, not settlement order, including plain values and thenables', { timeout: 2000 }, async () => {
    const a = deferred();
    const b = deferred();
    const c = deferred();
    const result = all([a.promise, b.promise, 'plain', thenable('thenable'), c.promise]);
        c.resolve('c');
    assert.equal((await state(result, 'all()')).status, 'pending', 'all() must wait for every item — it resolved while a and b were still pending (did you compare results.length to the count? results[4] = x makes length 5)');
    b.resolve('b');
    a.resolve('a');
    assert.deepEqual(await fulfilled(result, 'all([a, b, plain, thenable, c])'), ['a', 'b', 'plain', 'thenable', 'c'], 'values must be in input order although they settled as c, b, a — store each at its index instead of pushing');
  });

  test('accepts any iterable and resolves [] for an empty one', { timeout: 2000 }, async () => {
    assert.deepEqual(await fulfilled(all(new Set([1, Promise.resolve(2)])), 'all(new Set([1, Promise.resolve(2)]))'), [1, 2], 'all(new Set([1, Promise.resolve(2)])) must resolve [1, 2] — iterate with for…of, not .length and [i]');
    assert.deepEqual(await fulfilled(all(generate(Promise.resolve('x'), 'y')), 'all(generator)'), ['x', 'y'], 'all(generator) must resolve every yielded item — a generator can be iterated only once');
    const empty = all([]);
    assert.deepEqual(await state(empty, 'all()'), { status: 'fulfilled', value: [] }, 'all([]) must resolve with [] right away — with no items no callback ever runs to resolve it');
    assert.deepEqual(await state(all(generate()), 'all(empty generator)'), { status: 'fulfilled', value: [] }, 'all(empty generator) must resolve with []');
  });

  test('rejects with the first rejection as soon as it happens, without waiting for the rest', { timeout: 2000 }, async () => {
    const never = deferred();
    const late = deferred();
    const early = deferred();
    const result = all([never.promise, late.promise, early.promise, 1]);
    const boom = new Error('early failure');
    early.reject(boom);
    const seen = await state(result, 'all()');
    assert.equal(seen.status, 'rejected', 'all() must reject as soon as one item rejects, even while others are still pending');
    assert.equal(seen.reason, boom, 'all() must reject with the reason of the item that rejected first in time');
    late.reject(new Error('late failure'));
    assert.equal((await state(result, 'all()')).reason, boom, 'a later rejection must not change the reason');
  });
});

describe('allSettled', () => {
  test('reports every outcome in input order and never rejects', { timeout: 2000 }, async () => {
    const a = deferred();
    const b = deferred();
    const boom = new Error('b failed');
    const result = allSettled(generate(a.promise, b.promise, 3, thenable('ok')));
    b.reject(boom);
    assert.equal((await state(result, 'allSettled()')).status, 'pending', 'allSettled() must wait until every item has settled');
    a.resolve('a');
    const seen = await state(result, 'allSettled()');
    assert.equal(seen.status, 'fulfilled', `allSettled() must always fulfil, even when items reject (it ${seen.status}${seen.reason ? `: ${seen.reason.message}` : ''})`);
    assert.deepEqual(
      seen.value,
      [
        { status: 'fulfilled', value: 'a' },
        { status: 'rejected', reason: boom },
        { status: 'fulfilled', value: 3 },
        { status: 'fulfilled', value: 'ok' },
      ],
      'every item must be reported in input order as { status: "fulfilled", value } or { status: "rejected", reason }',
    );
    assert.deepEqual(await fulfilled(allSettled([]), 'allSettled([])'), [], 'allSettled([]) must resolve with []');
  });
});

describe('any', () => {
  test('resolves with the first fulfilment and ignores rejections while one can still fulfil', { timeout: 2000 }, async () => {
    const slow = deferred();
    const fast = deferred();
    const failing = deferred();
    const result = any(generate(failing.promise, slow.promise, fast.promise));
    failing.reject(new Error('replica 1 down'));
    assert.equal((await state(result, 'any()')).status, 'pending', 'any() must not reject while other items can still fulfil');
    fast.resolve('fast');
    assert.deepEqual(await state(result, 'any()'), { status: 'fulfilled', value: 'fast' }, 'any() must resolve with the first item to fulfil');
    slow.resolve('slow');
    assert.equal(await fulfilled(result, 'any()'), 'fast', 'a later fulfilment must not change the value');
    assert.equal(await fulfilled(any([rejecting(new Error('x')), 7]), 'any([rejecting, 7])'), 7, 'a plain value counts as fulfilled');
  });

  test('rejects with an AggregateError whose errors are in input order, also for an empty input', { timeout: 2000 }, async () => {
    const a = deferred();
    const b = deferred();
    const c = deferred();
    const result = any([a.promise, b.promise, c.promise]);
    const errA = new Error('a');
    const errB = new Error('b');
    const errC = new Error('c');
    c.reject(errC);
    b.reject(errB);
    assert.equal((await state(result, 'any()')).status, 'pending', 'any() must wait until every item has rejected');
    a.reject(errA);
    const seen = await state(result, 'any()');
    assert.equal(seen.status, 'rejected', 'when every item rejects, any() must reject');
    assert.ok(seen.reason instanceof AggregateError, `any() must reject with an AggregateError, got ${seen.reason?.name ?? typeof seen.reason}`);
    assert.deepEqual(seen.reason.errors, [errA, errB, errC], 'AggregateError#errors must hold the reasons in input order (a, b, c), not rejection order (c, b, a)');
    const empty = await state(any([]), 'any([])');
    assert.equal(empty.status, 'rejected', 'any([]) must reject right away: nothing can ever fulfil');
    assert.ok(empty.reason instanceof AggregateError, 'any([]) must reject with an AggregateError');
    assert.deepEqual(empty.reason.errors, [], 'any([]) must reject with an AggregateError whose errors is []');
  });
});

describe('race', () => {
  test('settles like the first item to settle, fulfilled or rejected', { timeout: 2000 }, async () => {
    const a = deferred();
    const b = deferred();
    const won = race([a.promise, b.promise]);
    assert.equal((await state(won, 'race()')).status, 'pending', 'race() must stay pending until an item settles');
    b.resolve('b');
    await state(won, 'race()');
    a.resolve('a');
    assert.equal(await fulfilled(won, 'race([a, b])'), 'b', 'race() must take the first item to settle (b), not the first in input order');
    const c = deferred();
    const d = deferred();
    const lost = race(new Set([c.promise, d.promise]));
    const boom = new Error('d failed first');
    d.reject(boom);
    await state(lost, 'race()');
    c.resolve('c');
    assert.deepEqual(await state(lost, 'race()'), { status: 'rejected', reason: boom }, 'race() must reject when the first item to settle rejects');
    assert.equal(await fulfilled(race([deferred().promise, 'now']), "race([pending, 'now'])"), 'now', 'a plain value settles at once and wins over a pending promise');
  });

  test('stays pending forever for an empty input', { timeout: 2000 }, async () => {
    const result = race([]);
    assert.ok(isPromiseLike(result), 'race([]) must return a promise');
    assert.equal((await state(result, 'race()')).status, 'pending', 'race([]) must never settle (like the built-in): no item can win');
  });
});

describe('timeout', () => {
  test('passes on the value or the rejection of a promise that settles in time', { timeout: 2000 }, async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const ok = deferred();
    const fine = timeout(ok.promise, 100);
    t.mock.timers.tick(99);
    ok.resolve('response');
    assert.deepEqual(await state(fine, 'timeout()'), { status: 'fulfilled', value: 'response' }, 'timeout() must resolve with the value when the promise settles before ms');
    t.mock.timers.tick(50);
    assert.equal(await fulfilled(fine, 'timeout(promise, 100)'), 'response', 'the timer firing later must not change the result');
    const bad = deferred();
    const failed = timeout(bad.promise, 100);
    const boom = new Error('ECONNRESET');
    bad.reject(boom);
    assert.deepEqual(await state(failed, 'timeout()'), { status: 'rejected', reason: boom }, 'timeout() must reject with the promise\'s own reason when it rejects before ms');
    assert.equal(await fulfilled(timeout('plain', 100), "timeout('plain', 100)"), 'plain', 'timeout() must accept a plain value like Promise.resolve does');
  });

  test('rejects with a TimeoutError exactly when ms have passed', { timeout: 2000 }, async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const slow = deferred();
    const result = timeout(slow.promise, 250);
    t.mock.timers.tick(249);
    assert.equal((await state(result, 'timeout()')).status, 'pending', 'after 249 of 250 ms timeout() must still be pending');
    t.mock.timers.tick(1);
    const seen = await state(result, 'timeout()');
    assert.equal(seen.status, 'rejected', 'after 250 ms timeout() must reject (start the timer with setTimeout(…, ms))');
    assert.ok(seen.reason instanceof Error, 'the timeout reason must be an Error');
    assert.equal(seen.reason.name, 'TimeoutError', "the timeout error's name must be 'TimeoutError'");
    assert.equal(seen.reason.message, 'timed out after 250 ms', 'the timeout error message must be `timed out after ${ms} ms`');
    slow.resolve('too late');
    assert.equal((await state(result, 'timeout()')).status, 'rejected', 'a promise settling after the timeout must not change the result');
  });

  test('does not keep the process alive once the promise has settled', { timeout: 6000 }, async () => {
    // The learner's code runs in a child process here; give fs and child_process the real built-ins.
    for (const name of BUILTINS) Promise[name] = originals[name];
    const dir = await tempDir('roadmap-timeout-');
    const script = join(dir, 'main.mjs');
    await writeFile(
      script,
      `const { timeout } = await import(${JSON.stringify(pathToFileURL(exercisePath('combinators.js')).href)});
console.log(await timeout(Promise.resolve('fast'), 60_000));
console.log(await timeout(Promise.reject(new Error('failed')), 60_000).catch((e) => e.message));
`,
    );
    const run = await runNode(script, [], { timeoutMs: 3000 });
    assert.equal(run.timedOut, false, 'a script awaiting timeout(Promise.resolve(), 60_000) was still running after 3 s: clear the timer (clearTimeout) when the promise settles first');
    assert.equal(run.stdout, 'fast\nfailed\n', `the script must print the results of both timeouts\nstderr: ${run.stderr.slice(0, 500)}`);
  });
});

test('none of the five calls the built-in Promise combinators', { timeout: 2000 }, async () => {
  const outcomes = [];
  for (const [name, call] of [
    ['all', () => all([1, Promise.resolve(2)])],
    ['allSettled', () => allSettled([1, rejecting(new Error('x'))])],
    ['any', () => any([rejecting(new Error('x')), 2])],
    ['race', () => race([1, 2])],
    ['timeout', () => timeout(Promise.resolve(1), 10)],
  ]) {
    try {
      const seen = await state(call(), `${name}()`);
      if (seen.status === 'rejected') outcomes.push(`${name}: ${seen.reason?.message}`);
    } catch (error) {
      outcomes.push(`${name}: ${error.message}`);
    }
  }
  assert.deepEqual(builtinCalls, [], `your combinators called ${[...new Set(builtinCalls)].join(', ')} — build them from new Promise, Promise.resolve and .then`);
  assert.deepEqual(outcomes, [], 'every combinator must settle normally on these inputs');
});
