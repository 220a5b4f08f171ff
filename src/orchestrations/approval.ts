import type { OrchestrationContext, Task } from 'durable-functions';

import { type ApprovalDecision, RetrainEvents, type RunRef } from '../services/retrain/contracts';
import { after, type Steps } from './retrain-support';
import { cancelIfPending } from './run-events';

/**
 * The approval gate shared by retrain releases and promotions: the decision arrives as the `ApprovalDecision` event
 * raised by the approve/reject operation for the run waiting here.
 */

/**
 * Waits for this run's approval decision; undefined when the timeout passes first. Each round waits on a fresh
 * timer for the time that remains (a timer already yielded is never put into a new `Task.any`, durable-js #574) and
 * cancels it when a decision for another run wins.
 */
export function* waitForApproval(
  context: OrchestrationContext,
  run: RunRef,
  timeoutSeconds: number,
): Steps<ApprovalDecision | undefined> {
  const deadline = after(context, timeoutSeconds);
  while (context.df.currentUtcDateTime.getTime() < deadline.getTime()) {
    const timer = context.df.createTimer(deadline);
    const decisionTask = context.df.waitForExternalEvent(RetrainEvents.approval);
    const winner = (yield context.df.Task.any([decisionTask, timer])) as Task;
    if (winner === timer) return undefined;
    const decision = decisionTask.result as ApprovalDecision | undefined;
    if (decision?.runId === run.runId) {
      cancelIfPending(timer);
      return decision;
    }
    if (timer.isCompleted) return undefined;
    timer.cancel();
  }
  return undefined;
}
