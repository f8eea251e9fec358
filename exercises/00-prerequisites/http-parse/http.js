// A parser for one raw HTTP/1.1 request. See README.md for the exact contract.

export class HttpParseError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'HttpParseError';
    this.code = code;
  }
}

/**
 * @param {Buffer | string} input  the bytes received so far (a string is UTF-8 encoded first)
 * @returns {{ method: string, target: string, version: string, headers: Record<string, string>,
 *             body: Buffer, trailers: Record<string, string>, consumed: number }}
 */
export function parseRequest(input) {
  // TODO: find the end of the header section, parse the request line and the header
  // fields, then read the body (Content-Length or chunked). Throw HttpParseError with
  // the right code for anything malformed or incomplete.
  throw new HttpParseError('TODO', 'TODO: implement parseRequest');
}
