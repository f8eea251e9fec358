import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { importExercise, requireExport, runProcess, seededRandom, tempDir } from './support.mjs';

const mod = await importExercise('read-all.js');
const readAll = requireExport(mod, 'readAll', 'function', 'read-all.js');

/** Lets every pending promise callback run (the learner's pool may hop a few times). */
const flush = async () => {
  for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

/**
 * Awaits a promise from the learner with a deadline. A promise that never settles would
 * otherwise let the event loop run dry and end the whole suite with a cryptic message.
 */
async function within(promise, what, ms = 500) {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`readAll never settled: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const AFTER_ALL_READS = 'every read it started has finished, yet its promise is still pending';

/**
 * Runs `body` with unhandled rejections collected instead of reported raw, and fails with
 * an explanation if the learner's code left one behind.
 */
async function noUnhandledRejections(body) {
  const saved = process.listeners('unhandledRejection');
  process.removeAllListeners('unhandledRejection');
  const seen = [];
  const collect = (reason) => seen.push(reason);
  process.on('unhandledRejection', collect);
  try {
    await body();
    await flush();
  } finally {
    process.off('unhandledRejection', collect);
    for (const listener of saved) process.on('unhandledRejection', listener);
  }
  assert.deepEqual(
    seen.map((e) => e?.message ?? String(e)),
    [],
    'a rejected promise was left without a handler — Node crashes the process on that. Every promise ' +
      'made from a read needs a rejection path: await it, or give .then a second callback, or .catch it. ' +
      '(p.then(ok) alone creates a new promise that rejects unhandled when p fails.)',
  );
}

/** Calls readAll and tracks how its promise settles, without waiting for it. */
function start(paths, options) {
  let promise;
  try {
    promise = readAll(paths, options);
  } catch (error) {
    assert.fail(`readAll threw synchronously (${error?.message}); it must return a promise — make it an async function`);
  }
  assert.ok(promise && typeof promise.then === 'function', 'readAll must return a Promise');
  const state = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error) => Object.assign(state, { settled: true, error }),
  );
  return { promise, state };
}

/** A reader whose reads stay pending until the test settles them by hand. */
function manualReader() {
  const calls = [];
  let inFlight = 0;
  const reader = {
    calls,
    get inFlight() {
      return inFlight;
    },
    started: () => calls.map((c) => c.path),
    /** The pending read of `path`; fails the test with a clear message when it never started. */
    call(path) {
      const found = calls.find((c) => c.path === path);
      if (!found)
        assert.fail(
          `expected a read of "${path}" to have started by now; reads started so far: [${reader.started().join(', ')}]`,
        );
      return found;
    },
    maybe: (path) => calls.find((c) => c.path === path),
    readFile(path, options) {
      inFlight += 1;
      return new Promise((resolve, reject) => {
        const call = { path, signal: options?.signal, settled: false };
        const done = (fn) => (value) => {
          if (call.settled) return;
          call.settled = true;
          inFlight -= 1;
          fn(value);
        };
        call.resolve = done(resolve);
        call.reject = done(reject);
        calls.push(call);
      });
    },
  };
  return reader;
}

/** A reader that answers after a delay and records how many reads overlap. */
function timedReader(delayFor) {
  const stats = { calls: [], inFlight: 0, maxInFlight: 0 };
  stats.readFile = (path) => {
    stats.calls.push(path);
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    return new Promise((resolve) =>
      setTimeout(() => {
        stats.inFlight -= 1;
        resolve(`contents of ${path}`);
      }, delayFor(path)),
    );
  };
  return stats;
}

test('reads real files as UTF-8 text in input order', { timeout: 3000 }, async () => {
  const dir = await tempDir('nonblocking-fs-');
  const random = seededRandom();
  const files = [];
  for (let i = 0; i < 30; i += 1) {
    const path = join(dir, `file-${i}.txt`);
    const text = `file ${i} — naïve café ✓\n${'x'.repeat(Math.floor(random() * 20000))}\n`;
    await writeFile(path, text);
    files.push({ path, text });
  }
  const paths = [...files.map((f) => f.path), files[3].path];
  const got = await within(readAll(paths, { concurrency: 4 }), 'reading 31 real files', 2000);
  assert.ok(Array.isArray(got), `readAll must resolve to an array, got ${typeof got}`);
  assert.equal(
    got.length,
    paths.length,
    `expected ${paths.length} results (one per path, duplicates included), got ${got.length}`,
  );
  const firstLine = (text) => (typeof text === 'string' ? text.split('\n')[0] : text);
  const expected = paths.map((path) => files.find((f) => f.path === path).text);
  assert.deepEqual(
    got.map(firstLine),
    expected.map(firstLine),
    'each result must be the UTF-8 text of the path at the same index (first lines shown). ' +
      "Without a reader option, read each file with fs/promises readFile and encoding 'utf8'.",
  );
  for (const [i, text] of expected.entries()) {
    assert.ok(
      got[i] === text,
      `result ${i} must be the whole text of ${paths[i]} (${text.length} characters), got ${got[i]?.length} characters`,
    );
  }
});

test('keeps input order when reads finish in reverse order', { timeout: 2000 }, async () => {
  const reader = manualReader();
  const paths = ['a', 'b', 'c', 'd'];
  const { promise } = start(paths, { concurrency: 4, readFile: reader.readFile });
  await flush();
  for (const path of [...paths].reverse()) {
    reader.maybe(path)?.resolve(`text of ${path}`);
    await flush();
  }
  // Finish whatever an implementation started late, so only the order is judged here.
  for (let round = 0; round < paths.length; round += 1) {
    reader.calls.filter((c) => !c.settled).forEach((c) => c.resolve(`text of ${c.path}`));
    await flush();
  }
  assert.deepEqual(
    await within(promise, `${AFTER_ALL_READS} (reads started: ${reader.started().join(', ')})`),
    ['text of a', 'text of b', 'text of c', 'text of d'],
    'results must be stored by the index of their path, not pushed in the order reads finish',
  );
});

test(
  'never has more than `concurrency` reads in flight, uses them all, and starts in input order',
  { timeout: 3000 },
  async () => {
    const random = seededRandom();
    const paths = Array.from({ length: 40 }, (_, i) => `f${i}`);
    const delays = new Map(paths.map((p) => [p, Math.floor(random() * 5)]));
    const stats = timedReader((p) => delays.get(p));
    const got = await within(readAll(paths, { concurrency: 3, readFile: stats.readFile }), AFTER_ALL_READS, 2000);
    assert.ok(stats.maxInFlight <= 3, `with concurrency 3 there were ${stats.maxInFlight} reads in flight at once`);
    assert.equal(
      stats.maxInFlight,
      3,
      `with concurrency 3 at most ${stats.maxInFlight} read(s) ever ran together — use every slot`,
    );
    assert.deepEqual(stats.calls, paths, 'each path must be read exactly once, in input order');
    assert.deepEqual(
      got,
      paths.map((p) => `contents of ${p}`),
      'results must follow input order',
    );
  },
);

test('starts the next read as soon as any slot frees, not after a whole batch', { timeout: 2000 }, async () => {
  const reader = manualReader();
  const { promise } = start(['a', 'b', 'c', 'd', 'e'], { concurrency: 2, readFile: reader.readFile });
  await flush();
  assert.deepEqual(reader.started(), ['a', 'b'], 'with concurrency 2 the first two reads must start right away');
  reader.call('b').resolve('B');
  await flush();
  assert.deepEqual(
    reader.started(),
    ['a', 'b', 'c'],
    'when b finished, c must start at once even though a is still running — a pool, not batches of Promise.all',
  );
  reader.call('c').resolve('C');
  await flush();
  assert.deepEqual(reader.started(), ['a', 'b', 'c', 'd'], 'when c finished, d must start while a is still running');
  reader.call('a').resolve('A');
  await flush();
  reader.maybe('d')?.resolve('D');
  await flush();
  reader.maybe('e')?.resolve('E');
  assert.deepEqual(await within(promise, AFTER_ALL_READS), ['A', 'B', 'C', 'D', 'E'], 'all five results, in input order');
});

test('starts every read at once when concurrency exceeds the number of paths', { timeout: 2000 }, async () => {
  const reader = manualReader();
  const { promise } = start(['a', 'b', 'c'], { concurrency: 50, readFile: reader.readFile });
  await flush();
  assert.deepEqual(reader.started(), ['a', 'b', 'c'], 'all three reads must be in flight with concurrency 50');
  reader.calls.forEach((c) => c.resolve(c.path.toUpperCase()));
  assert.deepEqual(await within(promise, AFTER_ALL_READS), ['A', 'B', 'C'], 'the three results, in order');

  const stats = timedReader(() => 1);
  assert.deepEqual(
    await within(readAll(['x', 'y'], { concurrency: Infinity, readFile: stats.readFile }), 'with concurrency: Infinity'),
    ['contents of x', 'contents of y'],
    'concurrency: Infinity must be accepted and mean "no limit"',
  );
});

test('runs 8 reads at a time by default', { timeout: 2000 }, async () => {
  const reader = manualReader();
  const paths = Array.from({ length: 20 }, (_, i) => `p${i}`);
  const { promise } = start(paths, { readFile: reader.readFile });
  await flush();
  assert.equal(reader.inFlight, 8, `without a concurrency option 8 reads should be in flight, found ${reader.inFlight}`);
  for (let i = 0; i < 20; i += 1) {
    reader.calls[i]?.resolve(i);
    await flush();
  }
  assert.deepEqual(
    await within(promise, AFTER_ALL_READS),
    paths.map((_, i) => i),
    'results in input order',
  );
});

test('resolves to [] for no paths without calling readFile', { timeout: 1000 }, async () => {
  const reader = manualReader();
  const { promise, state } = start([], { concurrency: 3, readFile: reader.readFile });
  await flush();
  assert.ok(state.settled, 'an empty list must resolve straight away (does your pool wait for a read that never starts?)');
  assert.deepEqual(await within(promise, 'for an empty list of paths'), [], 'an empty list must resolve to []');
  assert.equal(reader.calls.length, 0, 'readFile must not be called for an empty list');
});

test('rejects an invalid concurrency with RangeError before reading', { timeout: 1000 }, async () => {
  for (const concurrency of [0, -2, 1.5, Number.NaN, '2', null]) {
    const reader = manualReader();
    const { promise } = start(['a', 'b'], { concurrency, readFile: reader.readFile });
    await assert.rejects(
      within(promise, `for concurrency ${String(concurrency)}`),
      RangeError,
      `concurrency ${String(concurrency)} (${typeof concurrency}) must reject with a RangeError`,
    );
    assert.equal(reader.calls.length, 0, `no read may start when concurrency is ${String(concurrency)}`);
  }
});

test('finishes twelve 25 ms reads with concurrency 4 in about three read-times', { timeout: 3000 }, async () => {
  const single = timedReader(() => 25);
  let t0 = performance.now();
  await single.readFile('warm-up');
  const oneRead = performance.now() - t0;

  const stats = timedReader(() => 25);
  const paths = Array.from({ length: 12 }, (_, i) => `f${i}`);
  t0 = performance.now();
  await within(readAll(paths, { concurrency: 4, readFile: stats.readFile }), AFTER_ALL_READS, 2000);
  const total = performance.now() - t0;
  assert.ok(
    total < oneRead * 5.5,
    `12 reads of ${oneRead.toFixed(0)} ms with concurrency 4 took ${total.toFixed(0)} ms; ` +
      `three rounds (about ${(oneRead * 3).toFixed(0)} ms) are expected, one after another would be ${(oneRead * 12).toFixed(0)} ms`,
  );
  assert.ok(stats.maxInFlight <= 4, `${stats.maxInFlight} reads were in flight with concurrency 4`);
});

test('rejects at the first failure, starts no more reads and aborts the reads in flight', { timeout: 2000 }, () =>
  noUnhandledRejections(async () => {
    const reader = manualReader();
    const { promise, state } = start(['a', 'b', 'c', 'd', 'e'], { concurrency: 2, readFile: reader.readFile });
    await flush();
    const failure = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    reader.call('b').reject(failure);
    await flush();
    assert.ok(state.settled, 'readAll must reject as soon as one read fails, without waiting for a (still in flight)');
    assert.equal(
      state.error,
      failure,
      `readAll must reject with the very error the read failed with, got ${state.error ?? state.value}`,
    );
    assert.deepEqual(reader.started(), ['a', 'b'], 'no new read may start after a failure');
    const signal = reader.call('a').signal;
    assert.ok(signal instanceof AbortSignal, 'every read must receive { signal } (an AbortSignal) as its second argument');
    assert.ok(signal.aborted, 'after a failure, the signal given to the reads still in flight must be aborted');
    reader.call('a').resolve('A');
    await flush();
    assert.deepEqual(reader.started(), ['a', 'b'], 'a read finishing after the failure must not start the next path');
  }),
);

test('leaves no unhandled rejection when more reads fail after the first', { timeout: 2000 }, () =>
  noUnhandledRejections(async () => {
    const reader = manualReader();
    const { promise } = start(['a', 'b', 'c'], { concurrency: 3, readFile: reader.readFile });
    await flush();
    const first = new Error('first');
    reader.call('a').reject(first);
    await assert.rejects(
      within(promise, 'after a read failed — reject at the first failure, without waiting for the others'),
      (err) => err === first,
      'readAll must reject with the first error, as soon as it happens',
    );
    reader.call('b').reject(new Error('aborted b'));
    reader.call('c').reject(new Error('aborted c'));
    await flush();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }),
);

test('rejects with the ENOENT error for a missing file', { timeout: 2000 }, () =>
  noUnhandledRejections(async () => {
    const dir = await tempDir('nonblocking-fs-');
    const present = join(dir, 'present.txt');
    await writeFile(present, 'here');
    const missing = join(dir, 'missing.txt');
    await assert.rejects(
      within(readAll([present, missing], { concurrency: 2 }), 'reading a missing file', 2000),
      (err) => err?.code === 'ENOENT',
      'a missing file must reject readAll with the ENOENT error from fs (do not swallow it or return undefined)',
    );
  }),
);

test(
  'keeps the event loop running while a slow file is read',
  { timeout: 4000, skip: process.platform === 'win32' && 'needs a FIFO' },
  async () => {
    const dir = await tempDir('nonblocking-fs-');
    const fast = join(dir, 'fast.txt');
    await writeFile(fast, 'fast');
    const slow = join(dir, 'slow.fifo');
    const made = await runProcess('mkfifo', [slow]);
    assert.equal(made.code, 0, `could not create a FIFO for the test: ${made.stderr}`);
    // A FIFO whose writer shows up 200 ms later behaves like a very slow disk: a synchronous
    // read freezes the whole process until then, an asynchronous one waits in the thread pool.
    const writer = spawn('sh', ['-c', 'sleep 0.2; printf "slow disk" > "$1"', 'sh', slow], { stdio: 'ignore' });
    let ticks = 0;
    const interval = setInterval(() => {
      ticks += 1;
    }, 5);
    try {
      const got = await within(readAll([fast, slow], { concurrency: 2 }), 'reading a slow FIFO', 2000);
      assert.deepEqual(got, ['fast', 'slow disk'], 'both files must be read as text');
      assert.ok(
        ticks >= 10,
        `a 5 ms timer ticked only ${ticks} time(s) during a 200 ms read: the read blocked the event loop. ` +
          'Use fs/promises (readFile), never readFileSync.',
      );
    } finally {
      clearInterval(interval);
      writer.kill();
    }
  },
);
