/**
 * Versioned assets: `models` and `data` containers and versions (synchronous PUT/GET/list/DELETE).
 *
 * @remarks Versions are strings chosen by the client; the container's `latestVersion` is the most recently created
 * version and `nextVersion` the highest numeric version + 1. Archiving is a re-PUT with `isArchived: true`; archived
 * items leave the default (ActiveOnly) list.
 */
import {
  archiveFilter,
  checkKnownFields,
  checkName,
  keyValueFilter,
  newSystemData,
  page,
  render,
  requireProperties,
  resourceId,
  tagsOf,
  WS_ROUTE,
} from '../arm';
import type { EmulatorContext } from '../context';
import { badRequest, notFound } from '../errors';
import { type EmulatorRequest, jsonBody, param, query, type Router } from '../http';
import type { Json, JsonObject, StoredResource } from '../state';

interface AssetKind {
  readonly collection: 'models' | 'data';
  readonly label: string;
  readonly containers: () => Record<string, StoredResource>;
  readonly versions: () => Record<string, Record<string, StoredResource>>;
  readonly containerFields: readonly string[];
  readonly versionFields: readonly string[];
  /** Fields that may not change once a version exists. */
  readonly immutable: readonly string[];
  readonly required: readonly string[];
  readonly onCreated?: (name: string, version: StoredResource) => void;
}

const ASSET_BASE = [
  'description',
  'tags',
  'properties',
  'isAnonymous',
  'isArchived',
  'provisioningState',
  'stage',
  'intellectualProperty',
];

export function registerAssetRoutes(router: Router, context: EmulatorContext): void {
  const state = () => context.store.data;
  const models: AssetKind = {
    collection: 'models',
    label: 'Model',
    containers: () => state().modelContainers,
    versions: () => state().modelVersions,
    containerFields: [
      'description',
      'tags',
      'properties',
      'isArchived',
      'latestVersion',
      'nextVersion',
      'provisioningState',
    ],
    versionFields: [
      ...ASSET_BASE,
      'flavors',
      'jobName',
      'modelType',
      'modelUri',
      'datastoreId',
      'defaultDeploymentTemplate',
    ],
    immutable: ['modelUri', 'modelType', 'jobName'],
    required: [],
    onCreated: (name, version) => {
      const props = version.body['properties'] as JsonObject;
      const numeric = Number(version.name);
      context.events.publish({
        subject: `models/${name}:${version.name}`,
        eventType: 'Microsoft.MachineLearningServices.ModelRegistered',
        eventTime: context.clock.nowIso(),
        data: {
          ModelName: name,
          ModelVersion: Number.isInteger(numeric) && String(numeric) === version.name ? numeric : version.name,
          ModelTags: tagsOf(props['tags']),
          ModelProperties: tagsOf(props['properties']),
        },
      });
    },
  };
  const data: AssetKind = {
    collection: 'data',
    label: 'Data',
    containers: () => state().dataContainers,
    versions: () => state().dataVersions,
    containerFields: [
      'description',
      'tags',
      'properties',
      'isArchived',
      'latestVersion',
      'nextVersion',
      'dataType',
      'provisioningState',
    ],
    versionFields: [...ASSET_BASE, 'dataType', 'dataUri', 'referencedUris'],
    immutable: ['dataUri', 'dataType'],
    required: ['dataType', 'dataUri'],
  };
  for (const kind of [models, data]) registerKind(router, context, kind);
}

function registerKind(router: Router, context: EmulatorContext, kind: AssetKind): void {
  const base = `${WS_ROUTE}/${kind.collection}`;
  const containerType = `Microsoft.MachineLearningServices/workspaces/${kind.collection}`;
  const versionType = `${containerType}/versions`;

  const renderContainer = (container: StoredResource): JsonObject => {
    const versions = Object.values(kind.versions()[container.name] ?? {});
    const latest = [...versions].sort((a, b) => b.createdMs - a.createdMs)[0];
    const numeric = versions.map((v) => Number(v.name)).filter((n) => Number.isInteger(n));
    const resource = render(container, resourceId(kind.collection, container.name), containerType);
    resource['properties'] = {
      ...(container.body['properties'] as JsonObject),
      ...(latest ? { latestVersion: latest.name } : {}),
      nextVersion: String(numeric.length === 0 ? 1 : Math.max(...numeric) + 1),
      provisioningState: 'Succeeded',
    };
    return resource;
  };
  const renderVersion = (name: string, version: StoredResource): JsonObject =>
    render(version, resourceId(kind.collection, name, 'versions', version.name), versionType);

  const findContainer = (request: EmulatorRequest): StoredResource => {
    const name = param(request, 'name');
    const container = kind.containers()[name];
    if (!container) throw notFound(`${kind.label} container`, name);
    return container;
  };
  const findVersion = (request: EmulatorRequest): StoredResource => {
    const name = param(request, 'name');
    const version = param(request, 'version');
    const found = kind.versions()[name]?.[version];
    if (!found) throw notFound(`${kind.label} version`, `${name}:${version}`);
    return found;
  };
  const ensureContainer = (name: string, properties: JsonObject): StoredResource => {
    let container = kind.containers()[name];
    if (!container) {
      container = {
        name,
        body: { properties },
        systemData: newSystemData(context.clock.nowIso()),
        createdMs: context.clock.now(),
      };
      kind.containers()[name] = container;
    }
    return container;
  };

  router.add('PUT', `${base}/{name}`, (request) => {
    const name = param(request, 'name');
    checkName(name, 'name');
    const properties = requireProperties(jsonBody(request));
    if (!context.settings.loose) checkKnownFields(properties, kind.containerFields, 'properties');
    for (const key of ['latestVersion', 'nextVersion', 'provisioningState']) delete properties[key];
    const existing = kind.containers()[name];
    if (existing) {
      existing.body['properties'] = properties;
      existing.systemData.lastModifiedAt = context.clock.nowIso();
    } else {
      ensureContainer(name, properties);
    }
    context.store.changed();
    return { status: existing ? 200 : 201, body: renderContainer(kind.containers()[name] as StoredResource) };
  });

  router.add('GET', `${base}/{name}`, (request) => ({ status: 200, body: renderContainer(findContainer(request)) }));

  router.add('GET', base, (request) => {
    const archived = archiveFilter(request);
    const items = Object.values(kind.containers())
      .filter((container) => archived((container.body['properties'] as JsonObject)['isArchived'] === true))
      .sort((a, b) => b.createdMs - a.createdMs)
      .map(renderContainer);
    return {
      status: 200,
      body: page(request, items, { pageSize: context.settings.pageSize, baseUrl: context.baseUrl() }),
    };
  });

  router.add('DELETE', `${base}/{name}`, (request) => {
    const name = param(request, 'name');
    if (!kind.containers()[name]) return { status: 204 };
    delete kind.containers()[name];
    delete kind.versions()[name];
    context.store.changed();
    return { status: 200, body: {} };
  });

  router.add('PUT', `${base}/{name}/versions/{version}`, (request) => {
    const name = param(request, 'name');
    const versionName = param(request, 'version');
    checkName(name, 'name');
    checkName(versionName, 'version');
    const properties = requireProperties(jsonBody(request));
    if (!context.settings.loose) checkKnownFields(properties, kind.versionFields, 'properties');
    for (const field of kind.required) {
      if (typeof properties[field] !== 'string' || properties[field] === '') {
        throw badRequest(`'properties.${field}' is required.`, `properties.${field}`);
      }
    }
    properties['provisioningState'] = 'Succeeded';
    properties['isArchived'] = properties['isArchived'] === true;
    properties['isAnonymous'] = properties['isAnonymous'] === true;
    const versions = (kind.versions()[name] ??= {});
    const existing = versions[versionName];
    const nowIso = context.clock.nowIso();
    if (existing) {
      const before = existing.body['properties'] as JsonObject;
      for (const field of kind.immutable) {
        if (properties[field] !== undefined && before[field] !== undefined && !same(properties[field], before[field])) {
          throw badRequest(
            `'properties.${field}' of ${kind.label.toLowerCase()} ${name}:${versionName} cannot be changed once the version exists.`,
            `properties.${field}`,
          );
        }
      }
      const oldProps = tagsOf(before['properties']);
      const newProps = tagsOf(properties['properties']);
      for (const [key, value] of Object.entries(oldProps)) {
        if (newProps[key] !== value) {
          throw badRequest(
            `Version properties may be added but not removed or changed: '${key}' was '${value}'.`,
            `properties.properties.${key}`,
          );
        }
      }
      for (const field of kind.immutable)
        if (properties[field] === undefined && before[field] !== undefined) properties[field] = before[field];
      existing.body['properties'] = properties;
      existing.systemData.lastModifiedAt = nowIso;
      context.store.changed();
      return { status: 200, body: renderVersion(name, existing) };
    }
    const containerProperties: JsonObject =
      kind.collection === 'data' ? { dataType: properties['dataType'] ?? 'uri_file' } : {};
    ensureContainer(name, containerProperties);
    const version: StoredResource = {
      name: versionName,
      body: { properties },
      systemData: newSystemData(nowIso),
      createdMs: context.clock.now(),
    };
    versions[versionName] = version;
    context.store.changed();
    kind.onCreated?.(name, version);
    return { status: 201, body: renderVersion(name, version) };
  });

  router.add('GET', `${base}/{name}/versions/{version}`, (request) => ({
    status: 200,
    body: renderVersion(param(request, 'name'), findVersion(request)),
  }));

  router.add('GET', `${base}/{name}/versions`, (request) => {
    const name = param(request, 'name');
    const archived = archiveFilter(request);
    const tags = keyValueFilter(query(request, 'tags') ?? query(request, '$tags'));
    const props = keyValueFilter(query(request, 'properties'));
    const versionFilter = query(request, 'version');
    const order = parseOrder(query(request, '$orderBy'));
    const items = Object.values(kind.versions()[name] ?? {})
      .filter((version) => {
        const p = version.body['properties'] as JsonObject;
        return (
          archived(p['isArchived'] === true) &&
          tags(tagsOf(p['tags'])) &&
          props(tagsOf(p['properties'])) &&
          (versionFilter === undefined || version.name === versionFilter)
        );
      })
      .sort(order)
      .map((version) => renderVersion(name, version));
    return {
      status: 200,
      body: page(request, items, { pageSize: context.settings.pageSize, baseUrl: context.baseUrl() }),
    };
  });

  router.add('DELETE', `${base}/{name}/versions/{version}`, (request) => {
    const name = param(request, 'name');
    const version = param(request, 'version');
    const versions = kind.versions()[name];
    if (!versions?.[version]) return { status: 204 };
    delete versions[version];
    context.store.changed();
    return { status: 200, body: {} };
  });
}

function same(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `$orderBy`: `createdtime desc|asc` (azure-ai-ml's OrderString) or `version desc|asc`; default newest first. */
function parseOrder(orderBy: string | undefined): (a: StoredResource, b: StoredResource) => number {
  const text = (orderBy ?? 'createdtime desc').trim().toLowerCase().replace(/\s+/g, ' ');
  const match = /^(createdtime|createdat|version)( asc| desc)?$/.exec(text);
  if (!match) {
    throw badRequest(
      `Unsupported $orderBy '${orderBy ?? ''}'; the emulator supports 'createdtime desc|asc' and 'version desc|asc'.`,
      '$orderBy',
    );
  }
  const direction = match[2] === ' asc' ? 1 : -1;
  if (match[1] === 'version') {
    return (a, b) => direction * compareVersions(a.name, b.name);
  }
  return (a, b) => direction * (a.createdMs - b.createdMs || compareVersions(a.name, b.name));
}

function compareVersions(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a.localeCompare(b);
}
