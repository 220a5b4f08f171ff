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
 * `modelUri` must say where its files are from outside any workspace: the short job-output form `azureml://jobs/…`
 * names a job of "this" workspace, which a registry has none of, so it is refused; the long form
 * `azureml://subscriptions/<s>/resourcegroups/<rg>/workspaces/<ws>/jobs/<job>/outputs/<output>/paths/<path>` (Learn,
 * "Share models, components, and environments across workspaces with registries") must name a hosted workspace's job
 * with a trained model. Versions are immutable: a re-PUT with another `modelUri` is 409.
 */
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
import { badRequest, conflict, notFound } from '../errors';
import { type EmulatorRequest, jsonBody, param, type Router } from '../http';
import type { Engine } from '../runtime/engine';
import { parseLongFormJobOutput } from '../runtime/models';
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
    checkRegistryModelUri(context, modelUri);
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

/** A registry version's files must be reachable without a workspace context (see the module remarks). */
function checkRegistryModelUri(context: EmulatorContext, modelUri: string): void {
  if (/^azureml:\/\/jobs\//i.test(modelUri)) {
    throw badRequest(
      `'${modelUri}' names a job of the current workspace, and a registry has no jobs: use the long form azureml://subscriptions/<subscription>/resourcegroups/<group>/workspaces/<workspace>/jobs/<job>/outputs/<output>/paths/<path>.`,
      'properties.modelUri',
    );
  }
  const longForm = parseLongFormJobOutput(modelUri);
  if (!longForm) return; // a storage path: read when a deployment loads the model
  const owner = context.store.hostedView(longForm.workspace);
  const job = /^azureml:\/\/jobs\/([^/]+)\//i.exec(longForm.shortUri)?.[1];
  if (!owner || !job || !owner.jobs[decodeURIComponent(job)]) {
    throw badRequest(
      `'${modelUri}' names job '${job ?? ''}' of workspace ${longForm.workspace.workspace}, which does not exist.`,
      'properties.modelUri',
    );
  }
  if (!owner.artifacts[decodeURIComponent(job)]) {
    throw badRequest(
      `'${modelUri}': job '${job}' has no trained model (it has not completed, or did not train one).`,
      'properties.modelUri',
    );
  }
}
