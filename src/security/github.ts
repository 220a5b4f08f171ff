import type { VerificationResult } from './errors';
import { verifySha256Signature } from './hmac';

/** Header GitHub signs deliveries with: `sha256=` + hex HMAC-SHA256 of the raw body under the webhook secret. */
export const GITHUB_SIGNATURE_HEADER = 'x-hub-signature-256';

/**
 * Verifies a GitHub webhook delivery.
 *
 * @param rawBody exactly the bytes received; GitHub signs the body as sent, so it must not be re-serialised.
 */
export function verifyGitHubSignature(
  secret: string,
  rawBody: Uint8Array,
  signature: string | undefined,
): VerificationResult {
  return verifySha256Signature(secret, signature, rawBody);
}
