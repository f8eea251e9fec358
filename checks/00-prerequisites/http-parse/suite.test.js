import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importExercise, requireExport } from './support.mjs';

const mod = await importExercise('http.js');
const parseRequest = requireExport(mod, 'parseRequest', 'function', 'http.js');
const HttpParseError = requireExport(mod, 'HttpParseError', 'function', 'http.js');

const crlf = (...lines) => lines.join('\r\n');
const show = (raw) => JSON.stringify(String(raw).length > 120 ? `${String(raw).slice(0, 120)}…` : String(raw));

function parse(raw) {
  try {
    return parseRequest(raw);
  } catch (error) {
    assert.fail(`parseRequest(${show(raw)}) threw ${error?.code ?? ''} ${error?.message}; this request is valid`);
  }
}

function rejects(raw, code, why) {
  let result;
  try {
    result = parseRequest(raw);
  } catch (error) {
    assert.ok(
      error instanceof HttpParseError,
      `parseRequest(${show(raw)}) threw a ${error?.name} (${error?.message}), not an HttpParseError: ${why}`,
    );
    assert.equal(error.code, code, `parseRequest(${show(raw)}) must fail with ${code}: ${why} (message was: ${error.message})`);
    assert.ok(error.message.length > 0, 'the error needs a message a person can read');
    return;
  }
  assert.fail(`parseRequest(${show(raw)}) must throw HttpParseError ${code}: ${why}. It returned ${JSON.stringify({ ...result, body: String(result?.body) })}`);
}

test('parses the request line of a GET without a body', { timeout: 2000 }, () => {
  const raw = crlf('GET /search?q=node&page=2 HTTP/1.1', 'Host: example.com', '', '');
  const req = parse(raw);
  assert.deepEqual(
    { method: req.method, target: req.target, version: req.version },
    { method: 'GET', target: '/search?q=node&page=2', version: 'HTTP/1.1' },
  );
  assert.ok(Buffer.isBuffer(req.body), `body must be a Buffer, got ${typeof req.body}`);
  assert.equal(req.body.length, 0, 'without Content-Length or Transfer-Encoding a request has an empty body');
  assert.deepEqual({ ...req.trailers }, {}, 'trailers is {} when there are none');
  assert.equal(req.consumed, Buffer.byteLength(raw), 'consumed counts every byte of the request, up to the empty line');
  assert.equal(parse(crlf('DELETE /items/7 HTTP/1.0', '', '')).version, 'HTTP/1.0', 'HTTP/1.0 is accepted too');
});

test('lowercases header names and trims values, splitting on the first colon only', { timeout: 2000 }, () => {
  const req = parse(
    crlf(
      'GET / HTTP/1.1',
      'Host: example.com:8080',
      'Referer: https://example.com/a?b=c:d',
      'X-Padded: \t  spaced  value \t ',
      'CoNtEnT-TyPe:application/json',
      'X-Empty:',
      '',
      '',
    ),
  );
  assert.deepEqual(
    { ...req.headers },
    {
      host: 'example.com:8080',
      referer: 'https://example.com/a?b=c:d',
      'x-padded': 'spaced  value',
      'content-type': 'application/json',
      'x-empty': '',
    },
    'names are lowercased (header names are case-insensitive); the value is everything after the FIRST colon ' +
      '(line.split(":") cuts "example.com:8080"), with spaces and tabs trimmed at both ends only',
  );
});

test('joins the values of a repeated header with ", " in order', { timeout: 2000 }, () => {
  const req = parse(
    crlf('GET / HTTP/1.1', 'Host: a', 'Accept: text/html', 'X-Forwarded-For: 10.0.0.1', 'accept: application/json', 'X-FORWARDED-FOR: 10.0.0.2', '', ''),
  );
  assert.equal(req.headers.accept, 'text/html, application/json', 'a repeated header keeps every value, joined with ", "');
  assert.equal(
    req.headers['x-forwarded-for'],
    '10.0.0.1, 10.0.0.2',
    'X-Forwarded-For and X-FORWARDED-FOR are the same header: names compare case-insensitively',
  );
});

test('reads a Content-Length body by bytes, not characters', { timeout: 2000 }, () => {
  const body = 'héllo wörld ✓'; // 13 characters, 17 bytes
  const head = crlf('POST /notes HTTP/1.1', 'Host: a', 'content-LENGTH: 17', '', '');
  for (const [kind, input] of [
    ['a string', `${head}${body}GET / HTTP/1.1\r\n\r\n`],
    ['a Buffer', Buffer.from(`${head}${body}GET / HTTP/1.1\r\n\r\n`)],
  ]) {
    const req = parse(input);
    assert.equal(
      req.body.toString('utf8'),
      body,
      `given ${kind}: Content-Length is 17 BYTES ("é", "ö" take 2, "✓" takes 3); slicing a decoded string by ` +
        'character count reads too far. Work on the Buffer and slice by byte offsets',
    );
    assert.equal(req.consumed, Buffer.byteLength(head) + 17, `given ${kind}: consumed is head bytes + Content-Length`);
  }
});

test('exposes consumed so that a pipelined request can be parsed next', { timeout: 2000 }, () => {
  const first = crlf('POST /a HTTP/1.1', 'Host: x', 'Content-Length: 5', '', 'hello');
  const second = crlf('GET /b HTTP/1.1', 'Host: x', '', '');
  const input = Buffer.from(first + second);
  const a = parse(input);
  assert.equal(a.consumed, Buffer.byteLength(first), 'consumed must end exactly after the first body');
  const b = parse(input.subarray(a.consumed));
  assert.equal(b.target, '/b', 'the bytes after consumed must be the second request');
  assert.equal(b.consumed, Buffer.byteLength(second));
});

test('decodes a chunked body, ignoring chunk extensions', { timeout: 2000 }, () => {
  const raw = crlf(
    'POST /upload HTTP/1.1',
    'Host: a',
    'Transfer-Encoding: Chunked',
    '',
    '5;name=value',
    'hello',
    '1A ; checksum="x"',
    'abcdefghijklmnopqrstuvwxyz',
    'b',
    ' wörld ✓',
    '0',
    '',
    '',
  );
  const req = parse(raw);
  assert.equal(
    req.body.toString('utf8'),
    'helloabcdefghijklmnopqrstuvwxyz wörld ✓',
    'chunk sizes are hexadecimal (1A = 26, b = 11 bytes), and anything after ";" on the size line is an extension to skip',
  );
  assert.equal(req.consumed, Buffer.byteLength(raw), 'consumed ends after the empty line that follows the last chunk');
  assert.equal(req.headers['transfer-encoding'], 'Chunked', 'header values keep their case');
});

test('collects trailer fields after the last chunk', { timeout: 2000 }, () => {
  const raw = crlf(
    'POST /upload HTTP/1.1',
    'Host: a',
    'Transfer-Encoding: chunked',
    '',
    '3',
    'abc',
    '0',
    'X-Checksum: sha256:abc',
    'Server-Timing: db;dur=12',
    '',
    'NEXT',
  );
  const req = parse(raw);
  assert.equal(req.body.toString(), 'abc');
  assert.deepEqual(
    { ...req.trailers },
    { 'x-checksum': 'sha256:abc', 'server-timing': 'db;dur=12' },
    'fields between the 0 chunk and the empty line are trailers, parsed like headers',
  );
  assert.equal(req.consumed, raw.length - 'NEXT'.length, 'consumed stops after the empty line that ends the trailers');
});

test('reports INCOMPLETE when the input ends before the request does', { timeout: 2000 }, () => {
  const chunkedHead = crlf('POST / HTTP/1.1', 'Transfer-Encoding: chunked', '', '');
  const cases = [
    ['GET / HTTP/1.1\r\nHost: a\r\n', 'the header section has not ended yet'],
    [crlf('POST / HTTP/1.1', 'Content-Length: 10', '', 'hello'), 'only 5 of 10 body bytes have arrived'],
    [crlf('POST / HTTP/1.1', 'Content-Length: 6', '', 'héllo').slice(0, -1), '5 of 6 body bytes (a 2-byte "é")'],
    [`${chunkedHead}5\r\nhel`, 'a chunk is cut off'],
    [`${chunkedHead}5\r\nhello\r\n`, 'the 0 chunk has not arrived'],
    [`${chunkedHead}5\r\nhello\r\n0\r\n`, 'the empty line after the last chunk has not arrived'],
    [`${chunkedHead}0\r\nX-Sum: 1\r\n`, 'the trailer section has not ended'],
  ];
  for (const [raw, why] of cases) rejects(raw, 'INCOMPLETE', why);
});

test('rejects malformed request lines with BAD_REQUEST_LINE', { timeout: 2000 }, () => {
  const cases = [
    ['GET /', 'the version is missing'],
    ['GET  / HTTP/1.1', 'two spaces between method and target'],
    ['GET /a b HTTP/1.1', 'a space inside the target'],
    ['GET / HTTP/1.1 extra', 'a fourth part'],
    ['GET / http/1.1', 'the version is case-sensitive'],
    ['GET / HTTP/2.0', 'only HTTP/1.0 and HTTP/1.1 are accepted'],
    ['G(T / HTTP/1.1', '"(" is not allowed in a method token'],
  ];
  for (const [line, why] of cases) rejects(crlf(line, 'Host: a', '', ''), 'BAD_REQUEST_LINE', why);
});

test('rejects malformed header lines with BAD_HEADER', { timeout: 2000 }, () => {
  const cases = [
    ['NoColonHere', 'a header line needs a colon'],
    ['Host : a', 'no whitespace is allowed between the name and the colon'],
    [': value', 'the name is empty'],
    ['Bad Name: x', 'a space is not allowed in a name'],
    ['X-Long: first\r\n  continued', 'a line starting with whitespace is obsolete line folding'],
    ['X-Tab: a\r\n\tb', 'obsolete line folding with a tab'],
    ['X-Nul: a\u0000b', 'NUL is not allowed in a value'],
    ['X-Cr: a\rb', 'a bare CR is not allowed in a value'],
  ];
  for (const [line, why] of cases) rejects(crlf('GET / HTTP/1.1', 'Host: a', line, '', ''), 'BAD_HEADER', why);
});

test('accepts only plain decimal Content-Length values that agree', { timeout: 2000 }, () => {
  const withLength = (...lines) => crlf('POST / HTTP/1.1', 'Host: a', ...lines, '', 'hello');
  for (const value of ['-1', '+5', '1e1', '0x5', '5.0', 'five', '', '5 5']) {
    rejects(
      withLength(`Content-Length: ${value}`),
      'BAD_CONTENT_LENGTH',
      `"${value}" is not plain decimal digits (Number() and parseInt() both accept things they should not)`,
    );
  }
  rejects(withLength('Content-Length: 5', 'Content-Length: 4'), 'BAD_CONTENT_LENGTH', 'two different lengths for one body');
  assert.equal(
    parse(withLength('Content-Length: 5', 'Content-Length: 5')).body.toString(),
    'hello',
    'a Content-Length repeated with the same value is allowed',
  );
  assert.equal(parse(withLength('Content-Length: 5, 5')).body.toString(), 'hello', '"5, 5" is one length, repeated');
});

test('rejects ambiguous or unsupported framing with BAD_FRAMING', { timeout: 2000 }, () => {
  rejects(
    crlf('POST / HTTP/1.1', 'Host: a', 'Content-Length: 5', 'Transfer-Encoding: chunked', '', '0', '', ''),
    'BAD_FRAMING',
    'with both Content-Length and Transfer-Encoding, two servers can disagree on where the body ends: ' +
      'that is request smuggling, so refuse it',
  );
  rejects(
    crlf('POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: gzip', '', 'hello'),
    'BAD_FRAMING',
    'only the chunked transfer coding is supported',
  );
});

test('rejects malformed chunks with BAD_CHUNK', { timeout: 2000 }, () => {
  const chunked = (...lines) => crlf('POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked', '', ...lines);
  const cases = [
    [chunked('5zz', 'hello', '0', '', ''), 'parseInt("5zz", 16) is 5, but "5zz" is not a hex number'],
    [chunked('0x5', 'hello', '0', '', ''), 'a chunk size has no 0x prefix'],
    [chunked('-5', 'hello', '0', '', ''), 'a chunk size cannot be negative'],
    [chunked('', 'hello', '0', '', ''), 'an empty chunk-size line'],
    [chunked('3', 'hello', '0', '', ''), 'the chunk data (3 bytes) must be followed by CRLF, not more data'],
    [chunked('3', 'abcXY1', 'z', '0', '', ''), 'after 3 bytes of data comes CRLF; skipping two bytes blindly reads "XY" as a line end'],
  ];
  for (const [raw, why] of cases) rejects(raw, 'BAD_CHUNK', why);
});
