/**
 * A local Application Insights ingestion endpoint (`/v2/track`, `/v2.1/track`). The real SDK exports here when
 * the connection string's `IngestionEndpoint` names the dev host; received envelopes are kept in memory (bounded,
 * oldest dropped first) and can be queried through `GET /admin/telemetry`.
 *
 * @remarks The Azure Monitor exporter rewrites `http://` ingestion endpoints to `https://`, so the SDK can only
 * reach this sink over the dev host's HTTPS listener. Bodies are a JSON array (the exporter), newline-delimited
 * JSON (older SDKs), optionally gzip-compressed.
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

export class TelemetrySink {
  private readonly envelopes: TelemetryEnvelope[] = [];

  constructor(private readonly capacity = 10_000) {}

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
  }

  /** Handles a POST to a track path with the exporter's response shape. */
  async handleTrack(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = await readBody(req);
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
