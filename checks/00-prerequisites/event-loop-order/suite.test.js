import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exercisePath, importExercise, requireExport, runNode } from './support.mjs';

const answersModule = await importExercise('answers.js');
const answers = requireExport(answersModule, 'answers', 'value', 'answers.js');
const deferModule = await importExercise('defer.js');
const defer = requireExport(deferModule, 'defer', 'function', 'defer.js');

const SNIPPETS = ['snippetA', 'snippetB', 'snippetC', 'snippetD', 'snippetE'];
const runner = fileURLToPath(new URL('./run-snippet.mjs', import.meta.url));

// The truth comes from Node itself: every snippet runs in its own fresh process, all
// of them at once so the suite stays fast.
const actualOrders = Object.fromEntries(
  SNIPPETS.map((name) => {
    const run = runNode(runner, [exercisePath('snippets.js'), name], { timeoutMs: 4000 }).then((result) => {
      if (result.code !== 0) {
        throw new Error(`running ${name} from snippets.js failed (exit ${result.code}):\n${result.stderr.slice(-800)}`);
      }
      return JSON.parse(result.stdout);
    });
    run.catch(() => {}); // reported by the test that awaits it
    return [name, run];
  }),
);

for (const name of SNIPPETS) {
  test(`${name}: the predicted order matches what Node logs`, { timeout: 5000 }, async () => {
    const actual = await actualOrders[name];
    const predicted = answers[name];
    assert.ok(Array.isArray(predicted), `answers.${name} must be an array of labels, found ${typeof predicted}`);
    assert.ok(predicted.length > 0, `answers.${name} is still empty: list every label ${name} logs, in order`);
    const missing = actual.filter((label) => !predicted.includes(label));
    const unknown = predicted.filter((label) => !actual.includes(label));
    assert.ok(
      missing.length === 0 && unknown.length === 0 && predicted.length === actual.length,
      `answers.${name} must list each label the snippet logs exactly once (${actual.length} labels).\n` +
        (missing.length ? `  missing: ${JSON.stringify(missing)}\n` : '') +
        (unknown.length ? `  not logged by ${name} (check the spelling): ${JSON.stringify(unknown)}\n` : '') +
        (predicted.length !== actual.length && !missing.length && !unknown.length ? '  some labels appear twice\n' : ''),
    );
    const at = predicted.findIndex((label, i) => label !== actual[i]);
    assert.deepEqual(
      predicted,
      actual,
      `${name}: at position ${at + 1} you predicted ${JSON.stringify(predicted[at])} but Node logged ` +
        `${JSON.stringify(actual[at])} (${at === 0 ? 'the very first label' : `the ${at} before it are right`}).\n` +
        'Walk the queues in order: synchronous code, then the whole nextTick queue, then the whole ' +
        'microtask queue (promises, queueMicrotask), then the next event-loop phase.',
    );
  });
}

// Runs `body` inside an I/O callback, like the snippets (and a request handler).
function insideIoCallback(body) {
  return new Promise((resolve, reject) => {
    readFile(exercisePath('defer.js'), () => {
      try {
        resolve(body());
      } catch (error) {
        reject(error);
      }
    });
  });
}

test('defer does not call fn synchronously and resolves with its return value', { timeout: 2000 }, async () => {
  let called = false;
  const promise = defer(() => {
    called = true;
    return 42;
  });
  assert.equal(called, false, 'defer(fn) must not call fn before it returns: fn runs in a later macrotask');
  assert.ok(promise instanceof Promise, `defer(fn) must return a Promise, got ${promise}`);
  assert.equal(await promise, 42, 'the promise must resolve with the value fn returned');
  assert.equal(called, true, 'fn must have run once the promise resolved');
});

test('defer runs after every nextTick and promise job queued after the call', { timeout: 2000 }, async () => {
  const order = [];
  const deferred = defer(() => order.push('deferred'));
  let chain = Promise.resolve();
  for (let i = 1; i <= 20; i += 1) chain = chain.then(() => order.push(`then ${i}`));
  chain.then(() => process.nextTick(() => order.push('tick from the last then')));
  process.nextTick(() => queueMicrotask(() => order.push('microtask from a tick')));
  await deferred;
  const at = order.indexOf('deferred');
  assert.equal(
    at,
    order.length - 1,
    `fn ran too early, before ${JSON.stringify(order.slice(at + 1))}.\n` +
      'A microtask (queueMicrotask, Promise.then) or process.nextTick runs fn while other jobs are still queued; ' +
      'defer must wait for the queues to be empty: a macrotask.',
  );
  assert.equal(order.length, 23, `expected 22 queued jobs and then fn, got ${JSON.stringify(order)}`);
});

test('defer runs before a setTimeout(0) scheduled first in the same I/O callback', { timeout: 2000 }, async () => {
  const order = await insideIoCallback(() => {
    const seen = [];
    const timer = new Promise((resolve) => setTimeout(() => resolve(seen.push('timeout')), 0));
    const deferred = defer(() => seen.push('deferred'));
    return Promise.all([timer, deferred]).then(() => seen);
  });
  assert.deepEqual(
    order,
    ['deferred', 'timeout'],
    'called from an I/O callback, fn must run on the check phase (setImmediate), which comes before the ' +
      'next timers phase; setTimeout(fn, 0) waits for a later loop turn',
  );
});

test('defer runs deferred functions in call order, each as its own macrotask', { timeout: 2000 }, async () => {
  const order = [];
  await Promise.all([
    defer(() => {
      order.push('first');
      Promise.resolve().then(() => order.push('microtask queued by first'));
      process.nextTick(() => order.push('tick queued by first'));
    }),
    defer(() => order.push('second')),
    defer(() => order.push('third')),
  ]);
  // Whether fn's tick or its promise job comes first depends on how defer calls fn
  // (from a macrotask or from a microtask); both must come before `second`.
  assert.deepEqual(
    [order[0], new Set(order.slice(1, 3)), ...order.slice(3)],
    ['first', new Set(['tick queued by first', 'microtask queued by first']), 'second', 'third'],
    `got ${JSON.stringify(order)}: each deferred fn gets its own macrotask, so the ticks and promise jobs ` +
      'it queues run before the next deferred fn starts (and the functions run in call order); ' +
      'running a batch of them in one callback breaks that',
  );
});

test('defer adopts a promise returned by fn', { timeout: 2000 }, async () => {
  const value = await defer(() => new Promise((resolve) => setImmediate(() => resolve('later'))));
  assert.equal(value, 'later', `when fn returns a promise, defer must resolve with its value, got ${value}`);
  const error = new Error('async failure');
  await assert.rejects(
    defer(async () => {
      throw error;
    }),
    (thrown) => thrown === error,
    'when fn returns a rejecting promise, defer must reject with that same error',
  );
});

test('defer rejects with the error fn throws instead of crashing the process', { timeout: 2000 }, async () => {
  const error = new Error('boom');
  let escaped;
  const uncaught = new Promise((resolve) => {
    // Captures an exception thrown from a timer or immediate callback instead of
    // letting it end the test run, so the failure can explain itself.
    process.setUncaughtExceptionCaptureCallback((thrown) => {
      escaped = thrown;
      resolve('uncaught');
    });
  });
  let outcome;
  try {
    outcome = await Promise.race([
      defer(() => {
        throw error;
      }).then(
        () => 'resolved',
        (thrown) => (thrown === error ? 'rejected' : thrown),
      ),
      uncaught,
    ]);
  } finally {
    process.setUncaughtExceptionCaptureCallback(null);
  }
  assert.equal(
    escaped,
    undefined,
    'the error fn threw escaped as an uncaught exception (in a server that ends the process): ' +
      'catch it inside the scheduled callback and reject the promise with it',
  );
  assert.equal(outcome, 'rejected', 'defer must reject with exactly the error fn threw');
});

test('defer rejects with a TypeError when fn is not a function', { timeout: 2000 }, async () => {
  for (const bad of [undefined, 42, 'fn', {}]) {
    let result;
    assert.doesNotThrow(() => {
      result = defer(bad);
    }, `defer(${JSON.stringify(bad)}) must return a rejected promise, not throw synchronously`);
    await assert.rejects(result, TypeError, `defer(${JSON.stringify(bad)}) must reject with a TypeError`);
  }
});
