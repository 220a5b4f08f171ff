import type { ModelVersion } from '@azure/arm-machinelearning';

import type { AppContext } from '../../app/context';
import { type DeploymentState, type EndpointState, getEndpoint, listDeployments } from '../../azureml/endpoints';
import { listModelVersions, stringTags } from '../../azureml/registry';
import { findModel, isRetrainable, type ModelEntry } from '../../catalog';
import { LineageTags, MANAGED_BY, metricsFromTags } from '../../services/retrain/lineage';
import type { RunRecord } from '../../state/runs';
import type {
  EndpointDeployment,
  EndpointDetail,
  EndpointList,
  EndpointSummary,
  ModelDetail,
  ModelList,
  ModelSummary,
  ModelVersionView,
} from './contract';
import { liveVersionOf } from '../../activities/promotion-activities';
import { stagesOf } from '../../services/promotion/stages';
import { toRunDetail } from './retrain-operations';
import { EndpointNotFoundError, UnknownModelError } from './service';

/**
 * Models and endpoints as an operator reads them: the catalog joined with what Azure ML holds now (registered
 * versions and their `mlops.*` lineage tags, online endpoints, deployments, traffic) and the run records.
 */

/** Recent runs a model view lists. */
const RECENT_RUNS = 20;

/** The endpoint (and what serves it) with its deployments, read once per view. */
interface EndpointFacts {
  readonly state: EndpointState | undefined;
  readonly deployments: readonly DeploymentState[];
}

async function endpointFacts(context: AppContext, name: string): Promise<EndpointFacts> {
  const state = await getEndpoint(context.workspace, name);
  return { state, deployments: state ? await listDeployments(context.workspace, name) : [] };
}

function lastRunOf(run: RunRecord | undefined): ModelSummary['lastRun'] {
  if (!run) return undefined;
  const view = toRunDetail(run);
  return {
    runId: view.runId,
    kind: view.kind,
    status: view.status,
    createdAt: view.createdAt,
    ...(view.finishedAt ? { finishedAt: view.finishedAt } : {}),
    ...(view.modelVersion ? { modelVersion: view.modelVersion } : {}),
  };
}

function createdAtOf(v: ModelVersion): string | undefined {
  const at = v.systemData?.createdAt;
  return at ? new Date(at).toISOString() : undefined;
}

/** Newest first: by creation time, then by numeric version. */
function newestFirst(a: ModelVersion, b: ModelVersion): number {
  const byTime = (createdAtOf(b) ?? '').localeCompare(createdAtOf(a) ?? '');
  return byTime !== 0 ? byTime : Number(b.name ?? 0) - Number(a.name ?? 0);
}

/** The deployments of the endpoint that serve `registeredName:version`, with their traffic share. */
function servingDeployments(
  facts: EndpointFacts,
  registeredName: string,
  version: string,
): { deployment: string; trafficPercent: number }[] {
  return facts.deployments
    .filter((d) => d.model?.name === registeredName && d.model.version === version)
    .map((d) => ({ deployment: d.name, trafficPercent: facts.state?.traffic[d.name] ?? 0 }));
}

function versionView(entry: ModelEntry, v: ModelVersion, facts: EndpointFacts): ModelVersionView {
  const tags = stringTags(v.properties.tags);
  const version = v.name ?? '';
  const deployments = servingDeployments(facts, entry.registry.modelName, version);
  const live = facts.state?.live;
  const createdAt = createdAtOf(v);
  const opt = (key: string): string | undefined => tags[key];
  const dataset = opt(LineageTags.datasetUri);
  const repository = opt(LineageTags.gitRepository);
  const gate = {
    ...(opt(LineageTags.gateDecision) ? { decision: opt(LineageTags.gateDecision) } : {}),
    ...(opt(LineageTags.gateReasons) ? { reasons: opt(LineageTags.gateReasons) } : {}),
    ...(opt(LineageTags.championVersion) ? { championVersion: opt(LineageTags.championVersion) } : {}),
  };
  const lineage: ModelVersionView['lineage'] = {
    ...(opt(LineageTags.runId) ? { runId: opt(LineageTags.runId) } : {}),
    ...(opt(LineageTags.triggerId) ? { triggerId: opt(LineageTags.triggerId) } : {}),
    ...(opt(LineageTags.triggerSource) ? { triggerSource: opt(LineageTags.triggerSource) } : {}),
    ...(opt(LineageTags.instanceId) ? { instanceId: opt(LineageTags.instanceId) } : {}),
    ...(opt(LineageTags.job) || v.properties.jobName
      ? { azureMlJob: opt(LineageTags.job) ?? v.properties.jobName }
      : {}),
    ...(dataset
      ? {
          dataset: {
            uri: dataset,
            ...(opt(LineageTags.datasetETag) ? { eTag: opt(LineageTags.datasetETag) } : {}),
            ...(opt(LineageTags.datasetAsset) ? { dataAsset: opt(LineageTags.datasetAsset) } : {}),
          },
        }
      : {}),
    ...(repository
      ? {
          git: {
            repository,
            ...(opt(LineageTags.gitSha) ? { sha: opt(LineageTags.gitSha) } : {}),
            ...(opt(LineageTags.ciRun) ? { ciRunUrl: opt(LineageTags.ciRun) } : {}),
          },
        }
      : {}),
    ...(opt(LineageTags.parameters) ? { parameters: opt(LineageTags.parameters) } : {}),
  };
  return {
    version,
    ...(createdAt ? { createdAt } : {}),
    live: live !== undefined && deployments.some((d) => d.deployment === live),
    deployments,
    ...(Object.keys(gate).length ? { gate } : {}),
    ...(opt(LineageTags.approval) ? { approval: opt(LineageTags.approval) } : {}),
    metrics: metricsFromTags(tags),
    lineage,
    managed: tags[LineageTags.managedBy] === MANAGED_BY,
  };
}

function liveOf(entry: ModelEntry, facts: EndpointFacts): { liveVersion?: string; liveDeployment?: string } {
  const live = facts.state?.live;
  if (!live) return {};
  const d = facts.deployments.find((x) => x.name === live);
  return {
    liveDeployment: live,
    ...(d?.model && d.model.name === entry.registry.modelName ? { liveVersion: d.model.version } : {}),
  };
}

function summaryBase(entry: ModelEntry): Omit<ModelSummary, 'versions' | 'lastRun'> {
  return {
    model: entry.name,
    ...(entry.description ? { description: entry.description } : {}),
    registeredName: entry.registry.modelName,
    endpoint: entry.deployment.endpoint,
    approvalRequired: entry.deployment.approval.required,
    batch: entry.batch !== undefined,
  };
}

/**
 * Each promotion stage with what it serves now: the first stage is the model's own endpoint (`facts`); a later one
 * is read in its workspace. A stage whose endpoint does not exist yet serves nothing.
 */
async function stageViews(
  context: AppContext,
  entry: ModelEntry,
  facts: EndpointFacts,
): Promise<{ stages?: NonNullable<ModelSummary['stages']> }> {
  const stages = stagesOf(entry);
  if (stages.length === 0) return {};
  const views = await Promise.all(
    stages.map(async (stage) => {
      const live =
        stage.index === 0
          ? liveOf(entry, facts)
          : await liveVersionOf(context.workspaces(stage.workspace), stage.deployment.endpoint).then((v) =>
              v ? { liveDeployment: v.deployment, liveVersion: v.version } : {},
            );
      return {
        stage: stage.name,
        endpoint: stage.deployment.endpoint,
        ...(stage.workspace
          ? {
              workspace: `${stage.workspace.subscriptionId}/${stage.workspace.resourceGroup}/${stage.workspace.workspace}`,
            }
          : {}),
        ...(stage.registry ? { registry: stage.registry.name } : {}),
        promotion: stage.promotion,
        ...live,
      };
    }),
  );
  return { stages: views };
}

async function modelSummary(context: AppContext, entry: ModelEntry): Promise<ModelSummary> {
  const [facts, versions, runs] = await Promise.all([
    endpointFacts(context, entry.deployment.endpoint),
    listModelVersions(context.workspace, entry.registry.modelName),
    context.state.runs.list({ model: entry.name, top: 1 }),
  ]);
  const stages = await stageViews(context, entry, facts);
  const latest = [...versions].sort(newestFirst)[0];
  const lastRun = lastRunOf(runs[0]);
  return {
    ...summaryBase(entry),
    ...liveOf(entry, facts),
    ...(latest?.name ? { latestVersion: latest.name } : {}),
    versions: versions.length,
    ...(lastRun ? { lastRun } : {}),
    ...stages,
  };
}

export async function listModels(context: AppContext): Promise<ModelList> {
  // Score-only entries have no registered versions or release endpoint; their runs are listed under batch runs.
  const retrainable = context.catalog.models.filter(isRetrainable);
  return { models: await Promise.all(retrainable.map((m) => modelSummary(context, m))) };
}

export async function getModel(context: AppContext, model: string): Promise<ModelDetail> {
  const entry = findModel(context.catalog, model);
  if (!entry) throw new UnknownModelError(model);
  if (!isRetrainable(entry)) {
    throw new UnknownModelError(
      model,
      `Model '${model}' is score-only (its catalog entry has only a batch section): it has no registered versions or release endpoint here; its runs are under ops/batch/runs?model=${model}.`,
    );
  }
  const [facts, versions, runs] = await Promise.all([
    endpointFacts(context, entry.deployment.endpoint),
    listModelVersions(context.workspace, entry.registry.modelName),
    context.state.runs.list({ model, top: RECENT_RUNS }),
  ]);
  const sorted = [...versions].sort(newestFirst);
  const lastRun = lastRunOf(runs[0]);
  const stages = await stageViews(context, entry, facts);
  return {
    ...summaryBase(entry),
    ...liveOf(entry, facts),
    ...stages,
    ...(sorted[0]?.name ? { latestVersion: sorted[0].name } : {}),
    ...(lastRun ? { lastRun } : {}),
    versions: sorted.map((v) => versionView(entry, v, facts)),
    runs: runs.flatMap((r) => {
      const view = lastRunOf(r);
      return view ? [view] : [];
    }),
  };
}

/** Endpoint name → catalog models that release to it or batch-score through it, in catalog order. */
function catalogEndpoints(context: AppContext): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (endpoint: string, model: string) => {
    const models = out.get(endpoint) ?? [];
    if (!models.includes(model)) models.push(model);
    out.set(endpoint, models);
  };
  for (const m of context.catalog.models) {
    if (m.deployment) add(m.deployment.endpoint, m.name);
    // A batch endpoint scorer's endpoint is a batch endpoint, not one of these online endpoints.
    if (m.batch?.scorer.kind === 'onlineEndpoint' && m.batch.scorer.endpoint) add(m.batch.scorer.endpoint, m.name);
  }
  return out;
}

function endpointSummary(name: string, models: readonly string[], state: EndpointState | undefined): EndpointSummary {
  return {
    endpoint: name,
    models: [...models],
    exists: state !== undefined,
    ...(state?.provisioningState ? { provisioningState: state.provisioningState } : {}),
    ...(state?.authMode ? { authMode: state.authMode } : {}),
    ...(state?.scoringUri ? { scoringUri: state.scoringUri } : {}),
    traffic: { ...(state?.traffic ?? {}) },
    ...(state?.live ? { liveDeployment: state.live } : {}),
  };
}

export async function listEndpoints(context: AppContext): Promise<EndpointList> {
  const endpoints = [...catalogEndpoints(context)];
  const states = await Promise.all(endpoints.map(([name]) => getEndpoint(context.workspace, name)));
  return { endpoints: endpoints.map(([name, models], i) => endpointSummary(name, models, states[i])) };
}

export async function getEndpointDetail(context: AppContext, name: string): Promise<EndpointDetail> {
  const models = catalogEndpoints(context).get(name);
  if (!models) throw new EndpointNotFoundError(name);
  const facts = await endpointFacts(context, name);
  const deployments: EndpointDeployment[] = facts.deployments
    .map((d) => ({
      deployment: d.name,
      ...(d.model ? { model: d.model.name, modelVersion: d.model.version } : {}),
      provisioningState: d.provisioningState,
      trafficPercent: facts.state?.traffic[d.name] ?? 0,
      ...(d.createdAt ? { createdAt: d.createdAt } : {}),
      managed: d.managed,
    }))
    .sort((a, b) => b.trafficPercent - a.trafficPercent || a.deployment.localeCompare(b.deployment));
  return { ...endpointSummary(name, models, facts.state), deployments };
}
