// Length-prefixed frames: [version:1][type:1][length:4, big-endian][payload]
export const VERSION = 1;
export const HEADER_SIZE = 6;

/**
 * Encodes one frame.
 * @param {number} type an integer 0–255
 * @param {Buffer|string} payload a string is encoded as UTF-8
 * @returns {Buffer}
 */
export function encodeFrame(type, payload) {
  // TODO: validate `type`, build the 6-byte header and append the payload bytes.
  throw new Error('TODO: implement encodeFrame');
}

export class FrameDecoder {
  constructor({ maxPayload = 1024 * 1024 } = {}) {
    this.maxPayload = maxPayload;
    // TODO: keep the bytes that do not form a whole frame yet.
  }

  /**
   * @param {Buffer} chunk any number of bytes from the stream
   * @returns {{ type: number, payload: Buffer }[]} the frames this chunk completed
   */
  push(chunk) {
    // TODO: append the chunk, then cut out every complete frame.
    return [];
  }

  /** Throws ERR_FRAME_TRUNCATED if part of a frame is still buffered. */
  end() {
    // TODO
  }
}
