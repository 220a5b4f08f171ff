import { InMemoryOrchestrationBackend, OrchestrationInstance, pb, pbh, timestampMs } from './core';

// Corrections applied around each episode where the in-memory backend differs from the real ones. Each function says
// what it corrects; all of them act on backend state only between episodes, never during replay.

const S = pb.OrchestrationStatus;
const TERMINAL = new Set([
  S.ORCHESTRATION_STATUS_COMPLETED,
  S.ORCHESTRATION_STATUS_FAILED,
  S.ORCHESTRATION_STATUS_TERMINATED,
  S.ORCHESTRATION_STATUS_CANCELED,
]);

export const isTerminalStatus = (status: pb.OrchestrationStatus): boolean => TERMINAL.has(status);

/**
 * The real backends open every episode with OrchestratorStarted (it sets currentUtcDateTime); the in-memory one only
 * does so at creation, which would freeze the orchestration clock. Adds it to the batch about to be processed, stamped
 * now but never before a timer in the batch was due (Node timers may fire a millisecond early by the wall clock).
 */
export function openEpisode(instance: OrchestrationInstance): void {
  if (instance.pendingEvents[0]?.hasOrchestratorstarted()) return;
  let t = Date.now();
  for (const e of instance.pendingEvents) {
    const fireAt = timestampMs(e.getTimerfired()?.getFireat());
    if (fireAt !== undefined && fireAt > t) t = fireAt;
  }
  instance.pendingEvents.unshift(pbh.newOrchestratorStartedEvent(new Date(t)));
}

/**
 * Backend timers are not cancelled by continue-as-new, and the backend matches TimerFired by id only, so a timer of
 * an earlier execution could fire a new execution's timer with the same id early. A firing counts only if the
 * current history created that timer id for that same time. Returns how many firings were dropped.
 */
export function dropStaleTimerFirings(instance: OrchestrationInstance): number {
  const created = new Map<number, number | undefined>();
  for (const h of instance.history) {
    const timer = h.getTimercreated();
    if (timer) created.set(h.getEventid(), timestampMs(timer.getFireat()));
  }
  const kept = instance.pendingEvents.filter((e) => {
    const fired = e.getTimerfired();
    if (!fired) return true;
    const id = fired.getTimerid();
    return created.has(id) && created.get(id) === timestampMs(fired.getFireat());
  });
  const dropped = instance.pendingEvents.length - kept.length;
  if (dropped > 0) instance.pendingEvents = kept;
  return dropped;
}

/**
 * The backend reports a failed sub-orchestration to its parent as a plain `Error` with the child's message, which
 * loses the error type. Before the parent replays, copy the child's recorded failure details into the event, so the
 * history (and the parent's TaskFailedError) carries the original type, as it does in Azure.
 */
export function restoreSubOrchestrationFailureTypes(
  backend: InMemoryOrchestrationBackend,
  instance: OrchestrationInstance,
  events: readonly pb.HistoryEvent[],
): void {
  for (const event of events) {
    const failed = event.getSuborchestrationinstancefailed();
    if (!failed) continue;
    const created = instance.history.find(
      (h) => h.getEventid() === failed.getTaskscheduledid() && h.hasSuborchestrationinstancecreated(),
    );
    const childId = created?.getSuborchestrationinstancecreated()?.getInstanceid();
    const child = childId ? backend.getInstance(childId) : undefined;
    // Only a child this parent started (not a same-id instance that made the creation fail).
    const parentId = child?.history
      .find((h) => h.hasExecutionstarted())
      ?.getExecutionstarted()
      ?.getParentinstance()
      ?.getOrchestrationinstance()
      ?.getInstanceid();
    if (child?.status === S.ORCHESTRATION_STATUS_FAILED && child.failureDetails && parentId === instance.instanceId) {
      failed.setFailuredetails(child.failureDetails);
    }
  }
}

/**
 * A sub-orchestration started with an explicit id that belongs to a finished instance (typically: the parent was
 * itself re-run under its old id) replaces that instance, as a client start does under NonRunningStates. The
 * in-memory backend would instead fail the parent's task with "already exists". A running child still collides.
 */
export function replaceFinishedChildren(
  backend: InMemoryOrchestrationBackend,
  actions: readonly pb.OrchestratorAction[],
): void {
  for (const action of actions) {
    const childId = action.getCreatesuborchestration()?.getInstanceid();
    const child = childId ? backend.getInstance(childId) : undefined;
    if (childId && child && TERMINAL.has(child.status)) backend.purge(childId);
  }
}

/** Last resort when even a failure cannot be committed (e.g. the history cap): fail the instance in place. */
export function forceFail(backend: InMemoryOrchestrationBackend, instance: OrchestrationInstance, error: Error): void {
  instance.status = S.ORCHESTRATION_STATUS_FAILED;
  instance.failureDetails = pbh.newFailureDetails(error);
  instance.pendingEvents = [];
  instance.lastUpdatedAt = new Date();
  // Wakes sub-orchestration watchers, so a parent learns its child failed.
  const internals = backend as unknown as { notifyWaiters?: (id: string) => void };
  internals.notifyWaiters?.call(backend, instance.instanceId);
}
