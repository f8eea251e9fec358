import { createHmac, timingSafeEqual } from 'node:crypto';

export const TOLERANCE_SECONDS = 5 * 60;
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/**
 * Checks a `Payment-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]` header: one v1
 * must be HMAC-SHA256(secret, `${t}.${rawBody}`), and t within the tolerance of nowMs.
 * Signing the timestamp with the body means an old captured request cannot be
 * "refreshed" by editing t; the tolerance bounds how long a capture can be replayed.
 */
export function verifySignature({ header, rawBody, secret, nowMs, toleranceSeconds = TOLERANCE_SECONDS }) {
  if (typeof header !== 'string' || !secret) return false;
  let timestamp;
  const signatures = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=');
    if (key === 't') timestamp = value;
    // Several v1 entries arrive while the provider rotates its secret.
    else if (key === 'v1' && HEX_SHA256.test(value ?? '')) signatures.push(Buffer.from(value, 'hex'));
  }
  if (!/^\d{1,12}$/.test(timestamp ?? '') || signatures.length === 0) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  // === would stop at the first differing byte and leak, through timing, how much matched.
  return signatures.some((signature) => timingSafeEqual(signature, expected));
}
