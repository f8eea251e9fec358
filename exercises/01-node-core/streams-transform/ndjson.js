import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * Bytes of NDJSON in, one parsed object per line out (object mode).
 */
export function createNdjsonParser({ maxLineLength = 1_048_576 } = {}) {
  const decoder = new StringDecoder('utf8');
  let partial = ''; // the start of a line whose newline has not arrived yet
  let lineNumber = 0;

  return new Transform({
    readableObjectMode: true,

    transform(chunk, encoding, callback) {
      // TODO: decode the chunk, split off every complete line (keep the unfinished rest in
      // `partial`), parse each line and `this.push()` the object. Fail with callback(error).
      callback(new Error('TODO: implement the transform in ndjson.js'));
    },

    flush(callback) {
      // TODO: the input has ended — whatever is left (plus `decoder.end()`) is the last line.
      callback(new Error('TODO: implement flush in ndjson.js'));
    },
  });
}
