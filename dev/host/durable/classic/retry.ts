import { RetryPolicy } from '../core';

/** The fields of durable-functions' `RetryOptions` (read structurally: the app's copy of the class may differ). */
export interface ClassicRetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function readRetryOptions(value: unknown): ClassicRetryOptions {
  const o = (value ?? {}) as Record<string, unknown>;
  const first = finiteNumber(o.firstRetryIntervalInMilliseconds);
  const attempts = finiteNumber(o.maxNumberOfAttempts);
  if (first === undefined || attempts === undefined) {
    throw new TypeError(
      'retryOptions must be a durable-functions RetryOptions (firstRetryIntervalInMilliseconds, maxNumberOfAttempts)',
    );
  }
  return {
    firstRetryIntervalInMilliseconds: first,
    maxNumberOfAttempts: attempts,
    backoffCoefficient: finiteNumber(o.backoffCoefficient),
    maxRetryIntervalInMilliseconds: finiteNumber(o.maxRetryIntervalInMilliseconds),
    retryTimeoutInMilliseconds: finiteNumber(o.retryTimeoutInMilliseconds),
  };
}

/**
 * Maps v3 `RetryOptions` onto the core `RetryPolicy`. The core validates more strictly than DTFx (which the real
 * extension uses), so values DTFx accepts are translated to the policy with the same delays instead of throwing:
 * - backoff < 1 → 1 (DTFx would shrink delays; never seen in practice);
 * - maxRetryInterval < firstRetryInterval → every delay is maxRetryInterval (DTFx caps each delay at the maximum);
 * - retryTimeout < firstRetryInterval → no retry fits in the window, so a single attempt;
 * - maxNumberOfAttempts < 1 → 1 (DTFx always makes the first attempt).
 * Unset optional fields keep DTFx's defaults: backoff 1, unbounded maximum interval, no overall timeout.
 */
export function toRetryPolicy(options: ClassicRetryOptions): RetryPolicy {
  let first = options.firstRetryIntervalInMilliseconds;
  let attempts = Math.max(1, Math.floor(options.maxNumberOfAttempts));
  const max = options.maxRetryIntervalInMilliseconds;
  if (max !== undefined && max > 0 && max < first) first = max;
  const timeout = options.retryTimeoutInMilliseconds;
  if (timeout !== undefined && timeout < first) attempts = 1;
  return new RetryPolicy({
    maxNumberOfAttempts: attempts,
    firstRetryIntervalInMilliseconds: first,
    ...(options.backoffCoefficient !== undefined
      ? { backoffCoefficient: Math.max(1, options.backoffCoefficient) }
      : {}),
    // -1 = unbounded, which is DTFx's default (the core would otherwise cap delays at 1 h).
    maxRetryIntervalInMilliseconds: max !== undefined && max > 0 ? Math.max(max, first) : -1,
    ...(timeout !== undefined && timeout >= first ? { retryTimeoutInMilliseconds: timeout } : {}),
  });
}
