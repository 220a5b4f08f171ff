/**
 * A local Application Insights ingestion endpoint (`/v2/track`, `/v2.1/track`). The real SDK exports here when
 * the connection string's `IngestionEndpoint` names the dev host; received envelopes are kept in memory (bounded,
 * oldest dropped first) and can be queried through `GET /admin/telemetry`.
 *
 * @remarks The Azure Monitor exporter rewrites `http://` ingestion endpoints to `https://`, so the SDK can only
 * reach this sink over the dev host's HTTPS listener. Bodies are a JSON array (the exporter), newline-delimited
 * JSON (older SDKs), optionally gzip-compressed.
 *
 * Authentication, as Application Insights ingestion does it (Learn, "Microsoft Entra authentication for Application
 * Insights"): a request may carry `Authorization: Bearer <token>` for the audience `https://monitor.azure.com`; a bad
 * token is refused with 401 whatever the mode. Without a token the instrumentation key alone is accepted, unless the
 * sink is in Entra-only mode (the component's `DisableLocalAuth`), which refuses it with 401. Tokens come from the
 * dev host's managed-identity endpoint (unsigned JWTs): the claims are checked, no signature.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';

import { readBody, sendJson } from './http/http-io';

export const TRACK_PATHS = ['/v2/track', '/v2.1/track'];

export type TelemetryKind =
  'event' | 'metric' | 'request' | 'dependency' | 'exception' | 'trace' | 'pageView' | 'availability' | 'other';

export interface TelemetryEnvelope {
  name?: string;
  time?: string;
  iKey?: string;
  tags?: Record<string, string>;
  data?: { baseType?: string; baseData?: Record<string, unknown> };
}

export interface TelemetryQuery {
  name?: string;
  type?: TelemetryKind;
}

const KIND_BY_BASE_TYPE: Record<string, TelemetryKind> = {
  EventData: 'event',
  MetricData: 'metric',
  RequestData: 'request',
  RemoteDependencyData: 'dependency',
  ExceptionData: 'exception',
  MessageData: 'trace',
  PageViewData: 'pageView',
  AvailabilityData: 'availability',
};

export function kindOf(envelope: TelemetryEnvelope): TelemetryKind {
  return KIND_BY_BASE_TYPE[envelope.data?.baseType ?? ''] ?? 'other';
}

/** The names an envelope answers to: the item name, and for metrics every metric name in it. */
export function namesOf(envelope: TelemetryEnvelope): string[] {
  const base = envelope.data?.baseData ?? {};
  const names: string[] = [];
  if (typeof base.name === 'string') names.push(base.name);
  if (Array.isArray(base.metrics)) {
    for (const m of base.metrics as { name?: unknown }[]) if (typeof m.name === 'string') names.push(m.name);
  }
  if (Array.isArray(base.exceptions)) {
    for (const e of base.exceptions as { typeName?: unknown }[])
      if (typeof e.typeName === 'string') names.push(e.typeName);
  }
  return names;
}

/** How one track request authenticated (kept for tests and `GET /admin/telemetry` users to see the path taken). */
export type TelemetryAuthentication =
  | { readonly kind: 'instrumentationKey' }
  | { readonly kind: 'entra'; readonly clientId: string | undefined; readonly audience: string }
  | { readonly kind: 'refused'; readonly reason: string };

/** The audience Azure Monitor ingestion tokens are issued for (with or without the trailing slash). */
const MONITOR_AUDIENCE = /^https:\/\/monitor\.azure\.com\/?$/;

function claimsOf(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The request's authentication, or why it is refused. */
export function authenticate(
  authorization: string | undefined,
  entraOnly: boolean,
  nowSeconds: number,
): TelemetryAuthentication {
  if (!authorization) {
    return entraOnly
      ? {
          kind: 'refused',
          reason:
            'this resource accepts only Microsoft Entra ID authenticated telemetry (local authentication is disabled)',
        }
      : { kind: 'instrumentationKey' };
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  const claims = bearer ? claimsOf(bearer) : undefined;
  if (!claims) return { kind: 'refused', reason: 'the Authorization header is not a bearer token' };
  const audience = typeof claims.aud === 'string' ? claims.aud : '';
  if (!MONITOR_AUDIENCE.test(audience))
    return { kind: 'refused', reason: `the token's audience ${audience || '(none)'} is not https://monitor.azure.com` };
  if (typeof claims.exp === 'number' && claims.exp <= nowSeconds)
    return { kind: 'refused', reason: 'the token has expired' };
  return { kind: 'entra', clientId: typeof claims.appid === 'string' ? claims.appid : undefined, audience };
}

export class TelemetrySink {
  private readonly envelopes: TelemetryEnvelope[] = [];
  private readonly authentications: TelemetryAuthentication[] = [];
  private entraOnly = false;

  constructor(private readonly capacity = 10_000) {}

  /** Entra-only mode: refuse telemetry without a token, like a component with local authentication disabled. */
  setEntraAuthOnly(entraOnly: boolean): void {
    this.entraOnly = entraOnly;
  }

  /** How each track request authenticated, oldest first (bounded like the envelopes). */
  authenticationLog(): readonly TelemetryAuthentication[] {
    return [...this.authentications];
  }

  add(items: readonly TelemetryEnvelope[]): void {
    this.envelopes.push(...items);
    const excess = this.envelopes.length - this.capacity;
    if (excess > 0) this.envelopes.splice(0, excess);
  }

  query(q: TelemetryQuery = {}): TelemetryEnvelope[] {
    return this.envelopes.filter(
      (e) => (q.type === undefined || kindOf(e) === q.type) && (q.name === undefined || namesOf(e).includes(q.name)),
    );
  }

  clear(): void {
    this.envelopes.length = 0;
    this.authentications.length = 0;
  }

  /** Handles a POST to a track path with the exporter's response shape. */
  async handleTrack(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = authenticate(req.headers.authorization, this.entraOnly, Math.floor(Date.now() / 1000));
    this.authentications.push(auth);
    if (this.authentications.length > this.capacity) this.authentications.shift();
    let raw = await readBody(req);
    if (auth.kind === 'refused') {
      sendJson(res, 401, {
        itemsReceived: 0,
        itemsAccepted: 0,
        errors: [{ index: 0, statusCode: 401, message: auth.reason }],
      });
      return;
    }
    const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
    if (encoding === 'gzip' || (raw[0] === 0x1f && raw[1] === 0x8b)) raw = gunzipSync(raw);
    let items: TelemetryEnvelope[];
    try {
      items = parseEnvelopes(raw.toString('utf8'));
    } catch {
      sendJson(res, 400, {
        itemsReceived: 0,
        itemsAccepted: 0,
        errors: [{ index: 0, statusCode: 400, message: 'Invalid JSON' }],
      });
      return;
    }
    this.add(items);
    sendJson(res, 200, { itemsReceived: items.length, itemsAccepted: items.length, errors: [] });
  }
}

function parseEnvelopes(text: string): TelemetryEnvelope[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as TelemetryEnvelope[];
  return trimmed
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TelemetryEnvelope);
}
