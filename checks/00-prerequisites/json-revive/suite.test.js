import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importExercise, requireExport, seededRandom } from './support.mjs';

const mod = await importExercise('json.js');
const parseJson = requireExport(mod, 'parseJson', 'function', 'json.js');
const stringify = requireExport(mod, 'stringify', 'function', 'json.js');

const show = (value) => JSON.stringify(value, (k, v) => (typeof v === 'bigint' ? `${v}n` : v));

// Parses and insists on success, so a failing case says which input broke.
function parsed(input, options) {
  let result;
  try {
    result = parseJson(input, options);
  } catch (error) {
    assert.fail(`parseJson(${show(String(input).slice(0, 80))}) threw ${error.name}: ${error.message}`);
  }
  assert.equal(result?.ok, true, `parseJson(${show(String(input).slice(0, 80))}) must succeed, got ${show(result)}`);
  return result.value;
}

function failed(input, options) {
  let result;
  assert.doesNotThrow(() => {
    result = parseJson(input, options);
  }, `parseJson must return { ok: false, error } for bad input, never throw (input ${show(String(input).slice(0, 60))})`);
  assert.equal(result?.ok, false, `parseJson(${show(String(input).slice(0, 60))}) must fail, got ${show(result)}`);
  assert.equal(typeof result.error?.message, 'string', `error.message must be a string, got ${show(result.error)}`);
  assert.ok(result.error.message.length > 0, 'error.message must say what went wrong');
  return result.error;
}

test('returns { ok: true, value } for valid JSON', { timeout: 2000 }, () => {
  assert.deepEqual(parseJson('{"name":"Ada","tags":["x"],"n":1.5}'), { ok: true, value: { name: 'Ada', tags: ['x'], n: 1.5 } });
  assert.deepEqual(parseJson('null'), { ok: true, value: null }, 'null is valid JSON: { ok: true, value: null }');
  assert.deepEqual(parseJson(' 0 '), { ok: true, value: 0 }, 'a bare number is valid JSON');
});

test('revives ISO date-times into Dates at any depth', { timeout: 2000 }, () => {
  const value = parsed(
    '{"created":"2024-01-15T10:00:00Z","events":[{"at":"2024-01-15T10:00:00.250Z"}],' +
      '"local":"2024-01-15T10:00:00+02:00","leap":"2024-02-29T23:59:59Z"}',
  );
  for (const [path, date] of [
    ['created', value.created],
    ['events[0].at', value.events?.[0]?.at],
    ['local', value.local],
    ['leap', value.leap],
  ]) {
    assert.ok(date instanceof Date, `${path} must be revived into a Date, got ${show(date)}`);
  }
  assert.equal(value.created.toISOString(), '2024-01-15T10:00:00.000Z');
  assert.equal(value.events[0].at.toISOString(), '2024-01-15T10:00:00.250Z', 'the fraction of a second must be kept');
  assert.equal(value.local.toISOString(), '2024-01-15T08:00:00.000Z', 'an offset of +02:00 means 08:00 UTC');
  assert.equal(value.leap.toISOString(), '2024-02-29T23:59:59.000Z', '2024 is a leap year: February 29th exists');
});

test('keeps date-only strings, prose and impossible dates as strings', { timeout: 2000 }, () => {
  const strings = {
    'a date without a time': '2024-01-15',
    'a date-time without a zone': '2024-01-15T10:00:00',
    'a space instead of T': '2024-01-15 10:00:00Z',
    'a sentence around a date': 'due 2024-01-15T10:00:00Z',
    'a date followed by more text': '2024-01-15T10:00:00Z!',
    'February 30th': '2024-02-30T10:00:00Z',
    'February 29th in 2023 (not a leap year)': '2023-02-29T10:00:00Z',
    'month 13': '2024-13-01T10:00:00Z',
    'hour 24': '2024-01-15T24:00:00Z',
    'minute 60': '2024-01-15T10:60:00Z',
  };
  const value = parsed(JSON.stringify(strings));
  for (const [what, text] of Object.entries(strings)) {
    assert.equal(
      value[what],
      text,
      `${what} (${show(text)}) must stay a string, got ${value[what] instanceof Date ? `a Date (${value[what]})` : show(value[what])}. ` +
        'Anchor the pattern with ^ and $, and check the fields: new Date() rolls Feb 30 over to March 1 without complaint',
    );
  }
});

test('revives {"$bigint": "..."} objects into exact BigInts', { timeout: 2000 }, () => {
  const value = parsed(
    '{"balance":{"$bigint":"123456789012345678901234567890"},"ids":[{"$bigint":"-9007199254740993"},{"$bigint":"0"}]}',
  );
  assert.equal(
    value.balance,
    123456789012345678901234567890n,
    `got ${show(value.balance)}: BigInt(the string) is exact; going through Number or parseInt rounds above 2^53`,
  );
  assert.deepEqual(value.ids, [-9007199254740993n, 0n], 'negative and zero BigInts inside arrays must be revived too');
});

test('leaves objects that only look like $bigint tags alone', { timeout: 2000 }, () => {
  const lookalikes = [
    { $bigint: 12 },
    { $bigint: '1.5' },
    { $bigint: '' },
    { $bigint: '12abc' },
    { $bigint: '1', note: 'two keys' },
  ];
  const value = parsed(JSON.stringify(lookalikes));
  assert.deepEqual(
    value,
    lookalikes,
    'only an object whose single key is $bigint, holding a string of an optional "-" and digits, is a BigInt tag',
  );
});

test('answers TOO_LARGE above maxBytes, decided before parsing', { timeout: 2000 }, () => {
  const body = `{"data": "${'x'.repeat(200)}"`; // also malformed: no closing brace
  const error = failed(body, { maxBytes: 100 });
  assert.equal(
    error.code,
    'TOO_LARGE',
    `a ${body.length}-byte body with maxBytes 100 must be TOO_LARGE even though it is also malformed: ` +
      `check the size before parsing (got ${show(error.code)})`,
  );
  assert.equal(error.limit, 100, 'error.limit must be the maxBytes that was exceeded');
  assert.equal(error.size, body.length, 'error.size must be the byte length of the input');
  parsed(`"${'x'.repeat(98)}"`, { maxBytes: 100 }); // exactly the limit is fine
});

test('counts the size limit in bytes, not characters', { timeout: 2000 }, () => {
  const text = JSON.stringify('é'.repeat(50)); // 52 characters, 102 bytes in UTF-8
  const error = failed(text, { maxBytes: 100 });
  assert.equal(
    error.code,
    'TOO_LARGE',
    `${text.length} characters of "é" are 102 bytes: measure with Buffer.byteLength(text), not text.length`,
  );
  assert.equal(error.size, 102, `error.size is a byte count: expected 102, got ${show(error.size)}`);
  assert.equal(parsed(text, { maxBytes: 102 }), 'é'.repeat(50), 'exactly maxBytes bytes must be accepted');
  assert.equal(failed(Buffer.from(text), { maxBytes: 101 }).code, 'TOO_LARGE', 'a Buffer is measured in bytes too');
});

test('uses a 100 KiB limit by default', { timeout: 2000 }, () => {
  const atLimit = `"${'a'.repeat(102400 - 2)}"`;
  assert.equal(parsed(atLimit).length, 102398, 'a body of exactly 102400 bytes is within the default limit');
  const error = failed(`${atLimit} `);
  assert.equal(error.code, 'TOO_LARGE', `102401 bytes is over the default limit of 100 * 1024, got ${show(error.code)}`);
  assert.equal(error.limit, 102400, 'the default limit is 100 * 1024 bytes');
});

test('reports malformed JSON as INVALID_JSON with the parser position', { timeout: 2000 }, () => {
  const trailingComma = failed('{"a":1,}');
  assert.equal(trailingComma.code, 'INVALID_JSON', `got ${show(trailingComma)}`);
  assert.equal(
    trailingComma.position,
    7,
    `the parser says "...at position 7" for '{"a":1,}': expose that as error.position (a number), got ${show(trailingComma.position)}`,
  );
  assert.equal(failed('[1,2').position, 4, `'[1,2' fails at position 4`);
  for (const bad of ['', '   ', '{', 'nul', "{'a':1}", 'undefined', '{"a":1}}']) {
    assert.equal(failed(bad).code, 'INVALID_JSON', `${show(bad)} is not JSON: code must be INVALID_JSON`);
  }
});

test('accepts UTF-8 bytes as input', { timeout: 2000 }, () => {
  const text = '{"name":"Zoë ✓","at":"2024-01-15T10:00:00Z","n":{"$bigint":"7"}}';
  for (const input of [Buffer.from(text), new Uint8Array(Buffer.from(text))]) {
    const value = parsed(input);
    assert.equal(value.name, 'Zoë ✓', `bytes must be decoded as UTF-8, got ${show(value.name)}`);
    assert.ok(value.at instanceof Date, 'values parsed from bytes are revived too');
    assert.equal(value.n, 7n);
  }
});

test('throws a TypeError for input that is neither a string nor bytes', { timeout: 2000 }, () => {
  for (const bad of [42, null, undefined, { a: 1 }, ['{}']]) {
    assert.throws(
      () => parseJson(bad),
      TypeError,
      `parseJson(${show(bad) ?? 'undefined'}) is a programming error, not bad user input: throw a TypeError`,
    );
  }
});

test('stringify encodes BigInts as $bigint objects and Dates as ISO strings', { timeout: 2000 }, () => {
  const value = { id: 2n ** 64n, at: new Date(Date.UTC(2024, 0, 15, 10)), list: [1n, -5n, 'x'], none: null };
  let text;
  assert.doesNotThrow(() => {
    text = stringify(value);
  }, 'stringify must not throw on BigInts (plain JSON.stringify does)');
  assert.equal(
    text,
    '{"id":{"$bigint":"18446744073709551616"},"at":"2024-01-15T10:00:00.000Z","list":[{"$bigint":"1"},{"$bigint":"-5"},"x"],"none":null}',
  );
  assert.equal(
    stringify({ n: 3n }, 2),
    '{\n  "n": {\n    "$bigint": "3"\n  }\n}',
    'the space argument indents like JSON.stringify(value, null, space)',
  );
});

test('round-trips BigInts and Dates through stringify and parseJson', { timeout: 2000 }, () => {
  const random = seededRandom();
  const records = Array.from({ length: 50 }, (_, i) => ({
    id: BigInt(Math.floor(random() * 2 ** 53)) * 1000003n - 7n,
    when: new Date(Date.UTC(1990, 0, 1) + Math.floor(random() * 1e12)),
    label: `item ${i}`,
    nested: { total: -BigInt(i) * 10n ** 20n },
  }));
  const back = parsed(stringify(records), { maxBytes: 1e6 });
  assert.deepEqual(back, records, 'parseJson(stringify(x)).value must deep-equal x (BigInts and Dates included)');
});

test('leaves JSON.stringify alone for the rest of the process', { timeout: 2000 }, () => {
  stringify({ n: 1n });
  assert.equal(
    BigInt.prototype.toJSON,
    undefined,
    'BigInt.prototype.toJSON was defined: patching a built-in changes JSON for every library in the process; ' +
      'use a replacer function in stringify instead',
  );
  assert.throws(() => JSON.stringify({ n: 1n }), TypeError, 'plain JSON.stringify must still reject BigInts');
});
