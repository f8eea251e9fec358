import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

// An empty key makes every signature forgeable; it is a misconfiguration, so fail loudly.
function requireSecret(secret) {
  if (!(typeof secret === 'string' || Buffer.isBuffer(secret)) || secret.length === 0) {
    throw new TypeError('a non-empty secret (string or Buffer) is required');
  }
}

export function sign(payload, secret) {
  requireSecret(secret);
  return createHmac('sha256', secret).update(payload).digest('hex');
}

export function verify(payload, signature, secret) {
  requireSecret(secret);
  // Buffer.from(text, 'hex') stops at the first non-hex character, so check the shape first;
  // this also guarantees the equal lengths timingSafeEqual needs.
  if (typeof signature !== 'string' || !HEX_SHA256.test(signature)) return false;
  const expected = createHmac('sha256', secret).update(payload).digest();
  return timingSafeEqual(Buffer.from(signature, 'hex'), expected);
}

export async function hashStream(readable) {
  const hash = createHash('sha256');
  for await (const chunk of readable) hash.update(chunk);
  return hash.digest('hex');
}

export function randomToken(bytes = 32) {
  if (!Number.isInteger(bytes) || bytes < 16) {
    throw new RangeError(`a token needs an integer number of at least 16 random bytes, got ${bytes}`);
  }
  return randomBytes(bytes).toString('base64url');
}
