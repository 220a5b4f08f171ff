import { randomUUID } from 'node:crypto';

import {
  type ApprovalDecision,
  RetrainEvents,
  RetrainOrchestrations,
  type RollbackInput,
} from '../services/retrain/contracts';
import { retrainInstanceId } from '../services/retrain/coalesce';
import type { StateStores } from '../state';
import type { OrchestrationClient } from './orchestration-client';

/**
 * Operations on retrain runs, for the HTTP edge (src/functions/http/retrain-ops.ts) and the ops API.
 */

export class RetrainRunNotFoundError extends Error {
  constructor(runId: string) {
    super(`Retrain run '${runId}' was not found.`);
    this.name = 'RetrainRunNotFoundError';
  }
}

export class RetrainRunStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetrainRunStateError';
  }
}

/**
 * Approves or rejects run `runId` waiting at its approval gate (raises `ApprovalDecision` on the model's retrain
 * instance). `runId` may also be the model's instance id (`retrain-<model>`): then the run it is executing is meant.
 *
 * @throws RetrainRunNotFoundError / RetrainRunStateError (not awaiting approval).
 */
export async function decideRetrainApproval(
  deps: { readonly state: StateStores; readonly orchestrations: OrchestrationClient },
  runIdOrInstanceId: string,
  decision: { readonly approved: boolean; readonly by?: string; readonly comment?: string },
): Promise<{ runId: string; instanceId: string }> {
  let run = await deps.state.runs.get(runIdOrInstanceId);
  if (!run) {
    const info = await deps.orchestrations.info(runIdOrInstanceId);
    const runId = (info.input as { runId?: unknown } | undefined)?.runId;
    if (typeof runId === 'string') run = await deps.state.runs.get(runId);
  }
  if (!run) throw new RetrainRunNotFoundError(runIdOrInstanceId);
  if (run.status !== 'awaitingApproval') {
    throw new RetrainRunStateError(`Run ${run.runId} is ${run.status}, not awaiting approval.`);
  }
  const event: ApprovalDecision = {
    runId: run.runId,
    approved: decision.approved,
    by: decision.by,
    comment: decision.comment,
  };
  const raised = await deps.orchestrations.raiseEvent(run.instanceId, RetrainEvents.approval, event);
  if (!raised) throw new RetrainRunStateError(`The orchestration of run ${run.runId} is not running.`);
  return { runId: run.runId, instanceId: run.instanceId };
}

/** Starts the rollback operation of a model: traffic back to the previous (or the named) deployment. */
export async function startRetrainRollback(
  deps: { readonly orchestrations: OrchestrationClient },
  model: string,
  request: { readonly target?: string; readonly requestedBy?: string; readonly stage?: string } = {},
): Promise<{ instanceId: string; runId: string }> {
  const runId = `rollback-${model}-${randomUUID().slice(0, 8)}`;
  const input: RollbackInput = {
    model,
    runId,
    target: request.target,
    requestedBy: request.requestedBy,
    ...(request.stage ? { stage: request.stage } : {}),
  };
  await deps.orchestrations.startNew(RetrainOrchestrations.rollback, runId, input);
  return { instanceId: runId, runId };
}

export { retrainInstanceId };
