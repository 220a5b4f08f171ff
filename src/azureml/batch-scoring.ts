/**
 * Batch scoring through an Azure ML batch endpoint with a model deployment: read the deployment's knobs, invoke the
 * endpoint for one input folder (a parallel job), and resolve data-asset inputs.
 *
 * @remarks Wire shapes: Microsoft.MachineLearningServices stable 2025-12-01 (`BatchDeploymentProperties`,
 * `BatchEndpointProperties.scoringUri`, `DataVersionBase`) and Learn "Create jobs and input data for batch
 * endpoints" (invoke body `{properties: {InputData, OutputData, properties}}`, Entra token for https://ml.azure.com).
 * The job's status is read with the retrain path's `getTrainingStatus` (one job-status reader).
 */
import { latestDataVersion, parseModelReference } from './registry';
import { findJobByKey, IDEMPOTENCY_TAG } from './training';
import { type AzureMlWorkspace, call, callOptional, dataPlaneJson, ML_SCOPE } from './workspace';
import { AzureMlRequestError } from '../services/retrain/errors';
import type { SubmissionStore } from '../state';

/** Azure ML's defaults for a batch deployment's knobs (spec 2025-12-01 BatchDeploymentProperties). */
export const BATCH_DEPLOYMENT_DEFAULTS = {
  miniBatchSize: 10,
  errorThreshold: -1,
  outputAction: 'AppendRow',
  outputFileName: 'predictions.csv',
} as const;

export interface BatchDeploymentInfo {
  readonly endpoint: string;
  readonly deployment: string;
  readonly modelVersion: string | undefined;
  readonly miniBatchSize: number;
  readonly errorThreshold: number;
  readonly outputAction: string;
  readonly outputFileName: string;
}

/** A batch deployment the product cannot publish from (e.g. it writes no predictions). */
export class BatchDeploymentUnusableError extends Error {
  override readonly name = 'BatchDeploymentUnusableError';
}

/** The deployment a run invokes (the pinned one, else the endpoint's default) and its knobs with defaults filled. */
export async function describeBatchDeployment(
  ws: AzureMlWorkspace,
  endpointName: string,
  pinned: string | undefined,
): Promise<BatchDeploymentInfo> {
  const endpoint = await call('get Azure ML batch endpoint', () =>
    ws.arm.batchEndpoints.get(ws.resourceGroup, ws.workspace, endpointName),
  );
  const deploymentName = pinned ?? endpoint.properties.defaults?.deploymentName;
  if (!deploymentName) {
    throw new BatchDeploymentUnusableError(
      `batch endpoint ${endpointName} has no default deployment; set batch.scorer.deployment`,
    );
  }
  const deployment = await call('get Azure ML batch deployment', () =>
    ws.arm.batchDeployments.get(ws.resourceGroup, ws.workspace, endpointName, deploymentName),
  );
  const p = deployment.properties;
  const outputAction = p.outputAction ?? BATCH_DEPLOYMENT_DEFAULTS.outputAction;
  if (outputAction !== 'AppendRow') {
    throw new BatchDeploymentUnusableError(
      `batch deployment ${endpointName}/${deploymentName} has outputAction ${outputAction}: it writes no predictions file to publish (use AppendRow)`,
    );
  }
  const model = p.model as { assetId?: string } | undefined;
  const ref = parseModelReference(model?.assetId);
  return {
    endpoint: endpointName,
    deployment: deploymentName,
    modelVersion: ref ? `${ref.name}:${ref.version}` : model?.assetId,
    miniBatchSize: p.miniBatchSize ?? BATCH_DEPLOYMENT_DEFAULTS.miniBatchSize,
    errorThreshold: p.errorThreshold ?? BATCH_DEPLOYMENT_DEFAULTS.errorThreshold,
    outputAction,
    outputFileName: p.outputFileName ?? BATCH_DEPLOYMENT_DEFAULTS.outputFileName,
  };
}

export interface BatchScoringRequest {
  readonly model: string;
  readonly runId: string;
  readonly instanceId: string;
  /** Idempotency key of the invocation (one per run). */
  readonly key: string;
  readonly endpoint: string;
  readonly deployment: string;
  readonly inputName: string;
  readonly inputUri: string;
  readonly inputType: 'UriFolder' | 'UriFile';
  readonly outputName: string;
  readonly outputUri: string;
  readonly experiment: string;
}

/**
 * Invokes the batch endpoint once per key: the submission record is written before the call (`submitting`) and after
 * it (`submitted` with the job name), so a retried activity reuses the job, and an ambiguous earlier call is looked up
 * by the key the job carries in its properties. The record also lets Azure ML run events find the orchestration.
 */
export async function invokeBatchScoring(
  ws: AzureMlWorkspace,
  submissions: SubmissionStore,
  request: BatchScoringRequest,
  now: () => string = () => new Date().toISOString(),
): Promise<{ jobName: string; reused: boolean }> {
  const record = {
    key: request.key,
    model: request.model,
    runId: request.runId,
    instanceId: request.instanceId,
    kind: 'batchScoring',
    experiment: request.experiment,
  };
  const previous = await submissions.get(request.key);
  if (previous?.state === 'submitted' && previous.jobName) return { jobName: previous.jobName, reused: true };
  if (previous?.state === 'submitting') {
    const found = await findJobByKey(ws, request.key);
    if (found?.name) {
      await submissions.put({ ...record, state: 'submitted', jobName: found.name, at: now() });
      return { jobName: found.name, reused: true };
    }
  }
  await submissions.put({ ...record, state: 'submitting', at: now() });
  const endpoint = await call('get Azure ML batch endpoint', () =>
    ws.arm.batchEndpoints.get(ws.resourceGroup, ws.workspace, request.endpoint),
  );
  const scoringUri = endpoint.properties.scoringUri;
  if (!scoringUri) throw new AzureMlRequestError(`Batch endpoint ${request.endpoint} has no scoringUri yet.`);
  const response = await dataPlaneJson<{ id?: string; name?: string }>(
    ws,
    'invoke Azure ML batch endpoint',
    scoringUri,
    {
      method: 'POST',
      scope: ML_SCOPE,
      headers: { 'azureml-model-deployment': request.deployment },
      body: {
        properties: {
          InputData: { [request.inputName]: { JobInputType: request.inputType, Uri: request.inputUri } },
          OutputData: { [request.outputName]: { JobOutputType: 'UriFolder', Uri: request.outputUri } },
          properties: { experimentName: request.experiment, [IDEMPOTENCY_TAG]: request.key },
        },
      },
    },
  );
  const jobName = response.name ?? response.id?.split('/').pop();
  if (!jobName) throw new AzureMlRequestError('Batch endpoint invoke returned no job id.');
  await submissions.put({ ...record, state: 'submitted', jobName, at: now() });
  return { jobName, reused: false };
}

export interface DataAssetVersion {
  readonly name: string;
  readonly version: string;
  readonly dataUri: string;
  readonly dataType: string;
}

/** A data asset version: pinned, or `latest` (the newest by creation time). */
export async function resolveDataAsset(ws: AzureMlWorkspace, name: string, version: string): Promise<DataAssetVersion> {
  let pinned = version;
  if (version === 'latest') {
    const latest = await latestDataVersion(ws, name);
    if (!latest) throw new AzureMlRequestError(`Data asset ${name} has no version.`);
    pinned = latest.version;
  }
  const found = await callOptional('get data version', () =>
    ws.arm.dataVersions.get(ws.resourceGroup, ws.workspace, name, pinned),
  );
  if (!found) throw new AzureMlRequestError(`Data asset ${name}:${pinned} does not exist.`);
  return { name, version: pinned, dataUri: found.properties.dataUri, dataType: found.properties.dataType };
}
