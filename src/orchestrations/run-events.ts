/**
 * Waiting for Azure ML run events inside an orchestration, shared by the retrain run's training wait and the batch
 * run's batch-endpoint job wait: both are woken by `azuremlRunEvents` (Event Grid RunStatusChanged/RunCompleted,
 * raised as `AzureMlRunStatus` on the instance the submission record names) and fall back to durable-timer polls.
 */
import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';

/**
 * Event waits of one kind that were handed to `Task.any` and may have received an event since: each round creates a
 * fresh waiter (a yielded one is never put into a new compound, durable-js issue #574), so a waiter from a round that
 * the timer won stays registered and can take a later event — which is then read here instead of being lost.
 */
export class EventWaiters {
  private readonly open: Task[] = [];
  constructor(
    private readonly context: OrchestrationContext,
    private readonly name: string,
  ) {}

  /** A fresh waiter for this round. */
  next(): Task {
    const task = this.context.df.waitForExternalEvent(this.name);
    this.open.push(task);
    return task;
  }

  /** Payloads of the events received since the last call, oldest waiter first. */
  take(): unknown[] {
    const received = this.open.filter((t) => t.isCompleted);
    if (received.length > 0) this.open.splice(0, this.open.length, ...this.open.filter((t) => !t.isCompleted));
    return received.map((t) => t.result);
  }
}

/** Cancels a timer that lost a `Task.any` (one that fired in the same batch cannot be cancelled any more). */
export function cancelIfPending(timer: TimerTask): void {
  if (!timer.isCompleted) timer.cancel();
}
