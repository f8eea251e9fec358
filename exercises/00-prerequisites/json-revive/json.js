// Safe JSON for request bodies. See README.md for the exact contract.

export const DEFAULT_MAX_BYTES = 100 * 1024;

/**
 * @param {string | Uint8Array} input  the raw body (a string, or bytes in UTF-8)
 * @param {{ maxBytes?: number }} [options]
 * @returns {{ ok: true, value: unknown } | { ok: false, error: { code: string, message: string } }}
 */
export function parseJson(input, { maxBytes = DEFAULT_MAX_BYTES } = {}) {
  // TODO: reject anything but a string or bytes with a TypeError.
  // TODO: check the size in bytes against maxBytes before parsing.
  // TODO: never throw on bad JSON: return { ok: false, error: { code: 'INVALID_JSON', ... } }.
  // TODO: a reviver that turns ISO date-times into Dates and {"$bigint": "..."} into BigInts.
  return { ok: true, value: JSON.parse(input) };
}

/** JSON text for `value`, with BigInts as {"$bigint": "..."} so parseJson can read them back. */
export function stringify(value, space) {
  // TODO: JSON.stringify throws on a BigInt; encode BigInts instead.
  return JSON.stringify(value, null, space);
}
