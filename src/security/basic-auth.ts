import { constantTimeEqual } from './compare';
import { rejected, type VerificationResult, verified } from './errors';

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Checks an `Authorization: Basic <base64(user:password)>` header, as Azure DevOps service hooks send it.
 *
 * @remarks User name and password are both compared, always, in constant time, so the response time does not tell
 * which one was wrong.
 */
export function verifyBasicAuth(header: string | undefined, expected: BasicCredentials): VerificationResult {
  if (header === undefined || header.trim() === '') return rejected('missing-credentials');
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header.trim());
  if (!match?.[1]) return rejected('malformed-credentials');
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return rejected('malformed-credentials');
  const userOk = constantTimeEqual(decoded.slice(0, colon), expected.username);
  const passwordOk = constantTimeEqual(decoded.slice(colon + 1), expected.password);
  return userOk && passwordOk ? verified : rejected('invalid-credentials');
}

/** `Basic …` header value for the given credentials (tests, CLI, docs). */
export function basicAuthHeader(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}
