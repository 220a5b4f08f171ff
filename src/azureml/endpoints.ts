import type { OnlineDeployment, OnlineEndpoint } from '@azure/arm-machinelearning';

import type { DeploymentSpec } from '../catalog';
import { fullTrafficDeployment, liveDeployment, type TrafficMap } from '../services/retrain/traffic';
import { LINEAGE_TAG_PREFIX, LineageTags, MANAGED_BY } from '../services/retrain/lineage';
import { AzureMlTransientError } from '../services/retrain/errors';
import { type AzureMlWorkspace, call, callOptional, dataPlaneJson, workspacePath } from './workspace';
import { assetVersionId } from './references';
import { parseModelReference } from './registry';

/** Managed online endpoints and deployments. */

export interface EndpointState {
  readonly name: string;
  readonly scoringUri: string | undefined;
  readonly authMode: string;
  readonly provisioningState: string | undefined;
  readonly traffic: TrafficMap;
  /** Deployment with the largest share (the live one). */
  readonly live: string | undefined;
  /** Deployment at exactly 100 % (the champion's). */
  readonly full: string | undefined;
}

export interface DeploymentState {
  readonly name: string;
  readonly provisioningState: string;
  readonly model: { name: string; version: string } | undefined;
  readonly createdAt: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly managed: boolean;
}

function toEndpointState(e: OnlineEndpoint): EndpointState {
  const traffic = e.properties.traffic ?? {};
  return {
    name: e.name ?? '',
    scoringUri: e.properties.scoringUri,
    authMode: e.properties.authMode,
    provisioningState: e.properties.provisioningState,
    traffic,
    live: liveDeployment(traffic),
    full: fullTrafficDeployment(traffic),
  };
}

function toDeploymentState(d: OnlineDeployment): DeploymentState {
  const tags = d.tags ?? {};
  return {
    name: d.name ?? '',
    provisioningState: d.properties.provisioningState ?? 'Unknown',
    model: parseModelReference(d.properties.model),
    createdAt: d.systemData?.createdAt ? new Date(d.systemData.createdAt).toISOString() : undefined,
    tags,
    managed: tags[LineageTags.managedBy] === MANAGED_BY,
  };
}

export async function getEndpoint(ws: AzureMlWorkspace, name: string): Promise<EndpointState | undefined> {
  const e = await callOptional('get online endpoint', () =>
    ws.arm.onlineEndpoints.get(ws.resourceGroup, ws.workspace, name),
  );
  return e ? toEndpointState(e) : undefined;
}

/**
 * The endpoint; when missing, its creation is started (with `authMode`, no traffic) and not awaited: creation takes
 * minutes in Azure, longer than an activity may run, so the orchestration polls `provisioningState` on durable timers.
 */
export async function ensureEndpoint(
  ws: AzureMlWorkspace,
  name: string,
  tags: Record<string, string>,
  authMode: 'Key' | 'AMLToken' | 'AADToken' = 'Key',
): Promise<EndpointState> {
  const existing = await getEndpoint(ws, name);
  if (existing) return existing;
  await call('create online endpoint', async () => {
    await ws.arm.onlineEndpoints.beginCreateOrUpdate(
      ws.resourceGroup,
      ws.workspace,
      name,
      {
        location: ws.region,
        kind: 'Managed',
        identity: { type: 'SystemAssigned' },
        tags,
        properties: { authMode },
      },
      { updateIntervalInMs: ws.lroIntervalMs },
    );
  });
  const created = await getEndpoint(ws, name);
  if (!created) throw new AzureMlTransientError(`Online endpoint ${name} is not visible after its create request.`);
  return created;
}

export async function listDeployments(ws: AzureMlWorkspace, endpoint: string): Promise<DeploymentState[]> {
  return call('list online deployments', async () => {
    const out: DeploymentState[] = [];
    for await (const d of ws.arm.onlineDeployments.list(ws.resourceGroup, ws.workspace, endpoint))
      out.push(toDeploymentState(d));
    return out;
  });
}

export async function getDeployment(
  ws: AzureMlWorkspace,
  endpoint: string,
  name: string,
): Promise<DeploymentState | undefined> {
  const d = await callOptional('get online deployment', () =>
    ws.arm.onlineDeployments.get(ws.resourceGroup, ws.workspace, endpoint, name),
  );
  return d ? toDeploymentState(d) : undefined;
}

function isoDuration(ms: number): string {
  return `PT${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}S`;
}

/** `PT5S`, `PT0.5S`, `PT1M30S` → ms (undefined when unreadable). */
export function durationMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/i.exec(value);
  if (!match || value.toUpperCase() === 'PT') return undefined;
  const [, h, m, sec] = match;
  return Math.round(((Number(h ?? 0) * 60 + Number(m ?? 0)) * 60 + Number(sec ?? 0)) * 1000);
}

/** Read-only fields of an online deployment. */
const DEPLOYMENT_READ_ONLY = ['provisioningState'];
/** What describes the old deployment rather than how operators run the model: not carried to the new one. */
const DEPLOYMENT_OWN = ['model', 'description', 'properties', 'environmentId', 'codeConfiguration'];

export interface NewDeploymentRequest {
  readonly endpoint: string;
  readonly name: string;
  readonly modelId: string;
  readonly spec: DeploymentSpec;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The body of a new deployment: the live deployment's settings as operators left them (environment variables,
 * probes, request and scale settings, `appInsightsEnabled`, egress, data collection, instance type and count, their
 * tags), with only what the catalog sets changed — the model, how it is served (the catalog's environment and
 * scoring script, none for an MLflow model), and any of instance type/count, request timeout, concurrency and
 * `appInsightsEnabled` the catalog names. Without a live deployment, Azure's defaults fill what the catalog leaves out.
 */
export function newDeploymentBody(
  ws: Pick<AzureMlWorkspace, 'region' | 'subscriptionId' | 'resourceGroup' | 'workspace'>,
  live: RawTrackedResource | undefined,
  request: NewDeploymentRequest,
): RawTrackedResource {
  const base = live ? putBodyOf(live, DEPLOYMENT_READ_ONLY) : { location: ws.region, kind: 'Managed', properties: {} };
  const { spec } = request;
  const properties: Record<string, unknown> = { ...(base.properties ?? {}) };
  for (const field of DEPLOYMENT_OWN) delete properties[field];
  properties.endpointComputeType = 'Managed';
  properties.model = request.modelId;
  if (spec.environmentId) properties.environmentId = assetVersionId(ws, 'environments', spec.environmentId);
  if (spec.codeConfiguration) {
    properties.codeConfiguration = {
      codeId: assetVersionId(ws, 'codes', spec.codeConfiguration.codeId),
      scoringScript: spec.codeConfiguration.scoringScript,
    };
  }
  properties.instanceType = spec.instanceType ?? properties.instanceType ?? DEFAULT_INSTANCE_TYPE;
  const requestSettings: Record<string, unknown> = {
    ...((properties.requestSettings as Record<string, unknown> | undefined) ?? {}),
    ...(spec.requestTimeoutMs !== undefined ? { requestTimeout: isoDuration(spec.requestTimeoutMs) } : {}),
    ...(spec.maxConcurrentRequestsPerInstance !== undefined
      ? { maxConcurrentRequestsPerInstance: spec.maxConcurrentRequestsPerInstance }
      : {}),
  };
  if (Object.keys(requestSettings).length > 0) properties.requestSettings = requestSettings;
  else delete properties.requestSettings;
  if (spec.appInsightsEnabled !== undefined) properties.appInsightsEnabled = spec.appInsightsEnabled;
  const liveSku = (base.sku ?? {}) as { name?: string; capacity?: number };
  const operatorTags = Object.fromEntries(
    Object.entries(base.tags ?? {}).filter(([key]) => !key.startsWith(LINEAGE_TAG_PREFIX)),
  );
  return {
    ...base,
    kind: 'Managed',
    sku: { ...liveSku, name: liveSku.name ?? 'Default', capacity: spec.instanceCount ?? liveSku.capacity ?? 1 },
    tags: { ...operatorTags, ...request.tags },
    properties,
  };
}

const DEFAULT_INSTANCE_TYPE = 'Standard_DS3_v2';

function deploymentUrl(ws: AzureMlWorkspace, endpoint: string, name: string): string {
  return `${ws.armEndpoint}${workspacePath(ws)}/onlineEndpoints/${encodeURIComponent(endpoint)}/deployments/${encodeURIComponent(name)}?api-version=${ws.apiVersion}`;
}

/**
 * Starts creating a deployment at 0 % traffic from the live deployment's settings (`newDeploymentBody`); raw PUT,
 * since the 2.1.1 client drops 2023+ fields such as `startupProbe` and `dataCollector`. The LRO is not awaited: the
 * orchestration polls the provisioning state with durable timers. Idempotent: an existing deployment of the same
 * model is left alone.
 */
export async function beginCreateDeployment(
  ws: AzureMlWorkspace,
  request: NewDeploymentRequest,
): Promise<DeploymentState & { readonly requestTimeoutMs: number | undefined }> {
  const url = deploymentUrl(ws, request.endpoint, request.name);
  const current = await callOptional('get online deployment', () =>
    dataPlaneJson<RawTrackedResource>(ws, 'get online deployment', url),
  );
  const wanted = parseModelReference(request.modelId);
  const existing = current ? parseModelReference(current.properties?.model as string | undefined) : undefined;
  if (current && existing?.name === wanted?.name && existing?.version === wanted?.version) {
    return { ...rawDeploymentState(request.name, current), requestTimeoutMs: requestTimeoutOf(current) };
  }
  const endpoint = await getEndpoint(ws, request.endpoint);
  const liveName = endpoint?.full ?? endpoint?.live;
  const live =
    liveName && liveName !== request.name
      ? await callOptional('get live online deployment', () =>
          dataPlaneJson<RawTrackedResource>(ws, 'get online deployment', deploymentUrl(ws, request.endpoint, liveName)),
        )
      : undefined;
  const body = newDeploymentBody(ws, live, request);
  const created = await dataPlaneJson<RawTrackedResource>(ws, 'create online deployment', url, { method: 'PUT', body });
  return { ...rawDeploymentState(request.name, created), requestTimeoutMs: requestTimeoutOf(created) };
}

function requestTimeoutOf(deployment: RawTrackedResource): number | undefined {
  return durationMs(
    (deployment.properties?.requestSettings as { requestTimeout?: unknown } | undefined)?.requestTimeout,
  );
}

function rawDeploymentState(name: string, d: RawTrackedResource): DeploymentState {
  const tags = d.tags ?? {};
  return {
    name,
    provisioningState:
      typeof d.properties?.provisioningState === 'string' ? d.properties.provisioningState : 'Creating',
    model: parseModelReference(d.properties?.model as string | undefined),
    createdAt: undefined,
    tags,
    managed: tags[LineageTags.managedBy] === MANAGED_BY,
  };
}

/** Read-only fields of an online endpoint: ARM computes them, a PUT body does not carry them. */
const ENDPOINT_READ_ONLY = ['provisioningState', 'scoringUri', 'swaggerUri', 'keys'];

interface RawTrackedResource {
  location?: string;
  kind?: string;
  identity?: { type?: string; userAssignedIdentities?: Record<string, unknown> };
  tags?: Record<string, string>;
  sku?: unknown;
  properties?: Record<string, unknown>;
}

/**
 * The PUT body that recreates a tracked resource as it is: every writable field of the GET (ARM PUT replaces the
 * resource, so a field left out is reset — `publicNetworkAccess`, `mirrorTraffic`, user `properties`), without the
 * read-only ones (`id`, `name`, `type`, `systemData`, identity principals, `readOnly` properties).
 */
export function putBodyOf(resource: RawTrackedResource, readOnly: readonly string[]): RawTrackedResource {
  const properties = { ...(resource.properties ?? {}) };
  for (const field of readOnly) delete properties[field];
  const identity = resource.identity
    ? {
        type: resource.identity.type,
        ...(resource.identity.userAssignedIdentities
          ? {
              userAssignedIdentities: Object.fromEntries(
                Object.keys(resource.identity.userAssignedIdentities).map((id) => [id, {}]),
              ),
            }
          : {}),
      }
    : undefined;
  return {
    ...(resource.location !== undefined ? { location: resource.location } : {}),
    ...(resource.kind !== undefined ? { kind: resource.kind } : {}),
    ...(identity ? { identity } : {}),
    ...(resource.tags !== undefined ? { tags: resource.tags } : {}),
    ...(resource.sku !== undefined ? { sku: resource.sku } : {}),
    properties,
  };
}

function endpointUrl(ws: AzureMlWorkspace, endpoint: string): string {
  return `${ws.armEndpoint}${workspacePath(ws)}/onlineEndpoints/${encodeURIComponent(endpoint)}?api-version=${ws.apiVersion}`;
}

/**
 * Starts a traffic change: the whole endpoint as read, with only `traffic` changed, PUT back raw (the 2.1.1 client
 * would drop `mirrorTraffic`; a partial body would reset `publicNetworkAccess`). Not awaited: the update takes about a
 * minute in Azure (Retry-After 10–600 s), so the orchestration polls `provisioningState` on durable timers.
 */
export async function beginSetTraffic(
  ws: AzureMlWorkspace,
  endpoint: string,
  traffic: TrafficMap,
): Promise<EndpointState> {
  const url = endpointUrl(ws, endpoint);
  const current = await dataPlaneJson<RawTrackedResource>(ws, 'get online endpoint', url);
  const body = putBodyOf(current, ENDPOINT_READ_ONLY);
  // Only shares above 0: a deployment left out gets none, and a 0 entry could name one deleted meanwhile.
  body.properties = {
    ...body.properties,
    traffic: Object.fromEntries(Object.entries(traffic).filter(([, share]) => share > 0)),
  };
  const updated = await dataPlaneJson<RawTrackedResource>(ws, 'update online endpoint traffic', url, {
    method: 'PUT',
    body,
  });
  const properties = updated.properties ?? {};
  const shares = (properties.traffic ?? {}) as TrafficMap;
  return {
    name: endpoint,
    scoringUri: typeof properties.scoringUri === 'string' ? properties.scoringUri : undefined,
    authMode: typeof properties.authMode === 'string' ? properties.authMode : 'Key',
    provisioningState: typeof properties.provisioningState === 'string' ? properties.provisioningState : undefined,
    traffic: shares,
    live: liveDeployment(shares),
    full: fullTrafficDeployment(shares),
  };
}

/** The two containers of a managed deployment: the model download, then the scoring server. */
export const LOG_CONTAINERS = ['StorageInitializer', 'InferenceServer'] as const;
export type LogContainer = (typeof LOG_CONTAINERS)[number];

/** Tail of one container's log of a deployment (never fails the caller: logs are best effort). */
export async function getDeploymentLogs(
  ws: AzureMlWorkspace,
  endpoint: string,
  name: string,
  tail = 200,
  containerType: LogContainer = 'InferenceServer',
): Promise<string> {
  try {
    const logs = await ws.arm.onlineDeployments.getLogs(ws.resourceGroup, ws.workspace, endpoint, name, {
      containerType,
      tail,
    });
    return logs.content ?? '';
  } catch (error) {
    return `(logs unavailable: ${error instanceof Error ? error.message : String(error)})`;
  }
}

/** Both containers' log tails, labelled, as one text (what a failure report keeps). */
export async function getAllDeploymentLogs(
  ws: AzureMlWorkspace,
  endpoint: string,
  name: string,
  tail = 200,
): Promise<string> {
  const parts = await Promise.all(
    LOG_CONTAINERS.map(
      async (container) => `== ${container} ==\n${await getDeploymentLogs(ws, endpoint, name, tail, container)}`,
    ),
  );
  return parts.join('\n');
}

/** Starts deleting a deployment (not awaited); a missing one is fine. */
export async function deleteDeployment(ws: AzureMlWorkspace, endpoint: string, name: string): Promise<void> {
  await callOptional('delete online deployment', async () => {
    await ws.arm.onlineDeployments.beginDelete(ws.resourceGroup, ws.workspace, endpoint, name, {
      updateIntervalInMs: ws.lroIntervalMs,
    });
  });
}
