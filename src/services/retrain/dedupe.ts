import { createHash } from 'node:crypto';

/**
 * Dedupe keys: one per real-world occurrence, so at-least-once deliveries start at most one run.
 *
 * @remarks Keys are hashed before use as blob names; the readable form is kept in the ledger for operators.
 */

export type DedupeSource =
  | { readonly kind: 'blob'; readonly url: string; readonly eTag: string }
  | { readonly kind: 'webhook'; readonly provider: string; readonly deliveryId: string }
  | { readonly kind: 'commit'; readonly repository: string; readonly sha: string }
  | { readonly kind: 'schedule'; readonly schedule: string; readonly slot: string }
  | { readonly kind: 'manual'; readonly requestId: string };

/**
 * The readable dedupe key.
 *
 * Blob: URL (no query) + ETag — the several BlobCreated events one upload may emit (Event Grid retries, PutBlob and a
 * later no-op CopyBlob onto itself) carry the same ETag, while a re-upload of the same name gets a new ETag.
 */
export function dedupeKey(source: DedupeSource): string {
  switch (source.kind) {
    case 'blob':
      return `blob:${source.url.replace(/[?#].*$/, '')}#${source.eTag.replace(/^"|"$/g, '')}`;
    case 'webhook':
      return `webhook:${source.provider.toLowerCase()}:${source.deliveryId}`;
    case 'commit':
      return `commit:${source.repository.toLowerCase()}@${source.sha.toLowerCase()}`;
    case 'schedule':
      return `schedule:${source.schedule}@${source.slot}`;
    case 'manual':
      return `manual:${source.requestId}`;
  }
}

/** Short stable hex digest. */
export function digest(text: string, length = 40): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/**
 * Trigger id for a model + dedupe key: deterministic, so a retried submission gets the same id and therefore the same
 * Azure ML job name (the idempotency key of the training submission).
 */
export function triggerIdFor(model: string, key: string): string {
  return `t${digest(`${model}\n${key}`, 24)}`;
}

/**
 * The schedule slot of a timer firing: the occurrence time floored to the minute (ISO). A past-due re-run or a
 * second host firing the same occurrence maps to the same slot; retrain schedules finer than a minute dedupe to one
 * run per minute.
 */
export function scheduleSlot(firedAt: Date): string {
  const t = new Date(firedAt.getTime());
  t.setUTCSeconds(0, 0);
  return t.toISOString();
}
