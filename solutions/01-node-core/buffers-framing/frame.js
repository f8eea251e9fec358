// Length-prefixed frames: [version:1][type:1][length:4, big-endian][payload]
export const VERSION = 1;
export const HEADER_SIZE = 6;

function frameError(code, message) {
  return Object.assign(new Error(message), { code });
}

export function encodeFrame(type, payload) {
  if (!Number.isInteger(type) || type < 0 || type > 255) {
    throw new RangeError(`frame type must be an integer from 0 to 255, got ${type}`);
  }
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt8(VERSION, 0);
  header.writeUInt8(type, 1);
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

export class FrameDecoder {
  #pending = Buffer.alloc(0);
  #maxPayload;

  constructor({ maxPayload = 1024 * 1024 } = {}) {
    this.#maxPayload = maxPayload;
  }

  push(chunk) {
    this.#pending = Buffer.concat([this.#pending, chunk]);
    const frames = [];
    while (this.#pending.length >= HEADER_SIZE) {
      const version = this.#pending.readUInt8(0);
      if (version !== VERSION) {
        throw frameError('ERR_FRAME_VERSION', `unsupported frame version ${version}`);
      }
      const length = this.#pending.readUInt32BE(2);
      // Check before buffering the payload: a hostile peer must not make us hold 4 GiB.
      if (length > this.#maxPayload) {
        throw frameError('ERR_FRAME_TOO_LARGE', `frame payload of ${length} bytes exceeds ${this.#maxPayload}`);
      }
      const end = HEADER_SIZE + length;
      if (this.#pending.length < end) break;
      frames.push({ type: this.#pending.readUInt8(1), payload: this.#pending.subarray(HEADER_SIZE, end) });
      this.#pending = this.#pending.subarray(end);
    }
    return frames;
  }

  end() {
    if (this.#pending.length > 0) {
      throw frameError('ERR_FRAME_TRUNCATED', `stream ended inside a frame (${this.#pending.length} bytes left)`);
    }
  }
}
