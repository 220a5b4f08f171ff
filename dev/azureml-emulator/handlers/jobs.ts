/**
 * `workspaces/{ws}/jobs`: create (submit), get, list, cancel, delete. Command and Pipeline jobs only.
 *
 * @remarks A re-PUT of an existing job name changes nothing but tags (Azure's rule), so a retried submission never
 * starts a second run.
 */
import {
  archiveFilter,
  checkKnownFields,
  checkName,
  isObject,
  keyValueFilter,
  newSystemData,
  page,
  render,
  requireProperties,
  resourceId,
  tagsOf,
  WORKSPACE_ID,
  WS_ROUTE,
  text,
} from '../arm';
import type { EmulatorContext } from '../context';
import { badRequest, notFound, notSupported } from '../errors';
import { type EmulatorRequest, jsonBody, param, query, type Router } from '../http';
import { type Engine, isTerminal } from '../runtime/engine';
import type { JobRecord, Json, JsonObject } from '../state';
import { locationHeaders } from './lro';

export const JOB_TYPE = 'Microsoft.MachineLearningServices/workspaces/jobs';

const JOB_BASE_FIELDS = [
  'jobType',
  'componentId',
  'computeId',
  'description',
  'displayName',
  'experimentName',
  'identity',
  'isArchived',
  'notificationSetting',
  'properties',
  'services',
  'status',
  'tags',
  'inputs',
  'outputs',
];
const COMMAND_FIELDS = [
  ...JOB_BASE_FIELDS,
  'autologgerSettings',
  'codeId',
  'command',
  'distribution',
  'environmentId',
  'environmentVariables',
  'limits',
  'parameters',
  'queueSettings',
  'resources',
];
const PIPELINE_FIELDS = [...JOB_BASE_FIELDS, 'jobs', 'settings', 'sourceJobId'];

const ASSET_INPUT_TYPES = ['uri_file', 'uri_folder', 'mltable', 'custom_model', 'mlflow_model', 'triton_model'];
const INPUT_TYPES = ['literal', ...ASSET_INPUT_TYPES];

/**
 * Asset inputs need a `uri`, literals a `value`, as in the service's schema. Checked strictly because
 * @azure/arm-machinelearning 2.1.1 silently drops `uri` from asset inputs (its discriminator table registers them
 * under AssetJobInput), and a job without its data must fail loudly rather than run on nothing.
 */
function checkInputs(inputs: Json | undefined): void {
  if (!isObject(inputs)) return;
  for (const [name, input] of Object.entries(inputs)) {
    const target = `properties.inputs.${name}`;
    if (!isObject(input)) throw badRequest(`'${target}' must be an object.`, target);
    const type = text(input['jobInputType']);
    if (!INPUT_TYPES.includes(type)) {
      throw badRequest(
        `'${target}.jobInputType' must be one of ${INPUT_TYPES.join(', ')}; got '${type}'.`,
        `${target}.jobInputType`,
      );
    }
    if (ASSET_INPUT_TYPES.includes(type) && (typeof input['uri'] !== 'string' || input['uri'] === '')) {
      throw badRequest(
        `'${target}.uri' is required for ${type} inputs. (@azure/arm-machinelearning 2.1.1 drops it when serializing; send this job with a raw PUT.)`,
        `${target}.uri`,
      );
    }
  }
}

const ARM_ID = (collection: string, versioned: boolean): RegExp =>
  new RegExp(
    `^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.MachineLearningServices/workspaces/[^/]+/${collection}/[^/]+${versioned ? '/versions/[^/]+' : ''}$`,
    'i',
  );
const COMPONENT_ID = ARM_ID('components', true);
const REGISTRY_COMPONENT_ID = /^azureml:\/\/registries\/[^/]+\/components\/[^/]+\/versions\/[^/]+$/i;
const COMPUTE_ID = ARM_ID('computes', false);

/**
 * `componentId`, `computeId` and `settings.default_compute` are ARM resource ids on the wire (spec: "ARM resource ID
 * of the component resource"; azure-ai-ml resolves `azureml:name:version` and compute names before the PUT).
 */
function checkArmReferences(properties: JsonObject): void {
  const componentId = properties['componentId'];
  if (
    componentId !== undefined &&
    componentId !== null &&
    !(typeof componentId === 'string' && (COMPONENT_ID.test(componentId) || REGISTRY_COMPONENT_ID.test(componentId)))
  ) {
    throw badRequest(
      `'properties.componentId' must be the ARM resource id of a component version (/subscriptions/…/workspaces/<ws>/components/<name>/versions/<version>); got '${text(componentId, typeof componentId)}'.`,
      'properties.componentId',
    );
  }
  const computes: [string, Json | undefined][] = [['properties.computeId', properties['computeId']]];
  const settings = properties['settings'];
  if (isObject(settings)) computes.push(['properties.settings.default_compute', settings['default_compute']]);
  for (const [target, value] of computes) {
    if (value === undefined || value === null) continue;
    if (!(typeof value === 'string' && COMPUTE_ID.test(value))) {
      throw badRequest(
        `'${target}' must be the ARM resource id of a compute (/subscriptions/…/workspaces/<ws>/computes/<name>); got '${text(value, typeof value)}'.`,
        target,
      );
    }
  }
}

export function jobServices(context: EmulatorContext, name: string): JsonObject {
  const tracking = new URL(`/mlflow/v1.0${WORKSPACE_ID}`, context.baseUrl());
  return {
    Studio: { jobServiceType: 'Studio', endpoint: `${context.baseUrl()}/_emulator/jobs/${encodeURIComponent(name)}` },
    Tracking: { jobServiceType: 'Tracking', endpoint: `azureml://${tracking.host}${tracking.pathname}?` },
  };
}

/** Builds a job record in NotStarted; shared by the jobs API, batch invoke and v1 submit. */
export function newJobRecord(
  context: EmulatorContext,
  engine: Engine,
  name: string,
  properties: JsonObject,
  origin: JobRecord['run']['origin'],
): JobRecord {
  const nowIso = context.clock.nowIso();
  const experimentName =
    typeof properties['experimentName'] === 'string' && properties['experimentName'] !== ''
      ? properties['experimentName']
      : 'Default';
  properties['experimentName'] = experimentName;
  properties['status'] = 'NotStarted';
  properties['services'] = jobServices(context, name);
  properties['isArchived'] = properties['isArchived'] === true;
  return {
    name,
    body: { properties },
    systemData: newSystemData(nowIso),
    createdMs: context.clock.now(),
    run: {
      status: 'NotStarted',
      statusSince: context.clock.now(),
      history: [{ status: 'NotStarted', at: nowIso }],
      origin,
      experimentId: engine.experimentId(experimentName),
    },
  };
}

export function renderJob(job: JobRecord): JsonObject {
  return render(job, resourceId('jobs', job.name), JOB_TYPE);
}

export function registerJobRoutes(router: Router, context: EmulatorContext, engine: Engine): void {
  const state = () => context.store.data;
  const find = (request: EmulatorRequest): JobRecord => {
    const name = param(request, 'id');
    const job = state().jobs[name];
    if (!job) throw notFound('Job', name);
    return job;
  };

  router.add('PUT', `${WS_ROUTE}/jobs/{id}`, (request) => {
    const name = param(request, 'id');
    checkName(name, 'name');
    const properties = requireProperties(jsonBody(request));
    const existing = state().jobs[name];
    if (existing) {
      const props = existing.body['properties'] as JsonObject;
      props['tags'] = tagsOf(properties['tags']);
      // azure-ai-ml archives a job by re-PUTting it with isArchived; nothing else of a submitted job changes.
      if (typeof properties['isArchived'] === 'boolean') props['isArchived'] = properties['isArchived'];
      existing.systemData.lastModifiedAt = context.clock.nowIso();
      context.store.changed();
      return { status: 200, body: renderJob(existing) };
    }
    const jobType = properties['jobType'];
    if (jobType !== 'Command' && jobType !== 'Pipeline') {
      if (typeof jobType !== 'string') throw badRequest("'properties.jobType' is required.", 'properties.jobType');
      throw notSupported(`Job type '${jobType}' (properties.jobType)`);
    }
    if (!context.settings.loose) {
      checkKnownFields(properties, jobType === 'Command' ? COMMAND_FIELDS : PIPELINE_FIELDS, 'properties');
    }
    if (jobType === 'Command' && typeof properties['command'] !== 'string') {
      throw badRequest("'properties.command' is required for Command jobs.", 'properties.command');
    }
    if (properties['inputs'] !== undefined && properties['inputs'] !== null && !isObject(properties['inputs'])) {
      throw badRequest("'properties.inputs' must be an object.", 'properties.inputs');
    }
    checkInputs(properties['inputs']);
    checkArmReferences(properties);
    delete properties['status'];
    const job = newJobRecord(context, engine, name, properties, 'arm');
    engine.submitJob(job);
    return { status: 201, body: renderJob(job) };
  });

  router.add('GET', `${WS_ROUTE}/jobs/{id}`, (request) => {
    engine.tick();
    return { status: 200, body: renderJob(find(request)) };
  });

  router.add('GET', `${WS_ROUTE}/jobs`, (request) => {
    engine.tick();
    const archived = archiveFilter(request);
    const jobType = query(request, 'jobType');
    const tag = query(request, 'tag');
    const propertiesFilter = keyValueFilter(query(request, 'properties'));
    const jobs = Object.values(state().jobs)
      .filter((job) => {
        const props = job.body['properties'] as JsonObject;
        if (!archived(props['isArchived'] === true)) return false;
        if (jobType && text(props['jobType']).toLowerCase() !== jobType.toLowerCase()) return false;
        if (tag && !(tag in tagsOf(props['tags']))) return false;
        return propertiesFilter(tagsOf(props['properties']));
      })
      .sort((a, b) => b.createdMs - a.createdMs)
      .map(renderJob);
    return {
      status: 200,
      body: page(request, jobs, { pageSize: context.settings.pageSize, baseUrl: context.baseUrl() }),
    };
  });

  router.add('POST', `${WS_ROUTE}/jobs/{id}/cancel`, (request) => {
    const job = find(request);
    if (isTerminal(job.run.status)) return { status: 200, body: {} };
    engine.requestCancel(job);
    const operation = engine.beginOperation('cancel', { kind: 'job', job: job.name }, 'jc');
    return { status: 202, headers: locationHeaders(context, request, operation) };
  });

  router.add('DELETE', `${WS_ROUTE}/jobs/{id}`, (request) => {
    const name = param(request, 'id');
    if (!state().jobs[name]) return { status: 204 };
    delete state().jobs[name];
    context.store.changed();
    const operation = engine.beginOperation('delete', { kind: 'job', job: name }, 'jd');
    engine.tick();
    return { status: 202, headers: locationHeaders(context, request, operation) };
  });
}
