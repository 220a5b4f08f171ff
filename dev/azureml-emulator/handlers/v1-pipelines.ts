/**
 * Legacy v1 surfaces: published pipeline endpoint submit (`/pipelines/v1.0/.../PipelineRuns/PipelineEndpointSubmit/Id/{id}`)
 * and run history (`/history/v1.0/.../runs/{runId}`).
 *
 * @remarks A submit becomes a v2 Pipeline job named by a GUID run id, so the same run is visible through ARM jobs,
 * MLflow and Event Grid. Azure has no idempotency key for submit; neither does the emulator.
 */
import { randomUUID } from 'node:crypto';
import { isObject, resourceId, WORKSPACE_ID, text } from '../arm';
import type { EmulatorContext } from '../context';
import { badRequest, notFound, notSupported } from '../errors';
import { type EmulatorRequest, type EmulatorResponse, jsonBody, param, type Router } from '../http';
import type { Engine } from '../runtime/engine';
import type { JobRecord, JsonObject } from '../state';
import { newJobRecord } from './jobs';

const WS_V1 = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}`;

function stringMapOf(value: unknown, target: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw badRequest(`'${target}' must be an object.`, target);
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null || item === undefined) continue;
    if (typeof item === 'object') throw badRequest(`'${target}.${key}' must be a string.`, `${target}.${key}`);
    result[key] = text(item);
  }
  return result;
}

export function registerV1Routes(router: Router, context: EmulatorContext, engine: Engine): void {
  const state = () => context.store.data;

  router.add('POST', `/pipelines/v1.0${WS_V1}/PipelineRuns/PipelineEndpointSubmit/Id/{id}`, (request) => {
    const id = param(request, 'id');
    const endpoint = state().pipelineEndpoints[id];
    if (!endpoint) throw notFound('PipelineEndpoint', id);
    const body = jsonBody(request);
    const experimentName = body['ExperimentName'];
    if (typeof experimentName !== 'string' || experimentName === '')
      throw badRequest("'ExperimentName' is required.", 'ExperimentName');
    for (const unsupported of [
      'DataSetDefinitionValueAssignments',
      'PipelineVersion',
      'AssetOutputSettingsAssignments',
    ]) {
      if (body[unsupported] !== undefined && body[unsupported] !== null)
        throw notSupported(`The submit field '${unsupported}'`);
    }
    const assigned = stringMapOf(body['ParameterAssignments'], 'ParameterAssignments');
    const dataKind = endpoint.dataParameterKind ?? 'dataPath';
    if (dataKind === 'dataPath' && endpoint.dataParameter in assigned) {
      throw badRequest(
        `PipelineParameter '${endpoint.dataParameter}' of pipeline endpoint '${endpoint.name}' is a DataPath parameter; assign it in DataPathAssignments as {DataStoreName, RelativePath}, not as a string in ParameterAssignments.`,
        `ParameterAssignments.${endpoint.dataParameter}`,
      );
    }
    const parameters = { ...endpoint.defaults, ...assigned };
    const inputs: JsonObject = {};
    for (const [name, value] of Object.entries(parameters)) inputs[name] = { jobInputType: 'literal', value };
    const dataPaths = body['DataPathAssignments'];
    if (dataPaths !== undefined && dataPaths !== null) {
      if (!isObject(dataPaths)) throw badRequest("'DataPathAssignments' must be an object.", 'DataPathAssignments');
      for (const [name, raw] of Object.entries(dataPaths)) {
        if (dataKind !== 'dataPath' || name !== endpoint.dataParameter) {
          throw badRequest(
            `'${name}' is not a DataPath PipelineParameter of pipeline endpoint '${endpoint.name}'.`,
            `DataPathAssignments.${name}`,
          );
        }
        if (!isObject(raw) || typeof raw['DataStoreName'] !== 'string' || typeof raw['RelativePath'] !== 'string') {
          throw badRequest(
            `'DataPathAssignments.${name}' needs DataStoreName and RelativePath.`,
            `DataPathAssignments.${name}`,
          );
        }
        const relative = raw['RelativePath'].replace(/^\/+/, '');
        inputs[name] = {
          jobInputType: relative.endsWith('/') ? 'uri_folder' : 'uri_file',
          uri: `azureml://datastores/${raw['DataStoreName']}/paths/${relative}`,
        };
      }
    }
    // A string PipelineParameter holds a location the pipeline's own step reads; the built-in step does the same.
    const dataInput = inputs[endpoint.dataParameter];
    if (dataKind === 'string' && isObject(dataInput) && dataInput['jobInputType'] === 'literal') {
      const value = text(dataInput['value']);
      inputs[endpoint.dataParameter] = { jobInputType: value.endsWith('/') ? 'uri_folder' : 'uri_file', uri: value };
    }
    const runId = randomUUID();
    const tags = stringMapOf(body['Tags'], 'Tags');
    const properties: JsonObject = {
      jobType: 'Pipeline',
      experimentName,
      displayName: typeof body['DisplayName'] === 'string' ? body['DisplayName'] : endpoint.name,
      description: typeof body['Description'] === 'string' ? body['Description'] : endpoint.description,
      inputs,
      outputs: {},
      tags,
      properties: {
        'azureml.pipelineEndpointId': endpoint.id,
        'azureml.runsource': typeof body['RunSource'] === 'string' ? body['RunSource'] : 'API',
      },
    };
    const job = newJobRecord(context, engine, runId, properties, 'v1');
    job.run.pipelineEndpointId = endpoint.id;
    engine.submitJob(job);
    return { status: 200, body: pipelineRunBody(job, endpoint.id) };
  });

  router.add('POST', `/pipelines/v1.0${WS_V1}/PipelineRuns/PipelineSubmit/{id}`, () => {
    throw notSupported(
      'Submitting a published pipeline by pipeline id (PipelineSubmit); use PipelineEndpointSubmit/Id/{id}',
    );
  });

  router.add('POST', `/pipelines/v1.0${WS_V1}/PipelineRuns/{runId}/Cancel`, (request) => {
    const job = findRun(request);
    engine.requestCancel(job);
    return { status: 200, body: {} };
  });

  const findRun = (request: EmulatorRequest): JobRecord => {
    const runId = param(request, 'runId');
    const job = state().jobs[runId];
    if (!job) throw notFound('Run', runId);
    const experiment = request.params['experiment'];
    if (experiment !== undefined && experimentOf(job) !== experiment) throw notFound('Run', `${experiment}/${runId}`);
    const experimentId = request.params['experimentId'];
    if (experimentId !== undefined && job.run.experimentId !== experimentId)
      throw notFound('Run', `${experimentId}/${runId}`);
    return job;
  };
  const runHandler =
    (details: boolean) =>
    (request: EmulatorRequest): EmulatorResponse => {
      engine.tick();
      return { status: 200, body: runHistoryBody(context, findRun(request), details) };
    };
  for (const prefix of [
    `/history/v1.0${WS_V1}`,
    `/history/v1.0${WS_V1}/experiments/{experiment}`,
    `/history/v1.0${WS_V1}/experimentids/{experimentId}`,
  ]) {
    router.add('GET', `${prefix}/runs/{runId}`, runHandler(false));
    router.add('GET', `${prefix}/runs/{runId}/details`, runHandler(true));
  }
}

function experimentOf(job: JobRecord): string {
  return text((job.body['properties'] as JsonObject)['experimentName'], 'Default');
}

function pipelineRunBody(job: JobRecord, endpointId: string): JsonObject {
  const props = job.body['properties'] as JsonObject;
  return {
    Id: job.name,
    PipelineRunId: job.name,
    PipelineEndpointId: endpointId,
    ExperimentName: experimentOf(job),
    RunHistoryExperimentName: experimentOf(job),
    DisplayName: props['displayName'] ?? null,
    Description: props['description'] ?? null,
    Tags: props['tags'] ?? {},
    RunSource: text((props['properties'] as JsonObject)['azureml.runsource'], 'API'),
    Status: { StatusCode: job.run.status, StatusDetail: null, CreationTime: job.systemData.createdAt, EndTime: null },
    CreatedBy: { UserName: job.systemData.createdBy },
    RunUrl: resourceId('jobs', job.name),
  };
}

/** The classic run-history DTO (camelCase), readable for any job, v1 or v2. */
export function runHistoryBody(context: EmulatorContext, job: JobRecord, details: boolean): JsonObject {
  const props = job.body['properties'] as JsonObject;
  const jobType = text(props['jobType'], 'Pipeline');
  const body: JsonObject = {
    runId: job.name,
    runUuid: job.name,
    parentRunId: null,
    rootRunId: job.name,
    experimentId: job.run.experimentId,
    experimentName: experimentOf(job),
    status: job.run.status,
    runType: jobType === 'Pipeline' ? 'azureml.PipelineRun' : 'azureml.scriptrun',
    displayName: props['displayName'] ?? job.name,
    description: props['description'] ?? null,
    createdUtc: job.systemData.createdAt,
    startTimeUtc: job.run.startedAt ?? null,
    endTimeUtc: job.run.endedAt ?? null,
    tags: props['tags'] ?? {},
    properties: props['properties'] ?? {},
    error: job.run.error ? { error: { code: job.run.error.code, message: job.run.error.message } } : null,
    target: null,
    workspaceId: WORKSPACE_ID,
  };
  if (details) {
    body['logFiles'] = {};
    body['warnings'] = [];
    body['statusHistory'] = job.run.history.map((entry) => ({ status: entry.status, time: entry.at }));
    body['runDefinition'] = { inputs: props['inputs'] ?? {} };
    body['studioUrl'] = `${context.baseUrl()}/_emulator/jobs/${encodeURIComponent(job.name)}`;
  }
  return body;
}
