/**
 * Managed online endpoints and deployments: create/update/delete as ARM LROs, traffic and mirror traffic, keys,
 * AML tokens and inference-server logs.
 *
 * @remarks PUT answers 201/200 with `Azure-AsyncOperation`; PATCH, DELETE and regenerateKeys answer 202 with
 * `Location` (reference §1.1). The resource shows the requested state at once with provisioningState
 * Creating/Updating; the engine moves it to Succeeded or Failed after the provisioning step duration.
 */
import { randomBytes } from 'node:crypto';
import {
  checkKnownFields,
  checkName,
  isObject,
  keyValueFilter,
  managedIdentity,
  newSystemData,
  page,
  render,
  requireProperties,
  resourceId,
  tagsOf,
  currentWorkspaceId,
  WS_ROUTE,
  text,
} from '../arm';
import type { EmulatorContext } from '../context';
import { badRequest, conflict, EmulatorHttpError, notFound, notSupported } from '../errors';
import { type EmulatorRequest, type EmulatorResponse, jsonBody, param, query, type Router } from '../http';
import type { Engine } from '../runtime/engine';
import { deploymentKey, readLogs } from '../runtime/logs';
import { parseModelReference } from '../runtime/models';
import type { DeploymentRecord, EndpointRecord, Json, JsonObject, OperationRecord } from '../state';
import { asyncOperationHeaders, asyncOperationUri, locationHeaders } from './lro';

export const ENDPOINT_TYPE = 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints';
export const DEPLOYMENT_TYPE = 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments';
/** AML token lifetime: unverified in Azure's docs; one hour here, refresh after half of it. */
const TOKEN_LIFETIME_MS = 3_600_000;

const ENDPOINT_FIELDS = [
  'authMode',
  'description',
  'keys',
  'properties',
  'scoringUri',
  'swaggerUri',
  'compute',
  'provisioningState',
  'publicNetworkAccess',
  'traffic',
  'mirrorTraffic',
];
const DEPLOYMENT_FIELDS = [
  'appInsightsEnabled',
  'codeConfiguration',
  'dataCollector',
  'description',
  'egressPublicNetworkAccess',
  'endpointComputeType',
  'environmentId',
  'environmentVariables',
  'instanceType',
  'livenessProbe',
  'model',
  'modelMountPath',
  'properties',
  'provisioningState',
  'readinessProbe',
  'requestSettings',
  'scaleSettings',
  'startupProbe',
];
const TOP_LEVEL = ['location', 'kind', 'identity', 'tags', 'sku', 'properties', 'id', 'name', 'type', 'systemData'];
const BUSY = new Set(['Creating', 'Updating', 'Deleting', 'Scaling']);

export function newKey(): string {
  return randomBytes(24).toString('base64url');
}

export function scoringUri(context: EmulatorContext, endpoint: string): string {
  return `${context.baseUrl()}/onlineEndpoints/${encodeURIComponent(endpoint)}/score`;
}

export function renderEndpoint(context: EmulatorContext, endpoint: EndpointRecord): JsonObject {
  const resource = render(endpoint, resourceId('onlineEndpoints', endpoint.name), ENDPOINT_TYPE);
  const properties = { ...(endpoint.body['properties'] as JsonObject) };
  properties['keys'] = null;
  properties['scoringUri'] = scoringUri(context, endpoint.name);
  properties['swaggerUri'] = `${context.baseUrl()}/onlineEndpoints/${encodeURIComponent(endpoint.name)}/swagger.json`;
  resource['properties'] = properties;
  return resource;
}

export function renderDeployment(endpoint: string, deployment: DeploymentRecord): JsonObject {
  return render(deployment, resourceId('onlineEndpoints', endpoint, 'deployments', deployment.name), DEPLOYMENT_TYPE);
}

function percentMap(value: Json | undefined, target: string): Record<string, number> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw badRequest(`'${target}' must map deployment names to percentages.`, target);
  const result: Record<string, number> = {};
  for (const [name, percent] of Object.entries(value)) {
    if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0 || percent > 100) {
      throw badRequest(`'${target}.${name}' must be an integer percentage between 0 and 100.`, target);
    }
    result[name] = percent;
  }
  return result;
}

/** Traffic must sum to 100 (or be empty/all zero); mirror traffic at most 50; every name must be a deployment. */
export function validateTraffic(properties: JsonObject, deployments: readonly string[]): void {
  const traffic = percentMap(properties['traffic'], 'properties.traffic');
  const mirror = percentMap(properties['mirrorTraffic'], 'properties.mirrorTraffic');
  for (const [field, map] of [
    ['properties.traffic', traffic],
    ['properties.mirrorTraffic', mirror],
  ] as const) {
    for (const name of Object.keys(map)) {
      if (!deployments.includes(name)) {
        throw badRequest(`${field} names deployment '${name}', which does not exist under this endpoint.`, field);
      }
    }
  }
  const total = Object.values(traffic).reduce((sum, percent) => sum + percent, 0);
  if (total !== 0 && total !== 100) {
    throw badRequest(`The traffic percentages must sum to 100; they sum to ${total}.`, 'properties.traffic');
  }
  const mirrorTotal = Object.values(mirror).reduce((sum, percent) => sum + percent, 0);
  if (mirrorTotal > 50) {
    throw badRequest(
      `Mirror traffic may be at most 50 percent in total; it is ${mirrorTotal}.`,
      'properties.mirrorTraffic',
    );
  }
  for (const name of Object.keys(mirror)) {
    if ((mirror[name] ?? 0) > 0 && (traffic[name] ?? 0) > 0) {
      throw badRequest(
        `Deployment '${name}' cannot receive live traffic and mirror traffic at the same time.`,
        'properties.mirrorTraffic',
      );
    }
  }
}

/** Model types a managed online deployment serves without an environment and a scoring script. */
const NO_CODE_MODEL_TYPES = ['mlflow_model', 'triton_model'];
const WORKSPACE_ASSET = (collection: string): RegExp =>
  new RegExp(
    `^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.MachineLearningServices/workspaces/[^/]+/${collection}/[^/]+/versions/[^/]+$`,
    'i',
  );
const ENVIRONMENT_ID = [
  WORKSPACE_ASSET('environments'),
  /^azureml:\/\/registries\/[^/]+\/environments\/[^/]+\/(?:versions|labels)\/[^/]+$/i,
];
const CODE_ID = [WORKSPACE_ASSET('codes'), /^azureml:\/\/registries\/[^/]+\/codes\/[^/]+\/versions\/[^/]+$/i];

/** A validation failure in the service's shape: broad `UserError`, the specific `ArgumentNullOrEmpty` nested. */
function missingArgument(message: string, target: string, label: string): EmulatorHttpError {
  return new EmulatorHttpError(400, 'UserError', message, {
    target,
    details: [{ code: 'ArgumentNullOrEmpty', message: `'${label}' must not be empty.`, target }],
  });
}

/**
 * A deployment uses a model of its own workspace or of a registry: an ARM id of another workspace's model version is
 * refused (Learn, "Share models, components, and environments across workspaces with registries": assets of one
 * workspace are not usable from another; to deploy a model elsewhere, share it through a registry, or copy it). The
 * id's workspace segments are compared case-insensitively, as ARM ids are.
 */
function checkOwnWorkspace(model: string): void {
  const owner =
    /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+)\/models\//i.exec(
      model,
    )?.[1];
  if (owner && owner.toLowerCase() !== currentWorkspaceId().toLowerCase()) {
    throw badRequest(
      `Model '${model}' belongs to another workspace. A deployment can use models of its own workspace, or of an Azure ML registry (azureml://registries/<registry>/models/<name>/versions/<version>).`,
      'properties.model',
    );
  }
}

/**
 * How a deployment serves its model. Only MLflow (and Triton) models deploy without code (Learn: "Deploy MLflow models
 * to online endpoints": no-code deployment); any other model needs the environment it runs in and a scoring script
 * (`environmentId` + `codeConfiguration`), and a scoring script needs an environment. Ids are ARM ids (registry
 * assets as azureml://registries/…). The nested `ArgumentNullOrEmpty` "'Environment Id' must not be empty." is the
 * service's validation error for a missing environment (azure-sdk-for-python issue #30741).
 */
export function checkServing(
  properties: JsonObject,
  ref: { name: string; version: string },
  modelType: string,
  noCodeTypes: readonly string[] = NO_CODE_MODEL_TYPES,
): void {
  const environmentId = properties['environmentId'];
  const code = properties['codeConfiguration'];
  if (environmentId !== undefined && environmentId !== null) {
    if (typeof environmentId !== 'string' || !ENVIRONMENT_ID.some((pattern) => pattern.test(environmentId))) {
      throw badRequest(
        `'properties.environmentId' must be the ARM id of an environment version (/subscriptions/…/workspaces/<ws>/environments/<name>/versions/<version>) or azureml://registries/<registry>/environments/<name>/versions/<version>; got '${text(environmentId, typeof environmentId)}'.`,
        'properties.environmentId',
      );
    }
  }
  if (code !== undefined && code !== null) {
    const codeId = isObject(code) ? code['codeId'] : undefined;
    if (!isObject(code) || typeof codeId !== 'string' || !CODE_ID.some((pattern) => pattern.test(codeId))) {
      throw badRequest(
        "'properties.codeConfiguration.codeId' must be the ARM id of a code version (/subscriptions/…/workspaces/<ws>/codes/<name>/versions/<version>).",
        'properties.codeConfiguration.codeId',
      );
    }
    if (typeof code['scoringScript'] !== 'string' || code['scoringScript'] === '') {
      throw missingArgument(
        "'properties.codeConfiguration.scoringScript' is required.",
        'properties.codeConfiguration.scoringScript',
        'Scoring Script',
      );
    }
    if (typeof environmentId !== 'string') {
      throw missingArgument(
        'A deployment with a scoring script (codeConfiguration) needs the environment it runs in: set properties.environmentId.',
        'properties.environmentId',
        'Environment Id',
      );
    }
  }
  if (noCodeTypes.includes(modelType)) return;
  if (typeof environmentId !== 'string') {
    throw missingArgument(
      `Model ${ref.name}:${ref.version} is a ${modelType}: only ${noCodeTypes.length > 1 ? 'MLflow and Triton models' : 'MLflow models'} deploy without an environment and a scoring script (no-code deployment). Set properties.environmentId and properties.codeConfiguration.`,
      'properties.environmentId',
      'Environment Id',
    );
  }
  if (code === undefined || code === null) {
    throw missingArgument(
      `Model ${ref.name}:${ref.version} is a ${modelType}: it needs a scoring script. Set properties.codeConfiguration {codeId, scoringScript}.`,
      'properties.codeConfiguration',
      'Code Configuration',
    );
  }
}

function checkTopLevel(context: EmulatorContext, body: Record<string, unknown>): void {
  if (context.settings.loose) return;
  for (const key of Object.keys(body)) {
    if (!TOP_LEVEL.includes(key)) throw badRequest(`The field '${key}' is not known to the Azure ML emulator.`, key);
  }
}

function requireLocation(body: Record<string, unknown>): string {
  const location = body['location'];
  if (typeof location !== 'string' || location === '')
    throw badRequest("'location' is required for tracked resources.", 'location');
  return location;
}

function copyTopLevel(
  body: Record<string, unknown>,
  into: JsonObject,
  fields: readonly string[],
  previous: JsonObject | undefined,
): void {
  for (const field of fields) {
    if (field === 'identity') {
      const identity = managedIdentity(body['identity'], previous?.['identity']);
      if (identity !== undefined) into['identity'] = identity;
    } else if (body[field] !== undefined) into[field] = structuredClone(body[field]) as Json;
  }
}

export function registerOnlineEndpointRoutes(router: Router, context: EmulatorContext, engine: Engine): void {
  const state = () => context.store.data;
  const base = `${WS_ROUTE}/onlineEndpoints`;
  const findEndpoint = (request: EmulatorRequest): EndpointRecord => {
    const name = param(request, 'endpoint');
    const endpoint = state().onlineEndpoints[name];
    if (!endpoint) throw notFound('Online endpoint', name);
    return endpoint;
  };
  const findDeployment = (request: EmulatorRequest): DeploymentRecord => {
    const endpoint = findEndpoint(request);
    const name = param(request, 'deployment');
    const deployment = state().onlineDeployments[endpoint.name]?.[name];
    if (!deployment) throw notFound('Online deployment', `${endpoint.name}/${name}`);
    return deployment;
  };
  const props = (resource: { body: JsonObject }): JsonObject => resource.body['properties'] as JsonObject;
  const ensureIdle = (resource: { name: string; body: JsonObject }, what: string): void => {
    const provisioning = text(props(resource)['provisioningState'], '');
    if (BUSY.has(provisioning)) {
      throw conflict(
        `${what} '${resource.name}' has an operation in progress (provisioningState ${provisioning}); retry when it completes.`,
      );
    }
  };
  const started = (
    request: EmulatorRequest,
    status: number,
    operation: OperationRecord,
    body: JsonObject,
  ): EmulatorResponse => {
    engine.tick();
    return { status, body, headers: asyncOperationHeaders(context, request, operation) };
  };

  // ---- endpoints ----------------------------------------------------------------------------------------------

  router.add('PUT', `${base}/{endpoint}`, (request) => {
    const name = param(request, 'endpoint');
    checkName(name, 'name');
    const body = jsonBody(request);
    checkTopLevel(context, body);
    requireLocation(body);
    const properties = requireProperties(body);
    if (!context.settings.loose) checkKnownFields(properties, ENDPOINT_FIELDS, 'properties');
    const authMode = properties['authMode'];
    if (authMode !== 'Key' && authMode !== 'AMLToken' && authMode !== 'AADToken') {
      throw badRequest("'properties.authMode' must be Key, AMLToken or AADToken.", 'properties.authMode');
    }
    if (properties['compute'] !== undefined && properties['compute'] !== null) {
      throw notSupported('Kubernetes online endpoints (properties.compute)');
    }
    const existing = state().onlineEndpoints[name];
    if (existing) ensureIdle(existing, 'Online endpoint');
    validateTraffic(properties, Object.keys(state().onlineDeployments[name] ?? {}));
    const requestedKeys = isObject(properties['keys']) ? properties['keys'] : undefined;
    for (const field of ['keys', 'scoringUri', 'swaggerUri', 'provisioningState']) delete properties[field];
    properties['traffic'] = percentMap(properties['traffic'], 'properties.traffic');
    if (properties['mirrorTraffic'] !== undefined)
      properties['mirrorTraffic'] = percentMap(properties['mirrorTraffic'], 'properties.mirrorTraffic');
    properties['publicNetworkAccess'] ??= 'Enabled';
    properties['provisioningState'] = existing ? 'Updating' : 'Creating';
    const record: EndpointRecord = existing ?? {
      name,
      body: {},
      systemData: newSystemData(context.clock.nowIso()),
      createdMs: context.clock.now(),
      keys: {
        primaryKey: typeof requestedKeys?.['primaryKey'] === 'string' ? requestedKeys['primaryKey'] : newKey(),
        secondaryKey: typeof requestedKeys?.['secondaryKey'] === 'string' ? requestedKeys['secondaryKey'] : newKey(),
      },
    };
    const newBody: JsonObject = { kind: 'Managed' };
    copyTopLevel(body, newBody, ['location', 'kind', 'identity', 'tags', 'sku'], existing?.body);
    newBody['properties'] = properties;
    record.body = newBody;
    record.systemData.lastModifiedAt = context.clock.nowIso();
    state().onlineEndpoints[name] = record;
    const operation = engine.beginOperation(
      existing ? 'update' : 'create',
      { kind: 'onlineEndpoint', endpoint: name },
      'oe',
    );
    const userProperties = isObject(properties['properties']) ? properties['properties'] : {};
    userProperties['AzureAsyncOperationUri'] = asyncOperationUri(context, request, operation);
    properties['properties'] = userProperties;
    context.store.changed();
    return started(request, existing ? 200 : 201, operation, renderEndpoint(context, record));
  });

  router.add('PATCH', `${base}/{endpoint}`, (request) => {
    const endpoint = findEndpoint(request);
    const body = jsonBody(request);
    for (const key of Object.keys(body)) {
      if (key !== 'tags' && key !== 'identity') {
        throw badRequest(`PATCH may only change 'tags' and 'identity'; change '${key}' (e.g. traffic) with PUT.`, key);
      }
    }
    ensureIdle(endpoint, 'Online endpoint');
    if (body['tags'] !== undefined) endpoint.body['tags'] = tagsOf(body['tags'] as Json);
    if (body['identity'] !== undefined) {
      endpoint.body['identity'] = managedIdentity(body['identity'], endpoint.body['identity']) ?? null;
    }
    props(endpoint)['provisioningState'] = 'Updating';
    const operation = engine.beginOperation('update', { kind: 'onlineEndpoint', endpoint: endpoint.name }, 'oe');
    context.store.changed();
    engine.tick();
    return { status: 202, headers: locationHeaders(context, request, operation) };
  });

  router.add('GET', `${base}/{endpoint}`, (request) => {
    engine.tick();
    return { status: 200, body: renderEndpoint(context, findEndpoint(request)) };
  });

  router.add('GET', base, (request) => {
    engine.tick();
    const name = query(request, 'name');
    const count = query(request, 'count');
    const tags = keyValueFilter(query(request, 'tags'));
    let items = Object.values(state().onlineEndpoints)
      .filter((endpoint) => (name === undefined || endpoint.name === name) && tags(tagsOf(endpoint.body['tags'])))
      .sort((a, b) => b.createdMs - a.createdMs)
      .map((endpoint) => renderEndpoint(context, endpoint));
    if (count !== undefined) items = items.slice(0, Number(count));
    return {
      status: 200,
      body: page(request, items, { pageSize: context.settings.pageSize, baseUrl: context.baseUrl() }),
    };
  });

  router.add('DELETE', `${base}/{endpoint}`, (request) => {
    const name = param(request, 'endpoint');
    const endpoint = state().onlineEndpoints[name];
    if (!endpoint) return { status: 204 };
    ensureIdle(endpoint, 'Online endpoint');
    props(endpoint)['provisioningState'] = 'Deleting';
    const operation = engine.beginOperation('delete', { kind: 'onlineEndpoint', endpoint: name }, 'oe');
    context.store.changed();
    engine.tick();
    return { status: 202, headers: locationHeaders(context, request, operation) };
  });

  router.add('POST', `${base}/{endpoint}/listKeys`, (request) => {
    const endpoint = findEndpoint(request);
    if (props(endpoint)['authMode'] !== 'Key') {
      throw badRequest(
        `Endpoint '${endpoint.name}' uses authMode ${text(props(endpoint)['authMode'])}; keys exist only for authMode Key.`,
        'authMode',
      );
    }
    return { status: 200, body: { ...endpoint.keys } };
  });

  router.add('POST', `${base}/{endpoint}/regenerateKeys`, (request) => {
    const endpoint = findEndpoint(request);
    if (props(endpoint)['authMode'] !== 'Key') {
      throw badRequest(
        `Endpoint '${endpoint.name}' uses authMode ${text(props(endpoint)['authMode'])}; keys exist only for authMode Key.`,
        'authMode',
      );
    }
    const body = jsonBody(request);
    const keyType = body['keyType'];
    if (keyType !== 'Primary' && keyType !== 'Secondary')
      throw badRequest("'keyType' must be Primary or Secondary.", 'keyType');
    const keyValue = body['keyValue'];
    if (keyValue !== undefined && keyValue !== null && typeof keyValue !== 'string')
      throw badRequest("'keyValue' must be a string.", 'keyValue');
    const value = typeof keyValue === 'string' && keyValue !== '' ? keyValue : newKey();
    if (keyType === 'Primary') endpoint.keys.primaryKey = value;
    else endpoint.keys.secondaryKey = value;
    const operation = engine.beginOperation(
      'regenerateKeys',
      { kind: 'onlineEndpoint', endpoint: endpoint.name },
      'oerk',
    );
    context.store.changed();
    engine.tick();
    // The spec example answers with both headers; core-lro then polls the status and does its final GET on Location.
    return {
      status: 202,
      headers: {
        ...asyncOperationHeaders(context, request, operation),
        ...locationHeaders(context, request, operation),
      },
    };
  });

  router.add('POST', `${base}/{endpoint}/token`, (request) => {
    const endpoint = findEndpoint(request);
    if (props(endpoint)['authMode'] !== 'AMLToken') {
      throw badRequest(
        `Endpoint '${endpoint.name}' uses authMode ${text(props(endpoint)['authMode'])}; tokens exist only for authMode AMLToken.`,
        'authMode',
      );
    }
    const now = context.clock.now();
    const token = `amltoken.${newKey()}`;
    const expiresAt = now + TOKEN_LIFETIME_MS;
    state().tokens[token] = { endpoint: endpoint.name, expiresAt };
    context.store.changed();
    return {
      status: 200,
      body: {
        accessToken: token,
        tokenType: 'Bearer',
        expiryTimeUtc: Math.floor(expiresAt / 1000),
        refreshAfterTimeUtc: Math.floor((now + TOKEN_LIFETIME_MS / 2) / 1000),
      },
    };
  });

  // ---- deployments --------------------------------------------------------------------------------------------

  router.add('PUT', `${base}/{endpoint}/deployments/{deployment}`, (request) => {
    const endpoint = findEndpoint(request);
    const name = param(request, 'deployment');
    checkName(name, 'name');
    const body = jsonBody(request);
    checkTopLevel(context, body);
    requireLocation(body);
    const properties = requireProperties(body);
    if (!context.settings.loose) checkKnownFields(properties, DEPLOYMENT_FIELDS, 'properties');
    const computeType = properties['endpointComputeType'];
    if (computeType !== 'Managed') {
      if (typeof computeType !== 'string')
        throw badRequest("'properties.endpointComputeType' is required.", 'properties.endpointComputeType');
      throw notSupported(`Online deployments with endpointComputeType '${computeType}'`);
    }
    const model = properties['model'];
    if (typeof model !== 'string' || model === '') {
      throw badRequest(
        "'properties.model' is required by the emulator (it serves registered models only).",
        'properties.model',
      );
    }
    checkOwnWorkspace(model);
    const ref = parseModelReference(model, 'properties.model');
    const version = context.store.modelVersion(ref);
    if (!version) {
      throw badRequest(
        `Model ${ref.registry ? `${ref.registry}/` : ''}${ref.name}:${ref.version} named by properties.model does not exist.`,
        'properties.model',
      );
    }
    checkServing(properties, ref, text((version.body['properties'] as JsonObject)['modelType'], 'custom_model'));
    const deployments = (state().onlineDeployments[endpoint.name] ??= {});
    const existing = deployments[name];
    if (existing) ensureIdle(existing, 'Online deployment');
    ensureIdle(endpoint, 'Online endpoint');
    delete properties['provisioningState'];
    properties['provisioningState'] = existing ? 'Updating' : 'Creating';
    properties['requestSettings'] = {
      requestTimeout: 'PT5S',
      maxConcurrentRequestsPerInstance: 1,
      maxQueueWait: 'PT0.5S',
      ...(isObject(properties['requestSettings']) ? properties['requestSettings'] : {}),
    };
    properties['scaleSettings'] ??= { scaleType: 'Default' };
    const newBody: JsonObject = { kind: 'Managed' };
    copyTopLevel(body, newBody, ['location', 'kind', 'identity', 'tags', 'sku'], existing?.body);
    if (!isObject(newBody['sku'])) newBody['sku'] = { name: 'Default', capacity: 1 };
    newBody['properties'] = properties;
    const record: DeploymentRecord = existing ?? {
      name,
      body: {},
      systemData: newSystemData(context.clock.nowIso()),
      createdMs: context.clock.now(),
      runtime: {},
    };
    record.body = newBody;
    record.systemData.lastModifiedAt = context.clock.nowIso();
    deployments[name] = record;
    const operation = engine.beginOperation(
      existing ? 'update' : 'create',
      { kind: 'onlineDeployment', endpoint: endpoint.name, deployment: name },
      'odidp',
    );
    context.store.changed();
    return started(request, existing ? 200 : 201, operation, renderDeployment(endpoint.name, record));
  });

  router.add('PATCH', `${base}/{endpoint}/deployments/{deployment}`, (request) => {
    const deployment = findDeployment(request);
    const endpoint = param(request, 'endpoint');
    const body = jsonBody(request);
    for (const key of Object.keys(body)) {
      if (key !== 'tags' && key !== 'sku')
        throw badRequest(`PATCH may only change 'tags' and 'sku'; use PUT for '${key}'.`, key);
    }
    ensureIdle(deployment, 'Online deployment');
    if (body['tags'] !== undefined) deployment.body['tags'] = tagsOf(body['tags'] as Json);
    if (isObject(body['sku']))
      deployment.body['sku'] = {
        ...(deployment.body['sku'] as JsonObject),
        ...(structuredClone(body['sku']) as JsonObject),
      };
    // A capacity change shows as Scaling, like the service; other PATCHes (tags) as Updating.
    props(deployment)['provisioningState'] = isObject(body['sku']) ? 'Scaling' : 'Updating';
    const operation = engine.beginOperation(
      'update',
      { kind: 'onlineDeployment', endpoint, deployment: deployment.name },
      'odidp',
    );
    context.store.changed();
    engine.tick();
    return { status: 202, headers: locationHeaders(context, request, operation) };
  });

  router.add('GET', `${base}/{endpoint}/deployments/{deployment}`, (request) => {
    engine.tick();
    return { status: 200, body: renderDeployment(param(request, 'endpoint'), findDeployment(request)) };
  });

  router.add('GET', `${base}/{endpoint}/deployments`, (request) => {
    engine.tick();
    const endpoint = findEndpoint(request);
    const items = Object.values(state().onlineDeployments[endpoint.name] ?? {})
      .sort((a, b) => a.createdMs - b.createdMs)
      .map((deployment) => renderDeployment(endpoint.name, deployment));
    return {
      status: 200,
      body: page(request, items, { pageSize: context.settings.pageSize, baseUrl: context.baseUrl() }),
    };
  });

  router.add('DELETE', `${base}/{endpoint}/deployments/{deployment}`, (request) => {
    const endpoint = findEndpoint(request);
    const name = param(request, 'deployment');
    const deployment = state().onlineDeployments[endpoint.name]?.[name];
    if (!deployment) return { status: 204 };
    const traffic = (props(endpoint)['traffic'] ?? {}) as Record<string, number>;
    const mirror = (props(endpoint)['mirrorTraffic'] ?? {}) as Record<string, number>;
    if ((traffic[name] ?? 0) > 0 || (mirror[name] ?? 0) > 0) {
      throw conflict(
        `Deployment '${name}' still receives ${(traffic[name] ?? 0) > 0 ? `${traffic[name]}% of the traffic` : `${mirror[name]}% mirror traffic`} of endpoint '${endpoint.name}'; set it to 0 before deleting.`,
        'properties.traffic',
      );
    }
    ensureIdle(deployment, 'Online deployment');
    props(deployment)['provisioningState'] = 'Deleting';
    const operation = engine.beginOperation(
      'delete',
      { kind: 'onlineDeployment', endpoint: endpoint.name, deployment: name },
      'odidp',
    );
    context.store.changed();
    engine.tick();
    return { status: 202, headers: locationHeaders(context, request, operation) };
  });

  router.add('POST', `${base}/{endpoint}/deployments/{deployment}/getLogs`, (request) => {
    const deployment = findDeployment(request);
    const body = jsonBody(request);
    const containerType = body['containerType'] ?? 'InferenceServer';
    if (containerType !== 'InferenceServer' && containerType !== 'StorageInitializer') {
      throw badRequest("'containerType' must be InferenceServer or StorageInitializer.", 'containerType');
    }
    const tail = body['tail'];
    if (tail !== undefined && tail !== null && (typeof tail !== 'number' || !Number.isInteger(tail) || tail < 0)) {
      throw badRequest("'tail' must be a non-negative integer.", 'tail');
    }
    const key = deploymentKey(param(request, 'endpoint'), deployment.name);
    return {
      status: 200,
      body: {
        content: readLogs(context, key, containerType, typeof tail === 'number' ? tail : undefined),
      },
    };
  });

  router.add('GET', `${base}/{endpoint}/deployments/{deployment}/skus`, (request) => {
    findDeployment(request);
    return {
      status: 200,
      body: {
        value: [
          {
            resourceType: DEPLOYMENT_TYPE,
            sku: { name: 'Default', tier: 'Standard' },
            capacity: { minimum: 1, maximum: 20, default: 1, scaleType: 'Automatic' },
          },
        ],
      },
    };
  });
}
