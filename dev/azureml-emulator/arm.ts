/**
 * ARM conventions shared by every management-plane resource: ids, systemData, names, paging, list filters.
 */
import { randomUUID } from 'node:crypto';

import { badRequest, EmulatorHttpError } from './errors';
import { type EmulatorRequest, query } from './http';
import type { Json, JsonObject, StoredResource, SystemData } from './state';

import { currentWorkspace, PROVIDER, RESOURCE_GROUP, SUBSCRIPTION_ID, WORKSPACE, workspaceArmId } from './workspaces';

export { PROVIDER, RESOURCE_GROUP, SUBSCRIPTION_ID, WORKSPACE };
export const REGION = 'local';
/** The default workspace's ARM id (the app's own); `currentWorkspaceId()` is the one a request addresses. */
export const WORKSPACE_ID = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/${PROVIDER}/workspaces/${WORKSPACE}`;

/** ARM id of the workspace the request (or background step) is in. */
export function currentWorkspaceId(): string {
  return workspaceArmId(currentWorkspace());
}
/** Route prefix for workspace-scoped ARM routes; the server checks the three parameters. */
export const WS_ROUTE = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${PROVIDER}/workspaces/{workspaceName}`;
export const DEFAULT_API_VERSION = '2025-12-01';

/**
 * api-versions of Microsoft.MachineLearningServices that serve the workspace-scoped v2 resources (jobs, models, data,
 * online and batch endpoints): the stable and preview folders of azure-rest-api-specs
 * `specification/machinelearningservices/resource-manager` (and the per-version type sets of Azure/bicep-types-az
 * `generated/machinelearningservices`) from the first v2 preview (2021-03-01-preview) and the first v2 stable
 * (2022-05-01) on. Older versions predate these resource types, so ARM refuses them for these paths too.
 */
export const KNOWN_API_VERSIONS: readonly string[] = [
  '2022-05-01',
  '2022-10-01',
  '2023-04-01',
  '2023-10-01',
  '2024-04-01',
  '2024-10-01',
  '2025-04-01',
  '2025-06-01',
  '2025-09-01',
  '2025-12-01',
  '2026-03-01',
  '2026-05-01',
  '2026-07-01',
  '2021-03-01-preview',
  '2022-02-01-preview',
  '2022-06-01-preview',
  '2022-10-01-preview',
  '2022-12-01-preview',
  '2023-02-01-preview',
  '2023-04-01-preview',
  '2023-06-01-preview',
  '2023-08-01-preview',
  '2024-01-01-preview',
  '2024-04-01-preview',
  '2024-07-01-preview',
  '2024-10-01-preview',
  '2025-01-01-preview',
  '2025-04-01-preview',
  '2025-07-01-preview',
  '2025-10-01-preview',
  '2026-01-15-preview',
  '2026-03-15-preview',
  '2026-07-15-preview',
];

const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/;

export function checkName(name: string, target: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw badRequest(`'${name}' is not a valid name: it must match ${NAME_PATTERN.source}.`, target);
  }
}

export function resourceId(...segments: string[]): string {
  return `${currentWorkspaceId()}/${segments.map(encodeURIComponent).join('/')}`;
}

export function newSystemData(nowIso: string, createdBy = 'local-user'): SystemData {
  return {
    createdAt: nowIso,
    createdBy,
    createdByType: 'User',
    lastModifiedAt: nowIso,
    lastModifiedBy: createdBy,
    lastModifiedByType: 'User',
  };
}

export function touch(resource: StoredResource, nowIso: string): void {
  resource.systemData.lastModifiedAt = nowIso;
}

/** The wire form: `{ id, name, type, systemData, ...body }`. */
export function render(resource: StoredResource, id: string, type: string): JsonObject {
  return { id, name: resource.name, type, ...resource.body, systemData: { ...resource.systemData } };
}

/** Tenant the emulator's managed identities belong to. */
export const EMULATOR_TENANT_ID = '00000000-0000-0000-0000-00000000a0a0';

/**
 * A tracked resource's managed identity as ARM returns it (ManagedServiceIdentity, common-types v3): the caller sends
 * `type` (and user-assigned ids); ARM adds the read-only `principalId` and `tenantId` of a system-assigned identity and
 * `principalId`/`clientId` of each user-assigned one. A system-assigned identity keeps its principal across updates.
 */
export function managedIdentity(requested: unknown, previous: unknown): Json | undefined {
  if (requested === undefined || requested === null) return undefined;
  if (!isObject(requested)) throw badRequest("'identity' must be an object.", 'identity');
  const type = typeof requested['type'] === 'string' ? requested['type'] : 'None';
  const before = isObject(previous) ? previous : {};
  const result: JsonObject = { type };
  if (/SystemAssigned/i.test(type)) {
    result['principalId'] =
      typeof before['principalId'] === 'string' && /SystemAssigned/i.test(String(before['type']))
        ? before['principalId']
        : randomUUID();
    result['tenantId'] = EMULATOR_TENANT_ID;
  }
  const assigned = requested['userAssignedIdentities'];
  if (/UserAssigned/i.test(type) && isObject(assigned)) {
    const known = isObject(before['userAssignedIdentities']) ? before['userAssignedIdentities'] : {};
    const identities: JsonObject = {};
    for (const id of Object.keys(assigned)) {
      const old = known[id];
      identities[id] = isObject(old)
        ? (structuredClone(old) as JsonObject)
        : { principalId: randomUUID(), clientId: randomUUID() };
    }
    result['userAssignedIdentities'] = identities;
  }
  return result;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Requires `body.properties` to be an object; returns a copy as JSON. */
export function requireProperties(body: Record<string, unknown>): JsonObject {
  const properties = body['properties'];
  if (!isObject(properties)) throw badRequest("The request body must contain an object 'properties'.", 'properties');
  return structuredClone(properties) as JsonObject;
}

/**
 * Rejects property names the emulator does not know, so a test never passes because a field was silently ignored.
 * `allowed` lists the 2022-10-01 and 2025-12-01 fields of the resource.
 */
export function checkKnownFields(object: JsonObject, allowed: readonly string[], prefix: string): void {
  const known = new Set(allowed.map((name) => name.toLowerCase()));
  for (const key of Object.keys(object)) {
    if (!known.has(key.toLowerCase())) {
      throw badRequest(
        `The field '${prefix}.${key}' is not known to the Azure ML emulator (NotSupportedByEmulator); it accepts: ${allowed.join(', ')}.`,
        `${prefix}.${key}`,
      );
    }
  }
}

export function stringMap(value: unknown, target: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw badRequest(`'${target}' must be an object of strings.`, target);
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null) continue;
    if (typeof item !== 'string') throw badRequest(`'${target}.${key}' must be a string.`, `${target}.${key}`);
    result[key] = item;
  }
  return result;
}

export function tagsOf(value: Json | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  if (isObject(value)) for (const [k, v] of Object.entries(value)) if (typeof v === 'string') result[k] = v;
  return result;
}

/** `listViewType`: ActiveOnly (default), ArchivedOnly, All. */
export function archiveFilter(request: EmulatorRequest): (archived: boolean) => boolean {
  const view = (query(request, 'listViewType') ?? 'ActiveOnly').toLowerCase();
  if (view === 'activeonly') return (archived) => !archived;
  if (view === 'archivedonly') return (archived) => archived;
  if (view === 'all') return () => true;
  throw badRequest(`Unknown listViewType '${view}'; use ActiveOnly, ArchivedOnly or All.`, 'listViewType');
}

/** `tags`/`properties` filters: comma-separated `key` (present) or `key=value` (equal). */
export function keyValueFilter(expression: string | undefined): (values: Record<string, string>) => boolean {
  if (!expression) return () => true;
  const terms = expression
    .split(',')
    .map((term) => term.trim())
    .filter((term) => term.length > 0)
    .map((term) => {
      const eq = term.indexOf('=');
      return eq < 0 ? { key: term } : { key: term.slice(0, eq), value: term.slice(eq + 1) };
    });
  return (values) =>
    terms.every((term) => (term.value === undefined ? term.key in values : values[term.key] === term.value));
}

export interface PageOptions {
  readonly pageSize: number;
  readonly baseUrl: string;
}

/**
 * Slices a list into ARM pages. `$top` caps the total returned; the continuation token (`$skipToken`, or `$skip` as
 * sent by the 2022-10-01 client) is an opaque offset, and `nextLink` is absolute on this host.
 */
export function page<T>(
  request: EmulatorRequest,
  items: readonly T[],
  options: PageOptions,
): { value: T[]; nextLink?: string } {
  const topText = query(request, '$top');
  const top = topText === undefined ? undefined : Number(topText);
  if (top !== undefined && (!Number.isInteger(top) || top < 0)) throw badRequest(`Invalid $top '${topText}'.`, '$top');
  const token = query(request, '$skipToken') ?? query(request, '$skip');
  let offset = 0;
  if (token !== undefined && token !== '') {
    const decoded = Number(
      Buffer.from(token, 'base64url')
        .toString('utf8')
        .replace(/^offset:/, ''),
    );
    if (!Number.isInteger(decoded) || decoded < 0)
      throw badRequest(`Invalid continuation token '${token}'.`, '$skipToken');
    offset = decoded;
  }
  const limit = top === undefined ? items.length : Math.min(items.length, top);
  const end = Math.min(limit, offset + options.pageSize);
  const value = items.slice(offset, end);
  if (end >= limit) return { value };
  // Built by hand so the key stays `$skipToken` (URLSearchParams would write `%24skipToken`), as ARM emits it.
  const kept = [...request.url.searchParams]
    .filter(([key]) => !['$skiptoken', '$skip'].includes(key.toLowerCase()))
    .map(([key, item]) => `${key.startsWith('$') ? key : encodeURIComponent(key)}=${encodeURIComponent(item)}`);
  kept.push(`$skipToken=${Buffer.from(`offset:${end}`).toString('base64url')}`);
  return { value, nextLink: `${new URL(request.url.pathname, options.baseUrl).toString()}?${kept.join('&')}` };
}

export function apiVersion(request: EmulatorRequest): string {
  return query(request, 'api-version') ?? DEFAULT_API_VERSION;
}

/**
 * ARM's own check before any resource provider sees the request (Learn, "Resolve errors for resource provider
 * registration"): no `api-version` is 400 `MissingApiVersionParameter`; one the provider does not serve is 400
 * `NoRegisteredProviderFound` listing the supported versions.
 */
export function checkApiVersion(url: URL): void {
  let value: string | undefined;
  for (const [key, item] of url.searchParams) if (key.toLowerCase() === 'api-version') value = item;
  if (value === undefined || value === '') {
    throw new EmulatorHttpError(
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    );
  }
  if (!KNOWN_API_VERSIONS.includes(value)) {
    throw new EmulatorHttpError(
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location '${REGION}' and API version '${value}' for type 'workspaces'. The supported api-versions are '${KNOWN_API_VERSIONS.join(', ')}'.`,
    );
  }
}

/** A JSON scalar as text (objects and arrays give `fallback`), for messages and string-typed fields. */
export function text(value: unknown, fallback = ''): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fallback;
}
