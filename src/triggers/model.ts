import type { DedupeSource } from '../services/retrain/dedupe';

/**
 * The trigger model: what asked for a retrain. Every entry point (Event Grid, webhooks, timers, the ops API) builds
 * one of these and hands it to `submitRetrainTrigger`.
 */

export type TriggerSource = 'dataset' | 'git' | 'schedule' | 'manual';

export interface DatasetRef {
  /** Blob URL without query string. */
  readonly uri: string;
  readonly container: string;
  /** Blob name inside the container. */
  readonly name: string;
  /** ETag without quotes. */
  readonly eTag: string;
  readonly contentLength?: number | undefined;
  /** The Azure ML data asset version registered for this blob (lineage), when registration succeeded. */
  readonly dataAsset?:
    { readonly name: string; readonly version: string; readonly id?: string | undefined } | undefined;
}

export interface GitRef {
  /** owner/name. */
  readonly repository: string;
  readonly sha?: string | undefined;
  readonly branch?: string | undefined;
  /** CI run/build id or URL, when the trigger came from a CI system. */
  readonly ciRun?: string | undefined;
  /** github | azureDevOps | generic. */
  readonly provider?: string | undefined;
}

export interface RetrainTrigger {
  /** Catalog model name. */
  readonly model: string;
  readonly source: TriggerSource;
  /** What makes this trigger unique (blob URL + ETag, delivery id, commit, schedule slot, request id). */
  readonly dedupe: DedupeSource;
  /** When the input came into existence (event time, push time, schedule slot); decides "newest" on coalescing. */
  readonly occurredAt: string;
  /** Delivery/event id of the message that carried the trigger (for the ledger; not part of the dedupe key). */
  readonly eventId?: string | undefined;
  readonly dataset?: DatasetRef | undefined;
  readonly git?: GitRef | undefined;
  readonly schedule?: { readonly name: string; readonly slot: string } | undefined;
  /** Who asked (manual triggers, webhook sender); never a secret. */
  readonly requestedBy?: string | undefined;
  /**
   * Overrides of the catalog's `training.parameters` for this run (names must exist there; the dataset input
   * cannot be overridden). A coalesced follow-up runs with the newest trigger's overrides.
   */
  readonly parameters?: Readonly<Record<string, string | number | boolean>> | undefined;
}

/** What became of a trigger. */
export type TriggerFate =
  /** Recorded, not yet placed (a submission in progress, or one the reconciler will finish). */
  | 'received'
  /** It started a run (immediately, or later as the follow-up). */
  | 'started'
  /** It waits as the model's one follow-up run. */
  | 'coalesced'
  /** A newer trigger took its place as the follow-up (or it arrived older than the waiting one). */
  | 'superseded'
  /** Taken out of the queue through the operations API before it started. */
  | 'canceled'
  /** Same dedupe key as an earlier trigger: nothing started. */
  | 'duplicate'
  /** Matched no model, or was filtered out. */
  | 'ignored';

export type SubmitOutcome = 'started' | 'queued' | 'duplicate';

export interface SubmitResult {
  readonly outcome: SubmitOutcome;
  /** The trigger's id (for a duplicate: the id of the original trigger). */
  readonly triggerId: string;
  /** Orchestration instance that runs (or will run) the model's retrain. */
  readonly instanceId: string;
  /** Run id the trigger started or will start (equals the trigger id); for a duplicate, the original's. */
  readonly runId: string;
}

/** The input of a retrain run as the orchestration receives it: the trigger plus the inputs inherited for it. */
export interface RunInput {
  readonly runId: string;
  readonly triggerId: string;
  readonly model: string;
  readonly source: TriggerSource;
  readonly occurredAt: string;
  /** The trigger's dataset, or the model's newest known dataset when the trigger carries none (git, schedule). */
  readonly dataset?: DatasetRef | undefined;
  readonly git?: GitRef | undefined;
  /** Trigger ids folded into this run (superseded follow-ups), for the run record. */
  readonly coalesced?: readonly string[] | undefined;
  /** Training parameter overrides of the trigger. */
  readonly parameters?: Readonly<Record<string, string | number | boolean>> | undefined;
}
