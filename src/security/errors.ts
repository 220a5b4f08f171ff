/**
 * Why a webhook request was not authenticated. The reason is safe to show to the caller and to log: it never
 * contains the secret, the presented signature or the credentials.
 */
export type VerificationFailure =
  | 'missing-signature'
  | 'malformed-signature'
  | 'signature-mismatch'
  | 'missing-timestamp'
  | 'malformed-timestamp'
  | 'timestamp-outside-window'
  | 'missing-credentials'
  | 'malformed-credentials'
  | 'invalid-credentials';

export type VerificationResult = { readonly ok: true } | { readonly ok: false; readonly reason: VerificationFailure };

export const verified: VerificationResult = Object.freeze({ ok: true });

export function rejected(reason: VerificationFailure): VerificationResult {
  return { ok: false, reason };
}

/** Human-readable text for each failure, used in 401 problem bodies. */
export const verificationMessages: Readonly<Record<VerificationFailure, string>> = Object.freeze({
  'missing-signature': 'the signature header is missing',
  'malformed-signature': 'the signature header is not of the form sha256=<64 hex digits>',
  'signature-mismatch': 'the signature does not match the body',
  'missing-timestamp': 'the timestamp header is missing',
  'malformed-timestamp': 'the timestamp header is not a unix time in seconds',
  'timestamp-outside-window': 'the timestamp is outside the accepted window (possible replay)',
  'missing-credentials': 'basic-auth credentials are missing',
  'malformed-credentials': 'the Authorization header is not valid basic auth',
  'invalid-credentials': 'the credentials are not valid',
});
