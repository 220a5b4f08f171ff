/**
 * Polling fallback while waiting for an Azure ML run: exponential backoff, capped, bounded by an overall deadline.
 */

export interface PollingPolicy {
  readonly initialIntervalSeconds: number;
  readonly maxIntervalSeconds: number;
  readonly backoffCoefficient: number;
}

/** Delay before poll number `attempt` (0-based): initial × coefficient^attempt, capped at the maximum. */
export function pollDelaySeconds(attempt: number, policy: PollingPolicy): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be a non-negative integer`);
  const raw = policy.initialIntervalSeconds * Math.pow(policy.backoffCoefficient, attempt);
  return Math.min(policy.maxIntervalSeconds, Number.isFinite(raw) ? raw : policy.maxIntervalSeconds);
}

export interface NextPoll {
  /** When to check next (never after the deadline). */
  readonly at: Date;
  /** True when `at` is the deadline itself: if the run is still going then, it has timed out. */
  readonly atDeadline: boolean;
}

/** The next check time from `now` for poll `attempt`, clamped to `deadline`. */
export function nextPoll(now: Date, attempt: number, policy: PollingPolicy, deadline: Date): NextPoll {
  const due = now.getTime() + pollDelaySeconds(attempt, policy) * 1000;
  return due >= deadline.getTime() ? { at: deadline, atDeadline: true } : { at: new Date(due), atDeadline: false };
}

/** The whole schedule of check offsets (seconds from the start) until the timeout, for docs and tests. */
export function pollSchedule(policy: PollingPolicy, timeoutSeconds: number): number[] {
  const offsets: number[] = [];
  let t = 0;
  for (let attempt = 0; t < timeoutSeconds; attempt++) {
    t = Math.min(timeoutSeconds, t + pollDelaySeconds(attempt, policy));
    offsets.push(t);
  }
  return offsets;
}

/** Normalised Azure ML run state: v2 JobStatus, v1 run states, MLflow states and Event Grid casing all map here. */
export type RunPhase = 'running' | 'completed' | 'failed' | 'canceled';

export function classifyRunStatus(status: string | undefined): RunPhase {
  switch ((status ?? '').toLowerCase()) {
    case 'completed':
    case 'finished':
      return 'completed';
    case 'failed':
    case 'killed':
      return 'failed';
    case 'canceled':
    case 'cancelled':
      return 'canceled';
    default:
      return 'running';
  }
}
