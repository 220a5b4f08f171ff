import type { GitLineage } from './ci-event';

/**
 * What the webhooks and the operations API hand to the retrain start/coalesce path.
 *
 * @remarks This is the port of this area; the composition root adapts it to the trigger model of `src/triggers`
 * (`submitRetrainTrigger(deps, trigger)`), which owns dedupe markers, the trigger ledger and coalescing. Keeping it
 * here lets the HTTP edge be tested without the durable engine.
 */
export type RetrainSource = 'github' | 'azureDevOps' | 'generic' | 'manual';

export type ParameterValue = string | number | boolean;

export interface RetrainTriggerRequest {
  readonly model: string;
  readonly source: RetrainSource;
  /**
   * Redelivery key, unique per delivery and model: `<source>:<delivery id>:<model>`. The same key never starts a
   * second run, also after the first run completed.
   */
  readonly dedupeKey: string;
  /** Delivery id as the sender sent it (X-GitHub-Delivery, notification id, X-Mlops-Delivery, manual request id). */
  readonly deliveryId: string;
  /** Why this model is retrained, e.g. "push to contoso/x@main changed models/x/train.py". */
  readonly reason: string;
  readonly git?: GitLineage;
  readonly parameters?: Readonly<Record<string, ParameterValue>>;
  /** Who asked, for manual triggers (never a credential). */
  readonly requestedBy?: string;
  /** ISO time the delivery was received. */
  readonly receivedAt: string;
}

export interface RetrainTriggerOutcome {
  /** `started`: a new run; `queued`: coalesced behind the run in flight; `duplicate`: seen before. */
  readonly outcome: 'started' | 'queued' | 'duplicate';
  /** The run that handles (or handled) this trigger; for `duplicate`, the original one. */
  readonly runId: string;
  /** Orchestration instance executing (or about to execute) the run. */
  readonly instanceId: string;
  readonly triggerId: string;
}

export type RetrainTriggerSubmitter = (request: RetrainTriggerRequest) => Promise<RetrainTriggerOutcome>;

/** `<source>:<delivery id>:<model>` */
export function dedupeKeyFor(source: RetrainSource, deliveryId: string, model: string): string {
  return `${source}:${deliveryId}:${model}`;
}
