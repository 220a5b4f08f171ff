import { createHmac, timingSafeEqual } from 'node:crypto';

import { rejected, type VerificationResult, verified } from './errors';

const SIGNATURE_PATTERN = /^sha256=([0-9a-fA-F]{64})$/;

/** Hex HMAC-SHA256 of `data` under `secret`. */
export function hmacSha256Hex(secret: string, ...data: (string | Uint8Array)[]): string {
  const mac = createHmac('sha256', secret);
  for (const part of data) mac.update(part);
  return mac.digest('hex');
}

/** `sha256=<hex>` header value for `data`, as GitHub and the generic webhook send it. */
export function signatureHeader(secret: string, ...data: (string | Uint8Array)[]): string {
  return `sha256=${hmacSha256Hex(secret, ...data)}`;
}

/**
 * Checks a `sha256=<64 hex>` header against the HMAC-SHA256 of `data` (the raw body bytes, or the bytes the scheme
 * signs) in constant time.
 *
 * @remarks The digest is compared as 32 raw bytes with `timingSafeEqual`; a header of any other shape (truncated,
 * other algorithm, extra characters) is rejected before any comparison.
 */
export function verifySha256Signature(
  secret: string,
  header: string | undefined,
  ...data: (string | Uint8Array)[]
): VerificationResult {
  if (header === undefined || header.trim() === '') return rejected('missing-signature');
  const match = SIGNATURE_PATTERN.exec(header.trim());
  if (!match?.[1]) return rejected('malformed-signature');
  const presented = Buffer.from(match[1], 'hex');
  const mac = createHmac('sha256', secret);
  for (const part of data) mac.update(part);
  const expected = mac.digest();
  return timingSafeEqual(presented, expected) ? verified : rejected('signature-mismatch');
}
