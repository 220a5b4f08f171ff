import type { DataVersionBase, ModelVersion } from '@azure/arm-machinelearning';

import { LineageTags } from '../services/retrain/lineage';
import { type AzureMlWorkspace, call, callOptional } from './workspace';

/** Model registry and data assets (v2). */

export interface RegisteredModel {
  readonly name: string;
  readonly version: string;
  /** ARM id of the version (what a deployment's `properties.model` names). */
  readonly id: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly jobName?: string | undefined;
  /** True when an earlier attempt had registered it already (idempotent retry). */
  readonly reused: boolean;
}

/** Tags without null values (the SDK types allow null). */
export function stringTags(tags: Record<string, string | null> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

function toRegistered(name: string, v: ModelVersion, reused: boolean, fallbackId: string): RegisteredModel {
  return {
    name,
    version: v.name ?? '',
    id: v.id ?? fallbackId,
    tags: stringTags(v.properties.tags),
    jobName: v.properties.jobName,
    reused,
  };
}

export function modelVersionId(ws: AzureMlWorkspace, name: string, version: string): string {
  return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ws.workspace}/models/${name}/versions/${version}`;
}

export async function listModelVersions(ws: AzureMlWorkspace, name: string): Promise<ModelVersion[]> {
  return call('list model versions', async () => {
    const versions: ModelVersion[] = [];
    try {
      for await (const v of ws.arm.modelVersions.list(ws.resourceGroup, ws.workspace, name, { listViewType: 'All' })) {
        versions.push(v);
      }
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return [];
      throw error;
    }
    return versions;
  });
}

/** The next free numeric version: one above the highest numeric version (versions are not auto-numbered on PUT). */
export function nextNumericVersion(versions: readonly string[]): string {
  const numbers = versions.map((v) => Number(v)).filter((n) => Number.isInteger(n) && n >= 0);
  return String(numbers.length === 0 ? 1 : Math.max(...numbers) + 1);
}

/**
 * Registers a model version with tags and properties. Idempotent per run: a version already carrying this run's
 * trigger id tag is returned instead of registering another.
 */
export async function registerModelVersion(
  ws: AzureMlWorkspace,
  request: {
    readonly name: string;
    readonly modelUri: string;
    readonly modelType: string;
    readonly jobName: string;
    readonly description: string;
    readonly tags: Readonly<Record<string, string>>;
    readonly properties?: Readonly<Record<string, string>>;
  },
): Promise<RegisteredModel> {
  const triggerId = request.tags[LineageTags.triggerId];
  const versions = await listModelVersions(ws, request.name);
  const existing = triggerId
    ? versions.find((v) => v.properties.tags?.[LineageTags.triggerId] === triggerId)
    : undefined;
  if (existing?.name)
    return toRegistered(request.name, existing, true, modelVersionId(ws, request.name, existing.name));
  const version = nextNumericVersion(versions.map((v) => v.name ?? ''));
  const created = await call('register model version', () =>
    ws.arm.modelVersions.createOrUpdate(ws.resourceGroup, ws.workspace, request.name, version, {
      properties: {
        modelUri: request.modelUri,
        modelType: request.modelType,
        jobName: request.jobName,
        description: request.description,
        tags: { ...request.tags, [LineageTags.modelVersion]: version },
        properties: { ...(request.properties ?? {}) },
      },
    }),
  );
  return toRegistered(
    request.name,
    { ...created, name: created.name ?? version },
    false,
    modelVersionId(ws, request.name, version),
  );
}

export async function getModelVersion(
  ws: AzureMlWorkspace,
  name: string,
  version: string,
): Promise<ModelVersion | undefined> {
  return callOptional('get model version', () =>
    ws.arm.modelVersions.get(ws.resourceGroup, ws.workspace, name, version),
  );
}

/** Merges tags into an existing version (e.g. the approval decision). */
export async function tagModelVersion(
  ws: AzureMlWorkspace,
  name: string,
  version: string,
  tags: Readonly<Record<string, string>>,
): Promise<void> {
  const current = await getModelVersion(ws, name, version);
  if (!current) return;
  const merged = { ...(current.properties.tags ?? {}), ...tags };
  if (Object.entries(tags).every(([k, v]) => current.properties.tags?.[k] === v)) return;
  await call('tag model version', () =>
    ws.arm.modelVersions.createOrUpdate(ws.resourceGroup, ws.workspace, name, version, {
      properties: {
        modelUri: current.properties.modelUri,
        modelType: current.properties.modelType,
        jobName: current.properties.jobName,
        description: current.properties.description,
        properties: current.properties.properties,
        tags: merged,
      },
    }),
  );
}

/** `…/models/<name>/versions/<v>` or `azureml:<name>:<v>` → name and version. */
export function parseModelReference(reference: string | undefined): { name: string; version: string } | undefined {
  if (!reference) return undefined;
  const arm = /\/models\/([^/]+)\/versions\/([^/]+)$/i.exec(reference);
  if (arm?.[1] && arm[2]) return { name: arm[1], version: arm[2] };
  const short = /^azureml:([^:/]+):([^:/]+)$/i.exec(reference);
  if (short?.[1] && short[2]) return { name: short[1], version: short[2] };
  return undefined;
}

/**
 * The newest version of a data asset (by creation time), or undefined when the asset has none.
 *
 * @remarks Retrains triggered by code changes carry no dataset; they train on the newest data the model has seen,
 * which dataset triggers register as versions of this asset.
 */
export async function latestDataVersion(
  ws: AzureMlWorkspace,
  name: string,
): Promise<{ name: string; version: string; dataUri: string } | undefined> {
  const first = await callOptional('list data versions', async () => {
    const pages = ws.arm.dataVersions.list(ws.resourceGroup, ws.workspace, name, {
      orderBy: 'createdtime desc',
      top: 1,
    });
    const next = await pages.next();
    return next.done ? undefined : next.value;
  });
  const dataUri = first?.properties.dataUri;
  return first?.name && dataUri ? { name, version: first.name, dataUri } : undefined;
}

/** Registers the uploaded dataset as a data asset version (idempotent: same version → same content). */
export async function registerDataVersion(
  ws: AzureMlWorkspace,
  request: {
    readonly name: string;
    readonly version: string;
    readonly dataUri: string;
    readonly dataType: 'uri_file' | 'uri_folder';
    readonly description: string;
    readonly tags: Readonly<Record<string, string>>;
  },
): Promise<{ name: string; version: string; id: string }> {
  const existing = await callOptional('get data version', () =>
    ws.arm.dataVersions.get(ws.resourceGroup, ws.workspace, request.name, request.version),
  );
  if (existing) return { name: request.name, version: request.version, id: existing.id ?? '' };
  const body = {
    properties: {
      dataType: request.dataType,
      dataUri: request.dataUri,
      description: request.description,
      tags: { ...request.tags },
    },
  } as DataVersionBase;
  const created = await call('register data version', () =>
    ws.arm.dataVersions.createOrUpdate(ws.resourceGroup, ws.workspace, request.name, request.version, body),
  );
  return { name: request.name, version: request.version, id: created.id ?? '' };
}
