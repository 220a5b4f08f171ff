import { InvalidRequestError } from './service';

/**
 * Continuation tokens of the operations API's listings: an opaque offset into the filtered, ordered result. Only
 * tokens this API issued are accepted (anything else is a 400 naming the parameter).
 */
export function decodeToken(token: string | undefined): number {
  if (!token) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through
  }
  throw new InvalidRequestError(['query.continuationToken: not a token this API issued']);
}

export function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset }), 'utf8').toString('base64url');
}
