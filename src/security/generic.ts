import { rejected, type VerificationResult } from './errors';
import { signatureHeader, verifySha256Signature } from './hmac';

export const GENERIC_TIMESTAMP_HEADER = 'x-mlops-timestamp';
export const GENERIC_SIGNATURE_HEADER = 'x-mlops-signature';
export const GENERIC_DELIVERY_HEADER = 'x-mlops-delivery';

/** Accepted clock difference between sender and receiver, in both directions. */
export const DEFAULT_REPLAY_WINDOW_SECONDS = 300;

export interface GenericSignatureInput {
  readonly secret: string;
  readonly rawBody: Uint8Array;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
  /** Receiver's clock, unix milliseconds. */
  readonly nowMs: number;
  readonly windowSeconds?: number;
}

/**
 * Verifies the generic (Jenkins and others) webhook scheme:
 * `X-Mlops-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>` with `X-Mlops-Timestamp` in unix
 * seconds no further than the window from the receiver's clock, in either direction.
 *
 * @remarks The timestamp is part of the signed bytes, so an old delivery cannot be replayed with a fresh timestamp.
 * The window is checked before the signature so a replay is reported as such.
 */
export function verifyGenericSignature(input: GenericSignatureInput): VerificationResult {
  const { timestamp, signature } = input;
  if (signature === undefined || signature.trim() === '') return rejected('missing-signature');
  if (timestamp === undefined || timestamp.trim() === '') return rejected('missing-timestamp');
  const ts = timestamp.trim();
  if (!/^\d{1,12}$/.test(ts)) return rejected('malformed-timestamp');
  const window = input.windowSeconds ?? DEFAULT_REPLAY_WINDOW_SECONDS;
  const skewSeconds = Math.abs(input.nowMs / 1000 - Number(ts));
  if (skewSeconds > window) return rejected('timestamp-outside-window');
  return verifySha256Signature(input.secret, signature, ts, '.', input.rawBody);
}

/** Headers a sender attaches; used by tests, the benchmark and the documentation's examples. */
export function signGeneric(
  secret: string,
  rawBody: string | Uint8Array,
  timestampSeconds: number,
): { [GENERIC_TIMESTAMP_HEADER]: string; [GENERIC_SIGNATURE_HEADER]: string } {
  const ts = String(Math.floor(timestampSeconds));
  return {
    [GENERIC_TIMESTAMP_HEADER]: ts,
    [GENERIC_SIGNATURE_HEADER]: signatureHeader(secret, ts, '.', rawBody),
  };
}
