import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { importExercise, requireExport, listen, request } from './support.mjs';

const mod = await importExercise('unblock.js');
const mapInChunks = requireExport(mod, 'mapInChunks', 'function', 'unblock.js');

// An expensive item: a fixed ~0.2 ms of CPU, so the cost of a job does not depend on how
// fast the machine is, and the learner cannot make it cheaper.
const ITEM_MS = 0.2;
const value = (x, index) => x * 3 + index;
function heavy(x, index) {
  const end = performance.now() + ITEM_MS;
  let h = x | 0;
  while (performance.now() < end) h = (Math.imul(h, 31) + 7) | 0;
  return value(x, index);
}
const range = (n) => Array.from({ length: n }, (_, i) => i);
const BIG = range(1000); // about 200 ms of work

/**
 * Runs `job` while a 1 ms interval ticks, and reports how many ticks happened and the
 * longest gap between two ticks (from the call to the moment the job settled).
 */
async function probe(job, { deadlineMs = 4000 } = {}) {
  let last = performance.now();
  let maxGap = 0;
  let ticks = 0;
  const interval = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks += 1;
  }, 1);
  const start = performance.now();
  last = start;
  let timer;
  try {
    const result = await Promise.race([
      Promise.resolve().then(job),
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(`the job did not finish within ${deadlineMs} ms — is it yielding far too often, or never resolving?`),
            ),
          deadlineMs,
        );
      }),
    ]);
    const end = performance.now();
    maxGap = Math.max(maxGap, end - last);
    return { result, ticks, maxGap, total: end - start };
  } finally {
    clearTimeout(timer);
    clearInterval(interval);
  }
}

// The blocking baseline, measured in this run on this machine.
async function blockingBaseline() {
  return (await probe(() => BIG.map(heavy))).maxGap;
}

const ms = (n) => `${n.toFixed(1)} ms`;

test('resolves to the same array as items.map, passing item and index', { timeout: 3000 }, async () => {
  const pending = mapInChunks([5, 6, 7], (x, i) => `${x}:${i}`);
  assert.ok(pending instanceof Promise, 'mapInChunks must return a Promise (make it an async function)');
  assert.deepEqual(
    await pending,
    ['5:0', '6:1', '7:2'],
    'fn must be called as fn(item, index) and the results kept in input order',
  );

  const items = range(400).map((i) => (i * 7919) % 1000);
  const expected = items.map(value);
  const got = await mapInChunks(items, heavy, { budgetMs: 5 });
  assert.equal(got.length, expected.length, `expected ${expected.length} results, got ${got?.length}`);
  assert.deepEqual(got, expected, 'results across several slices must equal items.map(fn), in the same order');
});

test('resolves to an empty array for no items without calling fn', { timeout: 1000 }, async () => {
  let calls = 0;
  const got = await mapInChunks([], () => {
    calls += 1;
  });
  assert.deepEqual(got, [], 'an empty input must resolve to []');
  assert.equal(calls, 0, 'fn must not be called when there are no items');
});

test('keeps the longest event-loop pause a small fraction of the blocking version', { timeout: 5000 }, async () => {
  const blocking = await blockingBaseline();
  const bound = blocking / 5;
  // A second chance, so one hiccup of a noisy machine does not fail a correct solution.
  const runs = [await probe(() => mapInChunks(BIG, heavy))];
  if (runs[0].maxGap >= bound) runs.push(await probe(() => mapInChunks(BIG, heavy)));
  const best = Math.min(...runs.map((r) => r.maxGap));
  assert.ok(
    best < bound,
    `during a job that blocks the loop for ${ms(blocking)} when run with items.map, a 1 ms timer ` +
      `still waited ${ms(best)} at once with mapInChunks (must stay under ${ms(bound)}).\n` +
      'Time-box each slice to about budgetMs (default 10 ms) and await a setImmediate between slices.',
  );
  assert.deepEqual(runs[0].result, BIG.map(value), 'the chunked job must still return the same results as items.map');
});

test('lets timers fire while the work is running', { timeout: 3000 }, async () => {
  let fired = 0;
  const timer = setTimeout(() => {
    fired += 1;
  }, 0);
  const { ticks } = await probe(() => mapInChunks(range(500), heavy));
  clearTimeout(timer);
  assert.equal(fired, 1, 'a setTimeout(0) scheduled right after the call must fire before the job ends');
  assert.ok(
    ticks >= 5,
    `a 1 ms interval ticked only ${ticks} time(s) during about 100 ms of work.\n` +
      'await Promise.resolve(), queueMicrotask and process.nextTick are microtasks: they run before ' +
      'timers ever get a turn. Yield with setImmediate.',
  );
});

test('answers an HTTP request from the same process while the job runs', { timeout: 4000 }, async () => {
  const { url } = await listen((req, res) => res.end('ok'));
  await request(url, 'GET', '/health'); // warm up the HTTP client outside the measurement

  let doneAt = Infinity;
  const job = mapInChunks(BIG, heavy).then(() => {
    doneAt = performance.now();
  });
  // Awaited below; until then a rejection must not count as unhandled.
  job.catch(() => {});
  const res = await request(url, 'GET', '/health');
  const answeredAt = performance.now();
  await job;
  assert.equal(res.status, 200, `the health check failed\n${res.describe()}`);
  assert.ok(
    answeredAt < doneAt,
    'the health check was only answered after the whole job had finished: the job held the ' +
      'thread, so the server could not read the request. Yield between slices.',
  );
});

test('yields more often with a smaller budgetMs', { timeout: 3000 }, async () => {
  const items = range(500); // about 100 ms of work
  const small = await probe(() => mapInChunks(items, heavy, { budgetMs: 2 }));
  const large = await probe(() => mapInChunks(items, heavy, { budgetMs: 40 }));
  assert.ok(
    small.ticks > 3 * large.ticks && small.maxGap < large.maxGap,
    `with budgetMs: 2 a 1 ms timer ticked ${small.ticks} times (longest pause ${ms(small.maxGap)}); ` +
      `with budgetMs: 40 it ticked ${large.ticks} times (longest pause ${ms(large.maxGap)}).\n` +
      'A slice should run until budgetMs milliseconds have passed, then yield — read the option.',
  );
});

test('does not yield after every item when items are cheap', { timeout: 3000 }, async () => {
  const items = range(5000);
  let turns = 0;
  let running = true;
  const count = () => {
    if (!running) return;
    turns += 1;
    setImmediate(count);
  };
  setImmediate(count);
  let got;
  try {
    got = (await probe(() => mapInChunks(items, (x) => x * 2), { deadlineMs: 1500 })).result;
  } finally {
    running = false;
  }
  assert.deepEqual(
    got,
    items.map((x) => x * 2),
    'cheap items must map correctly too',
  );
  assert.ok(
    turns <= 20,
    `5 000 trivial items took ${turns} event-loop turns; they fit in one 10 ms slice.\n` +
      'Yield when the time budget is used up, not after every item — each yield costs far more than x * 2.',
  );
});

test('rejects with the error fn throws and stops calling fn', { timeout: 2000 }, async () => {
  const boom = new Error('bad record');
  let calls = 0;
  await assert.rejects(
    mapInChunks(range(10), (x) => {
      calls += 1;
      if (x === 3) throw boom;
      return x;
    }),
    (err) => err === boom,
    'the promise must reject with the very error fn threw',
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(calls, 4, `fn must not be called after it threw (it was called ${calls} times for a throw on the 4th item)`);
});

test('rejects, not crashes, when fn throws after the work has yielded', { timeout: 3000 }, async () => {
  const boom = new Error('bad record after a yield');
  let calls = 0;
  let ticks = 0;
  const interval = setInterval(() => {
    ticks += 1;
  }, 1);
  // An error thrown inside a bare setImmediate callback escapes every promise and would
  // crash the server; catch it here so the learner sees why instead of a raw stack.
  let crashed;
  const crash = new Promise((_, reject) => {
    crashed = (err) =>
      reject(
        new Error(
          `fn's error escaped as an uncaught exception ("${err?.message}") — in production that crashes the process.\n` +
            'Catch errors inside the callback you pass to setImmediate and reject the promise, ' +
            'or write an async function that awaits a promisified setImmediate.',
        ),
      );
  });
  process.setUncaughtExceptionCaptureCallback((err) => crashed(err));
  try {
    await Promise.race([
      assert.rejects(
        mapInChunks(
          range(400),
          (x, i) => {
            calls += 1;
            if (x === 300) throw boom;
            return heavy(x, i);
          },
          { budgetMs: 5 },
        ),
        (err) => err === boom,
        'an error thrown by fn in a later slice must reject the returned promise',
      ),
      crash,
    ]);
  } finally {
    process.setUncaughtExceptionCaptureCallback(null);
    clearInterval(interval);
  }
  assert.ok(ticks >= 2, `the work should have yielded several times before item 300 (a 1 ms timer ticked ${ticks} times)`);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(calls, 301, `fn must not be called after it threw on item 300 (it was called ${calls} times)`);
});

test('two calls started together interleave and keep their own results', { timeout: 3000 }, async () => {
  const order = [];
  const a = range(300);
  const b = range(300).map((i) => i + 10_000);
  const tag = (name) => (x, i) => {
    if (order.at(-1) !== name) order.push(name);
    return heavy(x, i);
  };
  const [ra, rb] = await Promise.all([mapInChunks(a, tag('a'), { budgetMs: 5 }), mapInChunks(b, tag('b'), { budgetMs: 5 })]);
  assert.deepEqual(ra, a.map(value), 'the first call must resolve to its own results');
  assert.deepEqual(rb, b.map(value), 'the second call must resolve to its own results');
  assert.ok(
    order.length >= 4,
    `the two jobs ran as ${order.join(' → ')}: the second only started once the first was done. ` +
      'Each slice must yield so other work — including another mapInChunks — can run.',
  );
});
