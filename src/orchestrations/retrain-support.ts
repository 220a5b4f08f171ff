import type { OrchestrationContext, Task } from 'durable-functions';

import { errorTypeOf, NON_RETRYABLE } from '../services/retrain/errors';
import { type RetrainPlan, retryDelaySeconds } from '../services/retrain/plan';

/**
 * Helpers shared by the retrain orchestrators. Deterministic: only `context.df` is used.
 */

export type Steps<T> = Generator<Task, T, unknown>;

/** `fireAt` = now + seconds, from the orchestration clock. */
export function after(context: OrchestrationContext, seconds: number): Date {
  return new Date(context.df.currentUtcDateTime.getTime() + Math.max(0, seconds) * 1000);
}

/**
 * Calls an activity, retrying failures whose error type is retryable (by name; `NON_RETRYABLE` lists the others)
 * with exponential backoff on durable timers.
 */
export function* callActivity<T>(
  context: OrchestrationContext,
  name: string,
  input: unknown,
  retry: RetrainPlan['retry'] = { maxAttempts: 5, firstDelaySeconds: 5, maxDelaySeconds: 120 },
): Steps<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (yield context.df.callActivity(name, input)) as T;
    } catch (error) {
      if (attempt >= retry.maxAttempts || NON_RETRYABLE.includes(errorTypeOf(error))) throw error;
      yield context.df.createTimer(after(context, retryDelaySeconds(attempt, retry)));
    }
  }
}

/** Logs through the context only when not replaying (so a replay never repeats a line). */
export function log(context: OrchestrationContext, message: string): void {
  if (!context.df.isReplaying) context.log(message);
}
