import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { importExercise, requireExport, exercisePath, runNode, tempDir } from './support.mjs';

const mod = await importExercise('retry.js');
const retry = requireExport(mod, 'retry', 'function', 'retry.js');

const flush = () => new Promise((resolve) => setImmediate(resolve));

class Failure extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/**
 * Fakes setTimeout for one test and returns helpers:
 * - fn(...outcomes): a spy for `fn`; call k runs outcomes[k-1](attempt) (the last one repeats)
 *   and records { attempt, at } with `at` the fake time of the call;
 * - drive(promise, { step, limit, at }): advances the fake clock `step` ms at a time until
 *   the promise settles (or `limit` ms), running at[time]() on the way; returns its state.
 */
function harness(t) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const clock = { now: 0 };
  const fn = (...outcomes) => {
    const calls = [];
    const spy = (attempt) => {
      calls.push({ attempt, at: clock.now });
      return outcomes[Math.min(calls.length, outcomes.length) - 1](attempt);
    };
    spy.calls = calls;
    return spy;
  };
  const drive = async (promise, { step = 1, limit = 6000, at = {} } = {}) => {
    assert.ok(promise && typeof promise.then === 'function', `retry() must return a promise, got ${typeof promise}`);
    let state = { status: 'pending' };
    promise.then(
      (value) => (state = { status: 'fulfilled', value, at: clock.now }),
      (reason) => (state = { status: 'rejected', reason, at: clock.now }),
    );
    await flush();
    while (state.status === 'pending' && clock.now < limit) {
      t.mock.timers.tick(step);
      clock.now += step;
      at[clock.now]?.();
      await flush();
    }
    return state;
  };
  // More fake time after retry settled, to prove nothing else is scheduled.
  const idle = async (ms) => {
    for (let i = 0; i < ms; i += 10) {
      t.mock.timers.tick(10);
      clock.now += 10;
      await flush();
    }
  };
  return { clock, fn, drive, idle };
}

const ok = (value) => () => value;
const throws = (message, code) => () => {
  throw new Failure(message, code);
};
const rejects = (message, code) => async () => {
  throw new Failure(message, code);
};
const gaps = (calls) => calls.slice(1).map((c, i) => c.at - calls[i].at);
const pendingHint = (calls) =>
  `retry() is still pending after the fake clock ran; fn was called ${calls.length} time(s) at ${JSON.stringify(calls.map((c) => c.at))} ms. Wait with the global setTimeout (mock.timers fakes it; a named import from node:timers/promises is not faked).`;

function assertSettled(state, status, calls) {
  if (state.status === 'pending') assert.fail(pendingHint(calls));
  assert.equal(state.status, status, `retry() must ${status === 'fulfilled' ? 'resolve' : 'reject'} here, but it ${state.status}${state.reason ? ` with ${state.reason.message}` : ''}`);
}

describe('retrying', () => {
  test('resolves with the first success and calls fn with attempts 1, 2, 3', { timeout: 3000 }, async (t) => {
    const { fn, drive } = harness(t);
    const once = fn(ok(42));
    const first = await drive(retry(once, { jitter: false }));
    assertSettled(first, 'fulfilled', once.calls);
    assert.equal(first.value, 42, 'a first attempt that returns a plain value must resolve retry() with it');
    assert.equal(once.calls.length, 1, 'fn must not be called again after a success');

    const flaky = fn(throws('ECONNRESET'), rejects('503'), async (attempt) => `ok on attempt ${attempt}`);
    const state = await drive(retry(flaky, { baseMs: 100, jitter: false }));
    assertSettled(state, 'fulfilled', flaky.calls);
    assert.equal(state.value, 'ok on attempt 3', 'retry() must resolve with the value of the first attempt that succeeds');
    assert.deepEqual(flaky.calls.map((c) => c.attempt), [1, 2, 3], 'fn must be called with the attempt number: 1, 2, 3');
    assert.equal(flaky.calls[0].at, 0, 'the first attempt must happen at once, without a delay');
    assert.deepEqual(gaps(flaky.calls), [100, 200], 'a synchronous throw and a rejected promise both count as failures: wait 100 ms, then 200 ms');
  });

  test('without jitter the delays grow by factor from baseMs and stop at maxMs; the last error is rejected', { timeout: 3000 }, async (t) => {
    const { fn, drive, idle } = harness(t);
    let n = 0;
    const down = fn(() => {
      n += 1;
      throw new Failure(`failure ${n}`);
    });
    const state = await drive(retry(down, { retries: 5, baseMs: 100, factor: 2, maxMs: 1000, jitter: false }));
    assertSettled(state, 'rejected', down.calls);
    assert.deepEqual(gaps(down.calls), [100, 200, 400, 800, 1000], 'delays must be baseMs * factor ** (n - 1), capped at maxMs: 100, 200, 400, 800, then 1000 (not 1600)');
    assert.equal(down.calls.length, 6, `retries: 5 means 6 calls in all (the first attempt plus 5 retries), got ${down.calls.length}`);
    assert.equal(state.reason?.message, 'failure 6', "retry() must reject with the last attempt's own error, not the first one and not a new wrapper");
    assert.ok(state.reason instanceof Failure, 'the rejection must be the very error fn threw');
    await idle(3000);
    assert.equal(down.calls.length, 6, 'nothing may run after retry() gave up');
  });

  test('with jitter each delay is Math.floor(capped * random()), one random() per retry', { timeout: 3000 }, async (t) => {
    const { fn, drive } = harness(t);
    const values = [0.5, 0.25, 0.9999, 0.5];
    let randomCalls = 0;
    const random = () => values[randomCalls++ % values.length];
    const down = fn(throws('down'));
    const state = await drive(retry(down, { retries: 4, baseMs: 100, factor: 3, maxMs: 1000, jitter: true, random }));
    assertSettled(state, 'rejected', down.calls);
    assert.deepEqual(
      gaps(down.calls),
      [50, 75, 899, 500],
      'capped delays are 100, 300, 900, 1000; times random() 0.5, 0.25, 0.9999, 0.5 and rounded down: 50, 75, 899, 500 (cap first, then jitter)',
    );
    assert.equal(randomCalls, 4, `random() must be called once per retry (4 here), it was called ${randomCalls} times`);
  });

  test('defaults to 3 retries, baseMs 100, factor 2, maxMs 10000 and jitter on', { timeout: 3000 }, async (t) => {
    const { fn, drive } = harness(t);
    const down = fn(rejects('down'));
    const state = await drive(retry(down, { random: () => 0.5 }));
    assertSettled(state, 'rejected', down.calls);
    assert.equal(down.calls.length, 4, `by default retry() makes 4 calls (1 + 3 retries), got ${down.calls.length}`);
    assert.deepEqual(gaps(down.calls), [50, 100, 200], 'default delays are 100, 200, 400 with jitter on by default: random() = 0.5 halves them to 50, 100, 200');
    const slow = fn(rejects('slow'));
    const capped = await drive(retry(slow, { baseMs: 4000, factor: 4, retries: 2, jitter: false }), { step: 50, limit: 30_000 });
    assertSettled(capped, 'rejected', slow.calls);
    assert.deepEqual(gaps(slow.calls), [4000, 10000], 'maxMs defaults to 10000: the second delay of 16000 ms must be capped to 10000');
  });

  test('retries: 0 makes a single call and rejects with its error', { timeout: 3000 }, async (t) => {
    const { fn, drive, idle } = harness(t);
    const once = fn(throws('no retries'));
    const state = await drive(retry(once, { retries: 0 }));
    assertSettled(state, 'rejected', once.calls);
    assert.equal(state.reason?.message, 'no retries', "retry() must reject with fn's error");
    assert.equal(state.at, 0, 'with retries: 0 there is nothing to wait for: reject at once');
    await idle(1000);
    assert.equal(once.calls.length, 1, 'retries: 0 means fn is called exactly once');
  });

  test('shouldRetry(error, attempt) returning false stops at once with that error', { timeout: 3000 }, async (t) => {
    const { fn, drive, idle } = harness(t);
    const seen = [];
    const shouldRetry = (error, attempt) => {
      seen.push([error.code, attempt]);
      return error.code !== 'EAUTH';
    };
    const calls = fn(throws('timed out', 'ETIMEDOUT'), rejects('bad credentials', 'EAUTH'));
    const state = await drive(retry(calls, { baseMs: 100, jitter: false, retries: 5, shouldRetry }));
    assertSettled(state, 'rejected', calls.calls);
    assert.deepEqual(seen, [['ETIMEDOUT', 1], ['EAUTH', 2]], 'shouldRetry must be called after each failure with the error and the attempt number');
    assert.equal(state.reason?.code, 'EAUTH', 'retry() must reject with the error shouldRetry refused');
    assert.equal(state.at, 100, 'after shouldRetry returns false, reject at once (no more waiting)');
    await idle(2000);
    assert.equal(calls.calls.length, 2, 'no attempt may follow a refused retry');
  });
});

describe('aborting', () => {
  test('an already aborted signal rejects with its reason and fn is never called', { timeout: 3000 }, async (t) => {
    const { fn, drive } = harness(t);
    const spy = fn(ok('should not run'));
    const ac = new AbortController();
    const reason = new Error('server shutting down');
    ac.abort(reason);
    const state = await drive(retry(spy, { signal: ac.signal }));
    assertSettled(state, 'rejected', spy.calls);
    assert.equal(state.reason, reason, "retry() must reject with the signal's reason (signal.reason), not a new error");
    assert.equal(spy.calls.length, 0, 'fn must not be called when the signal is already aborted');
  });

  test('an abort while waiting rejects at once and nothing more is called', { timeout: 3000 }, async (t) => {
    const { fn, drive, idle } = harness(t);
    const down = fn(throws('down'));
    const ac = new AbortController();
    const state = await drive(retry(down, { baseMs: 1000, jitter: false, signal: ac.signal }), { at: { 300: () => ac.abort() } });
    assertSettled(state, 'rejected', down.calls);
    assert.equal(state.reason, ac.signal.reason, "retry() must reject with signal.reason (an AbortError DOMException when abort() had no argument)");
    assert.equal(state.at, 300, `the abort came at 300 ms, in the middle of a 1000 ms wait; retry() must reject right then, it settled at ${state.at} ms`);
    await idle(5000);
    assert.equal(down.calls.length, 1, 'after an abort fn must never be called again — clear the pending timer');
  });

  test('an abort while fn runs rejects at once without waiting for fn', { timeout: 3000 }, async (t) => {
    const { fn, drive, idle } = harness(t);
    let failSlowCall;
    const slow = fn(
      () =>
        new Promise((_resolve, reject) => {
          failSlowCall = () => reject(new Failure('late failure'));
        }),
    );
    const ac = new AbortController();
    const reason = new Error('client went away');
    const unhandled = [];
    const onUnhandled = (error) => unhandled.push(error);
    process.on('unhandledRejection', onUnhandled);
    try {
      const state = await drive(retry(slow, { baseMs: 10, jitter: false, signal: ac.signal }), { at: { 50: () => ac.abort(reason) } });
      assertSettled(state, 'rejected', slow.calls);
      assert.equal(state.reason, reason, "retry() must reject with the signal's reason");
      assert.equal(state.at, 50, `fn was still running when the signal aborted at 50 ms; retry() must reject then, not when fn finishes (it settled at ${state.at} ms)`);
      failSlowCall();
      await idle(1000);
      assert.equal(slow.calls.length, 1, 'the attempt that was running when the signal aborted must be the last one');
      await flush();
      assert.deepEqual(unhandled.map((e) => e?.message), [], "fn's promise rejected after the abort and nobody handled it: keep a rejection handler on fn's promise");
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('no abort listener is left on the signal once retry settles', { timeout: 3000 }, async (t) => {
    const { fn, drive } = harness(t);
    const ac = new AbortController();
    const runs = [
      ['a success after two retries', 'fulfilled', fn(throws('a'), throws('b'), ok('done')), {}],
      ['giving up after the last retry', 'rejected', fn(rejects('down')), { retries: 3 }],
      ['shouldRetry returning false', 'rejected', fn(throws('fatal')), { shouldRetry: () => false }],
    ];
    for (const [label, status, spy, options] of runs) {
      const state = await drive(retry(spy, { baseMs: 10, jitter: false, signal: ac.signal, ...options }));
      assertSettled(state, status, spy.calls);
      const left = getEventListeners(ac.signal, 'abort').length;
      assert.equal(left, 0, `after ${label}, ${left} abort listener(s) were still attached to the signal: remove each listener when its wait or attempt ends (a long-lived signal would collect one per call)`);
    }
  });

  test('an abort while waiting frees the timer so the process can exit', { timeout: 6000 }, async () => {
    const dir = await tempDir('roadmap-retry-');
    const script = join(dir, 'main.mjs');
    await writeFile(
      script,
      `const { retry } = await import(${JSON.stringify(pathToFileURL(exercisePath('retry.js')).href)});
const ac = new AbortController();
const pending = retry(() => { throw new Error('down'); }, { baseMs: 60_000, jitter: false, signal: ac.signal });
setTimeout(() => ac.abort(new Error('stopped')), 20);
console.log(await pending.catch((error) => error.message));
`,
    );
    const run = await runNode(script, [], { timeoutMs: 3000 });
    assert.equal(run.timedOut, false, 'a script that aborted retry() during a 60 s wait was still running after 3 s: clearTimeout the pending timer when the signal aborts');
    assert.equal(run.stdout, 'stopped\n', `the script must print the abort reason\nstderr: ${run.stderr.slice(0, 500)}`);
  });
});
