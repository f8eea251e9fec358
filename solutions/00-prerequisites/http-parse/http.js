export class HttpParseError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'HttpParseError';
    this.code = code;
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([!-~]+) (HTTP\/1\.[01])$/;
// Field values may hold visible characters, spaces, tabs and obs-text; never CR, LF or NUL.
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;

function fail(code, message) {
  throw new HttpParseError(code, message);
}

function parseFields(lines) {
  const fields = {};
  for (const line of lines) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      fail('BAD_HEADER', `obsolete line folding is not allowed: ${JSON.stringify(line)}`);
    }
    // Only the first colon separates: values such as "example.com:8080" contain more.
    const colon = line.indexOf(':');
    if (colon === -1) fail('BAD_HEADER', `header line without a colon: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon);
    // A space before the colon fails here too; lenient parsers let it smuggle headers.
    if (!TOKEN.test(name)) fail('BAD_HEADER', `invalid header name ${JSON.stringify(name)}`);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (BAD_VALUE_CHAR.test(value)) fail('BAD_HEADER', `control character in the value of ${name}`);
    const key = name.toLowerCase();
    fields[key] = Object.hasOwn(fields, key) ? `${fields[key]}, ${value}` : value;
  }
  return fields;
}

function parseContentLength(value) {
  // A repeated header arrives joined as "5, 5": fine if every copy agrees.
  const values = value.split(',').map((part) => part.trim());
  if (!values.every((part) => /^\d+$/.test(part)) || new Set(values).size !== 1) {
    fail('BAD_CONTENT_LENGTH', `invalid Content-Length: ${JSON.stringify(value)}`);
  }
  const length = Number(values[0]);
  if (!Number.isSafeInteger(length)) fail('BAD_CONTENT_LENGTH', `Content-Length too large: ${values[0]}`);
  return length;
}

function readChunked(buf, start) {
  const chunks = [];
  let offset = start;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', offset);
    if (lineEnd === -1) fail('INCOMPLETE', 'the input ends inside a chunk-size line');
    // Chunk extensions (";name=value") carry nothing we need.
    const sizeText = buf.toString('latin1', offset, lineEnd).split(';', 1)[0].replace(/[ \t]+$/, '');
    if (!/^[0-9A-Fa-f]+$/.test(sizeText)) fail('BAD_CHUNK', `invalid chunk size ${JSON.stringify(sizeText)}`);
    const size = Number.parseInt(sizeText, 16);
    if (!Number.isSafeInteger(size)) fail('BAD_CHUNK', `chunk size too large: ${sizeText}`);
    offset = lineEnd + 2;
    if (size === 0) break;
    if (buf.length < offset + size + 2) fail('INCOMPLETE', 'the input ends inside a chunk');
    chunks.push(buf.subarray(offset, offset + size));
    offset += size;
    if (buf[offset] !== 0x0d || buf[offset + 1] !== 0x0a) fail('BAD_CHUNK', 'chunk data must be followed by CRLF');
    offset += 2;
  }
  let trailers = {};
  if (buf.indexOf('\r\n', offset) === offset) {
    offset += 2;
  } else {
    const end = buf.indexOf('\r\n\r\n', offset);
    if (end === -1) fail('INCOMPLETE', 'the input ends before the trailer section does');
    trailers = parseFields(buf.toString('latin1', offset, end).split('\r\n'));
    offset = end + 4;
  }
  return { body: Buffer.concat(chunks), trailers, end: offset };
}

export function parseRequest(input) {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd === -1) fail('INCOMPLETE', 'the header section has not ended (no empty line yet)');
  // latin1 maps each byte to one character, so string offsets stay byte offsets.
  const [requestLine, ...fieldLines] = buf.toString('latin1', 0, headEnd).split('\r\n');
  const match = REQUEST_LINE.exec(requestLine);
  if (!match) fail('BAD_REQUEST_LINE', `malformed request line ${JSON.stringify(requestLine)}`);
  const [, method, target, version] = match;
  const headers = parseFields(fieldLines);

  const bodyStart = headEnd + 4;
  const transferEncoding = headers['transfer-encoding'];
  const contentLength = headers['content-length'];
  if (transferEncoding !== undefined) {
    // Two framings for one body is how request smuggling starts: refuse it.
    if (contentLength !== undefined) fail('BAD_FRAMING', 'both Transfer-Encoding and Content-Length are present');
    if (transferEncoding.toLowerCase() !== 'chunked') {
      fail('BAD_FRAMING', `unsupported Transfer-Encoding ${JSON.stringify(transferEncoding)}`);
    }
    const { body, trailers, end } = readChunked(buf, bodyStart);
    return { method, target, version, headers, body, trailers, consumed: end };
  }
  const length = contentLength === undefined ? 0 : parseContentLength(contentLength);
  if (buf.length < bodyStart + length) fail('INCOMPLETE', `expected ${length} body bytes`);
  const body = buf.subarray(bodyStart, bodyStart + length);
  return { method, target, version, headers, body, trailers: {}, consumed: bodyStart + length };
}
