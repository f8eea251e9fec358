import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { importExercise, requireExport, seededRandom } from './support.mjs';

const mod = await importExercise('ndjson.js');
const createNdjsonParser = requireExport(mod, 'createNdjsonParser', 'function', 'ndjson.js');

const bytes = (text) => Buffer.from(text, 'utf8');

/** Cuts a buffer into pieces ending at the given byte offsets. */
function cutAt(buffer, offsets) {
  const pieces = [];
  let start = 0;
  for (const end of [...offsets, buffer.length]) {
    pieces.push(buffer.subarray(start, end));
    start = end;
  }
  return pieces;
}
const oneByteAtATime = (buffer) =>
  cutAt(
    buffer,
    Array.from({ length: buffer.length - 1 }, (_, i) => i + 1),
  );

/** A fresh parser, checked to be a Transform with an object-mode readable side. */
function parser(options) {
  const stream = createNdjsonParser(options);
  assert.ok(
    stream instanceof Transform,
    `createNdjsonParser must return a Transform stream (from node:stream), got ${stream?.constructor?.name}`,
  );
  return stream;
}

/**
 * Pipes the chunks (an array or any iterable) through a new parser and collects what
 * comes out. Never hangs: a parser that forgets its callback fails with a message instead
 * of stalling the suite, and one that throws gets told why that crashes a server.
 */
async function run(chunks, options) {
  const records = [];
  const sink = new Writable({
    objectMode: true,
    write(record, _encoding, callback) {
      records.push(record);
      callback();
    },
  });
  let error;
  let timer;
  let crash;
  const crashed = new Promise((_, reject) => {
    crash = reject;
  });
  process.setUncaughtExceptionCaptureCallback((thrown) =>
    crash(
      new Error(
        `the parser threw "${thrown?.message}" instead of passing it to the callback: an exception thrown inside ` +
          'transform() or flush() escapes the stream and crashes the process. Catch it and call callback(error).',
      ),
    ),
  );
  const stream = parser(options);
  try {
    await Promise.race([
      pipeline(Readable.from(chunks), stream, sink),
      crashed,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error('the parser stalled: every transform() and flush() call must end by calling its callback')),
          1000,
        );
      }),
    ]);
  } catch (caught) {
    if (caught?.message?.startsWith('the parser ')) throw caught;
    error = caught;
  } finally {
    clearTimeout(timer);
    process.setUncaughtExceptionCaptureCallback(null);
  }
  return { records, error };
}

const show = (chunks) => JSON.stringify(chunks.map((c) => c.toString('latin1')));

/** Fails with the pipeline's error if there was one, so the learner sees what broke. */
function assertParsed({ records, error }, expected, context) {
  assert.ok(error === undefined, `${context}: the stream failed with ${error?.name}: ${error?.message}`);
  assert.deepEqual(records, expected, `${context}: wrong objects came out`);
}

test('parses one object per line, in order, into an object-mode readable', { timeout: 1000 }, async () => {
  const stream = parser();
  assert.equal(stream.readableObjectMode, true, 'the readable side must be in object mode (readableObjectMode: true)');
  const input = bytes('{"id":1,"name":"ada"}\n{"id":2,"tags":["a","b"],"nested":{"ok":true}}\n{"id":3,"n":null}\n');
  assertParsed(
    await run([input]),
    [
      { id: 1, name: 'ada' },
      { id: 2, tags: ['a', 'b'], nested: { ok: true } },
      { id: 3, n: null },
    ],
    'three lines in one chunk',
  );
});

test('gives the same objects wherever the chunks are cut', { timeout: 3000 }, async () => {
  const expected = [{ a: 1 }, { b: 'two words' }, { c: [1, 2, 3] }, { d: { e: 'f' } }];
  const input = bytes(expected.map((o) => JSON.stringify(o)).join('\n') + '\n');
  for (let cut = 1; cut < input.length; cut += 1) {
    const chunks = cutAt(input, [cut]);
    assertParsed(await run(chunks), expected, `input cut in two at byte ${cut}: ${show(chunks)}`);
  }
  assertParsed(await run(oneByteAtATime(input)), expected, 'input fed one byte at a time');
  const random = seededRandom();
  const many = Array.from({ length: 2000 }, (_, i) => ({ i, text: 'x'.repeat(Math.floor(random() * 40)) }));
  const big = bytes(many.map((o) => JSON.stringify(o)).join('\n') + '\n');
  const offsets = [];
  for (let at = 0; at < big.length; at += 1 + Math.floor(random() * 700)) if (at > 0) offsets.push(at);
  assertParsed(await run(cutAt(big, offsets)), many, '2 000 lines in random-sized chunks');
});

test('decodes multi-byte UTF-8 characters cut between chunks', { timeout: 2000 }, async () => {
  const expected = [{ word: 'café' }, { price: '12 €' }, { city: '日本' }, { mood: '😀' }];
  const input = bytes(expected.map((o) => JSON.stringify(o)).join('\n') + '\n');
  const hint = 'decode with a StringDecoder kept across chunks — chunk.toString() turns a character cut in half into \uFFFD';
  assertParsed(await run(oneByteAtATime(input)), expected, `input fed one byte at a time (${hint})`);
  for (let cut = 1; cut < input.length; cut += 1) {
    assertParsed(await run(cutAt(input, [cut])), expected, `input cut in two at byte ${cut} (${hint})`);
  }
});

test('parses CRLF line endings and skips blank CRLF lines', { timeout: 1000 }, async () => {
  const input = bytes('{"a":1}\r\n\r\n{"b":"x"}\r\n   \r\n{"c":3}\r\n');
  const expected = [{ a: 1 }, { b: 'x' }, { c: 3 }];
  assertParsed(await run([input]), expected, 'CRLF input in one chunk (a line of just "\\r" is blank)');
  assertParsed(await run(oneByteAtATime(input)), expected, 'CRLF input one byte at a time ("\\r" and "\\n" in different chunks)');
});

test('emits a last line that has no newline', { timeout: 1000 }, async () => {
  assertParsed(
    await run([bytes('{"a":1}\n{"b":'), bytes('2}')]),
    [{ a: 1 }, { b: 2 }],
    'input ending without "\\n": parse what is left in flush',
  );
  assertParsed(await run([bytes('{"only":true}')]), [{ only: true }], 'a single line without newline');
  assertParsed(await run([bytes('{"a":1}\r\n{"b":2}\r')]), [{ a: 1 }, { b: 2 }], 'input ending in a lone "\\r"');
  assertParsed(await run([]), [], 'empty input must end cleanly with no objects');
});

test('emits objects as soon as their line is complete, before the input ends', { timeout: 1000 }, async () => {
  const stream = parser();
  stream.on('error', () => {});
  stream.write(bytes('{"a":1}\n{"b":2}\n{"c":'));
  await new Promise((resolve) => setImmediate(resolve));
  const early = [];
  for (let record = stream.read(); record !== null; record = stream.read()) early.push(record);
  assert.deepEqual(
    early,
    [{ a: 1 }, { b: 2 }],
    'two complete lines were written and the input is still open: their objects must be readable now — push each line as it completes instead of collecting everything for flush',
  );
  stream.destroy();
});

test('skips empty and whitespace-only lines', { timeout: 1000 }, async () => {
  assertParsed(await run([bytes('\n\n{"a":1}\n \t \n\n{"b":2}\n\n')]), [{ a: 1 }, { b: 2 }], 'blank lines must be skipped');
});

test('fails with a SyntaxError naming the line of invalid JSON', { timeout: 2000 }, async () => {
  const cases = [
    {
      chunks: [bytes('{"a":1}\n\n{"b":2}\n{oops}\n{"c":3}\n')],
      line: 4,
      what: 'line 4 is not JSON (line 2 is blank but still counts)',
    },
    {
      chunks: [bytes('{"a":1}\r\n\r\n{"b":'), bytes('2\r\n')],
      line: 3,
      what: 'line 3 is cut across chunks and unfinished ({"b":2 with no closing brace)',
    },
    { chunks: [bytes('{"a":1}\n{"b":2}\n{"c"')], line: 3, what: 'the last line, without newline, is broken' },
  ];
  for (const { chunks, line, what } of cases) {
    const { error } = await run(chunks);
    assert.ok(
      error instanceof SyntaxError,
      `${what}: the stream must fail with a SyntaxError, got ${error ? `${error.name}: ${error.message}` : 'no error'}`,
    );
    assert.equal(
      error.lineNumber,
      line,
      `${what}: error.lineNumber must be ${line} (lines count from 1, blank ones included, "\\r\\n" is one line end)`,
    );
    assert.match(
      error.message,
      new RegExp(`line ${line}\\b`),
      `${what}: the message must say "line ${line}", got "${error.message}"`,
    );
  }
});

test('fails on a line that is valid JSON but not an object, null included', { timeout: 2000 }, async () => {
  for (const value of ['42', '"text"', '[1,2]', 'null', 'true']) {
    const { error, records } = await run([bytes(`{"ok":1}\n${value}\n{"ok":2}\n`)]);
    assert.ok(
      error instanceof SyntaxError,
      `a line holding ${value} must fail the stream with a SyntaxError (every line must be a JSON object), got ${error ? error.name : `no error and ${JSON.stringify(records)}`}`,
    );
    assert.equal(error.lineNumber, 2, `the error for ${value} on line 2 must have lineNumber 2`);
  }
});

test('fails an endless line with a RangeError before reading all of it', { timeout: 2000 }, async () => {
  let pulled = 0;
  function* endless() {
    yield bytes('{"ok":1}\n');
    for (; pulled < 2000; pulled += 1) yield Buffer.alloc(1024, 'x');
  }
  const { error } = await run(endless(), { maxLineLength: 10_000 });
  assert.ok(
    error instanceof RangeError,
    `2 MB without a newline and maxLineLength 10 000 must fail with a RangeError, got ${error ? `${error.name}: ${error.message}` : 'no error'}`,
  );
  assert.equal(error.lineNumber, 2, 'the endless line is line 2');
  assert.ok(
    pulled < 100,
    `the parser read ${pulled} KB of one line before failing; check the length of the unfinished line after every chunk, not only when a newline arrives`,
  );
});

test('accepts a line of exactly maxLineLength characters', { timeout: 1000 }, async () => {
  const line = JSON.stringify({ pad: 'é'.repeat(90) }); // 100 characters, 190 bytes
  assert.equal(line.length, 100);
  assertParsed(
    await run([bytes(`${line}\r\n`)], { maxLineLength: 100 }),
    [JSON.parse(line)],
    'a 100-character line with maxLineLength 100',
  );
  assertParsed(
    await run(oneByteAtATime(bytes(`${line}\r\n${line}`)), { maxLineLength: 100 }),
    [JSON.parse(line), JSON.parse(line)],
    'two 100-character lines one byte at a time with maxLineLength 100 (the line ending does not count)',
  );
  const { error } = await run([bytes(`${line} \n`)], { maxLineLength: 100 });
  assert.ok(
    error instanceof RangeError,
    `a 101-character line with maxLineLength 100 must fail with a RangeError, got ${error?.name ?? 'no error'}`,
  );
});
