import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * Bytes of NDJSON in, one parsed object per line out (object mode).
 */
export function createNdjsonParser({ maxLineLength = 1_048_576 } = {}) {
  // The decoder holds back the first bytes of a multi-byte character cut by a chunk border.
  const decoder = new StringDecoder('utf8');
  let partial = ''; // the start of a line whose newline has not arrived yet
  let lineNumber = 0;

  function fail(ErrorType, message, cause) {
    return Object.assign(new ErrorType(`line ${lineNumber}: ${message}`, { cause }), { lineNumber });
  }

  function parseLine(raw, stream) {
    lineNumber += 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length > maxLineLength) throw fail(RangeError, `longer than ${maxLineLength} characters`);
    if (line.trim() === '') return;
    let value;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw fail(SyntaxError, `invalid JSON (${cause.message})`, cause);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw fail(SyntaxError, 'expected a JSON object');
    }
    stream.push(value);
  }

  return new Transform({
    readableObjectMode: true,

    transform(chunk, encoding, callback) {
      const text = decoder.write(chunk);
      try {
        let start = 0;
        let newline;
        while ((newline = text.indexOf('\n', start)) !== -1) {
          parseLine(partial + text.slice(start, newline), this);
          partial = '';
          start = newline + 1;
        }
        partial += text.slice(start);
        // Checked before the newline arrives: a client that never sends one must not make
        // us buffer without limit. A held-back '\r' is not part of the line.
        const pending = partial.endsWith('\r') ? partial.length - 1 : partial.length;
        if (pending > maxLineLength) {
          lineNumber += 1;
          throw fail(RangeError, `longer than ${maxLineLength} characters`);
        }
      } catch (error) {
        callback(error);
        return;
      }
      callback();
    },

    flush(callback) {
      try {
        const rest = partial + decoder.end();
        if (rest !== '') parseLine(rest, this);
      } catch (error) {
        callback(error);
        return;
      }
      callback();
    },
  });
}
