import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importExercise, requireExport, seededRandom } from './support.mjs';

const mod = await importExercise('frame.js');
const encodeFrame = requireExport(mod, 'encodeFrame', 'function', 'frame.js');
const FrameDecoder = requireExport(mod, 'FrameDecoder', 'function', 'frame.js');

// The suite builds its own frames so the decoder tests do not depend on encodeFrame.
function frame(type, payload, version = 1) {
  const body = Buffer.from(payload);
  const header = Buffer.from([version, type, 0, 0, 0, 0]);
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

const hex = (buf) => Buffer.from(buf).toString('hex').replace(/(..)(?!$)/g, '$1 ');
const show = (frames) =>
  JSON.stringify(frames.map((f) => ({ type: f?.type, payload: f?.payload ? Buffer.from(f.payload).toString() : f?.payload })));
const plain = (frames) => frames.map((f) => ({ type: f.type, payload: Buffer.from(f.payload) }));

function pushAll(decoder, chunks) {
  const out = [];
  for (const chunk of chunks) {
    const frames = decoder.push(chunk);
    assert.ok(Array.isArray(frames), `push(chunk) must return an array of frames (got ${typeof frames})`);
    out.push(...frames);
  }
  return out;
}

function throwsCode(fn, code, what) {
  let caught;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught, `${what}: expected an Error with code '${code}', but nothing was thrown`);
  assert.equal(caught.code, code, `${what}: expected error.code '${code}', got ${JSON.stringify(caught.code)} (${caught.message})`);
}

test('encodeFrame writes version, type and a big-endian length before the payload', { timeout: 2000 }, () => {
  const payload = Buffer.alloc(300, 0xab);
  const out = encodeFrame(7, payload);
  assert.ok(Buffer.isBuffer(out), `encodeFrame must return a Buffer (got ${out?.constructor?.name ?? typeof out})`);
  assert.equal(
    hex(out.subarray(0, 6)),
    '01 07 00 00 01 2c',
    `a 300-byte payload of type 7 needs the header 01 07 00 00 01 2c (300 = 0x0000012c, most significant byte first); ` +
      `got ${hex(out.subarray(0, 6))}. A header ending in 2c 01 00 00 is little-endian: use writeUInt32BE`,
  );
  assert.equal(out.length, 306, `the frame must be 6 header bytes + 300 payload bytes, got ${out.length}`);
  assert.deepEqual(out.subarray(6), payload, 'the payload bytes must follow the header unchanged');
});

test('encodeFrame measures a string payload in UTF-8 bytes, not characters', { timeout: 2000 }, () => {
  const text = 'héllo wörld €';
  const bytes = Buffer.from(text, 'utf8');
  const out = encodeFrame(1, text);
  const length = out.readUInt32BE(2);
  assert.equal(
    length,
    bytes.length,
    `'${text}' is ${text.length} characters but ${bytes.length} UTF-8 bytes; the header must hold ${bytes.length}, got ${length}. ` +
      'string.length counts UTF-16 code units, Buffer.byteLength counts bytes',
  );
  assert.equal(hex(out.subarray(6)), hex(bytes), 'the payload must be the UTF-8 bytes of the string');
});

test('encodeFrame rejects a type outside 0–255 with a RangeError', { timeout: 2000 }, () => {
  for (const type of [256, -1, 2.5, Number.NaN, 1000]) {
    assert.throws(() => encodeFrame(type, 'x'), RangeError, `encodeFrame(${type}, 'x') must throw a RangeError: the type is one unsigned byte`);
  }
  for (const type of [0, 255]) {
    const out = encodeFrame(type, 'x');
    assert.equal(out[1], type, `type ${type} is valid and must be written as byte 1 (got ${out[1]})`);
  }
});

test('decodes every frame of a chunk that holds several, in order', { timeout: 2000 }, () => {
  const chunk = Buffer.concat([frame(1, 'first'), frame(2, 'second one'), frame(3, 'third')]);
  const frames = new FrameDecoder().push(chunk);
  assert.deepEqual(
    plain(frames),
    [
      { type: 1, payload: Buffer.from('first') },
      { type: 2, payload: Buffer.from('second one') },
      { type: 3, payload: Buffer.from('third') },
    ],
    `one chunk with three frames must give three frames in order, got ${show(frames)}. Keep cutting frames until fewer than a whole frame is left`,
  );
  assert.ok(Buffer.isBuffer(frames[0].payload), 'each payload must be a Buffer');
});

test('decodes a frame split at every possible byte, header included', { timeout: 2000 }, () => {
  const whole = frame(9, 'split me anywhere');
  for (let at = 1; at < whole.length; at++) {
    const decoder = new FrameDecoder();
    const first = decoder.push(whole.subarray(0, at));
    assert.deepEqual(first, [], `after only ${at} of ${whole.length} bytes no frame is complete, yet push returned ${show(first)}`);
    const second = decoder.push(whole.subarray(at));
    assert.deepEqual(
      plain(second),
      [{ type: 9, payload: Buffer.from('split me anywhere') }],
      `a frame split after byte ${at} must come out whole once the rest arrives, got ${show(second)}`,
    );
  }
  const decoder = new FrameDecoder();
  const oneByOne = pushAll(decoder, [...whole].map((byte) => Buffer.from([byte])));
  assert.deepEqual(plain(oneByOne), [{ type: 9, payload: Buffer.from('split me anywhere') }], `pushed one byte at a time, got ${show(oneByOne)}`);
});

test('keeps the bytes after a frame as the start of the next one', { timeout: 2000 }, () => {
  const a = frame(1, 'alpha');
  const b = frame(2, 'bravo!');
  const c = frame(3, 'charlie');
  const stream = Buffer.concat([a, b, c]);
  const cut1 = a.length + 3; // inside b's header
  const cut2 = a.length + b.length + 8; // inside c's payload
  const decoder = new FrameDecoder();
  const got = [decoder.push(stream.subarray(0, cut1)), decoder.push(stream.subarray(cut1, cut2)), decoder.push(stream.subarray(cut2))];
  assert.deepEqual(
    got.map(plain),
    [[{ type: 1, payload: Buffer.from('alpha') }], [{ type: 2, payload: Buffer.from('bravo!') }], [{ type: 3, payload: Buffer.from('charlie') }]],
    `chunks [alpha + 3 bytes of bravo] [rest of bravo + 8 bytes of charlie] [rest of charlie] must give one frame each, got ${got
      .map(show)
      .join(' ')}. The bytes after a complete frame belong to the next one: keep them`,
  );
});

test('decodes empty payloads, also when one ends a chunk', { timeout: 2000 }, () => {
  const alone = new FrameDecoder().push(frame(5, ''));
  assert.deepEqual(
    plain(alone),
    [{ type: 5, payload: Buffer.alloc(0) }],
    `a chunk that is exactly one 6-byte header with length 0 is a whole frame, got ${show(alone)}. Loop while at least HEADER_SIZE bytes are buffered (>=, not >)`,
  );
  const decoder = new FrameDecoder();
  const mixed = decoder.push(Buffer.concat([frame(0, ''), frame(1, 'a'), frame(2, '')]));
  assert.deepEqual(
    plain(mixed),
    [
      { type: 0, payload: Buffer.alloc(0) },
      { type: 1, payload: Buffer.from('a') },
      { type: 2, payload: Buffer.alloc(0) },
    ],
    `empty, 'a', empty in one chunk must give three frames, got ${show(mixed)}`,
  );
  assert.doesNotThrow(() => decoder.end(), 'after whole frames (empty ones included) nothing is left, so end() must not throw');
});

test('rejects an oversized length from the header alone', { timeout: 2000 }, () => {
  const header = Buffer.from([1, 4, 0, 0, 0, 17]);
  throwsCode(
    () => new FrameDecoder({ maxPayload: 16 }).push(header),
    'ERR_FRAME_TOO_LARGE',
    'with maxPayload 16, a header declaring 17 bytes must be rejected before any payload arrives',
  );
  throwsCode(
    () => new FrameDecoder().push(Buffer.from([1, 4, 0xff, 0xff, 0xff, 0xff])),
    'ERR_FRAME_TOO_LARGE',
    'with the default maxPayload (1 MiB), a header declaring 4 GiB must be rejected at once',
  );
  const exact = new FrameDecoder({ maxPayload: 16 }).push(frame(4, 'x'.repeat(16)));
  assert.deepEqual(plain(exact), [{ type: 4, payload: Buffer.from('x'.repeat(16)) }], `a payload of exactly maxPayload (16) bytes is allowed, got ${show(exact)}`);
});

test('rejects a frame whose version is not 1', { timeout: 2000 }, () => {
  throwsCode(() => new FrameDecoder().push(frame(1, 'hi', 2)), 'ERR_FRAME_VERSION', 'a header starting with version byte 2');
  throwsCode(
    () => new FrameDecoder().push(Buffer.concat([Buffer.from('GET / HTTP/1.1\r\n')])),
    'ERR_FRAME_VERSION',
    'text from the wrong protocol (an HTTP request line)',
  );
});

test('end() reports a truncated frame and is quiet after whole frames', { timeout: 2000 }, () => {
  const whole = new FrameDecoder();
  whole.push(frame(1, 'complete'));
  assert.doesNotThrow(() => whole.end(), 'end() after a complete frame must not throw');

  const midPayload = new FrameDecoder();
  midPayload.push(frame(1, 'complete').subarray(0, 9));
  throwsCode(() => midPayload.end(), 'ERR_FRAME_TRUNCATED', 'the stream ended 3 bytes into an 8-byte payload');

  const midHeader = new FrameDecoder();
  midHeader.push(Buffer.from([1, 1, 0]));
  throwsCode(() => midHeader.end(), 'ERR_FRAME_TRUNCATED', 'the stream ended after 3 bytes of a header');
});

test('round-trips hundreds of random frames cut into random chunks', { timeout: 2000 }, () => {
  const random = seededRandom();
  const sent = [];
  for (let i = 0; i < 300; i++) {
    const size = random() < 0.1 ? 0 : Math.floor(random() * 2000);
    const payload = Buffer.alloc(size);
    for (let j = 0; j < size; j++) payload[j] = Math.floor(random() * 256);
    sent.push({ type: Math.floor(random() * 256), payload });
  }
  const stream = Buffer.concat(sent.map((f) => encodeFrame(f.type, f.payload)));
  const chunks = [];
  for (let at = 0; at < stream.length; ) {
    const size = 1 + Math.floor(random() * (random() < 0.5 ? 16 : 5000));
    chunks.push(stream.subarray(at, at + size));
    at += size;
  }
  const decoder = new FrameDecoder();
  const received = pushAll(decoder, chunks);
  assert.equal(received.length, sent.length, `${sent.length} frames were sent in ${chunks.length} chunks, ${received.length} came back`);
  for (let i = 0; i < sent.length; i++) {
    assert.equal(received[i].type, sent[i].type, `frame ${i}: type ${sent[i].type} expected, got ${received[i].type}`);
    assert.ok(
      Buffer.from(received[i].payload).equals(sent[i].payload),
      `frame ${i}: the ${sent[i].payload.length}-byte payload came back different (${received[i].payload?.length} bytes)`,
    );
  }
  assert.doesNotThrow(() => decoder.end(), 'every byte was part of a whole frame, so end() must not throw');
});
