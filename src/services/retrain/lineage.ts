import type { DatasetRef, GitRef } from '../../triggers/model';
import type { GateDecision } from './gate';

/** Tag names on registered model versions and deployments (stable: dashboards and the rollback API read them). */
/** Every lineage tag starts with this; other tags belong to whoever set them. */
export const LINEAGE_TAG_PREFIX = 'mlops.';

export const LineageTags = {
  managedBy: 'mlops.managedBy',
  model: 'mlops.model',
  datasetUri: 'mlops.dataset.uri',
  datasetETag: 'mlops.dataset.etag',
  datasetAsset: 'mlops.dataset.asset',
  gitRepository: 'mlops.git.repository',
  gitSha: 'mlops.git.sha',
  ciRun: 'mlops.ci.run',
  job: 'mlops.azureml.job',
  triggerId: 'mlops.trigger.id',
  triggerSource: 'mlops.trigger.source',
  runId: 'mlops.run.id',
  instanceId: 'mlops.orchestration.instanceId',
  gateDecision: 'mlops.gate.decision',
  gateReasons: 'mlops.gate.reasons',
  championVersion: 'mlops.gate.championVersion',
  approval: 'mlops.approval',
  modelVersion: 'mlops.model.version',
  parameters: 'mlops.training.parameters',
  metricPrefix: 'mlops.metric.',
  /** On a copy in a promotion stage's workspace: the ARM id of the version it was promoted from. */
  promotedFrom: 'mlops.promotion.source',
  promotionRunId: 'mlops.promotion.runId',
  promotionStage: 'mlops.promotion.stage',
} as const;

export const MANAGED_BY = 'mlops-orchestrator';

/** Azure tag values are limited (256 characters on ARM resources); reasons are cut to fit. */
export const MAX_TAG_VALUE = 256;

export function clampTag(value: string, max = MAX_TAG_VALUE): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

export interface LineageInput {
  readonly model: string;
  readonly dataset?: DatasetRef | undefined;
  readonly git?: GitRef | undefined;
  readonly jobName: string;
  readonly triggerId: string;
  readonly triggerSource: string;
  readonly runId: string;
  readonly instanceId: string;
  readonly gate: GateDecision;
  readonly metrics: Readonly<Record<string, number>>;
  /** Training parameter overrides of the run, if any. */
  readonly parameters?: Readonly<Record<string, string | number | boolean>> | undefined;
}

/** The lineage tags of a registered version: where the data and code came from, what ran, what was decided. */
export function lineageTags(input: LineageInput): Record<string, string> {
  const tags: Record<string, string> = {
    [LineageTags.managedBy]: MANAGED_BY,
    [LineageTags.model]: input.model,
    [LineageTags.job]: input.jobName,
    [LineageTags.triggerId]: input.triggerId,
    [LineageTags.triggerSource]: input.triggerSource,
    [LineageTags.runId]: input.runId,
    [LineageTags.instanceId]: input.instanceId,
    [LineageTags.gateDecision]: input.gate.decision,
    [LineageTags.gateReasons]: clampTag(input.gate.reasons.join('; ')),
  };
  if (input.gate.championVersion) tags[LineageTags.championVersion] = input.gate.championVersion;
  if (input.dataset) {
    tags[LineageTags.datasetUri] = clampTag(input.dataset.uri, 1024);
    tags[LineageTags.datasetETag] = input.dataset.eTag;
    if (input.dataset.dataAsset) {
      tags[LineageTags.datasetAsset] = `${input.dataset.dataAsset.name}:${input.dataset.dataAsset.version}`;
    }
  }
  if (input.git?.repository) tags[LineageTags.gitRepository] = input.git.repository;
  if (input.git?.sha) tags[LineageTags.gitSha] = input.git.sha;
  if (input.git?.ciRun) tags[LineageTags.ciRun] = clampTag(input.git.ciRun);
  if (input.parameters && Object.keys(input.parameters).length > 0) {
    tags[LineageTags.parameters] = clampTag(JSON.stringify(input.parameters));
  }
  for (const [name, value] of Object.entries(input.metrics)) {
    if (Number.isFinite(value)) tags[`${LineageTags.metricPrefix}${name}`] = String(value);
  }
  return tags;
}

/** Metric values recorded on a version by `lineageTags` (used to read a champion's metrics back). */
export function metricsFromTags(tags: Readonly<Record<string, string>> | undefined): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(tags ?? {})) {
    if (!key.startsWith(LineageTags.metricPrefix)) continue;
    const n = Number(value);
    if (Number.isFinite(n)) metrics[key.slice(LineageTags.metricPrefix.length)] = n;
  }
  return metrics;
}
