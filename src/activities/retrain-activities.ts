import { describeRuns, findMetricsRun } from '../azureml/mlflow';
import { cancelTraining, getTrainingStatus, studioUrlOf, submitTraining } from '../azureml/training';
import {
  beginCreateDeployment,
  type EndpointState,
  deleteDeployment,
  ensureEndpoint,
  getDeployment,
  getAllDeploymentLogs,
  getEndpoint,
  listDeployments,
  beginSetTraffic,
} from '../azureml/endpoints';
import {
  getModelVersion,
  latestDataVersion,
  registerModelVersion,
  stringTags,
  tagModelVersion,
} from '../azureml/registry';
import { armScoringSecrets, type ScoringSecrets } from '../azureml/scoring-auth';
import { decodedBody, scoreOnline } from '../azureml/scoring-client';
import type { AzureMlWorkspace } from '../azureml/workspace';
import { type WorkspaceResolver, workspaceKey } from '../azureml/workspaces';
import { type Catalog, findRetrainModel } from '../catalog';
import type {
  CheckTrainingInput,
  CheckTrainingOutput,
  CleanupInput,
  CompleteLaneInput,
  CompleteLaneOutput,
  DeployCreateInput,
  DeployPrepareInput,
  DeploymentRefInput,
  DeployStateOutput,
  EndpointSnapshot,
  FinishRunInput,
  InWorkspace,
  GetMetricsInput,
  GetMetricsOutput,
  LatencyInput,
  LatencyOutput,
  LoadPlanInput,
  ProbeOutput,
  RecordInput,
  RegisterModelInput,
  RegisterModelOutput,
  EndpointStateInput,
  RollbackFinishInput,
  RollbackInput,
  RollbackOutput,
  RunRef,
  ScoringProbeInput,
  SetTrafficInput,
  SmokeOutput,
  SubmitTrainingInput,
  SubmitTrainingOutput,
  TagModelInput,
} from '../services/retrain/contracts';
import { datasetUriFor } from '../services/retrain/blob-events';
import { retrainInstanceId } from '../services/retrain/coalesce';
import { RetrainActivities } from '../services/retrain/contracts';
import {
  MetricsUnavailableError,
  ModelNotInCatalogError,
  NoTrainingDataError,
  ReleaseCheckFailedError,
} from '../services/retrain/errors';
import { LineageTags, lineageTags, MANAGED_BY, metricsFromTags } from '../services/retrain/lineage';
import { trainingJobNameFor } from '../services/retrain/naming';
import { type RetrainPlan, retrainPlanFor } from '../services/retrain/plan';
import { stagesOf } from '../services/promotion/stages';
import { deploymentsToDelete } from '../services/retrain/retention';
import { chooseRollbackTarget, rollbackTraffic } from '../services/retrain/traffic';
import type { StateStores } from '../state';
import { type RunRecord, TERMINAL_RUN_STATUSES, type StageName, withStage } from '../state/runs';
import {
  type CommonDimensions,
  type Telemetry,
  type TelemetryEventName,
  TelemetryEvents,
  TelemetryMetrics,
} from '../telemetry';
import { completeLaneRun, newRunRecord } from '../triggers/submit';

/**
 * The retrain activities: the only code of the flow with side effects. Thin: each validates, calls a client or a
 * store, records what happened (run record + one telemetry event) and returns plain data.
 */
export interface RetrainDeps {
  readonly catalog: Catalog;
  readonly state: StateStores;
  readonly ws: AzureMlWorkspace;
  /** Workspaces of promotion stages (default: only `ws`, for apps without stages in other workspaces). */
  readonly workspaces?: WorkspaceResolver;
  readonly telemetry: Telemetry;
  readonly now?: () => Date;
  /** Per-request scoring options (tests shorten retries). */
  readonly scoring?: { readonly maxRetries?: number; readonly retryDelayMs?: number };
}

type Handler = (input: never) => Promise<unknown>;

function dims(run: RunRef, extra: CommonDimensions = {}): CommonDimensions {
  return { model: run.model, triggerId: run.triggerId, instanceId: run.instanceId, runId: run.runId, ...extra };
}

const EVENT_NAMES = new Set<string>(Object.values(TelemetryEvents));

export function createRetrainActivities(deps: RetrainDeps) {
  const now = () => (deps.now ?? (() => new Date()))().toISOString();
  const { ws, state, telemetry } = deps;

  function planOf(model: string): RetrainPlan {
    const entry = findRetrainModel(deps.catalog, model);
    if (!entry) throw new ModelNotInCatalogError(model);
    return retrainPlanFor(entry);
  }

  async function updateRun(runId: string, mutate: (run: RunRecord) => RunRecord | undefined): Promise<void> {
    await state.runs.update(runId, mutate);
  }

  /** The workspace a release activity works in (a promotion stage's, or the app's). */
  function wsOf(input: InWorkspace): AzureMlWorkspace {
    if (!input.workspace) return ws;
    if (!deps.workspaces) throw new Error(`No client for workspace ${workspaceKey(input.workspace)}.`);
    return deps.workspaces(input.workspace);
  }
  const keyOf = (target: AzureMlWorkspace) => workspaceKey({ ...target });

  // Made on first use: activities that never score (training, gate, registry) need no scoring secrets.
  const secrets = new Map<string, ScoringSecrets>();
  const scoringSecrets = (target: AzureMlWorkspace): ScoringSecrets => {
    let found = secrets.get(keyOf(target));
    if (!found) {
      found = armScoringSecrets(target);
      secrets.set(keyOf(target), found);
    }
    return found;
  };
  const scoringUris = new Map<string, Promise<string>>();
  function scoringUriOf(target: AzureMlWorkspace, endpoint: string): Promise<string> {
    const key = `${keyOf(target)}/${endpoint}`;
    let uri = scoringUris.get(key);
    if (!uri) {
      uri = (async () => {
        const e = await getEndpoint(target, endpoint);
        if (!e?.scoringUri) throw new ReleaseCheckFailedError('smoke', `Endpoint ${endpoint} has no scoring URI.`);
        return e.scoringUri;
      })();
      scoringUris.set(key, uri);
      uri.catch(() => scoringUris.delete(key));
    }
    return uri;
  }

  async function score(where: InWorkspace, endpoint: string, deployment: string, body: unknown, timeoutMs: number) {
    const target = wsOf(where);
    return scoreOnline({
      scoringUri: await scoringUriOf(target, endpoint),
      // Renewed when due, and once after a 401 (a key regenerated or a token expired mid-release).
      auth: () => scoringSecrets(target).get(endpoint),
      onUnauthorized: (stale) => scoringSecrets(target).refresh(endpoint, stale),
      deployment,
      body,
      timeoutMs,
      maxRetries: deps.scoring?.maxRetries ?? 2,
      retryDelayMs: deps.scoring?.retryDelayMs ?? 250,
    });
  }

  async function timed(where: InWorkspace, endpoint: string, deployment: string, body: unknown, timeoutMs: number) {
    try {
      const result = await score(where, endpoint, deployment, body, timeoutMs);
      return { ok: true as const, ms: result.latencyMs };
    } catch (error) {
      return { ok: false as const, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  }

  const activities = {
    [RetrainActivities.loadPlan]: ({ run }: LoadPlanInput): Promise<RetrainPlan> => Promise.resolve(planOf(run.model)),

    [RetrainActivities.record]: async (input: RecordInput): Promise<void> => {
      const at = now();
      let stageStartedAt: string | undefined;
      await updateRun(input.run.runId, (current) => {
        if (input.stage && input.stage.status !== 'started') {
          stageStartedAt = [...current.stages]
            .reverse()
            .find((st) => st.name === input.stage?.name && st.status === 'started')?.startedAt;
        }
        let next: RunRecord = { ...current, updatedAt: at };
        if (input.stage)
          next = withStage(next, input.stage.name as StageName, input.stage.status, at, input.stage.detail);
        if (input.status) next = { ...next, status: input.status };
        if (input.gate) next = { ...next, gate: input.gate };
        if (input.metrics) next = { ...next, metrics: input.metrics };
        if (input.approval) next = { ...next, approval: { ...input.approval, at } };
        if (input.deployment) next = { ...next, deployment: { ...(current.deployment ?? {}), ...input.deployment } };
        return next;
      });
      if (input.stage && stageStartedAt) {
        telemetry.trackMetric(
          TelemetryMetrics.StageDurationMs,
          Date.parse(at) - Date.parse(stageStartedAt),
          dims(input.run, { stage: input.stage.name, status: input.stage.status }),
        );
      }
      if (input.event && EVENT_NAMES.has(input.event.name)) {
        telemetry.trackEvent(
          input.event.name as TelemetryEventName,
          dims(input.run, input.event.dimensions),
          input.event.measurements,
        );
      }
    },

    [RetrainActivities.submitTraining]: async ({
      run,
      input,
      plan,
    }: SubmitTrainingInput): Promise<SubmitTrainingOutput> => {
      const key = trainingJobNameFor(run.model, run.triggerId);
      let datasetUri = input.dataset ? datasetUriFor(input.dataset.uri, plan.training.datasetInputType) : undefined;
      if (!datasetUri) {
        const latest = await latestDataVersion(ws, plan.registry.dataAssetName);
        if (!latest) throw new NoTrainingDataError(run.model, plan.registry.dataAssetName);
        datasetUri = latest.dataUri;
      }
      const submitted = await submitTraining(
        ws,
        state.submissions,
        {
          model: run.model,
          runId: run.runId,
          instanceId: run.instanceId,
          key,
          training: input.parameters
            ? { ...plan.training, parameters: { ...plan.training.parameters, ...input.parameters } }
            : plan.training,
          datasetUri,
          modelType: plan.registry.modelType,
          tags: {
            [LineageTags.model]: run.model,
            [LineageTags.runId]: run.runId,
            [LineageTags.triggerId]: run.triggerId,
            [LineageTags.instanceId]: run.instanceId,
          },
        },
        now,
      );
      const studioUrl = await studioUrlOf(ws, submitted.jobName);
      const at = now();
      await updateRun(run.runId, (current) => ({
        ...withStage(
          withStage(current, 'submit', 'succeeded', at, submitted.reused ? 'reused an earlier submission' : undefined),
          'training',
          'started',
          at,
          submitted.jobName,
        ),
        training: {
          kind: plan.training.kind,
          jobName: submitted.jobName,
          experiment: plan.training.experiment,
          studioUrl,
          statusHistory: current.training?.statusHistory ?? [{ status: submitted.status, at, via: 'submit' }],
        },
      }));
      if (!submitted.reused) {
        telemetry.trackEvent(
          TelemetryEvents.TrainingSubmitted,
          dims(run, { job: submitted.jobName, kind: plan.training.kind }),
        );
      }
      return submitted;
    },

    [RetrainActivities.checkTraining]: async (input: CheckTrainingInput): Promise<CheckTrainingOutput> => {
      // The experiment only locates the run-history record of a failure (for its message).
      const experiment = findRetrainModel(deps.catalog, input.run.model)?.training.experiment ?? 'Default';
      const status = await getTrainingStatus(
        ws,
        { kind: input.kind, experiment, modelOutput: input.modelOutput },
        input.jobName,
      );
      const at = now();
      await updateRun(input.run.runId, (current) => {
        const history = current.training?.statusHistory ?? [];
        if (history[history.length - 1]?.status === status.status) return undefined;
        return {
          ...current,
          updatedAt: at,
          training: {
            kind: current.training?.kind ?? input.kind,
            jobName: input.jobName,
            experiment: current.training?.experiment ?? '',
            studioUrl: current.training?.studioUrl,
            statusHistory: [...history, { status: status.status, at, via: input.via }],
          },
        };
      });
      return { ...status, at };
    },

    [RetrainActivities.cancelTraining]: async (input: CheckTrainingInput): Promise<void> => {
      await cancelTraining(ws, input.kind, input.jobName);
    },

    [RetrainActivities.getMetrics]: async (input: GetMetricsInput): Promise<GetMetricsOutput> => {
      const plan = planOf(input.run.model);
      const wanted = { step: plan.training.metricsStep, metrics: plan.gate.metrics.map((m) => m.name) };
      const lookup = await findMetricsRun(ws, input.jobName, wanted);
      if (!lookup.found) {
        const where = wanted.step
          ? `no step run named '${wanted.step}' below it`
          : `no run logged ${wanted.metrics.join(', ')}`;
        throw new MetricsUnavailableError(
          lookup.ambiguous
            ? `Training job ${input.jobName}: several step runs log ${wanted.metrics.join(', ')} (${describeRuns(lookup.ambiguous)}); set training.metricsStep to the step whose metrics the gate reads.`
            : `Training job ${input.jobName}: ${where}. Looked at: ${describeRuns(lookup.looked)}. Log the metrics with MLflow in the training step${wanted.step ? ', or fix training.metricsStep' : ', or name that step in training.metricsStep'}.`,
        );
      }
      const candidate = lookup.found.metrics;
      await updateRun(input.run.runId, (current) => ({
        ...current,
        metricsRun: { runId: lookup.found?.run.runId ?? input.jobName, runName: lookup.found?.run.runName },
      }));
      const endpoint = await getEndpoint(ws, input.endpoint);
      const home = endpoint?.full ?? endpoint?.live;
      const deployment = home ? await getDeployment(ws, input.endpoint, home) : undefined;
      if (!deployment?.model) return { candidate, champion: undefined };
      const version = await getModelVersion(ws, deployment.model.name, deployment.model.version);
      let metrics = metricsFromTags(stringTags(version?.properties.tags));
      const championJob = version?.properties.jobName;
      if (Object.keys(metrics).length === 0 && championJob) {
        // A version registered outside the orchestrator: its training run's metrics, found the same way.
        const champion = await findMetricsRun(ws, championJob, wanted).catch(() => undefined);
        metrics = champion?.found?.metrics ?? {};
      }
      return { candidate, champion: { version: deployment.model.version, metrics } };
    },

    [RetrainActivities.registerModel]: async (input: RegisterModelInput): Promise<RegisterModelOutput> => {
      const tags = lineageTags({
        model: input.run.model,
        dataset: input.input.dataset,
        git: input.input.git,
        jobName: input.jobName,
        triggerId: input.run.triggerId,
        triggerSource: input.input.source,
        runId: input.run.runId,
        instanceId: input.run.instanceId,
        gate: input.gate,
        metrics: input.metrics,
        parameters: input.input.parameters,
      });
      const registered = await registerModelVersion(ws, {
        name: input.plan.registry.modelName,
        modelUri: input.modelUri,
        modelType: input.plan.registry.modelType,
        jobName: input.jobName,
        description: `Retrained by ${input.run.instanceId} (run ${input.run.runId}); gate ${input.gate.decision}.`,
        tags,
        properties: { [LineageTags.triggerId]: input.run.triggerId, [LineageTags.gateDecision]: input.gate.decision },
      });
      const at = now();
      await updateRun(input.run.runId, (current) => ({
        ...withStage(current, 'register', 'succeeded', at, `${registered.name}:${registered.version}`),
        registered: { name: registered.name, version: registered.version, id: registered.id },
      }));
      if (!registered.reused) {
        telemetry.trackEvent(
          TelemetryEvents.ModelRegistered,
          dims(input.run, { job: input.jobName, modelVersion: registered.version, gate: input.gate.decision }),
        );
      }
      return { name: registered.name, version: registered.version, id: registered.id };
    },

    [RetrainActivities.tagModel]: async (input: TagModelInput): Promise<void> => {
      await tagModelVersion(ws, input.name, input.version, input.tags);
    },

    [RetrainActivities.finishRun]: async (input: FinishRunInput): Promise<void> => {
      const at = now();
      let startedAt: string | undefined;
      let changed = false;
      await updateRun(input.run.runId, (current) => {
        startedAt = current.startedAt;
        if (TERMINAL_RUN_STATUSES.includes(current.status)) return undefined;
        changed = true;
        let next: RunRecord = { ...current, status: input.status, finishedAt: at, updatedAt: at };
        if (input.failure)
          next = {
            ...withStage(next, input.failure.stage as StageName, 'failed', at, input.failure.message),
            failure: input.failure,
          };
        // A finished run has no running stage: what was still open ended with the run.
        const closing = input.status === 'succeeded' ? 'succeeded' : 'failed';
        next = {
          ...next,
          stages: next.stages.map((st) => (st.status === 'started' ? { ...st, status: closing, finishedAt: at } : st)),
        };
        return next;
      });
      if (!changed) return;
      const extra: CommonDimensions = {
        status: input.status,
        ...(input.jobName ? { job: input.jobName } : {}),
        ...(input.modelVersion ? { modelVersion: input.modelVersion } : {}),
        ...(input.deployment ? { deployment: input.deployment } : {}),
        ...(input.failure ? { stage: input.failure.stage, errorType: input.failure.errorType } : {}),
      };
      const duration = startedAt ? Date.parse(at) - Date.parse(startedAt) : undefined;
      if (input.failure?.stage === 'training') {
        telemetry.trackEvent(TelemetryEvents.TrainingFailed, dims(input.run, extra));
      }
      telemetry.trackEvent(
        input.status === 'failed' ? TelemetryEvents.RetrainFailed : TelemetryEvents.RetrainCompleted,
        dims(input.run, extra),
        duration !== undefined ? { durationMs: duration } : undefined,
      );
      if (duration !== undefined) {
        telemetry.trackMetric(
          TelemetryMetrics.StageDurationMs,
          duration,
          dims(input.run, { stage: 'retrain', status: input.status }),
        );
      }
    },

    [RetrainActivities.completeLane]: async (input: CompleteLaneInput): Promise<CompleteLaneOutput> => {
      const result = await completeLaneRun(state, input.model, input.runId, now());
      if (result.next) {
        telemetry.trackEvent(TelemetryEvents.RetrainStarted, {
          model: input.model,
          triggerId: result.next.triggerId,
          runId: result.next.runId,
          instanceId: retrainInstanceId(input.model),
          followUpOf: input.runId,
        });
      }
      return result;
    },

    // ---- deployment -----------------------------------------------------------------------------------------

    [RetrainActivities.deployEndpointState]: async (input: EndpointStateInput): Promise<EndpointSnapshot> => {
      const endpoint = await getEndpoint(wsOf(input), input.endpoint);
      if (!endpoint) {
        return { scoringUri: undefined, authMode: 'Key', traffic: {}, live: undefined, provisioningState: 'NotFound' };
      }
      return snapshotOf(endpoint);
    },

    [RetrainActivities.deployPrepare]: async (input: DeployPrepareInput): Promise<EndpointSnapshot> => {
      const endpoint = await ensureEndpoint(
        wsOf(input),
        input.endpoint,
        { [LineageTags.managedBy]: MANAGED_BY, [LineageTags.model]: input.run.model },
        input.authMode ?? planOf(input.run.model).deployment.authMode,
      );
      return snapshotOf(endpoint);
    },

    [RetrainActivities.deployCreate]: async (input: DeployCreateInput): Promise<DeployStateOutput> => {
      const created = await beginCreateDeployment(wsOf(input), {
        endpoint: input.endpoint,
        name: input.name,
        modelId: input.modelId,
        spec: input.deployment,
        tags: {
          [LineageTags.managedBy]: MANAGED_BY,
          [LineageTags.model]: input.run.model,
          [LineageTags.modelVersion]: input.modelVersion,
          [LineageTags.runId]: input.run.runId,
          [LineageTags.instanceId]: input.run.instanceId,
        },
      });
      return { provisioningState: created.provisioningState, requestTimeoutMs: created.requestTimeoutMs };
    },

    [RetrainActivities.deployState]: async (input: DeploymentRefInput): Promise<DeployStateOutput> => {
      const d = await getDeployment(wsOf(input), input.endpoint, input.name);
      return { provisioningState: d?.provisioningState ?? 'NotFound' };
    },

    [RetrainActivities.deploySmoke]: async (input: ScoringProbeInput): Promise<SmokeOutput> => {
      try {
        const result = await score(input, input.endpoint, input.deployment, input.sample, input.timeoutMs);
        // MLflow answers a list or an object; a classic score.py often a JSON-encoded string of one.
        const body = decodedBody(result.body);
        if (body === null || typeof body !== 'object') {
          return {
            ok: false,
            detail: `HTTP ${result.status} without a JSON object or list (got ${JSON.stringify(result.body).slice(0, 80)})`,
          };
        }
        return { ok: true, detail: `HTTP ${result.status} in ${Math.round(result.latencyMs)} ms` };
      } catch (error) {
        return { ok: false, detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
      }
    },

    [RetrainActivities.deployLatency]: async (input: LatencyInput): Promise<LatencyOutput> => {
      const candidateMs: number[] = [];
      const liveMs: number[] = [];
      let candidateFailures = 0;
      let firstError: string | undefined;
      // Interleaved, one at a time: both deployments see the same conditions; no self-inflicted queueing.
      for (let i = 0; i < input.requests; i++) {
        const c = await timed(input, input.endpoint, input.deployment, input.sample, input.timeoutMs);
        if (c.ok) candidateMs.push(c.ms);
        else {
          candidateFailures++;
          firstError ??= c.error;
        }
        if (input.live) {
          const l = await timed(input, input.endpoint, input.live, input.sample, input.timeoutMs);
          if (l.ok) liveMs.push(l.ms);
        }
      }
      return { candidateMs, liveMs, candidateFailures, firstError };
    },

    [RetrainActivities.deploySetTraffic]: async (input: SetTrafficInput): Promise<EndpointSnapshot> => {
      // Starts the change; the orchestration waits for it on durable timers (deployEndpointState).
      const endpoint = await beginSetTraffic(wsOf(input), input.endpoint, input.traffic);
      if (input.reason === 'shift') {
        telemetry.trackEvent(
          TelemetryEvents.DeploymentShifted,
          dims(input.run, { deployment: input.deployment, modelVersion: input.modelVersion }),
          { percent: input.traffic[input.deployment] ?? 0 },
        );
      }
      await updateRun(input.run.runId, (current) =>
        current.deployment
          ? { ...current, deployment: { ...current.deployment, traffic: endpoint.traffic } }
          : undefined,
      );
      return snapshotOf(endpoint);
    },

    [RetrainActivities.deployProbe]: async (input: ScoringProbeInput): Promise<ProbeOutput> => {
      let failures = 0;
      let firstError: string | undefined;
      for (let i = 0; i < input.requests; i++) {
        const r = await timed(input, input.endpoint, input.deployment, input.sample, input.timeoutMs);
        if (!r.ok) {
          failures++;
          firstError ??= r.error;
        }
      }
      return { total: input.requests, failures, firstError };
    },

    [RetrainActivities.deployLogs]: async (input: DeploymentRefInput): Promise<string> => {
      // The model download (StorageInitializer) explains a failed provisioning; the scoring server the rest.
      return getAllDeploymentLogs(wsOf(input), input.endpoint, input.name, 200);
    },

    [RetrainActivities.deployDelete]: async (input: DeploymentRefInput): Promise<void> => {
      await deleteDeployment(wsOf(input), input.endpoint, input.name);
    },

    [RetrainActivities.deployCleanup]: async (input: CleanupInput): Promise<string[]> => {
      const target = wsOf(input);
      const [endpoint, deployments] = await Promise.all([
        getEndpoint(target, input.endpoint),
        listDeployments(target, input.endpoint),
      ]);
      const doomed = deploymentsToDelete(
        deployments.map((d) => ({
          name: d.name,
          createdAt: d.createdAt,
          traffic: endpoint?.traffic[d.name] ?? 0,
          managed: d.managed,
        })),
        input.keep,
        input.retention,
        input.prefer ?? [],
      );
      for (const name of doomed) await deleteDeployment(target, input.endpoint, name);
      return doomed;
    },

    [RetrainActivities.rollbackEndpoint]: async (input: RollbackInput): Promise<RollbackOutput> => {
      const entry = findRetrainModel(deps.catalog, input.model);
      if (!entry) throw new ModelNotInCatalogError(input.model);
      // A promotion stage's endpoint, in its workspace; the model's own deployment without a stage.
      const stage = input.stage ? stagesOf(entry).find((s) => s.name === input.stage) : undefined;
      if (input.stage && !stage) {
        throw new ReleaseCheckFailedError('rollback', `${input.model} has no stage '${input.stage}'.`);
      }
      const spec = stage?.deployment ?? entry.deployment;
      const where: InWorkspace = { workspace: stage?.workspace };
      const target = wsOf(where);
      const endpointName = spec.endpoint;
      const [endpoint, deployments] = await Promise.all([
        getEndpoint(target, endpointName),
        listDeployments(target, endpointName),
      ]);
      if (!endpoint) throw new ReleaseCheckFailedError('rollback', `Endpoint ${endpointName} does not exist.`);
      const choice = chooseRollbackTarget(
        deployments.map((d) => ({
          name: d.name,
          modelVersion: d.model?.version,
          createdAt: d.createdAt,
          provisioningState: d.provisioningState,
        })),
        endpoint.live,
        input.target,
      );
      if ('error' in choice)
        throw new ReleaseCheckFailedError('rollback', `Cannot roll back ${input.model}: ${choice.error}.`);
      const traffic = rollbackTraffic(endpoint.traffic, endpoint.live ?? choice.target, choice.target);
      // Starts the change; the rollback orchestration waits for it and then calls rollbackFinish.
      const started = await beginSetTraffic(target, endpointName, traffic);
      const at = now();
      const record = newRunRecord(
        { runId: input.runId, triggerId: input.runId, model: input.model, source: 'manual', occurredAt: at },
        input.runId,
        at,
        'rollback',
      );
      await state.runs.create({ ...record, source: 'ops', ...(stage ? { rollbackStage: stage.name } : {}) });
      await updateRun(input.runId, (current) => ({
        ...withStage(current, 'rollback', 'started', at, `${endpoint.live ?? '(none)'} → ${choice.target}`),
        deployment: {
          endpoint: endpointName,
          name: choice.target,
          previous: endpoint.live,
          traffic: started.traffic,
        },
      }));
      return {
        endpoint: endpointName,
        from: endpoint.live,
        to: choice.target,
        traffic: started.traffic,
        provisioningState: started.provisioningState,
        pollSeconds: spec.provisioningPollSeconds,
        timeoutSeconds: spec.provisioningTimeoutMinutes * 60,
        ...where,
      };
    },

    [RetrainActivities.rollbackFinish]: async (input: RollbackFinishInput): Promise<void> => {
      const at = now();
      await updateRun(input.runId, (current) => {
        if (TERMINAL_RUN_STATUSES.includes(current.status)) return undefined;
        const closed = withStage(
          current,
          'rollback',
          input.failure ? 'failed' : 'succeeded',
          at,
          input.failure ?? `${input.from ?? '(none)'} → ${input.to}`,
        );
        return {
          ...closed,
          status: input.failure ? 'failed' : 'succeeded',
          finishedAt: at,
          ...(input.failure
            ? { failure: { stage: 'rollback', errorType: 'ReleaseCheckFailedError', message: input.failure } }
            : {}),
          deployment: {
            endpoint: input.endpoint,
            name: input.to,
            previous: input.from,
            traffic: input.traffic,
            ...(input.failure ? {} : { outcome: 'rolledBack' as const }),
          },
        };
      });
      if (input.failure) return;
      const run: RunRef = { model: input.model, runId: input.runId, triggerId: input.runId, instanceId: input.runId };
      telemetry.trackEvent(
        TelemetryEvents.DeploymentRolledBack,
        dims(run, { deployment: input.to, from: input.from, reason: 'operator', requestedBy: input.requestedBy }),
      );
    },
  } satisfies Record<string, Handler>;
  return activities;
}

function snapshotOf(endpoint: EndpointState): EndpointSnapshot {
  return {
    scoringUri: endpoint.scoringUri,
    authMode: endpoint.authMode,
    traffic: endpoint.traffic,
    live: endpoint.live,
    provisioningState: endpoint.provisioningState,
  };
}

export type RetrainActivityHandlers = ReturnType<typeof createRetrainActivities>;
