import type { JobBase } from '@azure/arm-machinelearning';

import type { TrainingSpec } from '../catalog';
import { classifyRunStatus, type RunPhase } from '../services/retrain/polling';
import { AzureMlRequestError } from '../services/retrain/errors';
import type { SubmissionStore } from '../state/jobs';
import { mlflowRun } from './mlflow';
import { assetVersionId, computeId, dataPathOf, jobOutputUri } from './references';
import { type AzureMlWorkspace, call, callOptional, dataPlaneJson, ML_SCOPE, workspacePath } from './workspace';

/**
 * Training submitters for the three catalog kinds, run status and metrics.
 *
 * Idempotency (the key is the deterministic job name derived from the trigger id):
 * - `pipelineJob`: the key IS the ARM job name; PUT of an existing name changes nothing but tags, and we GET first.
 * - `batchEndpoint` and `publishedPipeline` have no server-side key. The submission is recorded in state before the
 *   call (`submitting`) and after it (`submitted` + run id). A retry that finds `submitted` returns it; one that finds
 *   `submitting` (outcome unknown) first looks for a run carrying the key (job tag / property / display name) and
 *   only submits again when there is none.
 */

export const IDEMPOTENCY_TAG = 'mlops.idempotencyKey';

export interface TrainingRequest {
  readonly model: string;
  readonly runId: string;
  readonly instanceId: string;
  /** Deterministic job name / idempotency key. */
  readonly key: string;
  readonly training: TrainingSpec;
  /** URI of the dataset the run trains on. */
  readonly datasetUri: string | undefined;
  /** Type of the model the job writes (its model output's jobOutputType; the registered version's modelType). */
  readonly modelType: string;
  /** Extra tags for the job (model, run id, instance id: lets Azure ML run events find the orchestration). */
  readonly tags: Readonly<Record<string, string>>;
}

export interface SubmittedTraining {
  /** Azure ML job name (v2) or run id (v1); MLflow run id and Event Grid `runId` too. */
  readonly jobName: string;
  readonly status: string;
  /** True when this call found an earlier submission instead of submitting. */
  readonly reused: boolean;
}

function literal(value: string | number | boolean): string {
  return typeof value === 'string' ? value : String(value);
}

export async function findJobByKey(ws: AzureMlWorkspace, key: string): Promise<JobBase | undefined> {
  return call('list Azure ML jobs', async () => {
    let scanned = 0;
    for await (const job of ws.arm.jobs.list(ws.resourceGroup, ws.workspace, { listViewType: 'All' })) {
      const props = job.properties as {
        tags?: Record<string, string>;
        properties?: Record<string, string>;
        displayName?: string;
      };
      if (
        props.tags?.[IDEMPOTENCY_TAG] === key ||
        props.properties?.[IDEMPOTENCY_TAG] === key ||
        props.displayName === key
      ) {
        return job;
      }
      if (++scanned >= 2000) break;
    }
    return undefined;
  });
}

export async function submitTraining(
  ws: AzureMlWorkspace,
  submissions: SubmissionStore,
  request: TrainingRequest,
  now: () => string = () => new Date().toISOString(),
): Promise<SubmittedTraining> {
  const { training } = request;
  const record = {
    key: request.key,
    model: request.model,
    runId: request.runId,
    instanceId: request.instanceId,
    kind: training.kind,
    experiment: training.experiment,
  };
  if (training.kind === 'pipelineJob') {
    await submissions.put({ ...record, state: 'submitted', jobName: request.key, at: now() });
    const existing = await callOptional('get Azure ML job', () =>
      ws.arm.jobs.get(ws.resourceGroup, ws.workspace, request.key),
    );
    if (existing) return { jobName: request.key, status: statusOf(existing), reused: true };
    const inputs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(training.parameters)) {
      inputs[name] = { jobInputType: 'literal', value: literal(value) };
    }
    if (request.datasetUri) {
      inputs[training.datasetInput] = { jobInputType: training.datasetInputType, uri: request.datasetUri };
    }
    const body = {
      properties: {
        jobType: 'Pipeline',
        experimentName: training.experiment,
        displayName: request.key,
        componentId: assetVersionId(ws, 'components', training.componentId),
        ...(training.compute ? { settings: { default_compute: computeId(ws, training.compute) } } : {}),
        inputs,
        outputs: { [training.modelOutput]: { jobOutputType: request.modelType, mode: 'Upload' } },
        tags: { ...request.tags, [IDEMPOTENCY_TAG]: request.key },
      },
    };
    // Raw PUT: @azure/arm-machinelearning 2.1.1 drops `uri` of uri_file/uri_folder job inputs when serializing.
    const url = `${ws.armEndpoint}${workspacePath(ws)}/jobs/${encodeURIComponent(request.key)}?api-version=${ws.apiVersion}`;
    const created = await dataPlaneJson<JobBase>(ws, 'create Azure ML pipeline job', url, { method: 'PUT', body });
    return { jobName: request.key, status: statusOf(created), reused: false };
  }

  const previous = await submissions.get(request.key);
  if (previous?.state === 'submitted' && previous.jobName) {
    return { jobName: previous.jobName, status: 'Unknown', reused: true };
  }
  if (previous?.state === 'submitting') {
    const found = await findJobByKey(ws, request.key);
    if (found?.name) {
      await submissions.put({ ...record, state: 'submitted', jobName: found.name, at: now() });
      return { jobName: found.name, status: statusOf(found), reused: true };
    }
  }
  await submissions.put({ ...record, state: 'submitting', at: now() });
  const jobName =
    training.kind === 'batchEndpoint'
      ? await invokeBatchEndpoint(ws, request)
      : await submitPipelineEndpoint(ws, request);
  await submissions.put({ ...record, state: 'submitted', jobName, at: now() });
  return { jobName, status: 'NotStarted', reused: false };
}

async function invokeBatchEndpoint(ws: AzureMlWorkspace, request: TrainingRequest): Promise<string> {
  const training = request.training;
  if (training.kind !== 'batchEndpoint') throw new TypeError('not a batch endpoint training');
  const endpoint = await call('get Azure ML batch endpoint', () =>
    ws.arm.batchEndpoints.get(ws.resourceGroup, ws.workspace, training.endpoint),
  );
  const scoringUri = endpoint.properties.scoringUri;
  if (!scoringUri) throw new AzureMlRequestError(`Batch endpoint ${training.endpoint} has no scoringUri yet.`);
  const inputData: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(training.parameters)) {
    inputData[name] = { JobInputType: 'Literal', Value: literal(value) };
  }
  if (request.datasetUri) {
    inputData[training.datasetInput] = {
      JobInputType: training.datasetInputType === 'uri_folder' ? 'UriFolder' : 'UriFile',
      Uri: request.datasetUri,
    };
  }
  const response = await dataPlaneJson<{ id?: string; name?: string }>(
    ws,
    'invoke Azure ML batch endpoint',
    scoringUri,
    {
      method: 'POST',
      scope: ML_SCOPE,
      headers: training.deployment ? { 'azureml-model-deployment': training.deployment } : {},
      body: {
        properties: {
          InputData: inputData,
          properties: { experimentName: training.experiment, [IDEMPOTENCY_TAG]: request.key, ...request.tags },
        },
      },
    },
  );
  const name = response.name ?? response.id?.split('/').pop();
  if (!name) throw new AzureMlRequestError('Batch endpoint invoke returned no job id.');
  return name;
}

async function submitPipelineEndpoint(ws: AzureMlWorkspace, request: TrainingRequest): Promise<string> {
  const training = request.training;
  if (training.kind !== 'publishedPipeline') throw new TypeError('not a published pipeline training');
  const parameters: Record<string, string> = {};
  for (const [name, value] of Object.entries(training.parameters)) parameters[name] = literal(value);
  const dataPaths: Record<string, { DataStoreName: string; RelativePath: string }> = {};
  if (request.datasetUri && training.datasetAssignment === 'parameter') {
    parameters[training.datasetInput] = request.datasetUri;
  } else if (request.datasetUri) {
    // A DataPath PipelineParameter is assigned a datastore and a path, never a URL string (v1 REST submit body).
    const dataPath = dataPathOf(request.datasetUri);
    if (!dataPath) {
      throw new AzureMlRequestError(
        `Published pipeline ${training.pipelineEndpointId} takes its dataset '${training.datasetInput}' through DataPathAssignments, which needs a datastore path (azureml://datastores/<datastore>/paths/<path>); the dataset is ${request.datasetUri}. Register the data under a datastore, or set training.datasetAssignment to "parameter" if the pipeline declares a string parameter and reads the URI itself.`,
      );
    }
    dataPaths[training.datasetInput] = dataPath;
  }
  const url = `${ws.dataPlaneEndpoint}/pipelines/v1.0${workspacePath(ws)}/PipelineRuns/PipelineEndpointSubmit/Id/${encodeURIComponent(training.pipelineEndpointId)}`;
  const response = await dataPlaneJson<{ Id?: string; PipelineRunId?: string }>(
    ws,
    'submit Azure ML pipeline endpoint',
    url,
    {
      method: 'POST',
      body: {
        ExperimentName: training.experiment,
        ParameterAssignments: parameters,
        ...(Object.keys(dataPaths).length > 0 ? { DataPathAssignments: dataPaths } : {}),
        DisplayName: request.key,
        Tags: { ...request.tags, [IDEMPOTENCY_TAG]: request.key },
        RunSource: 'API',
      },
    },
  );
  const id = response.Id ?? response.PipelineRunId;
  if (!id) throw new AzureMlRequestError('PipelineEndpointSubmit returned no run id.');
  return id;
}

function statusOf(job: JobBase): string {
  return (job.properties as { status?: string }).status ?? 'Unknown';
}

export interface TrainingStatus {
  readonly status: string;
  readonly phase: RunPhase;
  /** Error text of a failed run, when the service reports one. */
  readonly error?: string | undefined;
  /** The model output in the documented named-output form `azureml://jobs/<job>/outputs/<output>/paths/`. */
  readonly modelUri: string;
}

interface RunDetails {
  readonly error?: { readonly error?: { readonly message?: string }; readonly message?: string } | null;
}

/**
 * Why a run failed, from its run-history details (the ARM job resource has no error field). Best effort: the
 * status is already known, so a missing or unreadable record yields undefined instead of failing the check.
 */
async function failureText(ws: AzureMlWorkspace, experiment: string, runId: string): Promise<string | undefined> {
  const url = `${ws.dataPlaneEndpoint}/history/v1.0${workspacePath(ws)}/experiments/${encodeURIComponent(experiment)}/runs/${encodeURIComponent(runId)}/details`;
  try {
    const details = await dataPlaneJson<RunDetails>(ws, 'get Azure ML run details', url);
    return details.error?.error?.message ?? details.error?.message;
  } catch {
    return undefined;
  }
}

/**
 * Run status: the ARM job for v2 (pipeline jobs, batch jobs); MLflow `runs/get` (`info.status`, the documented
 * tracking API; a v1 run id is its MLflow run id) for published pipelines. The model URI is the named job output.
 */
export async function getTrainingStatus(
  ws: AzureMlWorkspace,
  training: Pick<TrainingSpec, 'kind' | 'experiment' | 'modelOutput'>,
  jobName: string,
): Promise<TrainingStatus> {
  let status: string;
  if (training.kind === 'publishedPipeline') {
    const run = await mlflowRun(ws, jobName);
    status = run.info?.status ?? 'Unknown';
  } else {
    const job = await call('get Azure ML job', () => ws.arm.jobs.get(ws.resourceGroup, ws.workspace, jobName));
    status = (job.properties as { status?: string }).status ?? 'Unknown';
  }
  const phase = classifyRunStatus(status);
  return {
    status,
    phase,
    error: phase === 'failed' ? await failureText(ws, training.experiment, jobName) : undefined,
    modelUri: jobOutputUri(jobName, training.modelOutput),
  };
}

/**
 * Where the job can be seen in Azure ML studio: the job's own `services.Studio.endpoint` (what `az ml job show`
 * prints), else the studio's run URL for the workspace (`https://ml.azure.com/runs/<job>?wsid=<workspace id>`).
 * Best effort: a link is never worth failing a run for.
 */
export async function studioUrlOf(ws: AzureMlWorkspace, jobName: string): Promise<string> {
  const fallback = `https://ml.azure.com/runs/${encodeURIComponent(jobName)}?wsid=${workspacePath(ws).replace('/providers/Microsoft.MachineLearningServices', '')}`;
  try {
    const job = await ws.arm.jobs.get(ws.resourceGroup, ws.workspace, jobName);
    return job.properties.services?.['Studio']?.endpoint ?? fallback;
  } catch {
    return fallback;
  }
}

/** Requests cancellation (does not wait). */
export async function cancelTraining(ws: AzureMlWorkspace, kind: TrainingSpec['kind'], jobName: string): Promise<void> {
  if (kind === 'publishedPipeline') {
    const url = `${ws.dataPlaneEndpoint}/pipelines/v1.0${workspacePath(ws)}/PipelineRuns/${encodeURIComponent(jobName)}/Cancel`;
    await dataPlaneJson(ws, 'cancel Azure ML run', url, { method: 'POST', body: {} });
    return;
  }
  await callOptional('cancel Azure ML job', async () => {
    await ws.arm.jobs.beginCancel(ws.resourceGroup, ws.workspace, jobName, { updateIntervalInMs: ws.lroIntervalMs });
  });
}
