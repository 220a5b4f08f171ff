import { datasetInputUri } from '../../azureml/dataset-uri';
import { type Catalog, type DatasetTrigger, type ModelEntry, retrainModels } from '../../catalog';

/**
 * Filtering of `Microsoft.Storage.BlobCreated` events: which uploads are datasets, and for which models.
 *
 * @remarks Pure. Accepts both the Event Grid schema (`eventType`, `eventTime`) and CloudEvents 1.0 (`type`, `time`).
 */

export const BLOB_CREATED = 'Microsoft.Storage.BlobCreated';

/** Storage APIs that commit a blob's content; other BlobCreated events (e.g. ADLS `CreateFile`) are not uploads. */
export const COMMITTING_APIS: readonly string[] = ['PutBlob', 'PutBlockList', 'CopyBlob', 'FlushWithClose'];

/** A committed, non-empty blob named by a BlobCreated event. */
export interface UploadedBlob {
  /** Blob URL without query string, exactly as the event names it. */
  readonly url: string;
  readonly container: string;
  /** Blob name (path inside the container), decoded. */
  readonly name: string;
  /** ETag without surrounding quotes. */
  readonly eTag: string;
  readonly api: string;
  readonly contentLength: number;
  readonly contentType: string | undefined;
  readonly eventId: string;
  readonly eventTime: string;
}

export type BlobEventVerdict =
  { readonly accepted: true; readonly blob: UploadedBlob } | { readonly accepted: false; readonly reason: string };

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** `/blobServices/default/containers/{c}/blobs/{path}` → container and decoded path. */
export function parseBlobSubject(subject: string): { container: string; name: string } | undefined {
  const match = /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/.exec(subject);
  if (!match?.[1] || !match[2]) return undefined;
  return { container: match[1], name: safeDecode(match[2]) };
}

/** `https://acct.blob.core.windows.net/{c}/{path}` (or Azurite's `http://host:port/acct/{c}/{path}`). */
export function parseBlobUrl(url: string): { account: string; container: string; name: string } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const segments = parsed.pathname.split('/').filter((s) => s.length > 0);
  // Path-style (Azurite, IP hosts): the first segment is the account name.
  const pathStyle = /^(\d+\.\d+\.\d+\.\d+|localhost|\[.*\])$/.test(parsed.hostname) || parsed.port !== '';
  const rest = pathStyle ? segments.slice(1) : segments;
  const account = (pathStyle ? segments[0] : parsed.hostname.split('.')[0]) ?? '';
  const [container, ...blob] = rest;
  if (!container || blob.length === 0) return undefined;
  return { account, container, name: safeDecode(blob.join('/')) };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Strips the query string and fragment (a SAS must never end up in a dedupe key, a tag or telemetry). */
export function canonicalBlobUrl(url: string): string {
  const cut = url.search(/[?#]/);
  return cut >= 0 ? url.slice(0, cut) : url;
}

/**
 * Decides whether one event is a dataset upload worth considering.
 *
 * Ignored: other event types, non-committing APIs (intermediate block commits, ADLS CreateFile), zero-length blobs,
 * folder markers (names ending in `/`, or `hdi_isfolder` metadata on ADLS), malformed events.
 */
export function inspectBlobCreated(event: unknown): BlobEventVerdict {
  const e = record(event);
  if (!e) return { accepted: false, reason: 'event is not an object' };
  const type = str(e.eventType) ?? str(e.type);
  if (type !== BLOB_CREATED)
    return { accepted: false, reason: `event type ${type ?? '(none)'} is not ${BLOB_CREATED}` };
  const data = record(e.data);
  if (!data) return { accepted: false, reason: 'event has no data' };
  const api = str(data.api) ?? '';
  if (!COMMITTING_APIS.includes(api))
    return { accepted: false, reason: `api ${api || '(none)'} does not commit a blob` };
  const rawUrl = str(data.url);
  if (!rawUrl) return { accepted: false, reason: 'event has no data.url' };
  const url = canonicalBlobUrl(rawUrl);
  const location = (str(e.subject) && parseBlobSubject(str(e.subject) ?? '')) || parseBlobUrl(url);
  if (!location) return { accepted: false, reason: 'cannot tell container and blob name from subject or url' };
  if (location.name.endsWith('/')) return { accepted: false, reason: 'folder marker (name ends with /)' };
  const metadata = record(data.metadata);
  if (metadata && (str(metadata.hdi_isfolder) ?? '').toLowerCase() === 'true') {
    return { accepted: false, reason: 'folder marker (hdi_isfolder)' };
  }
  const contentLength = typeof data.contentLength === 'number' ? data.contentLength : Number(data.contentLength);
  if (!Number.isFinite(contentLength) || contentLength <= 0) return { accepted: false, reason: 'zero-length blob' };
  const eTag = (str(data.eTag) ?? str(data.etag) ?? '').replace(/^"|"$/g, '');
  if (!eTag) return { accepted: false, reason: 'event has no data.eTag' };
  return {
    accepted: true,
    blob: {
      url,
      container: location.container,
      name: location.name,
      eTag,
      api,
      contentLength,
      contentType: str(data.contentType),
      eventId: str(e.id) ?? '',
      eventTime: str(e.eventTime) ?? str(e.time) ?? '',
    },
  };
}

/** True when the blob falls under one dataset trigger (container equal; name starts with prefix, ends with suffix). */
export function matchesDatasetTrigger(
  trigger: DatasetTrigger,
  blob: Pick<UploadedBlob, 'container' | 'name'>,
): boolean {
  return (
    trigger.container === blob.container && blob.name.startsWith(trigger.prefix) && blob.name.endsWith(trigger.suffix)
  );
}

/** Models whose dataset triggers match the blob, in catalog order (each model at most once). */
export function modelsForBlob(catalog: Catalog, blob: Pick<UploadedBlob, 'container' | 'name'>): ModelEntry[] {
  return retrainModels(catalog).filter((m) => m.triggers.datasets.some((t) => matchesDatasetTrigger(t, blob)));
}

/**
 * The reference a job input (or data asset) receives for an uploaded blob: the blob itself (`uri_file`) or its folder
 * (`uri_folder`), through the lake's identity-based datastore (src/azureml/dataset-uri.ts). An `azureml:` reference
 * (given to the ops API) is passed on as it is.
 */
export function datasetUriFor(blobUrl: string, type: 'uri_file' | 'uri_folder'): string {
  if (/^azureml:/i.test(blobUrl)) return blobUrl;
  const url = canonicalBlobUrl(blobUrl);
  const blob = parseBlobUrl(url);
  return blob ? datasetInputUri(blob, type) : url;
}
