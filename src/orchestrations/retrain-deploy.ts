import type { OrchestrationContext } from 'durable-functions';

import {
  type DeployInput,
  type DeployResult,
  type DeployStateOutput,
  type EndpointSnapshot,
  type LatencyOutput,
  type ProbeOutput,
  type RecordInput,
  RetrainActivities,
  type SmokeOutput,
} from '../services/retrain/contracts';
import { errorMessageOf, errorTypeOf } from '../services/retrain/errors';
import { errorRate, latencyVerdict } from '../services/retrain/latency';
import { deploymentNameFor } from '../services/retrain/naming';
import { planTrafficShift, rollbackTraffic, sameTraffic, type TrafficMap } from '../services/retrain/traffic';
import { EndpointChangeFailed, waitForEndpoint } from './endpoint-wait';
import { after, callActivity, log, type Steps } from './retrain-support';

/**
 * Release of a registered version on the model's managed online endpoint:
 * new deployment at 0 % → wait for provisioning (durable polling) → smoke test through the scoring URI with
 * `azureml-model-deployment` → latency (p95 within budget and within ratio × live p95) → traffic shift (blue/green:
 * one step; canary: the catalog's steps) with a bake and an error-rate probe after each step → retention cleanup.
 * Any failed check: 100 % back on the previous deployment, the new deployment's logs into the result, the new
 * deployment deleted or kept per catalog; the endpoint keeps serving.
 */

class CheckFailed extends Error {
  constructor(
    readonly check: string,
    message: string,
  ) {
    super(message);
    this.name = 'CheckFailed';
  }
}

export function* retrainDeployOrchestrator(context: OrchestrationContext): Steps<DeployResult> {
  /** Waits for a started endpoint change; one that does not apply fails the named check. */
  function* waitOrFail(endpoint: string, started: EndpointSnapshot, check: string) {
    try {
      return yield* waitForEndpoint(context, endpoint, started, wait);
    } catch (error) {
      if (error instanceof EndpointChangeFailed) throw new CheckFailed(check, error.message);
      throw error;
    }
  }
  const input = context.df.getInput<DeployInput>();
  const { run, plan } = input;
  const spec = plan.deployment;
  const endpoint = spec.endpoint;
  const retry = plan.retry;
  // A promotion releases in its stage's workspace; a retrain release in the app's (inputs unchanged).
  const where = input.workspace ? { workspace: input.workspace } : {};
  const record = (body: Omit<RecordInput, 'run'>): Steps<void> =>
    callActivity<void>(context, RetrainActivities.record, { run, ...body }, retry);
  const name = deploymentNameFor(input.modelName, input.modelVersion);
  const checks: string[] = [];
  const status = (stage: string): void =>
    context.df.setCustomStatus({ runId: run.runId, deployment: name, stage, checks: [...checks] });

  status('prepare');
  const wait = {
    pollSeconds: plan.provisioningPollSeconds,
    timeoutSeconds: plan.provisioningTimeoutSeconds,
    retry,
    ...where,
  };
  const started = yield* callActivity<EndpointSnapshot>(
    context,
    RetrainActivities.deployPrepare,
    { run, endpoint, authMode: spec.authMode, ...where },
    retry,
  );
  // A new endpoint is only being created: wait for it before deploying into it.
  const ready = yield* waitForEndpoint(context, endpoint, started, wait);
  const prepared = ready.snapshot;
  if (ready.checks > 0) checks.push(`endpoint ${endpoint} created after ${ready.checks} provisioning checks`);
  const previous = prepared.live !== name ? prepared.live : undefined;
  let traffic: TrafficMap = prepared.traffic;
  yield* record({
    stage: { name: 'deploy', status: 'started', detail: `${name} on ${endpoint}; previous ${previous ?? '(none)'}` },
    deployment: { endpoint, name, previous, traffic },
    event: {
      name: 'DeploymentStarted',
      dimensions: { deployment: name, modelVersion: input.modelVersion, previous, strategy: spec.strategy },
    },
  });

  try {
    // ---- create at 0 % and wait for provisioning ----
    status('provision');
    yield* record({ stage: { name: 'provision', status: 'started' } });
    let state = yield* callActivity<DeployStateOutput>(
      context,
      RetrainActivities.deployCreate,
      { run, endpoint, name, modelId: input.modelId, modelVersion: input.modelVersion, deployment: spec, ...where },
      retry,
    );
    // The probes wait as long as the deployment itself may take (its request timeout; Azure's default PT5S).
    const probeTimeoutMs = spec.requestTimeoutMs ?? state.requestTimeoutMs ?? 5000;
    const deadline = after(context, plan.provisioningTimeoutSeconds);
    while (state.provisioningState !== 'Succeeded') {
      if (['Failed', 'Canceled', 'NotFound'].includes(state.provisioningState)) {
        throw new CheckFailed('provision', `deployment ${name} provisioning ended ${state.provisioningState}`);
      }
      if (context.df.currentUtcDateTime.getTime() >= deadline.getTime()) {
        throw new CheckFailed(
          'provision',
          `deployment ${name} not provisioned within ${plan.provisioningTimeoutSeconds} s (state ${state.provisioningState})`,
        );
      }
      const next = after(context, plan.provisioningPollSeconds);
      yield context.df.createTimer(next.getTime() > deadline.getTime() ? deadline : next);
      state = yield* callActivity<DeployStateOutput>(
        context,
        RetrainActivities.deployState,
        { endpoint, name, ...where },
        retry,
      );
    }
    checks.push('provisioned');
    yield* record({ stage: { name: 'provision', status: 'succeeded' } });

    // ---- smoke ----
    status('smoke');
    const probe = { endpoint, deployment: name, sample: spec.smokeSample, timeoutMs: probeTimeoutMs, ...where };
    const smoke = yield* callActivity<SmokeOutput>(
      context,
      RetrainActivities.deploySmoke,
      { ...probe, requests: 1 },
      retry,
    );
    if (!smoke.ok) throw new CheckFailed('smoke', `smoke test failed: ${smoke.detail}`);
    checks.push(`smoke: ${smoke.detail}`);
    yield* record({ stage: { name: 'smoke', status: 'succeeded', detail: smoke.detail } });

    // ---- latency ----
    status('latency');
    const measured = yield* callActivity<LatencyOutput>(
      context,
      RetrainActivities.deployLatency,
      { ...probe, live: previous, requests: spec.latency.requests },
      retry,
    );
    const verdict = latencyVerdict({
      candidateMs: measured.candidateMs,
      liveMs: measured.liveMs,
      candidateFailures: measured.candidateFailures,
      p95BudgetMs: spec.latency.p95BudgetMs,
      maxRatioToLive: spec.latency.maxRatioToLive,
    });
    const latencyText =
      verdict.reasons.join('; ') + (measured.firstError ? ` (first error: ${measured.firstError})` : '');
    if (!verdict.ok) throw new CheckFailed('latency', `latency check failed: ${latencyText}`);
    checks.push(`latency: ${latencyText}`);
    yield* record({ stage: { name: 'latency', status: 'succeeded', detail: latencyText } });

    // ---- traffic ----
    const steps = planTrafficShift({
      strategy: spec.strategy,
      canarySteps: spec.canarySteps,
      bakeTimeSeconds: spec.bakeTimeSeconds,
      newDeployment: name,
      previousDeployment: previous,
      currentTraffic: traffic,
    });
    yield* record({
      stage: { name: 'traffic', status: 'started', detail: steps.map((s) => `${s.percent}%`).join(' → ') },
    });
    for (const step of steps) {
      status(`traffic ${step.percent}%`);
      const requested = yield* callActivity<EndpointSnapshot>(
        context,
        RetrainActivities.deploySetTraffic,
        {
          run,
          endpoint,
          traffic: step.traffic,
          reason: 'shift',
          deployment: name,
          modelVersion: input.modelVersion,
          ...where,
        },
        retry,
      );
      traffic = requested.traffic;
      const applied = yield* waitOrFail(endpoint, requested, 'traffic');
      traffic = applied.snapshot.traffic;
      if (applied.checks > 0)
        checks.push(`traffic ${step.percent}% applied after ${applied.checks} provisioning checks`);
      if (step.bake) {
        yield context.df.createTimer(after(context, spec.bakeTimeSeconds));
        const bake = yield* callActivity<ProbeOutput>(
          context,
          RetrainActivities.deployProbe,
          { ...probe, requests: spec.bakeProbeRequests },
          retry,
        );
        const rate = errorRate(bake.failures, bake.total);
        if (rate > spec.maxErrorRate) {
          throw new CheckFailed(
            'traffic',
            `error rate ${(rate * 100).toFixed(1)} % at ${step.percent} % traffic exceeds ${(spec.maxErrorRate * 100).toFixed(1)} %${bake.firstError ? ` (${bake.firstError})` : ''}`,
          );
        }
        checks.push(`bake at ${step.percent}%: ${bake.failures}/${bake.total} errors`);
      }
    }
    yield* record({
      stage: { name: 'traffic', status: 'succeeded' },
      deployment: { endpoint, name, previous, traffic, checks },
    });
  } catch (error) {
    const check = error instanceof CheckFailed ? error.check : 'deploy';
    const reason = error instanceof CheckFailed ? error.message : `${errorTypeOf(error)}: ${errorMessageOf(error)}`;
    log(context, `release of ${name} failed at ${check}: ${reason}; rolling back`);
    status('rollback');
    const back = rollbackTraffic(traffic, name, previous);
    // Nothing to put back when the new deployment never got traffic (e.g. it failed before the first shift).
    let restored: Pick<EndpointSnapshot, 'traffic'> = { traffic };
    if (!sameTraffic(traffic, back)) {
      restored = yield* callActivity<EndpointSnapshot>(
        context,
        RetrainActivities.deploySetTraffic,
        { run, endpoint, traffic: back, reason: 'rollback', deployment: previous ?? name, ...where },
        retry,
      );
      try {
        restored = (yield* waitForEndpoint(context, endpoint, restored as EndpointSnapshot, wait)).snapshot;
      } catch (waitError) {
        log(context, `restoring traffic on ${endpoint} did not settle: ${errorMessageOf(waitError)}`);
      }
    }
    const logs = yield* callActivity<string>(
      context,
      RetrainActivities.deployLogs,
      { endpoint, name, ...where },
      retry,
    );
    if (spec.onFailure === 'delete') {
      yield* callActivity<void>(context, RetrainActivities.deployDelete, { endpoint, name, ...where }, retry);
    }
    yield* record({
      stage: { name: 'rollback', status: 'succeeded', detail: `${check}: ${reason}` },
      deployment: { endpoint, name, previous, traffic: restored.traffic, checks },
      event: {
        name: 'DeploymentRolledBack',
        dimensions: {
          deployment: name,
          modelVersion: input.modelVersion,
          previous,
          check,
          reason: reason.slice(0, 500),
        },
      },
    });
    return {
      outcome: 'rolledBack',
      endpoint,
      deployment: name,
      previous,
      checks,
      failedCheck: check,
      reason,
      logs,
      deleted: spec.onFailure === 'delete' ? [name] : [],
    };
  }

  // ---- retention ----
  status('cleanup');
  const deleted = yield* callActivity<string[]>(
    context,
    RetrainActivities.deployCleanup,
    // `retention` counts the deployments kept besides the live one; the previous one is kept first.
    { endpoint, keep: [name], retention: spec.retention, prefer: previous ? [previous] : [], ...where },
    retry,
  );
  yield* record({
    stage: {
      name: 'deploy',
      status: 'succeeded',
      detail: `${name} serves 100 %${deleted.length ? `; deleted ${deleted.join(', ')}` : ''}`,
    },
    event: {
      name: 'DeploymentSucceeded',
      dimensions: { deployment: name, modelVersion: input.modelVersion, previous },
    },
  });
  status('done');
  return { outcome: 'succeeded', endpoint, deployment: name, previous, checks, deleted };
}
