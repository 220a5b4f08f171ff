import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';

import {
  type CheckTrainingOutput,
  type CompleteLaneOutput,
  type DeployInput,
  type DeployResult,
  type FinishRunInput,
  type GetMetricsOutput,
  type RecordInput,
  type RegisterModelOutput,
  RetrainActivities,
  RetrainEvents,
  RetrainOrchestrations,
  type RunRef,
  type RunStatusEvent,
  type SubmitTrainingOutput,
  type SupersedeEvent,
} from '../services/retrain/contracts';
import { errorMessageOf, errorTypeOf } from '../services/retrain/errors';
import { decideGate, type GateDecision } from '../services/retrain/gate';
import { LineageTags } from '../services/retrain/lineage';
import { deploymentNameFor } from '../services/retrain/naming';
import type { RetrainPlan } from '../services/retrain/plan';
import { nextPoll } from '../services/retrain/polling';
import type { RunInput } from '../triggers/model';
import { waitForApproval } from './approval';
import { promoteAfterRelease } from './auto-promotion';
import { after, callActivity, log, type Steps } from './retrain-support';
import { cancelIfPending, EventWaiters } from './run-events';

/**
 * The retrain orchestration: one instance per model (`retrain-<model>`), one run per execution; a coalesced
 * follow-up continues as new in the same instance.
 *
 * submit → wait (events first, polling fallback, overall timeout) → metrics → gate → register (always, with
 * lineage and the decision) → [approval] → deploy sub-orchestration → finish → hand the lane to the follow-up.
 */

export interface RetrainCustomStatus {
  readonly runId: string;
  readonly model: string;
  readonly stage: string;
  readonly jobName?: string | undefined;
  readonly trainingStatus: readonly { readonly status: string; readonly at: string; readonly via: string }[];
  readonly gate?: { readonly decision: string; readonly reasons: readonly string[] } | undefined;
  readonly modelVersion?: string | undefined;
  readonly approval?: string | undefined;
  readonly deployment?: string | undefined;
  /** Instance id of the deploy sub-orchestration (its custom status shows the release step). */
  readonly deployInstance?: string | undefined;
  readonly outcome?: string | undefined;
}

export interface RetrainResult {
  readonly runId: string;
  readonly status: FinishRunInput['status'];
  readonly modelVersion?: string | undefined;
  readonly deployment?: string | undefined;
  readonly reason?: string | undefined;
}

class StageFailure extends Error {
  constructor(
    readonly stage: string,
    readonly errorType: string,
    message: string,
    readonly deploymentLogs?: string,
  ) {
    super(message);
    this.name = 'StageFailure';
  }
}

class Superseded extends Error {
  constructor(readonly byTriggerId: string) {
    super(`superseded by trigger ${byTriggerId}`);
    this.name = 'Superseded';
  }
}

export function* retrainOrchestrator(context: OrchestrationContext): Steps<RetrainResult> {
  const input = context.df.getInput<RunInput>();
  const run: RunRef = {
    model: input.model,
    runId: input.runId,
    triggerId: input.triggerId,
    instanceId: context.df.instanceId,
  };
  const status: {
    -readonly [K in keyof RetrainCustomStatus]: RetrainCustomStatus[K];
  } = { runId: run.runId, model: run.model, stage: 'starting', trainingStatus: [] };
  const publish = (stage: string): void => {
    status.stage = stage;
    context.df.setCustomStatus({ ...status, trainingStatus: [...status.trainingStatus] });
  };
  const record = (body: Omit<RecordInput, 'run'>): Steps<void> =>
    callActivity<void>(context, RetrainActivities.record, { run, ...body });

  let result: RetrainResult;
  let plan: RetrainPlan | undefined;
  let stage = 'plan';
  try {
    publish('plan');
    plan = yield* callActivity<RetrainPlan>(context, RetrainActivities.loadPlan, { run });
    const p = plan;

    // ---- submit ----
    stage = 'submit';
    publish(stage);
    const submitted = yield* callActivity<SubmitTrainingOutput>(
      context,
      RetrainActivities.submitTraining,
      { run, input, plan: p },
      p.retry,
    );
    status.jobName = submitted.jobName;

    // ---- wait ----
    stage = 'training';
    publish(stage);
    const outcome = yield* waitForTraining(context, run, p, submitted.jobName, status, publish);
    if (outcome.phase !== 'completed') {
      throw new StageFailure(
        'training',
        'TrainingFailedError',
        `Training job ${submitted.jobName} ended ${outcome.status}${outcome.error ? `: ${outcome.error}` : ''}.`,
      );
    }
    yield* record({
      stage: { name: 'training', status: 'succeeded', detail: outcome.status },
      event: { name: 'TrainingCompleted', dimensions: { job: submitted.jobName } },
    });

    // ---- metrics + gate ----
    stage = 'metrics';
    publish(stage);
    const metrics = yield* callActivity<GetMetricsOutput>(
      context,
      RetrainActivities.getMetrics,
      { run, jobName: submitted.jobName, registryModel: p.registry.modelName, endpoint: p.deployment.endpoint },
      p.retry,
    );
    stage = 'gate';
    const gate: GateDecision = decideGate(p.gate, metrics.candidate, metrics.champion);
    status.gate = { decision: gate.decision, reasons: gate.reasons };
    publish(stage);
    yield* record({
      stage: {
        name: 'gate',
        status: gate.decision === 'accepted' ? 'succeeded' : 'failed',
        detail: gate.reasons.join('; '),
      },
      gate,
      metrics: metrics.candidate,
      event: {
        name: 'GateDecided',
        dimensions: { job: submitted.jobName, decision: gate.decision, championVersion: gate.championVersion },
      },
    });

    // ---- register (also when rejected: the decision is part of the lineage) ----
    stage = 'register';
    publish(stage);
    const registered = yield* callActivity<RegisterModelOutput>(
      context,
      RetrainActivities.registerModel,
      {
        run,
        input,
        plan: p,
        jobName: submitted.jobName,
        modelUri: outcome.modelUri ?? `azureml://jobs/${submitted.jobName}/outputs/${p.training.modelOutput}`,
        gate,
        metrics: metrics.candidate,
      },
      p.retry,
    );
    status.modelVersion = registered.version;
    publish(stage);

    if (gate.decision === 'rejected') {
      result = {
        runId: run.runId,
        status: 'rejected',
        modelVersion: registered.version,
        reason: gate.reasons.join('; '),
      };
    } else {
      // ---- approval ----
      let approved = true;
      let approvalReason: string | undefined;
      if (p.approval.required) {
        stage = 'approval';
        status.approval = 'pending';
        publish(stage);
        yield* record({
          stage: { name: 'approval', status: 'started' },
          status: 'awaitingApproval',
          approval: { status: 'pending' },
          event: { name: 'ApprovalRequested', dimensions: { modelVersion: registered.version } },
        });
        const decision = yield* waitForApproval(context, run, p.approval.timeoutSeconds);
        const verdict = decision === undefined ? 'timedOut' : decision.approved ? 'approved' : 'rejected';
        approved = verdict === 'approved';
        approvalReason =
          verdict === 'timedOut'
            ? `approval timed out after ${p.approval.timeoutSeconds} s`
            : `${verdict}${decision?.by ? ` by ${decision.by}` : ''}${decision?.comment ? `: ${decision.comment}` : ''}`;
        status.approval = verdict;
        publish(stage);
        yield* record({
          stage: { name: 'approval', status: approved ? 'succeeded' : 'failed', detail: approvalReason },
          status: 'running',
          approval: {
            status: verdict,
            ...(decision?.by ? { by: decision.by } : {}),
            ...(decision?.comment ? { comment: decision.comment } : {}),
          },
          event: { name: 'ApprovalDecided', dimensions: { modelVersion: registered.version, decision: verdict } },
        });
        yield* callActivity<void>(
          context,
          RetrainActivities.tagModel,
          { name: registered.name, version: registered.version, tags: { [LineageTags.approval]: verdict } },
          p.retry,
        );
      }

      if (!approved) {
        result = { runId: run.runId, status: 'rejected', modelVersion: registered.version, reason: approvalReason };
      } else {
        // ---- deploy ----
        stage = 'deploy';
        const deployInstance = `${context.df.instanceId}-deploy-${run.runId}`;
        status.deployment = deploymentNameFor(registered.name, registered.version);
        status.deployInstance = deployInstance;
        publish(stage);
        const deployInput: DeployInput = {
          run,
          plan: p,
          modelName: registered.name,
          modelVersion: registered.version,
          modelId: registered.id,
        };
        const deployed = (yield context.df.callSubOrchestrator(
          RetrainOrchestrations.deploy,
          deployInput,
          deployInstance,
        )) as DeployResult;
        status.deployment = deployed.deployment;
        if (deployed.outcome === 'rolledBack') {
          throw new StageFailure(
            deployed.failedCheck ?? 'deploy',
            'ReleaseCheckFailedError',
            `Release of ${registered.name}:${registered.version} rolled back: ${deployed.reason ?? 'check failed'}`,
            deployed.logs,
          );
        }
        result = {
          runId: run.runId,
          status: 'succeeded',
          modelVersion: registered.version,
          deployment: deployed.deployment,
        };
      }
    }
    stage = 'finish';
    yield* callActivity<void>(context, RetrainActivities.finishRun, {
      run,
      status: result.status,
      jobName: status.jobName,
      modelVersion: result.modelVersion,
      deployment: result.deployment,
    } satisfies FinishRunInput);
  } catch (error) {
    const superseded = error instanceof Superseded;
    const rolledBack = error instanceof StageFailure && error.errorType === 'ReleaseCheckFailedError';
    const failure =
      error instanceof StageFailure
        ? {
            stage: error.stage,
            errorType: error.errorType,
            message: error.message,
            ...(error.deploymentLogs ? { deploymentLogs: error.deploymentLogs } : {}),
          }
        : superseded
          ? { stage, errorType: 'Superseded', message: error.message }
          : { stage, errorType: errorTypeOf(error), message: errorMessageOf(error) };
    const finalStatus: FinishRunInput['status'] = superseded ? 'superseded' : rolledBack ? 'rolledBack' : 'failed';
    log(context, `retrain ${run.runId} of ${run.model} ${finalStatus} at ${failure.stage}: ${failure.message}`);
    result = {
      runId: run.runId,
      status: finalStatus,
      modelVersion: status.modelVersion,
      deployment: status.deployment,
      reason: failure.message,
    };
    yield* callActivity<void>(context, RetrainActivities.finishRun, {
      run,
      status: finalStatus,
      failure,
      jobName: status.jobName,
      modelVersion: status.modelVersion,
      deployment: status.deployment,
    } satisfies FinishRunInput);
  }
  status.outcome = result.status;
  publish('done');

  // ---- promotion: automatic on the first stage: the released version moves on (through its own approval) ----
  if (result.status === 'succeeded' && plan?.promoteTo && result.modelVersion) {
    yield* promoteAfterRelease(context, { run, model: run.model, to: plan.promoteTo, version: result.modelVersion });
  }

  // ---- hand the lane over: the follow-up (if any) continues in this instance ----
  const lane = yield* callActivity<CompleteLaneOutput>(context, RetrainActivities.completeLane, {
    model: run.model,
    runId: run.runId,
  });
  if (lane.next) {
    log(context, `retrain ${run.runId} done (${result.status}); continuing with follow-up ${lane.next.runId}`);
    context.df.continueAsNew(lane.next);
  }
  return result;
}

interface TrainingOutcome {
  readonly status: string;
  readonly phase: CheckTrainingOutput['phase'];
  readonly error?: string | undefined;
  readonly modelUri?: string | undefined;
}

/**
 * Event-first wait: an Azure ML run event (raised by `azuremlRunEvents`) or the next poll time, whichever first;
 * every wake-up confirms the state with one GET. Poll intervals grow exponentially; the catalog timeout bounds it.
 * Under the `cancel` policy a supersede event cancels the job. Each round waits on a fresh timer and fresh event
 * waiters; an event that reached an older round's waiter while the orchestration was busy wakes the next round at
 * once ({@link EventWaiters}), so no status or supersede event is lost.
 */
function* waitForTraining(
  context: OrchestrationContext,
  run: RunRef,
  plan: RetrainPlan,
  jobName: string,
  status: { trainingStatus: RetrainCustomStatus['trainingStatus'] },
  publish: (stage: string) => void,
): Steps<TrainingOutcome> {
  const deadline = after(context, plan.trainingTimeoutSeconds);
  const check = { run, kind: plan.training.kind, jobName, modelOutput: plan.training.modelOutput };
  const runEvents = new EventWaiters(context, RetrainEvents.runStatus);
  const supersedes = plan.onSupersede === 'cancel' ? new EventWaiters(context, RetrainEvents.supersede) : undefined;
  let via: 'submit' | 'event' | 'poll' = 'submit';
  for (let attempt = 0; ; attempt++) {
    const current = yield* callActivity<CheckTrainingOutput>(
      context,
      RetrainActivities.checkTraining,
      { ...check, via },
      plan.retry,
    );
    const last = status.trainingStatus[status.trainingStatus.length - 1];
    if (last?.status !== current.status) {
      status.trainingStatus = [...status.trainingStatus, { status: current.status, at: current.at, via }];
      publish('training');
    }
    if (current.phase !== 'running') return current;
    const now = context.df.currentUtcDateTime;
    if (now.getTime() >= deadline.getTime()) {
      try {
        yield* callActivity<void>(context, RetrainActivities.cancelTraining, { ...check, via }, plan.retry);
      } catch (error) {
        log(context, `cancelling timed-out job ${jobName} failed: ${errorMessageOf(error)}`);
      }
      throw new StageFailure(
        'training',
        'TrainingTimedOutError',
        `Training job ${jobName} did not finish within ${plan.trainingTimeoutSeconds} s (last status ${current.status}).`,
      );
    }
    let events = runEvents.take();
    let superseding = supersedes?.take() ?? [];
    if (events.length === 0 && superseding.length === 0) {
      const timer: TimerTask = context.df.createTimer(nextPoll(now, attempt, plan.polling, deadline).at);
      const waits = [runEvents.next(), timer, ...(supersedes ? [supersedes.next()] : [])];
      const winner = (yield context.df.Task.any(waits)) as Task;
      if (winner === timer) {
        via = 'poll';
        continue;
      }
      cancelIfPending(timer);
      events = runEvents.take();
      superseding = supersedes?.take() ?? [];
    }
    const mine = superseding.find((e) => (e as SupersedeEvent | undefined)?.runId === run.runId) as
      SupersedeEvent | undefined;
    if (mine) {
      yield* callActivity<void>(context, RetrainActivities.cancelTraining, { ...check, via }, plan.retry);
      throw new Superseded(mine.byTriggerId);
    }
    if (events.length === 0) continue; // only supersede events for other runs: check again
    via = 'event';
    // Only other jobs' events: not a poll, keep the backoff.
    if (events.every((e) => (e as RunStatusEvent | undefined)?.jobName !== jobName)) attempt--;
  }
}
