import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { importExercise, requireExport, seededRandom } from './support.mjs';

const mod = await importExercise('secure.js');
const sign = requireExport(mod, 'sign', 'function', 'secure.js');
const verify = requireExport(mod, 'verify', 'function', 'secure.js');
const hashStream = requireExport(mod, 'hashStream', 'function', 'secure.js');
const randomToken = requireExport(mod, 'randomToken', 'function', 'secure.js');

const realCreateHash = crypto.createHash;
const realCreateHmac = crypto.createHmac;
const hmacHex = (payload, secret) => realCreateHmac('sha256', secret).update(payload).digest('hex');
const sha256 = (data) => realCreateHash('sha256').update(data).digest('hex');

/**
 * Replaces a node:crypto function for the duration of `fn`. syncBuiltinESMExports makes
 * `import { x } from 'node:crypto'` in the learner's module see the replacement too.
 */
async function withMocked(name, implementation, fn) {
  const spy = implementation ? mock.method(crypto, name, implementation) : mock.method(crypto, name);
  syncBuiltinESMExports();
  try {
    return await fn(spy);
  } finally {
    spy.mock.restore();
    syncBuiltinESMExports();
  }
}

const streamOf = (chunks) => {
  let i = 0;
  return new Readable({
    read() {
      this.push(i < chunks.length ? chunks[i++] : null);
    },
  });
};

async function within(ms, promise, message) {
  const result = await Promise.race([promise, sleep(ms, 'timeout', { ref: false })]);
  if (result === 'timeout') assert.fail(message);
  return result;
}

const SECRET = 'webhook-secret-42';
const PAYLOAD = '{"event":"invoice.paid","amount":4200}';

test('sign returns the lowercase hex HMAC-SHA256 (RFC 4231 test vector)', { timeout: 2000 }, () => {
  const expected = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
  const got = sign('what do ya want for nothing?', 'Jefe');
  assert.equal(got, expected, 'sign("what do ya want for nothing?", "Jefe") must be the RFC 4231 value: createHmac("sha256", secret).update(payload).digest("hex")');
  assert.equal(
    sign(Buffer.from('what do ya want for nothing?'), Buffer.from('Jefe')),
    expected,
    'a Buffer payload and a Buffer secret must sign the same bytes as their string forms',
  );
  assert.equal(sign('héllo', SECRET), hmacHex(Buffer.from('héllo', 'utf8'), SECRET), 'a string payload is signed as its UTF-8 bytes');
});

test('sign and verify refuse an empty or missing secret with a TypeError', { timeout: 2000 }, () => {
  for (const secret of ['', undefined, null, Buffer.alloc(0)]) {
    const shown = Buffer.isBuffer(secret) ? 'an empty Buffer' : JSON.stringify(secret) ?? 'undefined';
    assert.throws(() => sign(PAYLOAD, secret), TypeError, `sign with secret ${shown} must throw a TypeError: an empty key lets anyone forge signatures`);
    const forged = hmacHex(PAYLOAD, Buffer.alloc(0));
    assert.throws(
      () => verify(PAYLOAD, forged, secret),
      TypeError,
      `verify with secret ${shown} must throw a TypeError (a missing WEBHOOK_SECRET is a config bug, and with an empty key anyone can compute ${forged.slice(0, 12)}…)`,
    );
  }
});

test('verify accepts what sign produced, in lowercase or uppercase hex', { timeout: 2000 }, () => {
  const signature = hmacHex(PAYLOAD, SECRET);
  assert.equal(verify(PAYLOAD, signature, SECRET), true, 'verify must accept the correct signature');
  assert.equal(
    verify(PAYLOAD, signature.toUpperCase(), SECRET),
    true,
    'the same digest written in uppercase hex must verify too: decode the signature with Buffer.from(signature, "hex") and compare the bytes, not the strings',
  );
  assert.equal(verify(Buffer.from(PAYLOAD), signature, Buffer.from(SECRET)), true, 'Buffer payloads and secrets must verify like their string forms');
});

test('verify rejects a changed payload, a wrong secret and a changed signature', { timeout: 2000 }, () => {
  const signature = hmacHex(PAYLOAD, SECRET);
  assert.equal(verify(PAYLOAD.replace('4200', '1'), signature, SECRET), false, 'a tampered payload (amount changed) must not verify');
  assert.equal(verify(PAYLOAD + ' ', signature, SECRET), false, 'one extra byte of payload must not verify');
  assert.equal(verify(PAYLOAD, signature, `${SECRET}x`), false, 'a signature made with another secret must not verify');
  for (const at of [0, 31, 63]) {
    const flipped = signature.slice(0, at) + (signature[at] === '0' ? '1' : '0') + signature.slice(at + 1);
    assert.equal(verify(PAYLOAD, flipped, SECRET), false, `a signature with hex digit ${at} changed must not verify`);
  }
});

test('verify returns false, without throwing, for short, long, non-hex and non-string signatures', { timeout: 2000 }, () => {
  const signature = hmacHex(PAYLOAD, SECRET);
  const cases = {
    'an empty string': '',
    'a short hex string': signature.slice(0, 62),
    'a 65-character string': `${signature}0`,
    'the right signature followed by "zz"': `${signature}zz`,
    '64 non-hex characters': 'g'.repeat(64),
    'the right signature with its last digit replaced by "z"': `${signature.slice(0, 63)}z`,
    undefined,
    null: null,
    'a number': 12345,
    'an object': { signature },
  };
  for (const [label, value] of Object.entries(cases)) {
    let result;
    try {
      result = verify(PAYLOAD, value, SECRET);
    } catch (error) {
      assert.fail(
        `verify with ${label} threw ${error.name}: ${error.message}. A bad signature is attacker input: return false. ` +
          'timingSafeEqual throws when the lengths differ, so check the shape (64 hex characters) first',
      );
    }
    assert.equal(
      result,
      false,
      `verify with ${label} must return false. Note Buffer.from(text, "hex") stops at the first non-hex character, so "${signature.slice(0, 8)}…zz" ` +
        'decodes to the valid digest: require exactly 64 hex characters',
    );
  }
});

test('verify compares the digests with crypto.timingSafeEqual, for right and wrong signatures', { timeout: 2000 }, async () => {
  const signature = hmacHex(PAYLOAD, SECRET);
  const wrong = hmacHex(`${PAYLOAD}!`, SECRET);
  await withMocked('timingSafeEqual', null, (spy) => {
    assert.equal(verify(PAYLOAD, signature, SECRET), true, 'verify must still accept the right signature');
    assert.ok(spy.mock.callCount() >= 1, 'verify must compare with crypto.timingSafeEqual (it was not called for a valid signature); === leaks timing');
    const before = spy.mock.callCount();
    assert.equal(verify(PAYLOAD, wrong, SECRET), false, 'verify must reject a well-formed wrong signature');
    assert.ok(
      spy.mock.callCount() > before,
      'a well-formed but wrong signature must also go through timingSafeEqual: an early return on a mismatch leaks the same timing as ===',
    );
    const [a, b] = spy.mock.calls.at(-1).arguments;
    assert.equal(a.length, b.length, 'timingSafeEqual needs two buffers of the same length');
  });
});

test('hashStream resolves to the sha256 hex of a multi-chunk stream and of an empty one', { timeout: 2000 }, async () => {
  const random = seededRandom();
  const chunks = Array.from({ length: 40 }, (_, i) => Buffer.from(Array.from({ length: 500 + i * 37 }, () => Math.floor(random() * 256))));
  const expected = sha256(Buffer.concat(chunks));
  const got = await within(1500, hashStream(streamOf(chunks)), 'hashStream never settled for a 40-chunk stream');
  assert.equal(got, expected, 'hashStream must hash every byte of every chunk, in order, and return hex');
  const empty = await within(1500, hashStream(streamOf([])), 'hashStream never settled for an empty stream');
  assert.equal(empty, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'an empty stream hashes to the sha256 of zero bytes');
});

test('hashStream hands the data to the hash chunk by chunk instead of buffering it', { timeout: 3000 }, async () => {
  const block = Buffer.alloc(16 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 31 + 7) & 0xff;
  const chunks = Array.from({ length: 512 }, (_, i) => {
    const chunk = Buffer.from(block);
    chunk.writeUInt32BE(i, 0);
    return chunk;
  });
  const total = chunks.length * block.length;
  const pieces = [];
  const algorithms = [];
  const got = await withMocked(
    'createHash',
    function (...args) {
      const hash = realCreateHash.apply(this, args);
      algorithms.push(String(args[0]).toLowerCase());
      for (const name of ['update', 'write', 'end']) {
        const original = hash[name];
        hash[name] = function (data, ...rest) {
          if (data != null && typeof data !== 'function') pieces.push(typeof data === 'string' ? Buffer.byteLength(data) : data.length);
          return original.call(this, data, ...rest);
        };
      }
      return hash;
    },
    () => within(2500, hashStream(streamOf(chunks)), 'hashStream never settled for an 8 MB stream'),
  );
  assert.ok(algorithms.includes('sha256'), `hashStream must use crypto.createHash('sha256'); createHash was called with ${JSON.stringify(algorithms)}`);
  assert.equal(got, sha256(Buffer.concat(chunks)), 'hashStream gave the wrong hash for an 8 MB stream');
  const biggest = Math.max(0, ...pieces);
  assert.ok(
    pieces.length >= 8 && biggest <= 1024 * 1024,
    `the ${total / 1024 / 1024} MB stream arrived in 512 chunks of 16 KB, but the hash was fed ${pieces.length} piece(s), the biggest ${biggest} bytes. ` +
      'Call hash.update(chunk) for each chunk as it arrives (for await…of) instead of collecting the stream first',
  );
});

test('hashStream rejects with the error of a failing stream', { timeout: 2000 }, async () => {
  let sent = false;
  const failing = new Readable({
    read() {
      if (sent) this.destroy(new Error('disk on fire'));
      else {
        sent = true;
        this.push(Buffer.from('partial data'));
      }
    },
  });
  const outcome = await within(
    1000,
    hashStream(failing).then(
      (value) => ({ value }),
      (error) => ({ error }),
    ),
    'hashStream never settled when the stream failed: readable.pipe() does not forward errors; use for await…of or stream.pipeline',
  );
  assert.ok(outcome.error, `a failing stream must make hashStream reject, but it resolved to ${JSON.stringify(outcome.value)}`);
  assert.equal(outcome.error.message, 'disk on fire', `hashStream must reject with the stream's own error, got ${outcome.error.message}`);
});

test('randomToken returns base64url of the right length and never repeats', { timeout: 2000 }, () => {
  for (const bytes of [16, 32, 33, 48]) {
    const token = randomToken(bytes);
    const length = Math.ceil((bytes * 4) / 3);
    assert.equal(typeof token, 'string', `randomToken(${bytes}) must return a string`);
    assert.match(token, /^[A-Za-z0-9_-]+$/, `randomToken(${bytes}) must use only the base64url alphabet A–Z a–z 0–9 - _ (no +, / or = padding), got ${token}`);
    assert.equal(token.length, length, `${bytes} bytes are ${length} base64url characters without padding, got ${token.length} (${token})`);
    assert.equal(Buffer.from(token, 'base64url').length, bytes, `randomToken(${bytes}) must decode back to ${bytes} bytes`);
  }
  assert.equal(randomToken().length, 43, 'randomToken() defaults to 32 bytes, which is 43 base64url characters');
  const tokens = new Set(Array.from({ length: 1000 }, () => randomToken()));
  assert.equal(tokens.size, 1000, `1000 tokens must all differ, got ${tokens.size} distinct ones`);
});

test('randomToken encodes exactly the bytes crypto.randomBytes returns', { timeout: 2000 }, async () => {
  // 0xfb 0xef 0xbe encodes as "++++" and 0xff 0xff 0xff as "////" in base64, so each token needs many replacements.
  const pattern = (size) => Buffer.from(Array.from({ length: size }, (_, i) => [0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff][i % 6]));
  await withMocked('randomBytes', (size) => pattern(size), (spy) => {
    const token = randomToken(16);
    assert.ok(spy.mock.callCount() >= 1, 'randomToken must take its bytes from crypto.randomBytes (Math.random is predictable)');
    assert.equal(
      token,
      pattern(16).toString('base64url'),
      `for the bytes fb ef be ff ff ff … the token must be ${pattern(16).toString('base64url')}, got ${token}. ` +
        "Use buffer.toString('base64url'); replacing '+' and '/' with String.replace without the g flag only fixes the first one",
    );
  });
});

test('randomToken refuses fewer than 16 bytes with a RangeError', { timeout: 2000 }, () => {
  for (const bytes of [0, 8, 15, 20.5, -32]) {
    assert.throws(() => randomToken(bytes), RangeError, `randomToken(${bytes}) must throw a RangeError: a token needs a whole number of at least 16 random bytes`);
  }
  assert.equal(randomToken(16).length, 22, 'randomToken(16) is the smallest allowed token (22 characters)');
});
