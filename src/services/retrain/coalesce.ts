/**
 * Coalescing: at most one training run per model in flight; triggers arriving meanwhile fold into exactly one
 * follow-up run with the newest input.
 *
 * @remarks Pure decisions over the per-model lane record (src/state/lanes.ts keeps it in blob storage and applies
 * these decisions with optimistic concurrency, so two concurrent submissions can never both start a run).
 */

/** The run a lane is busy with. */
export interface LaneRun {
  readonly runId: string;
  readonly triggerId: string;
  readonly instanceId: string;
  /** When the lane was given to this run (ISO). */
  readonly since: string;
}

/** The one trigger waiting for the lane. */
export interface LanePending {
  readonly triggerId: string;
  /** When the input came into existence (event time; ISO) — decides which input is "newest". */
  readonly occurredAt: string;
  /** When the orchestrator received it (ISO) — tie breaker. */
  readonly receivedAt: string;
}

export interface LaneState {
  readonly active?: LaneRun | undefined;
  readonly pending?: LanePending | undefined;
}

export type SupersedePolicy = 'coalesce' | 'cancel';

export type ArrivalDecision =
  /** Lane free: this trigger starts a run now. */
  | { readonly action: 'start'; readonly lane: LaneState; readonly run: LaneRun }
  /** Lane busy: this trigger is now the follow-up (it replaced `superseded`, if any). */
  | {
      readonly action: 'queue';
      readonly lane: LaneState;
      readonly superseded: string | undefined;
      readonly cancelActive: boolean;
    }
  /** Lane busy and the waiting follow-up is newer: this trigger is folded into it without replacing it. */
  | { readonly action: 'fold'; readonly into: string }
  /** The trigger is already the active run or the follow-up (a retried submission): nothing changes. */
  | { readonly action: 'already'; readonly as: 'active' | 'pending' };

export interface ArrivingTrigger {
  readonly triggerId: string;
  readonly occurredAt: string;
  readonly receivedAt: string;
  /** Run id and instance id the trigger gets if it starts a run. */
  readonly runId: string;
  readonly instanceId: string;
}

/** `a` is strictly newer than `b`: later occurrence; on a tie, later receipt; on a tie, larger id (stable). */
export function isNewer(a: Omit<LanePending, never>, b: LanePending): boolean {
  if (a.occurredAt !== b.occurredAt) return a.occurredAt > b.occurredAt;
  if (a.receivedAt !== b.receivedAt) return a.receivedAt > b.receivedAt;
  return a.triggerId > b.triggerId;
}

export function decideArrival(lane: LaneState, trigger: ArrivingTrigger, policy: SupersedePolicy): ArrivalDecision {
  if (lane.active?.triggerId === trigger.triggerId) return { action: 'already', as: 'active' };
  if (lane.pending?.triggerId === trigger.triggerId) return { action: 'already', as: 'pending' };
  if (!lane.active) {
    const run: LaneRun = {
      runId: trigger.runId,
      triggerId: trigger.triggerId,
      instanceId: trigger.instanceId,
      since: trigger.receivedAt,
    };
    return { action: 'start', lane: { active: run, pending: undefined }, run };
  }
  const candidate: LanePending = {
    triggerId: trigger.triggerId,
    occurredAt: trigger.occurredAt,
    receivedAt: trigger.receivedAt,
  };
  if (lane.pending && !isNewer(candidate, lane.pending)) return { action: 'fold', into: lane.pending.triggerId };
  return {
    action: 'queue',
    lane: { active: lane.active, pending: candidate },
    superseded: lane.pending?.triggerId,
    cancelActive: policy === 'cancel',
  };
}

export type CompletionDecision =
  /** The finishing run does not own the lane (stale or already released): change nothing. */
  | { readonly action: 'none' }
  /** No follow-up: the lane becomes free. */
  | { readonly action: 'release'; readonly lane: LaneState }
  /** The follow-up takes the lane; the orchestration continues as new with it. */
  | { readonly action: 'continue'; readonly lane: LaneState; readonly next: LaneRun };

/**
 * What happens when run `runId` finishes. The follow-up inherits the lane in the same atomic write that ends the
 * current run, so a trigger arriving at that moment either lands in `pending` before the write (and is taken) or
 * sees the follow-up active after it (and queues behind it) — it is never dropped.
 */
export function decideCompletion(
  lane: LaneState,
  runId: string,
  next: { readonly runId: string; readonly instanceId: string; readonly since: string },
): CompletionDecision {
  if (lane.active?.runId !== runId) return { action: 'none' };
  if (!lane.pending) return { action: 'release', lane: { active: undefined, pending: undefined } };
  const run: LaneRun = {
    runId: next.runId,
    triggerId: lane.pending.triggerId,
    instanceId: next.instanceId,
    since: next.since,
  };
  return { action: 'continue', lane: { active: run, pending: undefined }, next: run };
}

/** The orchestration instance id of a model's retrain lane (one singleton per model). */
export function retrainInstanceId(model: string): string {
  return `retrain-${model}`;
}
