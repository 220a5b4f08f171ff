/**
 * Batch endpoints and deployments (ARM LROs) and the batch invoke data plane (`POST {scoringUri}` =
 * `/batchEndpoints/{endpoint}/jobs` on this host).
 *
 * @remarks Two kinds of deployment run. Pipeline-component deployments: the emulator's "component" is its single
 * linear-regression training step, whatever `componentId` names; invoke inputs are the pipeline inputs (reference §3,
 * PascalCase). Model deployments (spec 2025-12-01 `BatchDeploymentProperties`: model, miniBatchSize, errorThreshold,
 * retrySettings, maxConcurrencyPerInstance, outputAction, outputFileName, resources): the job scores the one data
 * input's files with the model and appends the rows to the output folder's `outputFileName` (runtime/batch-scoring.ts).
 * Azure has no idempotency key for invoke; neither does the emulator: each call starts a new job.
 */
import { randomUUID } from 'node:crypto';
import {
  checkKnownFields,
  checkName,
  isObject,
  managedIdentity,
  newSystemData,
  page,
  render,
  requireProperties,
  resourceId,
  WS_ROUTE,
  text,
} from '../arm';
import type { EmulatorContext } from '../context';
import { badRequest, conflict, notFound, notSupported, unauthorized } from '../errors';
import { type EmulatorRequest, header, jsonBody, param, type Router } from '../http';
import type { Engine } from '../runtime/engine';
import type { EmulatorState, JobRecord, Json, JsonObject, StoredResource } from '../state';
import { parseModelReference } from '../runtime/models';
import { checkServing } from './online-endpoints';
import { newJobRecord, renderJob } from './jobs';
import { asyncOperationHeaders, locationHeaders } from './lro';

export const BATCH_ENDPOINT_TYPE = 'Microsoft.MachineLearningServices/workspaces/batchEndpoints';
export const BATCH_DEPLOYMENT_TYPE = 'Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments';

const ENDPOINT_FIELDS = [
  'authMode',
  'defaults',
  'description',
  'keys',
  'properties',
  'scoringUri',
  'swaggerUri',
  'provisioningState',
];
const DEPLOYMENT_FIELDS = [
  'codeConfiguration',
  'compute',
  'deploymentConfiguration',
  'description',
  'environmentId',
  'environmentVariables',
  'errorThreshold',
  'loggingLevel',
  'maxConcurrencyPerInstance',
  'miniBatchSize',
  'model',
  'outputAction',
  'outputFileName',
  'properties',
  'provisioningState',
  'resources',
  'retrySettings',
];
/** Pipeline settings that configure the run rather than feed the training step. */
const RUNTIME_SETTINGS = new Set([
  'default_compute',
  'default_datastore',
  'continue_on_step_failure',
  'force_rerun',
  'default_compute_target',
]);
const BUSY = new Set(['Creating', 'Updating', 'Deleting']);

export function batchScoringUri(context: EmulatorContext, endpoint: string): string {
  return `${context.baseUrl()}/batchEndpoints/${encodeURIComponent(endpoint)}/jobs`;
}

export function registerBatchEndpointRoutes(router: Router, context: EmulatorContext, engine: Engine): void {
  const state = () => context.store.data;
  const base = `${WS_ROUTE}/batchEndpoints`;
  const props = (resource: StoredResource): JsonObject => resource.body['properties'] as JsonObject;
  const renderEndpoint = (endpoint: StoredResource): JsonObject => {
    const resource = render(endpoint, resourceId('batchEndpoints', endpoint.name), BATCH_ENDPOINT_TYPE);
    resource['properties'] = {
      ...props(endpoint),
      keys: null,
      scoringUri: batchScoringUri(context, endpoint.name),
      swaggerUri: `${context.baseUrl()}/batchEndpoints/${encodeURIComponent(endpoint.name)}/swagger.json`,
    };
    return resource;
  };
  const renderDeployment = (endpoint: string, deployment: StoredResource): JsonObject =>
    render(deployment, resourceId('batchEndpoints', endpoint, 'deployments', deployment.name), BATCH_DEPLOYMENT_TYPE);
  const findEndpoint = (request: EmulatorRequest): StoredResource => {
    const name = param(request, 'endpoint');
    const endpoint = state().batchEndpoints[name];
    if (!endpoint) throw notFound('Batch endpoint', name);
    return endpoint;
  };
  const findDeployment = (request: EmulatorRequest): StoredResource => {
    const endpoint = findEndpoint(request);
    const name = param(request, 'deployment');
    const deployment = state().batchDeployments[endpoint.name]?.[name];
    if (!deployment) throw notFound('Batch deployment', `${endpoint.name}/${name}`);
    return deployment;
  };
  const ensureIdle = (resource: StoredResource, what: string): void => {
    const provisioning = text(props(resource)['provisioningState'], '');
    if (BUSY.has(provisioning))
      throw conflict(`${what} '${resource.name}' has an operation in progress (${provisioning}).`);
  };
  const topLevel = (body: Record<string, unknown>, previous: StoredResource | undefined): JsonObject => {
    const location = body['location'];
    if (typeof location !== 'string' || location === '')
      throw badRequest("'location' is required for tracked resources.", 'location');
    const result: JsonObject = {};
    for (const field of ['location', 'kind', 'tags', 'sku']) {
      if (body[field] !== undefined) result[field] = structuredClone(body[field]) as Json;
    }
    const identity = managedIdentity(body['identity'], previous?.body['identity']);
    if (identity !== undefined) result['identity'] = identity;
    return result;
  };

  router.add('PUT', `${base}/{endpoint}`, (request) => {
    const name = param(request, 'endpoint');
    checkName(name, 'name');
    const body = jsonBody(request);
    const newBody = topLevel(body, state().batchEndpoints[name]);
    const properties = requireProperties(body);
    if (!context.settings.loose) checkKnownFields(properties, ENDPOINT_FIELDS, 'properties');
    const authMode = properties['authMode'];
    if (authMode !== 'AADToken') {
      throw badRequest("Batch endpoints support only authMode 'AADToken'.", 'properties.authMode');
    }
    const existing = state().batchEndpoints[name];
    if (existing) ensureIdle(existing, 'Batch endpoint');
    const defaults = properties['defaults'];
    if (isObject(defaults) && typeof defaults['deploymentName'] === 'string' && existing) {
      const deploymentName = defaults['deploymentName'];
      if (!state().batchDeployments[name]?.[deploymentName]) {
        throw badRequest(
          `properties.defaults.deploymentName names '${deploymentName}', which does not exist.`,
          'properties.defaults.deploymentName',
        );
      }
    }
    for (const field of ['keys', 'scoringUri', 'swaggerUri']) delete properties[field];
    properties['provisioningState'] = existing ? 'Updating' : 'Creating';
    newBody['properties'] = properties;
    const record: StoredResource = existing ?? {
      name,
      body: {},
      systemData: newSystemData(context.clock.nowIso()),
      createdMs: context.clock.now(),
    };
    record.body = newBody;
    state().batchEndpoints[name] = record;
    const operation = engine.beginOperation(
      existing ? 'update' : 'create',
      { kind: 'batchEndpoint', endpoint: name },
      'be',
    );
    context.store.changed();
    engine.tick();
    return {
      status: existing ? 200 : 201,
      body: renderEndpoint(record),
      headers: asyncOperationHeaders(context, request, operation),
    };
  });

  router.add('GET', `${base}/{endpoint}`, (request) => {
    engine.tick();
    return { status: 200, body: renderEndpoint(findEndpoint(request)) };
  });

  router.add('GET', base, (request) => {
    engine.tick();
    const items = Object.values(state().batchEndpoints)
      .sort((a, b) => b.createdMs - a.createdMs)
      .map(renderEndpoint);
    return {
      status: 200,
      body: page(request, items, { pageSize: context.settings.pageSize, baseUrl: context.baseUrl() }),
    };
  });

  router.add('DELETE', `${base}/{endpoint}`, (request) => {
    const endpoint = state().batchEndpoints[param(request, 'endpoint')];
    if (!endpoint) return { status: 204 };
    ensureIdle(endpoint, 'Batch endpoint');
    props(endpoint)['provisioningState'] = 'Deleting';
    const operation = engine.beginOperation('delete', { kind: 'batchEndpoint', endpoint: endpoint.name }, 'be');
    context.store.changed();
    engine.tick();
    return { status: 202, headers: locationHeaders(context, request, operation) };
  });

  router.add('PUT', `${base}/{endpoint}/deployments/{deployment}`, (request) => {
    const endpoint = findEndpoint(request);
    const name = param(request, 'deployment');
    checkName(name, 'name');
    const body = jsonBody(request);
    const newBody = topLevel(body, state().batchDeployments[endpoint.name]?.[name]);
    const properties = requireProperties(body);
    if (!context.settings.loose) checkKnownFields(properties, DEPLOYMENT_FIELDS, 'properties');
    const configuration = properties['deploymentConfiguration'];
    if (isModelDeployment(configuration)) {
      checkModelDeployment(properties, state());
    } else {
      if (!isObject(configuration) || configuration['deploymentConfigurationType'] !== 'PipelineComponent') {
        throw notSupported(
          `Batch deployment configuration type '${isObject(configuration) ? text(configuration['deploymentConfigurationType']) : 'unknown'}' (properties.deploymentConfiguration.deploymentConfigurationType)`,
        );
      }
      const componentId = configuration['componentId'];
      if (!isObject(componentId) || typeof componentId['assetId'] !== 'string') {
        throw badRequest(
          "'properties.deploymentConfiguration.componentId.assetId' is required.",
          'properties.deploymentConfiguration.componentId',
        );
      }
    }
    const deployments = (state().batchDeployments[endpoint.name] ??= {});
    const existing = deployments[name];
    if (existing) ensureIdle(existing, 'Batch deployment');
    properties['provisioningState'] = existing ? 'Updating' : 'Creating';
    newBody['properties'] = properties;
    const record: StoredResource = existing ?? {
      name,
      body: {},
      systemData: newSystemData(context.clock.nowIso()),
      createdMs: context.clock.now(),
    };
    record.body = newBody;
    deployments[name] = record;
    const operation = engine.beginOperation(
      existing ? 'update' : 'create',
      { kind: 'batchDeployment', endpoint: endpoint.name, deployment: name },
      'bd',
    );
    context.store.changed();
    engine.tick();
    return {
      status: existing ? 200 : 201,
      body: renderDeployment(endpoint.name, record),
      headers: asyncOperationHeaders(context, request, operation),
    };
  });

  router.add('GET', `${base}/{endpoint}/deployments/{deployment}`, (request) => {
    engine.tick();
    return { status: 200, body: renderDeployment(param(request, 'endpoint'), findDeployment(request)) };
  });

  router.add('GET', `${base}/{endpoint}/deployments`, (request) => {
    engine.tick();
    const endpoint = findEndpoint(request);
    const items = Object.values(state().batchDeployments[endpoint.name] ?? {})
      .sort((a, b) => a.createdMs - b.createdMs)
      .map((deployment) => renderDeployment(endpoint.name, deployment));
    return {
      status: 200,
      body: page(request, items, { pageSize: context.settings.pageSize, baseUrl: context.baseUrl() }),
    };
  });

  router.add('DELETE', `${base}/{endpoint}/deployments/{deployment}`, (request) => {
    const endpoint = findEndpoint(request);
    const deployment = state().batchDeployments[endpoint.name]?.[param(request, 'deployment')];
    if (!deployment) return { status: 204 };
    const defaults = props(endpoint)['defaults'];
    if (isObject(defaults) && defaults['deploymentName'] === deployment.name) {
      throw conflict(
        `Deployment '${deployment.name}' is the default deployment of batch endpoint '${endpoint.name}'.`,
        'properties.defaults.deploymentName',
      );
    }
    ensureIdle(deployment, 'Batch deployment');
    props(deployment)['provisioningState'] = 'Deleting';
    const operation = engine.beginOperation(
      'delete',
      { kind: 'batchDeployment', endpoint: endpoint.name, deployment: deployment.name },
      'bd',
    );
    context.store.changed();
    engine.tick();
    return { status: 202, headers: locationHeaders(context, request, operation) };
  });

  // ---- invoke (data plane) ------------------------------------------------------------------------------------

  router.add(
    'POST',
    '/batchEndpoints/{endpoint}/jobs',
    (request) => {
      const authorization = header(request, 'authorization');
      if (!authorization || !/^Bearer\s+\S+/i.test(authorization)) {
        throw unauthorized('Authorization header is missing: batch endpoints take an Entra (AAD) bearer token.');
      }
      const endpoint = findEndpoint(request);
      const requested = header(request, 'azureml-model-deployment');
      const defaults = props(endpoint)['defaults'];
      const deploymentName =
        requested ??
        (isObject(defaults) && typeof defaults['deploymentName'] === 'string' ? defaults['deploymentName'] : undefined);
      if (!deploymentName) {
        throw badRequest(
          `Batch endpoint '${endpoint.name}' has no default deployment; send the azureml-model-deployment header.`,
          'azureml-model-deployment',
        );
      }
      const deployment = state().batchDeployments[endpoint.name]?.[deploymentName];
      if (!deployment) throw notFound('Batch deployment', `${endpoint.name}/${deploymentName}`);
      const configuration = props(deployment)['deploymentConfiguration'];
      const body = jsonBody(request);
      const outer = pick(body, 'properties');
      if (!isObject(outer)) throw badRequest("The request body must contain an object 'properties'.", 'properties');
      const inputs = convertInputs(pick(outer, 'InputData'), 'properties.InputData');
      const outputs = convertOutputs(pick(outer, 'OutputData'));
      if (isModelDeployment(configuration)) {
        const job = modelDeploymentJob(context, engine, endpoint.name, deployment, outer, inputs, outputs);
        engine.submitJob(job);
        return { status: 200, body: renderJob(job) };
      }
      if (!isObject(configuration)) throw badRequest('The deployment has no configuration.', 'deploymentConfiguration');
      const settings = isObject(configuration['settings']) ? configuration['settings'] : {};
      for (const [key, value] of Object.entries(settings)) {
        if (!RUNTIME_SETTINGS.has(key) && !(key in inputs) && typeof value === 'string')
          inputs[key] = { jobInputType: 'literal', value };
      }
      const userProperties = pick(outer, 'properties');
      const experimentName =
        (isObject(userProperties) && typeof userProperties['experimentName'] === 'string'
          ? userProperties['experimentName']
          : undefined) ??
        (typeof pick(outer, 'experimentName') === 'string' ? (pick(outer, 'experimentName') as string) : endpoint.name);
      const componentId = configuration['componentId'] as JsonObject;
      const name = `batchjob-${randomUUID()}`;
      const tags = { ...(isObject(configuration['tags']) ? configuration['tags'] : {}) };
      const properties: JsonObject = {
        jobType: 'Pipeline',
        experimentName,
        displayName: name,
        description: typeof configuration['description'] === 'string' ? configuration['description'] : null,
        componentId: text(componentId['assetId']),
        inputs,
        outputs,
        settings: Object.fromEntries(Object.entries(settings).filter(([key]) => RUNTIME_SETTINGS.has(key))),
        tags,
        properties: {
          'azureml.batchrun': 'true',
          'azureml.endpointname': endpoint.name,
          'azureml.deploymentname': deployment.name,
          ...(isObject(userProperties) ? stringEntries(userProperties) : {}),
        },
      };
      const job = newJobRecord(context, engine, name, properties, 'batch');
      engine.submitJob(job);
      return { status: 200, body: renderJob(job) };
    },
    'custom',
  );
}

/** Azure ML's defaults for a batch deployment (spec 2025-12-01 BatchDeploymentProperties), filled in on PUT. */
const MODEL_DEPLOYMENT_DEFAULTS: JsonObject = {
  miniBatchSize: 10,
  errorThreshold: -1,
  maxConcurrencyPerInstance: 1,
  outputAction: 'AppendRow',
  outputFileName: 'predictions.csv',
  loggingLevel: 'Info',
  retrySettings: { maxRetries: 3, timeout: 'PT30S' },
  resources: { instanceCount: 1 },
};

/** A model deployment: no configuration, or `deploymentConfigurationType: Model`. */
function isModelDeployment(configuration: unknown): boolean {
  return (
    configuration === undefined ||
    configuration === null ||
    (isObject(configuration) && configuration['deploymentConfigurationType'] === 'Model')
  );
}

function isInteger(value: unknown, min: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

/**
 * Validates a model deployment as Azure does and fills the service defaults: the model version must exist; only
 * MLflow models deploy without code (Learn "Deploy MLflow models in batch deployments"; any other model needs
 * `environmentId` and `codeConfiguration`); `errorThreshold` is in [-1, int.MaxValue]; `miniBatchSize` and
 * `retrySettings.maxRetries` are counts; `outputAction` is SummaryOnly or AppendRow.
 */
function checkModelDeployment(properties: JsonObject, state: EmulatorState): void {
  const model = properties['model'];
  const assetId = isObject(model) ? model['assetId'] : undefined;
  if (!isObject(model) || typeof assetId !== 'string' || assetId === '') {
    throw badRequest(
      "'properties.model' is required for a model deployment: {referenceType: 'Id', assetId}.",
      'properties.model',
    );
  }
  const ref = parseModelReference(assetId, 'properties.model.assetId');
  if (ref.registry !== undefined) {
    throw badRequest(
      `Registry models ('${assetId}') in batch deployments are not supported by the emulator (NotSupportedByEmulator).`,
      'properties.model.assetId',
    );
  }
  const version = state.modelVersions[ref.name]?.[ref.version];
  if (!version) {
    throw badRequest(`Model ${ref.name}:${ref.version} named by properties.model does not exist.`, 'properties.model');
  }
  checkServing(properties, ref, text((version.body['properties'] as JsonObject)['modelType'], 'custom_model'), [
    'mlflow_model',
  ]);
  const checks: [string, unknown, number][] = [
    ['errorThreshold', properties['errorThreshold'], -1],
    ['miniBatchSize', properties['miniBatchSize'], 1],
    ['maxConcurrencyPerInstance', properties['maxConcurrencyPerInstance'], 1],
  ];
  for (const [field, value, min] of checks) {
    if (value !== undefined && value !== null && !isInteger(value, min)) {
      throw badRequest(
        `'properties.${field}' must be an integer of at least ${min}${field === 'errorThreshold' ? ' (-1 ignores all failures)' : ''}; got ${JSON.stringify(value)}.`,
        `properties.${field}`,
      );
    }
  }
  const action = properties['outputAction'];
  if (action !== undefined && action !== null && action !== 'SummaryOnly' && action !== 'AppendRow') {
    throw badRequest(
      `'properties.outputAction' must be SummaryOnly or AppendRow; got ${JSON.stringify(action)}.`,
      'properties.outputAction',
    );
  }
  const retry = properties['retrySettings'];
  if (retry !== undefined && retry !== null) {
    if (!isObject(retry) || (retry['maxRetries'] !== undefined && !isInteger(retry['maxRetries'], 0))) {
      throw badRequest(
        "'properties.retrySettings.maxRetries' must be an integer of at least 0.",
        'properties.retrySettings',
      );
    }
  }
  for (const [field, value] of Object.entries(MODEL_DEPLOYMENT_DEFAULTS)) {
    if (properties[field] === undefined || properties[field] === null) properties[field] = structuredClone(value);
  }
  const retrySettings = properties['retrySettings'] as JsonObject;
  retrySettings['maxRetries'] ??= 3;
  retrySettings['timeout'] ??= 'PT30S';
}

/**
 * The job a model deployment's invoke starts: one data input (UriFolder or UriFile; literal inputs are for pipeline
 * component deployments only) and at most one output folder (default: the workspace blob store under the job).
 */
function modelDeploymentJob(
  context: EmulatorContext,
  engine: Engine,
  endpoint: string,
  deployment: StoredResource,
  outer: Record<string, unknown>,
  inputs: JsonObject,
  outputs: JsonObject,
): JobRecord {
  const properties = deployment.body['properties'] as JsonObject;
  const entries = Object.entries(inputs);
  const input = entries[0]?.[1];
  if (entries.length !== 1 || !isObject(input) || input['jobInputType'] === 'literal') {
    throw badRequest(
      'A model deployment takes exactly one data input (JobInputType UriFolder or UriFile); literal inputs work only with pipeline component deployments.',
      'properties.InputData',
    );
  }
  const outputEntries = Object.entries(outputs);
  if (outputEntries.length > 1) {
    throw badRequest('A model deployment has one output; send at most one OutputData entry.', 'properties.OutputData');
  }
  const name = `batchjob-${randomUUID()}`;
  const [outputName, output] = outputEntries[0] ?? ['score', undefined];
  const outputUri =
    isObject(output) && typeof output['uri'] === 'string'
      ? output['uri']
      : `azureml://datastores/workspaceblobstore/paths/azureml/${name}/${outputName}/`;
  const modelRef = parseModelReference(text((properties['model'] as JsonObject)['assetId']), 'properties.model');
  const retry = isObject(properties['retrySettings']) ? properties['retrySettings'] : {};
  const resources = isObject(properties['resources']) ? properties['resources'] : {};
  const userProperties = pick(outer, 'properties');
  const experimentName =
    isObject(userProperties) && typeof userProperties['experimentName'] === 'string'
      ? userProperties['experimentName']
      : endpoint;
  const jobProperties: JsonObject = {
    jobType: 'Pipeline',
    experimentName,
    displayName: name,
    description: null,
    inputs,
    outputs: { [outputName]: { jobOutputType: 'uri_folder', mode: 'Upload', uri: outputUri } },
    settings: {},
    tags: {},
    properties: {
      'azureml.batchrun': 'true',
      'azureml.endpointname': endpoint,
      'azureml.deploymentname': deployment.name,
      ...(isObject(userProperties) ? stringEntries(userProperties) : {}),
    },
  };
  const job = newJobRecord(context, engine, name, jobProperties, 'batch');
  job.run.modelOutputs = {};
  const uri = text(input['uri']);
  job.run.batchScoring = {
    endpoint,
    deployment: deployment.name,
    model: modelRef,
    inputUri: uri,
    inputFolder: input['jobInputType'] === 'uri_folder' || uri.endsWith('/'),
    outputUri,
    outputFileName: text(properties['outputFileName'], 'predictions.csv'),
    miniBatchSize: Number(properties['miniBatchSize'] ?? 10),
    errorThreshold: Number(properties['errorThreshold'] ?? -1),
    maxRetries: Number(retry['maxRetries'] ?? 3),
    maxConcurrencyPerInstance: Number(properties['maxConcurrencyPerInstance'] ?? 1),
    instanceCount: Number(resources['instanceCount'] ?? 1),
  };
  return job;
}

function pick(object: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(object)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

function stringEntries(object: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(object)) if (typeof value === 'string') result[key] = value;
  return result;
}

/** PascalCase `JobInputType: UriFolder` → v2 job input `jobInputType: uri_folder`. */
function inputType(value: unknown, target: string): string {
  const normalized = text(value).replace(/_/g, '').toLowerCase();
  const map: Record<string, string> = {
    urifolder: 'uri_folder',
    urifile: 'uri_file',
    literal: 'literal',
    mltable: 'mltable',
  };
  const mapped = map[normalized];
  if (!mapped) throw badRequest(`Unsupported input type '${text(value)}'; use UriFile, UriFolder or Literal.`, target);
  return mapped;
}

function convertInputs(value: unknown, target: string): JsonObject {
  const result: JsonObject = {};
  if (value === undefined || value === null) return result;
  if (!isObject(value)) throw badRequest(`'${target}' must be an object.`, target);
  for (const [name, raw] of Object.entries(value)) {
    if (!isObject(raw)) throw badRequest(`'${target}.${name}' must be an object.`, `${target}.${name}`);
    const type = inputType(pick(raw, 'JobInputType'), `${target}.${name}.JobInputType`);
    if (type === 'literal') {
      result[name] = { jobInputType: 'literal', value: text(pick(raw, 'Value'), '') };
      continue;
    }
    const uri = pick(raw, 'Uri');
    if (typeof uri !== 'string' || uri === '')
      throw badRequest(`'${target}.${name}.Uri' is required.`, `${target}.${name}.Uri`);
    if (/^azureml:\/\/datastores\//i.test(uri) && !/\/paths\//i.test(uri)) {
      throw badRequest(`Datastore URIs must include '/paths/': '${uri}'.`, `${target}.${name}.Uri`);
    }
    result[name] = { jobInputType: type, uri, mode: text(pick(raw, 'Mode'), 'ReadOnlyMount') };
  }
  return result;
}

function convertOutputs(value: unknown): JsonObject {
  const result: JsonObject = {};
  if (!isObject(value)) return result;
  for (const [name, raw] of Object.entries(value)) {
    if (!isObject(raw)) continue;
    const type = text(pick(raw, 'JobOutputType'), 'UriFolder').replace(/_/g, '').toLowerCase();
    const uri = pick(raw, 'Uri');
    result[name] = {
      jobOutputType:
        type === 'urifile'
          ? 'uri_file'
          : type === 'mlflowmodel'
            ? 'mlflow_model'
            : type === 'custommodel'
              ? 'custom_model'
              : 'uri_folder',
      mode: 'Upload',
      ...(typeof uri === 'string' ? { uri } : {}),
    };
  }
  return result;
}
