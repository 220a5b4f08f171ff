import type { RegistryCoordinatesSpec } from '../catalog';
import { stringTags } from './registry';
import { type AzureMlWorkspace, callOptional, rawRequest } from './workspace';

/**
 * Model versions in an Azure ML registry (ARM `Microsoft.MachineLearningServices/registries/{name}/models/{model}/
 * versions/{version}`, api-version pinned like every management call). Raw requests: @azure/arm-machinelearning 2.1.1
 * has no registry operations. The create is a long-running operation (202 + Location); the caller polls it with
 * durable timers (`registryOperationState`).
 */

export interface RegistryModelVersion {
  readonly id: string;
  readonly provisioningState: string | undefined;
  readonly modelUri: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

/** What a deployment in any workspace names the registry version by. */
export function registryModelAssetId(registry: RegistryCoordinatesSpec, name: string, version: string): string {
  return `azureml://registries/${registry.name}/models/${name}/versions/${version}`;
}

function versionUrl(ws: AzureMlWorkspace, registry: RegistryCoordinatesSpec, name: string, version: string): string {
  return `${ws.armEndpoint}/subscriptions/${registry.subscriptionId}/resourceGroups/${registry.resourceGroup}/providers/Microsoft.MachineLearningServices/registries/${encodeURIComponent(registry.name)}/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}?api-version=${ws.apiVersion}`;
}

interface RawVersion {
  id?: string;
  properties?: { provisioningState?: string; modelUri?: string; tags?: Record<string, string | null> };
}

export async function getRegistryModelVersion(
  ws: AzureMlWorkspace,
  registry: RegistryCoordinatesSpec,
  name: string,
  version: string,
): Promise<RegistryModelVersion | undefined> {
  const found = await callOptional(
    'get registry model version',
    async () =>
      (await rawRequest<RawVersion>(ws, 'get registry model version', versionUrl(ws, registry, name, version))).body,
  );
  if (!found) return undefined;
  return {
    id: found.id ?? '',
    provisioningState: found.properties?.provisioningState,
    modelUri: found.properties?.modelUri,
    tags: stringTags(found.properties?.tags),
  };
}

/** Starts creating a registry model version; `pending` carries the operation to poll when the copy is not done yet. */
export async function beginCreateRegistryModelVersion(
  ws: AzureMlWorkspace,
  registry: RegistryCoordinatesSpec,
  name: string,
  version: string,
  properties: Record<string, unknown>,
): Promise<{ pending?: { url: string; retryAfterSeconds: number } }> {
  const { status, headers } = await rawRequest<RawVersion>(
    ws,
    'create registry model version',
    versionUrl(ws, registry, name, version),
    { method: 'PUT', body: { properties } },
  );
  const url = headers.get('azure-asyncoperation') ?? headers.get('location');
  if (status !== 202 || !url) return {};
  return { pending: { url, retryAfterSeconds: retryAfterOf(headers) } };
}

/** Polls a registry operation's Location (or Azure-AsyncOperation): done, still pending, or throws its failure. */
export async function registryOperationState(
  ws: AzureMlWorkspace,
  url: string,
): Promise<{ state: 'done' | 'pending'; retryAfterSeconds: number }> {
  const { status, headers, body } = await rawRequest<{ status?: string; error?: { message?: string } }>(
    ws,
    'poll registry operation',
    url,
  );
  const state = body.status?.toLowerCase();
  if (state === 'failed' || state === 'canceled') {
    throw new Error(`The registry operation ${state}: ${body.error?.message ?? 'no reason given'}`);
  }
  const pending = status === 202 || state === 'inprogress' || state === 'running';
  return { state: pending ? 'pending' : 'done', retryAfterSeconds: retryAfterOf(headers) };
}

function retryAfterOf(headers: Headers): number {
  const seconds = Number(headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 60) : 5;
}
