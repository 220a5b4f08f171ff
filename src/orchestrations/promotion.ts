import type { OrchestrationContext } from 'durable-functions';

import {
  PromotionActivities,
  type PromotionFinishInput,
  type PromotionInput,
  type PromotionPlan,
  type PromotionResult,
  type ShareOutput,
  type ShareStatusInput,
  type ShareStatusOutput,
} from '../services/promotion/contracts';
import {
  type DeployInput,
  type DeployResult,
  type RecordInput,
  RetrainActivities,
  RetrainOrchestrations,
  type RunRef,
} from '../services/retrain/contracts';
import { errorMessageOf, errorTypeOf } from '../services/retrain/errors';
import { deploymentNameFor } from '../services/retrain/naming';
import { waitForApproval } from './approval';
import { promoteAfterRelease } from './auto-promotion';
import { after, callActivity, log, type Steps } from './retrain-support';

/**
 * Promotion of the version live in stage N to stage N+1: one instance per model and target stage
 * (`promote-<model>-<stage>`), so a duplicate request finds the one in flight.
 *
 * plan (re-checks that the version is still live in the source stage) → [approval of the target stage, with its
 * timeout] → share (the same version in the target workspace: itself, or a copy with lineage to the source) → the
 * retrain release sub-orchestration on the target stage's endpoint (blue/green or canary, smoke, latency, automatic
 * rollback) → finish. Deterministic: orchestration clock, timers, events and activities only.
 */
export function* promotionOrchestrator(context: OrchestrationContext): Steps<PromotionResult> {
  const request = context.df.getInput<PromotionInput>();
  const run: RunRef = {
    model: request.model,
    runId: request.runId,
    triggerId: request.runId,
    instanceId: context.df.instanceId,
  };
  const status: Record<string, unknown> = { runId: run.runId, model: run.model, to: request.to, stage: 'plan' };
  const publish = (stage: string): void => {
    status['stage'] = stage;
    context.df.setCustomStatus({ ...status });
  };
  const record = (body: Omit<RecordInput, 'run'>): Steps<void> =>
    callActivity<void>(context, RetrainActivities.record, { run, ...body });
  const finish = (body: Omit<PromotionFinishInput, 'run'>): Steps<void> =>
    callActivity<void>(context, PromotionActivities.finish, { run, ...body } satisfies PromotionFinishInput);

  let plan: PromotionPlan | undefined;
  let stage = 'promote';
  let deployment: string | undefined;
  try {
    publish('plan');
    plan = yield* callActivity<PromotionPlan>(context, PromotionActivities.plan, { run, request });
    const p = plan;
    status['version'] = p.version;
    status['from'] = p.fromStage;

    // ---- approval of the target stage (before anything changes there) ----
    if (p.release.approval.required) {
      stage = 'approval';
      status['approval'] = 'pending';
      publish(stage);
      yield* record({
        stage: { name: 'approval', status: 'started', detail: `promote ${p.version} to ${p.toStage}` },
        status: 'awaitingApproval',
        approval: { status: 'pending' },
        event: { name: 'ApprovalRequested', dimensions: { modelVersion: p.version, stage: p.toStage } },
      });
      const decision = yield* waitForApproval(context, run, p.release.approval.timeoutSeconds);
      const verdict = decision === undefined ? 'timedOut' : decision.approved ? 'approved' : 'rejected';
      const reason =
        verdict === 'timedOut'
          ? `approval timed out after ${p.release.approval.timeoutSeconds} s`
          : `${verdict}${decision?.by ? ` by ${decision.by}` : ''}${decision?.comment ? `: ${decision.comment}` : ''}`;
      status['approval'] = verdict;
      publish(stage);
      yield* record({
        stage: { name: 'approval', status: verdict === 'approved' ? 'succeeded' : 'failed', detail: reason },
        status: 'running',
        approval: {
          status: verdict,
          ...(decision?.by ? { by: decision.by } : {}),
          ...(decision?.comment ? { comment: decision.comment } : {}),
        },
        event: {
          name: 'ApprovalDecided',
          dimensions: { modelVersion: p.version, stage: p.toStage, decision: verdict },
        },
      });
      if (verdict !== 'approved') {
        yield* finish({
          status: 'rejected',
          plan: p,
          failure: { stage: 'approval', errorType: 'Rejected', message: reason },
        });
        return done({ runId: run.runId, status: 'rejected', version: p.version, reason });
      }
    }

    // ---- the same version reaches the target workspace ----
    stage = 'share';
    publish(stage);
    const shared = yield* callActivity<ShareOutput>(
      context,
      PromotionActivities.share,
      { run, plan: p },
      p.release.retry,
    );
    // A registry copies the version's files in a long-running operation: wait for it on durable timers.
    if (shared.pending) {
      const deadline = after(context, p.release.provisioningTimeoutSeconds);
      let retryAfter = shared.pending.retryAfterSeconds;
      for (;;) {
        if (context.df.currentUtcDateTime.getTime() >= deadline.getTime()) {
          throw new Error(
            `the registry did not finish ${shared.modelId} within ${p.release.provisioningTimeoutSeconds} s`,
          );
        }
        yield context.df.createTimer(after(context, retryAfter));
        const polled = yield* callActivity<ShareStatusOutput>(
          context,
          PromotionActivities.shareStatus,
          { run, plan: p, url: shared.pending.url } satisfies ShareStatusInput,
          p.release.retry,
        );
        if (polled.state === 'done') break;
        retryAfter = polled.retryAfterSeconds;
      }
    }

    // ---- the retrain release, on the target stage's endpoint ----
    stage = 'deploy';
    deployment = deploymentNameFor(p.modelName, p.version);
    const deployInstance = `${context.df.instanceId}-deploy-${run.runId}`;
    status['deployment'] = deployment;
    status['deployInstance'] = deployInstance;
    publish(stage);
    const deployInput: DeployInput = {
      run,
      plan: p.release,
      modelName: p.modelName,
      modelVersion: p.version,
      modelId: shared.modelId,
      workspace: p.targetWorkspace,
    };
    const deployed = (yield context.df.callSubOrchestrator(
      RetrainOrchestrations.deploy,
      deployInput,
      deployInstance,
    )) as DeployResult;
    if (deployed.outcome === 'rolledBack') {
      const reason = `Release of ${p.modelName}:${p.version} in ${p.toStage} rolled back: ${deployed.reason ?? 'check failed'}`;
      yield* finish({
        status: 'rolledBack',
        plan: p,
        deployment: deployed.deployment,
        failure: { stage: deployed.failedCheck ?? 'deploy', errorType: 'ReleaseCheckFailedError', message: reason },
        deploymentLogs: deployed.logs,
      });
      return done({
        runId: run.runId,
        status: 'rolledBack',
        version: p.version,
        deployment: deployed.deployment,
        reason,
      });
    }
    yield* finish({ status: 'succeeded', plan: p, deployment: deployed.deployment });
    if (p.promoteNext) {
      yield* promoteAfterRelease(context, { run, model: run.model, to: p.promoteNext, version: p.version });
    }
    return done({ runId: run.runId, status: 'succeeded', version: p.version, deployment: deployed.deployment });
  } catch (error) {
    const message = errorMessageOf(error);
    log(context, `promotion ${run.runId} of ${run.model} to ${request.to} failed at ${stage}: ${message}`);
    yield* finish({ status: 'failed', plan, deployment, failure: { stage, errorType: errorTypeOf(error), message } });
    return done({ runId: run.runId, status: 'failed', version: plan?.version, deployment, reason: message });
  }

  function done(result: PromotionResult): PromotionResult {
    status['outcome'] = result.status;
    publish('done');
    return result;
  }
}
