/**
 * Azure ML registries (ARM, `Microsoft.MachineLearningServices/registries`, stable 2025-12-01): the registry resource
 * (read-only here: registries are hosted by emulator options) and its model containers and versions, which any
 * hosted workspace's online deployments may use by asset id `azureml://registries/<r>/models/<m>/versions/<v>`.
 *
 * @remarks Sources: azure-rest-api-specs `specification/machinelearningservices/resource-manager/
 * Microsoft.MachineLearningServices/stable/2025-12-01/registries.json` (registry name pattern, ARM paths) and
 * `examples/Registry/ModelVersion/{createOrUpdate,get,list}.json` (bodies); the registry model version PUT is a
 * long-running operation (`x-ms-long-running-operation`, 200/201/202): the emulator answers 202 with a Location to
 * poll, and the version reads `provisioningState: Creating` until the copy into the registry is done. A version's
 * files must be in the registry's own storage (an Azurite container per registry): clients first call
 * `startPendingUpload` (createOrGetStartPendingUpload, example `createOrGetStartPendingUpload.json`) for a SAS to a
 * folder there, copy the files, and PUT the version with `modelUri` = its `blobUri`, as azure-ai-ml `models.share`
 * and Azure/azureml-assets `copy_azure_artifacts` do; any other `modelUri` is refused. Versions are immutable: a
 * re-PUT with another `modelUri` is 409.
 */
import { randomUUID } from 'node:crypto';

import {
  checkKnownFields,
  checkName,
  newSystemData,
  page,
  PROVIDER,
  REGION,
  render,
  requireProperties,
  text,
} from '../arm';
import type { EmulatorContext } from '../context';
import { badRequest, conflict, notFound, notSupported } from '../errors';
import { type EmulatorRequest, jsonBody, param, type Router } from '../http';
import type { Engine } from '../runtime/engine';
import type { JsonObject, RegistryRecord, StoredResource } from '../state';
import { registryArmId } from '../workspaces';
import { locationHeaders } from './lro';

const REGISTRY_ROUTE = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${PROVIDER}/registries/{registryName}`;
const VERSION_FIELDS = [
  'description',
  'tags',
  'properties',
  'isAnonymous',
  'isArchived',
  'flavors',
  'jobName',
  'modelType',
  'modelUri',
  'provisioningState',
  'stage',
  'intellectualProperty',
];

/** How long a pending upload's SAS is valid (the SDK copies right after asking for it). */
const PENDING_UPLOAD_SAS_MS = 60 * 60_000;

/** The Azurite container that is the registry's own storage (container names: lower case, digits, hyphens). */
export function registryStorageContainer(registry: RegistryRecord): string {
  return `azureml-registry-${registry.ref.name.toLowerCase().replace(/_/g, '-')}`;
}

/** The ARM id of the (emulated) storage account behind a registry, in the registry's resource group. */
function registryStorageAccountId(registry: RegistryRecord): string {
  const account = registry.ref.name
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 20);
  return `/subscriptions/${registry.ref.subscriptionId}/resourceGroups/${registry.ref.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${account}reg`;
}

export function registerRegistryRoutes(router: Router, context: EmulatorContext, engine: Engine): void {
  const registryOf = (request: EmulatorRequest): RegistryRecord => {
    const name = param(request, 'registryName');
    const registry = context.store.registry(name);
    if (!registry) throw notFound('Registry', name);
    return registry;
  };
  const versionId = (registry: RegistryRecord, model: string, version: string) =>
    `${registryArmId(registry.ref)}/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}`;
  const renderVersion = (registry: RegistryRecord, model: string, version: StoredResource): JsonObject =>
    render(version, versionId(registry, model, version.name), `${PROVIDER}/registries/models/versions`);
  const renderContainer = (registry: RegistryRecord, container: StoredResource): JsonObject => {
    const versions = Object.values(registry.modelVersions[container.name] ?? {});
    const latest = [...versions].sort((a, b) => b.createdMs - a.createdMs)[0];
    const resource = render(
      container,
      `${registryArmId(registry.ref)}/models/${encodeURIComponent(container.name)}`,
      `${PROVIDER}/registries/models`,
    );
    resource['properties'] = {
      ...(container.body['properties'] as JsonObject),
      ...(latest ? { latestVersion: latest.name } : {}),
      provisioningState: 'Succeeded',
    };
    return resource;
  };

  router.add('GET', REGISTRY_ROUTE, (request) => {
    const registry = registryOf(request);
    return {
      status: 200,
      body: {
        id: registryArmId(registry.ref),
        name: registry.ref.name,
        type: `${PROVIDER}/registries`,
        location: REGION,
        properties: { regionDetails: [{ location: REGION }], publicNetworkAccess: 'Enabled' },
      },
    };
  });

  router.add('GET', `${REGISTRY_ROUTE}/models`, (request) => {
    const registry = registryOf(request);
    const items = Object.values(registry.modelContainers)
      .sort((a, b) => b.createdMs - a.createdMs)
      .map((c) => renderContainer(registry, c));
    return {
      status: 200,
      body: page(request, items, { pageSize: context.settings.pageSize, baseUrl: context.baseUrl() }),
    };
  });

  router.add('GET', `${REGISTRY_ROUTE}/models/{name}`, (request) => {
    const registry = registryOf(request);
    const container = registry.modelContainers[param(request, 'name')];
    if (!container) throw notFound('Model container', param(request, 'name'));
    return { status: 200, body: renderContainer(registry, container) };
  });

  router.add('GET', `${REGISTRY_ROUTE}/models/{name}/versions`, (request) => {
    const registry = registryOf(request);
    const name = param(request, 'name');
    const items = Object.values(registry.modelVersions[name] ?? {})
      .sort((a, b) => b.createdMs - a.createdMs)
      .map((v) => renderVersion(registry, name, v));
    return {
      status: 200,
      body: page(request, items, { pageSize: context.settings.pageSize, baseUrl: context.baseUrl() }),
    };
  });

  router.add('GET', `${REGISTRY_ROUTE}/models/{name}/versions/{version}`, (request) => {
    engine.tick();
    const registry = registryOf(request);
    const name = param(request, 'name');
    const version = registry.modelVersions[name]?.[param(request, 'version')];
    if (!version) throw notFound('Model version', `${name}:${param(request, 'version')}`);
    return { status: 200, body: renderVersion(registry, name, version) };
  });

  // createOrGetStartPendingUpload (registries.json, stable 2025-12-01; example
  // examples/Registry/ModelVersion/createOrGetStartPendingUpload.json): a SAS to a folder of the registry's own storage
  // where a client copies the version's files before it PUTs the version with `modelUri` = `blobUri`. The same
  // `pendingUploadId` for the same version gives the same folder (a retried copy overwrites its files); without one
  // the service picks an id.
  router.add('POST', `${REGISTRY_ROUTE}/models/{name}/versions/{version}/startPendingUpload`, async (request) => {
    const registry = registryOf(request);
    const name = param(request, 'name');
    const versionName = param(request, 'version');
    checkName(name, 'name');
    checkName(versionName, 'version');
    const body = jsonBody(request);
    const unknown = Object.keys(body).find((key) => !/^pendingUpload(Id|Type)$/i.test(key));
    if (unknown && !context.settings.loose) {
      throw badRequest(
        `The field '${unknown}' is not known to the Azure ML emulator (NotSupportedByEmulator); it accepts: pendingUploadId, pendingUploadType.`,
        unknown,
      );
    }
    const type = text(body['pendingUploadType'], 'None');
    if (type !== 'None' && type !== 'TemporaryBlobReference') {
      throw badRequest(
        `'pendingUploadType' must be None or TemporaryBlobReference, not '${type}'.`,
        'pendingUploadType',
      );
    }
    const uploadId = text(body['pendingUploadId']) || randomUUID();
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(uploadId)) {
      throw badRequest(`'pendingUploadId' '${uploadId}' is not a valid id.`, 'pendingUploadId');
    }
    if (type === 'None') return { status: 200, body: { pendingUploadId: uploadId, pendingUploadType: 'None' } };
    if (!context.dataAccess.hasBlobStorage()) throw notSupported('Registry uploads without Azurite');
    const location = await context.dataAccess.sasLocation(
      registryStorageContainer(registry),
      `${name}/${versionName}/${uploadId}`,
      PENDING_UPLOAD_SAS_MS,
      new Date(), // Azurite checks the SAS against the wall clock, not the emulator's
    );
    return {
      status: 200,
      body: {
        blobReferenceForConsumption: {
          blobUri: location.blobUri,
          storageAccountArmId: registryStorageAccountId(registry),
          credential: { credentialType: 'SAS', sasUri: location.sasUri },
        },
        pendingUploadId: uploadId,
        pendingUploadType: type,
      },
    };
  });

  router.add('PUT', `${REGISTRY_ROUTE}/models/{name}/versions/{version}`, (request) => {
    const registry = registryOf(request);
    const name = param(request, 'name');
    const versionName = param(request, 'version');
    checkName(name, 'name');
    checkName(versionName, 'version');
    const properties = requireProperties(jsonBody(request));
    if (!context.settings.loose) checkKnownFields(properties, VERSION_FIELDS, 'properties');
    const modelUri = text(properties['modelUri']);
    if (modelUri === '') throw badRequest("'properties.modelUri' is required.", 'properties.modelUri');
    checkRegistryModelUri(context, registry, modelUri);
    const existing = registry.modelVersions[name]?.[versionName];
    if (existing) {
      const before = existing.body['properties'] as JsonObject;
      if (text(before['modelUri']) !== modelUri) {
        throw conflict(
          `Model version ${name}:${versionName} already exists in registry ${registry.ref.name} with another modelUri; registry versions are immutable.`,
          'properties.modelUri',
        );
      }
      return { status: 200, body: renderVersion(registry, name, existing) };
    }
    const nowIso = context.clock.nowIso();
    registry.modelContainers[name] ??= {
      name,
      body: { properties: {} },
      systemData: newSystemData(nowIso),
      createdMs: context.clock.now(),
    };
    properties['provisioningState'] = 'Creating';
    properties['isArchived'] = properties['isArchived'] === true;
    properties['isAnonymous'] = properties['isAnonymous'] === true;
    const version: StoredResource = {
      name: versionName,
      body: { properties },
      systemData: newSystemData(nowIso),
      createdMs: context.clock.now(),
    };
    (registry.modelVersions[name] ??= {})[versionName] = version;
    const operation = engine.beginOperation(
      'create',
      { kind: 'registryModelVersion', registry: registry.ref.name, model: name, version: versionName },
      'registryModelVersion',
    );
    context.store.changed();
    return { status: 202, headers: locationHeaders(context, request, operation) };
  });
}

/**
 * A registry version's files must already be in the registry's own storage: the SDK (azure-ai-ml `models.share`,
 * creating an asset in a registry) and Azure/azureml-assets (`RegistryUtils.get_registry_data_reference`,
 * `copy_azure_artifacts`) first ask for a pending upload, copy the files there, and create the version with `modelUri`
 * = the upload's `blobUri`; a registry cannot read a workspace's storage. Anything else is refused.
 */
function checkRegistryModelUri(context: EmulatorContext, registry: RegistryRecord, modelUri: string): void {
  const storage = context.dataAccess.hasBlobStorage()
    ? `${context.dataAccess.containerUrl(registryStorageContainer(registry))}/`
    : undefined;
  if (storage && modelUri.startsWith(storage)) return;
  throw badRequest(
    `'${modelUri}' is not in registry ${registry.ref.name}'s storage: copy the model's files to a pending upload (POST …/models/{name}/versions/{version}/startPendingUpload, pendingUploadType TemporaryBlobReference) and set properties.modelUri to its blobUri.`,
    'properties.modelUri',
  );
}
