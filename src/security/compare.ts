import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets in time independent of where they differ and of their lengths.
 *
 * @remarks `timingSafeEqual` needs equal lengths and would leak the expected length through an early return, so both
 * values are first hashed to fixed-size digests; equal digests mean equal inputs (SHA-256 collision resistance).
 */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
