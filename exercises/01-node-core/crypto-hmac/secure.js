import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA256 of `payload` as 64 lowercase hex characters. */
export function sign(payload, secret) {
  // TODO: reject a missing or empty secret, then createHmac('sha256', secret)…
  throw new Error('TODO: implement sign');
}

/** true only if `signature` is the hex HMAC of `payload`; never throws on a bad signature. */
export function verify(payload, signature, secret) {
  // TODO: check the signature's shape, decode it and compare digests with timingSafeEqual.
  return signature === sign(payload, secret);
}

/** Resolves to the sha256 hex of everything `readable` emits. */
export async function hashStream(readable) {
  // TODO: feed each chunk to a hash as it arrives.
  throw new Error('TODO: implement hashStream');
}

/** `bytes` random bytes from crypto.randomBytes, base64url encoded. */
export function randomToken(bytes = 32) {
  // TODO: validate `bytes` and use crypto.randomBytes.
  return Math.random().toString(36).slice(2);
}
