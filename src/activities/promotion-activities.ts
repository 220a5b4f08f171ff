import { getDeployment, getEndpoint } from '../azureml/endpoints';
import {
  listModelVersions,
  getModelVersion,
  modelVersionId,
  nextNumericVersion,
  stringTags,
} from '../azureml/registry';
import {
  beginCreateRegistryModelVersion,
  getRegistryModelVersion,
  registryModelAssetId,
  registryOperationState,
} from '../azureml/registries';
import { call, type AzureMlWorkspace, type WorkspaceCoordinates } from '../azureml/workspace';
import type { WorkspaceResolver } from '../azureml/workspaces';
import {
  type Catalog,
  findModel,
  isRetrainable,
  type RegistryCoordinatesSpec,
  type WorkspaceCoordinatesSpec,
} from '../catalog';
import {
  PromotionActivities,
  type PromotionFinishInput,
  type PromotionPlan,
  type PromotionPlanInput,
  type ShareInput,
  type ShareOutput,
  type ShareStatusInput,
  type ShareStatusOutput,
} from '../services/promotion/contracts';
import {
  automaticNextStage,
  isRefusal,
  promotionTarget,
  sameWorkspace,
  sourceVersionProblem,
} from '../services/promotion/stages';
import type { RunRef } from '../services/retrain/contracts';
import { ModelNotInCatalogError, PromotionRefusedError } from '../services/retrain/errors';
import { LineageTags } from '../services/retrain/lineage';
import { retrainPlanFor } from '../services/retrain/plan';
import type { StateStores } from '../state';
import { type RunRecord, TERMINAL_RUN_STATUSES, withStage } from '../state/runs';
import { type CommonDimensions, type Telemetry, TelemetryEvents } from '../telemetry';

/**
 * The promotion's own activities (the release itself is the retrain release's): check and plan, share the version
 * with the target workspace, close the run. Each records what happened in the run record and one telemetry event,
 * correlated with the retrain run that released the version in the source stage (`sourceRunId`).
 */
export interface PromotionDeps {
  readonly catalog: Catalog;
  readonly state: StateStores;
  readonly workspaces: WorkspaceResolver;
  readonly telemetry: Telemetry;
  readonly now?: () => Date;
}

/** The version serving 100 % on a stage's endpoint, with the ARM id of its model version. */
export async function liveVersionOf(
  ws: AzureMlWorkspace,
  endpointName: string,
): Promise<{ name: string; version: string; deployment: string } | undefined> {
  const endpoint = await getEndpoint(ws, endpointName);
  if (!endpoint?.full) return undefined;
  const deployment = await getDeployment(ws, endpointName, endpoint.full);
  return deployment?.model ? { ...deployment.model, deployment: deployment.name } : undefined;
}

/** Checks a promotion request against the catalog and the source stage; the plan, or why not (nothing changed). */
export async function checkPromotion(
  deps: Pick<PromotionDeps, 'catalog' | 'workspaces'>,
  model: string,
  to: string,
  version: string | undefined,
): Promise<PromotionPlan> {
  const entry = findModel(deps.catalog, model);
  if (!entry) throw new ModelNotInCatalogError(model);
  if (!isRetrainable(entry)) {
    throw new PromotionRefusedError(409, `${model} is a score-only model: it is never released, so it has no stages`);
  }
  const found = promotionTarget(entry, to);
  if (isRefusal(found)) throw new PromotionRefusedError(found.status, found.message, found.field);
  const sourceWs = deps.workspaces(found.source.workspace);
  const live = await liveVersionOf(sourceWs, found.source.deployment.endpoint);
  const problem = sourceVersionProblem(model, found.source, found.target, live?.version, version);
  if (problem || !live) {
    throw new PromotionRefusedError(problem?.status ?? 409, problem?.message ?? 'no live version', problem?.field);
  }
  const source = await getModelVersion(sourceWs, live.name, live.version);
  const base = retrainPlanFor(entry);
  const target = found.target.deployment;
  return {
    fromStage: found.source.name,
    toStage: found.target.name,
    version: live.version,
    modelName: live.name,
    sourceModelId: modelVersionId(sourceWs, live.name, live.version),
    sourceWorkspace: found.source.workspace,
    targetWorkspace: found.target.workspace,
    ...(found.target.registry ? { targetRegistry: found.target.registry } : {}),
    ...(automaticNextStage(entry, found.target.index)
      ? { promoteNext: automaticNextStage(entry, found.target.index) }
      : {}),
    sourceRunId: stringTags(source?.properties.tags)[LineageTags.runId],
    release: {
      ...base,
      promoteTo: undefined,
      deployment: target,
      provisioningTimeoutSeconds: target.provisioningTimeoutMinutes * 60,
      provisioningPollSeconds: target.provisioningPollSeconds,
      approval: { required: target.approval.required, timeoutSeconds: target.approval.timeoutMinutes * 60 },
    },
  };
}

function dims(run: RunRef, plan: PromotionPlan | undefined, extra: CommonDimensions = {}): CommonDimensions {
  return {
    model: run.model,
    runId: run.runId,
    triggerId: run.triggerId,
    instanceId: run.instanceId,
    ...(plan
      ? {
          stage: plan.toStage,
          fromStage: plan.fromStage,
          modelVersion: plan.version,
          ...(plan.sourceRunId ? { sourceRunId: plan.sourceRunId } : {}),
        }
      : {}),
    ...extra,
  };
}

function describe(ws: WorkspaceCoordinatesSpec | undefined): string {
  return ws ? `${ws.subscriptionId}/${ws.resourceGroup}/${ws.workspace}` : "the app's workspace";
}

export function createPromotionActivities(deps: PromotionDeps) {
  const now = () => (deps.now ?? (() => new Date()))().toISOString();
  const { state, telemetry } = deps;

  return {
    [PromotionActivities.plan]: async ({ run, request }: PromotionPlanInput): Promise<PromotionPlan> => {
      const at = now();
      await state.runs.create({
        runId: run.runId,
        kind: 'promotion',
        model: run.model,
        triggerId: run.triggerId,
        source: 'ops',
        instanceId: run.instanceId,
        status: 'running',
        startedAt: at,
        updatedAt: at,
        input: {},
        coalesced: [],
        stages: [{ name: 'trigger', status: 'succeeded', startedAt: at, finishedAt: at }],
      });
      const plan = await checkPromotion(deps, request.model, request.to, request.version);
      await state.runs.update(run.runId, (current) => ({
        ...withStage(current, 'promote', 'started', now(), `${plan.version}: ${plan.fromStage} → ${plan.toStage}`),
        registered: { name: plan.modelName, version: plan.version, id: plan.sourceModelId },
        promotion: {
          from: plan.fromStage,
          to: plan.toStage,
          version: plan.version,
          ...(plan.sourceRunId ? { sourceRunId: plan.sourceRunId } : {}),
        },
      }));
      telemetry.trackEvent(
        TelemetryEvents.PromotionStarted,
        dims(run, plan, request.requestedBy ? { requestedBy: request.requestedBy } : {}),
      );
      return plan;
    },

    [PromotionActivities.share]: async ({ run, plan }: ShareInput): Promise<ShareOutput> => {
      let result: ShareOutput;
      if (plan.targetRegistry) {
        result = await shareThroughRegistry(deps.workspaces, run, plan, plan.targetRegistry);
      } else if (sameWorkspace(plan.sourceWorkspace, plan.targetWorkspace)) {
        // One workspace: the target stage's deployment names the very same version.
        result = { modelId: plan.sourceModelId, registered: false };
      } else {
        result = await copyToWorkspace(deps.workspaces, run, plan);
      }
      const at = now();
      await state.runs.update(run.runId, (current) => ({
        ...withStage(
          withStage(current, 'share', 'started', at),
          'share',
          'succeeded',
          at,
          result.pending
            ? `registering ${result.modelId}`
            : result.registered
              ? `registered ${result.modelId}`
              : `uses ${result.modelId}`,
        ),
        promotion: current.promotion ? { ...current.promotion, targetModelId: result.modelId } : undefined,
      }));
      telemetry.trackEvent(
        TelemetryEvents.ModelShared,
        dims(run, plan, {
          target: plan.targetRegistry ? `registry ${plan.targetRegistry.name}` : describe(plan.targetWorkspace),
          modelId: result.modelId,
          registered: String(result.registered),
        }),
      );
      return result;
    },

    [PromotionActivities.shareStatus]: async ({ url }: ShareStatusInput): Promise<ShareStatusOutput> =>
      registryOperationState(deps.workspaces(undefined), url),

    [PromotionActivities.finish]: async (input: PromotionFinishInput): Promise<void> => {
      const at = now();
      let changed = false;
      let startedAt: string | undefined;
      await state.runs.update(input.run.runId, (current) => {
        startedAt = current.startedAt;
        if (TERMINAL_RUN_STATUSES.includes(current.status)) return undefined;
        changed = true;
        let next: RunRecord = { ...current, status: input.status, finishedAt: at, updatedAt: at };
        if (input.failure) {
          next = {
            ...withStage(next, 'promote', 'failed', at, input.failure.message),
            failure: { ...input.failure, ...(input.deploymentLogs ? { deploymentLogs: input.deploymentLogs } : {}) },
          };
        } else {
          next = withStage(
            next,
            'promote',
            'succeeded',
            at,
            `${input.plan?.version ?? '?'} serves in ${input.plan?.toStage ?? '?'}`,
          );
        }
        const closing = input.status === 'succeeded' ? 'succeeded' : 'failed';
        return {
          ...next,
          stages: next.stages.map((st) => (st.status === 'started' ? { ...st, status: closing, finishedAt: at } : st)),
        };
      });
      if (!changed) return;
      telemetry.trackEvent(
        input.status === 'succeeded' ? TelemetryEvents.PromotionCompleted : TelemetryEvents.PromotionFailed,
        dims(input.run, input.plan, {
          status: input.status,
          ...(input.deployment ? { deployment: input.deployment } : {}),
          ...(input.failure ? { failedStage: input.failure.stage, errorType: input.failure.errorType } : {}),
        }),
        startedAt ? { durationMs: Date.parse(at) - Date.parse(startedAt) } : undefined,
      );
    },
  };
}

/**
 * A model URI another workspace or a registry can resolve: the short job-output form `azureml://jobs/<job>/…` means a
 * job of the workspace reading it, so it becomes the long form naming the source workspace
 * (`azureml://subscriptions/<s>/resourcegroups/<rg>/workspaces/<ws>/jobs/<job>/…`, Learn: "Share models … across
 * workspaces with registries"). Other URIs (storage paths) are kept.
 */
export function longFormUri(source: WorkspaceCoordinates, modelUri: string): string {
  const short = /^azureml:\/\/(jobs\/.+)$/i.exec(modelUri);
  if (!short?.[1]) return modelUri;
  return `azureml://subscriptions/${source.subscriptionId}/resourcegroups/${source.resourceGroup}/workspaces/${source.workspace}/${short[1]}`;
}

/** The source version's lineage plus where it came from: what a promoted copy or registry version carries. */
function promotedTags(
  source: { properties: { tags?: Record<string, string | null> } },
  run: RunRef,
  plan: PromotionPlan,
): Record<string, string> {
  return {
    ...stringTags(source.properties.tags),
    [LineageTags.promotedFrom]: plan.sourceModelId,
    [LineageTags.promotionRunId]: run.runId,
    [LineageTags.promotionStage]: plan.toStage,
  };
}

/**
 * Shares the promoted version through the target stage's registry: the same name and version, its lineage tags
 * (gate decision, metrics, source run) plus where it came from, files from the source workspace's job output (long
 * form). Idempotent: a registry version already promoted from this source is reused; one from elsewhere under the
 * same name and version is a conflict (registry versions are immutable).
 */
async function shareThroughRegistry(
  workspaces: WorkspaceResolver,
  run: RunRef,
  plan: PromotionPlan,
  registry: RegistryCoordinatesSpec,
): Promise<ShareOutput> {
  const sourceWs = workspaces(plan.sourceWorkspace);
  const home = workspaces(undefined);
  const modelId = registryModelAssetId(registry, plan.modelName, plan.version);
  const existing = await getRegistryModelVersion(home, registry, plan.modelName, plan.version);
  if (existing) {
    if (existing.tags[LineageTags.promotedFrom] !== plan.sourceModelId) {
      throw new PromotionRefusedError(
        409,
        `registry ${registry.name} already has ${plan.modelName}:${plan.version} from ${existing.tags[LineageTags.promotedFrom] ?? 'elsewhere'}; registry versions cannot be replaced`,
      );
    }
    return { modelId, registered: false };
  }
  const source = await getModelVersion(sourceWs, plan.modelName, plan.version);
  if (!source) throw new PromotionRefusedError(409, `${plan.sourceModelId} no longer exists`);
  const started = await beginCreateRegistryModelVersion(home, registry, plan.modelName, plan.version, {
    modelUri: longFormUri(sourceWs, source.properties.modelUri ?? ''),
    ...(source.properties.modelType ? { modelType: source.properties.modelType } : {}),
    description: `Promoted from ${plan.fromStage} (${plan.sourceModelId}) by ${run.instanceId}.`,
    tags: promotedTags(source, run, plan),
    properties: { ...(source.properties.properties ?? {}) },
  });
  return { modelId, registered: true, ...(started.pending ? { pending: started.pending } : {}) };
}

/**
 * Registers the promoted version in the target stage's workspace: same name, the same version number when free, its
 * lineage tags plus where it came from, files from the source workspace (long form). Idempotent: a version already
 * carrying this source id is reused.
 */
async function copyToWorkspace(workspaces: WorkspaceResolver, run: RunRef, plan: PromotionPlan): Promise<ShareOutput> {
  const sourceWs = workspaces(plan.sourceWorkspace);
  const targetWs = workspaces(plan.targetWorkspace);
  const source = await getModelVersion(sourceWs, plan.modelName, plan.version);
  if (!source) throw new PromotionRefusedError(409, `${plan.sourceModelId} no longer exists`);
  const existing = (await listModelVersions(targetWs, plan.modelName)).find(
    (v) => v.properties.tags?.[LineageTags.promotedFrom] === plan.sourceModelId,
  );
  if (existing?.name) return { modelId: modelVersionId(targetWs, plan.modelName, existing.name), registered: false };
  const modelUri = longFormUri(sourceWs, source.properties.modelUri ?? '');
  const taken = (await listModelVersions(targetWs, plan.modelName)).map((v) => v.name ?? '');
  const version = taken.includes(plan.version) ? nextNumericVersion(taken) : plan.version;
  await call('copy model version to the target workspace', () =>
    targetWs.arm.modelVersions.createOrUpdate(targetWs.resourceGroup, targetWs.workspace, plan.modelName, version, {
      properties: {
        modelUri,
        modelType: source.properties.modelType,
        description: `Promoted from ${plan.fromStage} (${plan.sourceModelId}) by ${run.instanceId}.`,
        tags: promotedTags(source, run, plan),
        properties: { ...(source.properties.properties ?? {}) },
      },
    }),
  );
  return { modelId: modelVersionId(targetWs, plan.modelName, version), registered: true };
}

export type PromotionActivityHandlers = ReturnType<typeof createPromotionActivities>;
