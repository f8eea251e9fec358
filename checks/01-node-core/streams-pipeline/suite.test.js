import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { gunzipSync, createGzip } from 'node:zlib';
import { importExercise, requireExport, tempDir } from './support.mjs';

const mod = await importExercise('pipe.js');
const saveStream = requireExport(mod, 'saveStream', 'function', 'pipe.js');
const writeAll = requireExport(mod, 'writeAll', 'function', 'pipe.js');

// A forced GC before each sample makes the numbers mean "memory still in use", so a
// correct solution reads ~0 MB instead of however much garbage V8 has not collected yet.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
function liveBytes() {
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}
const MB = 1024 * 1024;
const mb = (bytes) => `${(bytes / MB).toFixed(1)} MB`;

class Hang extends Error {}

/** Awaits the learner's promise with a deadline, so a hang fails with a reason. */
async function within(promise, what, ms = 3000) {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Hang(`the promise never settled: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Settles a promise into { error } (a hang still fails the test, with its reason). */
const outcome = (promise, what, ms) =>
  within(promise, what, ms).then(
    () => ({ error: undefined }),
    (error) => {
      if (error instanceof Hang) throw error;
      return { error };
    },
  );

/**
 * A Readable of `count` fresh chunks of `size` bytes, chunk i filled with the byte i & 255,
 * generated while it is read. `onRead(i)` runs before chunk i is made.
 */
function generated(count, size, onRead = () => {}) {
  let i = 0;
  return new Readable({
    highWaterMark: size,
    read() {
      onRead(i);
      if (i === count) this.push(null);
      else this.push(Buffer.alloc(size, i++ & 255));
    },
  });
}

/** A Readable that fails with `error` after `chunks` chunks of 16 KB. */
function failingSource(chunks, error) {
  let i = 0;
  return new Readable({
    read() {
      if (i++ === chunks) setImmediate(() => this.destroy(error));
      else this.push(Buffer.alloc(16 * 1024, 'a'));
    },
  });
}

const passThrough = () => new Transform({ transform: (chunk, _e, cb) => cb(null, chunk) });
const upperCase = () => new Transform({ transform: (chunk, _e, cb) => cb(null, chunk.toString('latin1').toUpperCase()) });

async function listing(dir) {
  return (await readdir(dir)).sort();
}

test('saveStream writes the transformed bytes to dest', { timeout: 3000 }, async () => {
  const dir = await tempDir('streams-pipeline-');
  const dest = join(dir, 'out.txt.gz');
  const text = Array.from({ length: 5000 }, (_, i) => `line ${i} hello\n`).join('');
  const source = Readable.from([Buffer.from(text.slice(0, 30_000)), Buffer.from(text.slice(30_000))]);
  await within(saveStream(source, dest, upperCase(), createGzip()), 'saveStream on a 90 KB input');
  const saved = gunzipSync(await readFile(dest)).toString('latin1');
  assert.equal(
    saved.length,
    text.length,
    `dest must hold the whole input after both transforms (${text.length} bytes), got ${saved.length}`,
  );
  assert.ok(
    saved === text.toUpperCase(),
    'dest must hold the input upper-cased, then gzipped — apply the transforms in the order given',
  );
  assert.deepEqual(await listing(dir), ['out.txt.gz'], 'only dest may remain in its folder: rename the temporary file onto dest');
});

test('saveStream with no transforms copies the bytes as they came', { timeout: 2000 }, async () => {
  const dir = await tempDir('streams-pipeline-');
  const dest = join(dir, 'copy.bin');
  await within(saveStream(generated(40, 1000), dest), 'saveStream without transforms');
  const saved = await readFile(dest);
  assert.equal(saved.length, 40_000, `expected 40 000 bytes in dest, got ${saved.length}`);
  assert.ok(saved[0] === 0 && saved[39_999] === 39, 'bytes must arrive unchanged and in order');
});

test('saveStream keeps memory flat while saving 64 MB generated on the fly', { timeout: 6000 }, async () => {
  const dir = await tempDir('streams-pipeline-');
  const dest = join(dir, 'big.bin');
  const CHUNK = 64 * 1024;
  const COUNT = 1024; // 64 MB
  const baseline = liveBytes();
  let peak = baseline;
  const source = generated(COUNT, CHUNK, (i) => {
    if (i % 128 === 64) peak = Math.max(peak, liveBytes());
  });
  await within(saveStream(source, dest, passThrough()), 'saving 64 MB', 5000);
  peak = Math.max(peak, liveBytes());
  const growth = peak - baseline;
  assert.ok(
    growth < (COUNT * CHUNK) / 4,
    `saving 64 MB held ${mb(growth)} in memory at its peak (must stay under ${mb((COUNT * CHUNK) / 4)}).\n` +
      'Stream it: pipeline(source, ...transforms, createWriteStream(tmp)) — never collect the chunks or write() without waiting.',
  );
  const { size } = await stat(dest);
  assert.equal(size, COUNT * CHUNK, `dest must hold all 64 MB, got ${size} bytes`);
  const file = await open(dest);
  try {
    const probe = Buffer.alloc(1);
    await file.read(probe, 0, 1, 777 * CHUNK + 5);
    assert.equal(probe[0], 777 & 255, 'chunk 777 must be in its place in dest');
  } finally {
    await file.close();
  }
});

test('saveStream rejects a failing source, destroys every stream and leaves no file', { timeout: 3000 }, async () => {
  const dir = await tempDir('streams-pipeline-');
  const boom = new Error('connection reset by peer');
  const source = failingSource(64, boom);
  const transforms = [passThrough(), upperCase()];
  const { error } = await outcome(saveStream(source, join(dir, 'out.txt'), ...transforms), 'after the source failed');
  assert.equal(error, boom, `saveStream must reject with the source's own error, got ${error?.message ?? 'success'}`);
  assert.ok(
    transforms.every((t) => t.destroyed),
    'every transform must be destroyed after a failure — pipeline does that for you',
  );
  assert.deepEqual(
    await listing(dir),
    [],
    'after a failed save neither dest nor the temporary file may be left in the folder (remove the temp file before rejecting)',
  );
});

test('saveStream rejects a failing transform, destroys every stream and leaves no file', { timeout: 3000 }, async () => {
  const dir = await tempDir('streams-pipeline-');
  const boom = new Error('transform failed on chunk 50');
  let seen = 0;
  const failing = new Transform({
    transform(chunk, _e, cb) {
      seen += 1;
      if (seen === 50) cb(boom);
      else cb(null, chunk);
    },
  });
  const source = generated(400, 16 * 1024);
  const first = passThrough();
  const { error } = await outcome(saveStream(source, join(dir, 'out.bin'), first, failing), 'after a transform failed');
  assert.equal(error, boom, `saveStream must reject with the transform's error, got ${error?.message ?? 'success'}`);
  assert.ok(source.destroyed, 'the source must be destroyed when a later stage fails, or it stays open and leaks');
  assert.ok(first.destroyed && failing.destroyed, 'every transform must be destroyed after a failure');
  assert.deepEqual(await listing(dir), [], 'a failed save must leave no dest and no temporary file');
});

test('saveStream rejects when dest cannot be written and destroys the source', { timeout: 2000 }, async () => {
  const dir = await tempDir('streams-pipeline-');
  const source = generated(100, 16 * 1024);
  const upper = upperCase();
  const { error } = await outcome(
    saveStream(source, join(dir, 'no-such-folder', 'out.txt'), upper),
    'writing into a missing folder',
  );
  assert.equal(
    error?.code,
    'ENOENT',
    `a dest inside a missing folder must reject with ENOENT, got ${error?.code ?? error?.message ?? 'success'}`,
  );
  assert.ok(
    source.destroyed && upper.destroyed,
    'when the file cannot be opened, the source and transforms must be destroyed too',
  );
  assert.deepEqual(await listing(dir), [], 'nothing may be created next to the missing folder');
});

test(
  'saveStream leaves an existing dest untouched when the save fails, and replaces it on success',
  { timeout: 3000 },
  async () => {
    const dir = await tempDir('streams-pipeline-');
    const dest = join(dir, 'report.csv');
    await writeFile(dest, 'old,report\n');
    const { error } = await outcome(saveStream(failingSource(8, new Error('disk full')), dest), 'after the source failed');
    assert.ok(error, 'saveStream must reject when the source fails');
    const after = await readFile(dest, 'utf8').catch((e) => `<${e.code}: dest is gone>`);
    assert.equal(
      after,
      'old,report\n',
      'a failed save must not truncate or overwrite the existing dest: write to a temporary file and rename only on success',
    );
    assert.deepEqual(await listing(dir), ['report.csv'], 'no temporary file may be left after the failure');
    await within(saveStream(Readable.from([Buffer.from('new,report\n')]), dest), 'replacing dest');
    assert.equal(await readFile(dest, 'utf8'), 'new,report\n', 'a successful save must replace dest');
    assert.deepEqual(await listing(dir), ['report.csv'], 'only dest may remain after the successful save');
  },
);

test('saveStream removes the temporary file when the final rename fails', { timeout: 2000 }, async () => {
  const dir = await tempDir('streams-pipeline-');
  const dest = join(dir, 'taken');
  await mkdir(dest);
  await writeFile(join(dest, 'keep.txt'), 'x');
  const { error } = await outcome(saveStream(generated(10, 1000), dest), 'renaming onto a folder');
  assert.ok(error?.code, `renaming onto a non-empty folder must reject with the fs error, got ${error?.message ?? 'success'}`);
  assert.deepEqual(await listing(dir), ['taken'], 'the temporary file must be removed when the rename fails');
});

/** A Writable that takes a turn of the event loop per chunk and records what it got. */
function slowSink({ highWaterMark = 16 * 1024, finalDelay = 0 } = {}) {
  const received = [];
  const sink = new Writable({
    highWaterMark,
    write(chunk, _e, cb) {
      received.push(chunk);
      setImmediate(cb);
    },
    final(cb) {
      setTimeout(cb, finalDelay);
    },
  });
  sink.received = received;
  sink.maxQueued = 0;
  const write = sink.write.bind(sink);
  sink.write = (...args) => {
    const result = write(...args);
    sink.maxQueued = Math.max(sink.maxQueued, sink.writableLength);
    return result;
  };
  sink.on('error', () => {}); // the suite inspects errors itself
  return sink;
}

test('writeAll writes every chunk in order, ends the writable and resolves after finish', { timeout: 2000 }, async () => {
  const sink = slowSink({ finalDelay: 30 });
  async function* chunks() {
    for (let i = 0; i < 50; i += 1) yield `chunk ${i};`;
  }
  await within(writeAll(sink, chunks()), 'writing 50 chunks from an async generator');
  assert.ok(
    sink.writableFinished,
    "writeAll must resolve only after the writable emitted 'finish' (end() it, then wait for 'finish')",
  );
  const text = Buffer.concat(sink.received).toString();
  assert.equal(text, Array.from({ length: 50 }, (_, i) => `chunk ${i};`).join(''), 'every chunk must arrive, in order');

  const arraySink = slowSink();
  await within(writeAll(arraySink, [Buffer.from('a'), Buffer.from('b')]), 'writing an array');
  assert.equal(Buffer.concat(arraySink.received).toString(), 'ab', 'plain (sync) iterables such as arrays must work too');
  const emptySink = slowSink();
  await within(writeAll(emptySink, []), 'writing no chunks');
  assert.ok(emptySink.writableFinished, 'with no chunks the writable must still be ended and finished');
});

test("writeAll waits for 'drain' and never queues more than highWaterMark plus one chunk", { timeout: 3000 }, async () => {
  const sink = slowSink({ highWaterMark: 16 * 1024 });
  let pulled = 0;
  let maxAhead = 0;
  function* chunks() {
    for (; pulled < 600;) {
      maxAhead = Math.max(maxAhead, pulled - sink.received.length);
      pulled += 1;
      yield Buffer.alloc(4096, 'z');
    }
  }
  await within(writeAll(sink, chunks()), 'writing 600 chunks into a slow writable');
  assert.equal(sink.received.length, 600, `all 600 chunks must be written, got ${sink.received.length}`);
  assert.ok(
    sink.maxQueued <= 16 * 1024 + 4096,
    `${sink.maxQueued} bytes queued up in a writable with a 16 KB highWaterMark.\n` +
      "When write() returns false, stop and wait for 'drain' before writing the next chunk.",
  );
  assert.ok(maxAhead <= 8, `the producer ran ${maxAhead} chunks ahead of the writable; take the next chunk only after 'drain'`);
  assert.ok(
    sink.listenerCount('drain') <= 1,
    `${sink.listenerCount('drain')} 'drain' listeners were left on the writable — use once()`,
  );
  assert.ok(sink.listenerCount('error') <= 2, `${sink.listenerCount('error')} 'error' listeners were left on the writable`);
});

test('writeAll keeps memory flat while writing 64 MB generated on the fly', { timeout: 6000 }, async () => {
  const sink = new Writable({
    highWaterMark: 64 * 1024,
    write(_chunk, _e, cb) {
      setImmediate(cb);
    },
  });
  sink.on('error', () => {});
  const CHUNK = 64 * 1024;
  const COUNT = 1024;
  const baseline = liveBytes();
  let peak = baseline;
  function* chunks() {
    for (let i = 0; i < COUNT; i += 1) {
      if (i % 128 === 64) peak = Math.max(peak, liveBytes());
      yield Buffer.alloc(CHUNK, i & 255);
    }
  }
  await within(writeAll(sink, chunks()), 'writing 64 MB', 5000);
  peak = Math.max(peak, liveBytes());
  const growth = peak - baseline;
  assert.ok(
    growth < (COUNT * CHUNK) / 4,
    `writing 64 MB held ${mb(growth)} in memory at its peak (must stay under ${mb((COUNT * CHUNK) / 4)}): ` +
      "chunks piled up in the writable's buffer. Wait for 'drain' whenever write() returns false.",
  );
});

test(
  "writeAll rejects when the writable fails while waiting for 'drain', and stops the producer",
  { timeout: 3000 },
  async () => {
    const boom = new Error('EPIPE: broken pipe');
    const sink = new Writable({
      highWaterMark: 1024,
      write() {
        // never calls back: the first write fills the buffer, then the writable dies
        setImmediate(() => this.destroy(boom));
      },
    });
    sink.on('error', () => {});
    let pulled = 0;
    let closed = false;
    function* chunks() {
      try {
        // bounded, so a producer that ignores backpressure ends instead of spinning forever
        while (pulled < 2000) {
          pulled += 1;
          yield Buffer.alloc(4096, 'q');
        }
      } finally {
        closed = true;
      }
    }
    const { error } = await outcome(
      writeAll(sink, chunks()),
      "writeAll is still waiting for a 'drain' from a writable that failed — 'drain' will never come. " +
        "events.once(writable, 'drain') rejects when 'error' fires first",
      1000,
    );
    assert.equal(error, boom, `writeAll must reject with the writable's error, got ${error?.message ?? 'success'}`);
    assert.equal(pulled, 1, `no chunk may be taken from the source after the writable failed (took ${pulled})`);
    assert.ok(closed, 'the source iterator must be closed (leave the for-await loop by throwing, and its finally block runs)');
  },
);

test('writeAll destroys the writable with the error when the source throws', { timeout: 2000 }, async () => {
  const boom = new Error('source failed');
  const sink = slowSink();
  async function* chunks() {
    yield 'first;';
    yield 'second;';
    throw boom;
  }
  const { error } = await outcome(writeAll(sink, chunks()), 'after the source threw', 1000);
  assert.equal(error, boom, `writeAll must reject with the source's error, got ${error?.message ?? 'success'}`);
  assert.ok(sink.destroyed, 'the writable must be destroyed when the source fails — otherwise it stays open forever');
  assert.equal(
    sink.errored,
    boom,
    'destroy the writable *with* the error (writable.destroy(error)) so whoever reads it learns why',
  );
});
