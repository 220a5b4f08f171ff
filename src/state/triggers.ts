import { digest } from '../services/retrain/dedupe';
import type { RetrainTrigger, TriggerFate } from '../triggers/model';
import { type BlobJsonStore, segment } from './blob-json';

/**
 * The trigger ledger and the dedupe markers.
 *
 * Layout (container `MLOPS_STATE_CONTAINER` in host storage):
 * - `dedupe/<model>/<sha256(dedupe key)>.json` — created once with If-None-Match: * ; body names the trigger that
 *   claimed the key. Never deleted, so a duplicate is recognised also after its run completed.
 * - `triggers/<triggerId>.json` — every trigger with its fate and history; metadata `model`, `fate`, `receivedat`.
 */

export interface FateChange {
  readonly at: string;
  readonly fate: TriggerFate;
  readonly note?: string | undefined;
}

export interface TriggerEntry {
  readonly triggerId: string;
  readonly model: string;
  readonly dedupeKey: string;
  readonly receivedAt: string;
  readonly trigger: RetrainTrigger;
  readonly fate: TriggerFate;
  /** For `duplicate`: the trigger that first claimed the key. For `superseded`: the trigger that replaced it. */
  readonly relatedTriggerId?: string | undefined;
  readonly instanceId?: string | undefined;
  /** The run it started or was folded into. */
  readonly runId?: string | undefined;
  /** The submission finished placing the trigger (lane updated, orchestration started or signalled). */
  readonly placed?: boolean | undefined;
  readonly history: readonly FateChange[];
}

export interface DedupeMarker {
  readonly triggerId: string;
  readonly dedupeKey: string;
  readonly claimedAt: string;
}

function triggerBlob(triggerId: string): string {
  return `triggers/${segment(triggerId)}.json`;
}

function markerBlob(model: string, key: string): string {
  return `dedupe/${segment(model)}/${digest(key, 64)}.json`;
}

function metadataOf(entry: TriggerEntry): Record<string, string> {
  return { model: entry.model, fate: entry.fate, receivedat: entry.receivedAt, source: entry.trigger.source };
}

export class TriggerLedger {
  constructor(private readonly store: BlobJsonStore) {}

  /**
   * Claims a dedupe key (If-None-Match: *). Exactly one caller ever creates the marker (`created`); the others
   * learn which trigger owns the key.
   */
  async claim(
    model: string,
    dedupeKey: string,
    triggerId: string,
    now: string,
  ): Promise<{ owner: string; created: boolean }> {
    const name = markerBlob(model, dedupeKey);
    const marker: DedupeMarker = { triggerId, dedupeKey, claimedAt: now };
    if (await this.store.create(name, marker, { model })) return { owner: triggerId, created: true };
    const existing = await this.store.read<DedupeMarker>(name);
    return { owner: existing?.value.triggerId ?? triggerId, created: false };
  }

  async isClaimed(model: string, dedupeKey: string): Promise<string | undefined> {
    return (await this.store.read<DedupeMarker>(markerBlob(model, dedupeKey)))?.value.triggerId;
  }

  /** Records a trigger (first write wins; a retried submission keeps the original entry). */
  async record(entry: Omit<TriggerEntry, 'history'>): Promise<TriggerEntry> {
    const full: TriggerEntry = { ...entry, history: [{ at: entry.receivedAt, fate: entry.fate }] };
    const stored = await this.store.update<TriggerEntry>(triggerBlob(entry.triggerId), (current) => current ?? full, {
      metadata: metadataOf,
    });
    return stored ?? full;
  }

  /** Moves a trigger to a new fate (appends to its history). Unknown triggers are ignored. */
  async setFate(
    triggerId: string,
    fate: TriggerFate,
    at: string,
    details: { note?: string; relatedTriggerId?: string; runId?: string; instanceId?: string; placed?: boolean } = {},
  ): Promise<TriggerEntry | undefined> {
    return this.store.update<TriggerEntry>(
      triggerBlob(triggerId),
      (current) => {
        if (!current) return undefined;
        const last = current.history[current.history.length - 1];
        if (
          current.fate === fate &&
          last?.note === details.note &&
          current.runId === (details.runId ?? current.runId) &&
          (details.placed === undefined || current.placed === details.placed)
        ) {
          return undefined;
        }
        return {
          ...current,
          fate,
          relatedTriggerId: details.relatedTriggerId ?? current.relatedTriggerId,
          runId: details.runId ?? current.runId,
          instanceId: details.instanceId ?? current.instanceId,
          placed: details.placed ?? current.placed,
          history: [...current.history, { at, fate, note: details.note }],
        };
      },
      { metadata: metadataOf },
    );
  }

  async get(triggerId: string): Promise<TriggerEntry | undefined> {
    return (await this.store.read<TriggerEntry>(triggerBlob(triggerId)))?.value;
  }

  /** Triggers, newest first, optionally of one model / fate / received since. */
  async list(
    filter: { model?: string; fate?: TriggerFate; since?: string; top?: number } = {},
  ): Promise<TriggerEntry[]> {
    const names: { name: string; receivedAt: string }[] = [];
    for await (const blob of this.store.list('triggers/')) {
      const m = blob.metadata;
      if (filter.model && m.model !== filter.model) continue;
      if (filter.fate && m.fate !== filter.fate) continue;
      if (filter.since && (m.receivedat ?? '') < filter.since) continue;
      names.push({ name: blob.name, receivedAt: m.receivedat ?? '' });
    }
    names.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
    const selected = names.slice(0, filter.top ?? 100);
    const entries = await Promise.all(selected.map((n) => this.store.read<TriggerEntry>(n.name)));
    return entries.flatMap((e) => (e ? [e.value] : []));
  }
}
