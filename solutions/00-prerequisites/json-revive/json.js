export const DEFAULT_MAX_BYTES = 100 * 1024;

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
const BIGINT = /^-?\d+$/;

function toDate(text) {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  // `new Date('2024-02-30T00:00:00Z')` quietly rolls over to March 1st, so check the
  // calendar fields ourselves (setUTCFullYear has no "years below 100" quirk).
  const calendar = new Date(0);
  calendar.setUTCFullYear(year, month - 1, day);
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function isBigIntTag(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === '$bigint' && typeof value.$bigint === 'string' && BIGINT.test(value.$bigint);
}

function revive(key, value) {
  if (typeof value === 'string') return toDate(value) ?? value;
  if (isBigIntTag(value)) return BigInt(value.$bigint);
  return value;
}

export function parseJson(input, { maxBytes = DEFAULT_MAX_BYTES } = {}) {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw new TypeError(`parseJson expects a string or bytes, got ${input === null ? 'null' : typeof input}`);
  }
  // The limit is about memory and bytes on the wire: 'é' is one character but two bytes.
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > maxBytes) {
    return {
      ok: false,
      error: { code: 'TOO_LARGE', message: `JSON body is ${size} bytes; the limit is ${maxBytes}`, limit: maxBytes, size },
    };
  }
  const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
  try {
    return { ok: true, value: JSON.parse(text, revive) };
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    const position = /at position (\d+)/.exec(error.message);
    return {
      ok: false,
      error: { code: 'INVALID_JSON', message: error.message, ...(position && { position: Number(position[1]) }) },
    };
  }
}

export function stringify(value, space) {
  // A replacer, not BigInt.prototype.toJSON: patching a built-in changes every
  // JSON.stringify in the process, including other libraries'.
  return JSON.stringify(value, (key, v) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v), space);
}
