export { type BasicCredentials, basicAuthHeader, verifyBasicAuth } from './basic-auth';
export { constantTimeEqual } from './compare';
export { rejected, type VerificationFailure, verificationMessages, type VerificationResult, verified } from './errors';
export {
  DEFAULT_REPLAY_WINDOW_SECONDS,
  GENERIC_DELIVERY_HEADER,
  GENERIC_SIGNATURE_HEADER,
  GENERIC_TIMESTAMP_HEADER,
  type GenericSignatureInput,
  signGeneric,
  verifyGenericSignature,
} from './generic';
export { GITHUB_SIGNATURE_HEADER, verifyGitHubSignature } from './github';
export { hmacSha256Hex, signatureHeader, verifySha256Signature } from './hmac';
export {
  isSensitiveHeader,
  REDACTED,
  redactDimensions,
  redactHeaders,
  redactText,
  redactUrl,
  redactValue,
} from './redact';
