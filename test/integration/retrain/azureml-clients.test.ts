import { datasetUriFor } from '../../../src/services/retrain/blob-events';
import { BlobServiceClient } from '@azure/storage-blob';

import {
  BIKE_DEMAND_COMPONENT_ID,
  BIKE_DEMAND_PIPELINE_ENDPOINT_ID,
  RESOURCE_GROUP,
  type RunningAzureMlEmulator,
  startAzureMlEmulator,
  SUBSCRIPTION_ID,
  WORKSPACE,
} from '../../../dev/azureml-emulator';
import { generateBikeDemandCsv } from '../../../dev/demo/bike-data';
import { resolveDataAsset } from '../../../src/azureml/batch-scoring';
import { getModelVersion, registerDataVersion, registerModelVersion } from '../../../src/azureml/registry';
import { findMetricsRun, latestMetrics, mlflowRun } from '../../../src/azureml/mlflow';
import {
  getTrainingStatus,
  submitTraining,
  type TrainingRequest,
  type TrainingStatus,
} from '../../../src/azureml/training';
import type { AzureMlWorkspace } from '../../../src/azureml/workspace';
import { parseCatalog, type TrainingSpec } from '../../../src/catalog';
import { LineageTags } from '../../../src/services/retrain/lineage';
import { createStateStores, type StateStores } from '../../../src/state';
import { type AzuriteBlob, startAzuriteBlob } from '../../support/azurite';
import { waitFor } from '../../orchestration/retrain/harness';
import { emulatorWorkspace } from '../../support/emulator-workspace';

jest.setTimeout(120_000);

function training(spec: Record<string, unknown>): TrainingSpec {
  return parseCatalog({
    models: [
      {
        name: 'bike-demand',
        training: { experiment: 'bike-demand-retrain', parameters: { target_column: 'count' }, ...spec },
        gate: { metrics: [{ name: 'rmse', goal: 'minimize' }] },
        registry: { modelName: 'bike-demand' },
        deployment: { endpoint: 'bike-demand', smokeSample: {} },
      },
    ],
  }).models[0]!.training!;
}

describe('Azure ML clients against the emulator', () => {
  let azurite: AzuriteBlob;
  let emulator: RunningAzureMlEmulator;
  let ws: AzureMlWorkspace;
  let state: StateStores;
  let datasetUri: string;
  /** The dataset's plain storage URL: not a datastore path (what a v1 DataPath cannot take). */
  let rawBlobUrl = '';

  beforeAll(async () => {
    azurite = await startAzuriteBlob();
    emulator = await startAzureMlEmulator({
      port: 0,
      azuriteConnectionString: azurite.connectionString,
      seedDemo: true,
      lroRetryAfterSeconds: 0,
    });
    ws = emulatorWorkspace(emulator.url);
    const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const container = blobs.getContainerClient('retrain-clients-state');
    await container.createIfNotExists();
    state = createStateStores(container);
    const datasets = blobs.getContainerClient('datasets');
    await datasets.createIfNotExists();
    const csv = generateBikeDemandCsv({ rows: 300, seed: 11 });
    const blob = datasets.getBlockBlobClient('bike-demand/clients.csv');
    await blob.upload(csv, csv.length);
    rawBlobUrl = blob.url;
    datasetUri = datasetUriFor(blob.url, 'uri_file'); // the lake datastore form jobs read in Azure
  });

  afterAll(async () => {
    await emulator?.close();
    await azurite?.stop();
  });

  // v1 DataPath parameters take a datastore path; the emulator maps datastore `datasets` to that Azurite container.
  const DATASTORE_URI = 'azureml://datastores/datasets/paths/bike-demand/clients.csv';
  const request = (key: string, spec: TrainingSpec, uri?: string): TrainingRequest => ({
    model: 'bike-demand',
    runId: key,
    instanceId: 'retrain-bike-demand',
    key,
    training: spec,
    datasetUri: uri ?? (spec.kind === 'publishedPipeline' ? DATASTORE_URI : datasetUri),
    modelType: 'mlflow_model',
    tags: { [LineageTags.runId]: key },
  });

  async function finished(spec: TrainingSpec, jobName: string): Promise<TrainingStatus> {
    return waitFor(async () => {
      const s = await getTrainingStatus(ws, spec, jobName);
      return s.phase === 'running' ? undefined : s;
    }, `job ${jobName}`);
  }

  const rawJob = async (name: string): Promise<{ properties: Record<string, unknown> }> =>
    (await emulatorGet(`${workspaceUrl()}/jobs/${name}?api-version=2025-12-01`)) as {
      properties: Record<string, unknown>;
    };
  const workspaceUrl = () =>
    `${emulator.url}/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE}`;
  async function emulatorGet(url: string): Promise<unknown> {
    const response = await fetch(url, { headers: { authorization: 'Bearer t' } });
    if (!response.ok) throw new Error(`GET ${url} -> ${response.status}: ${await response.text()}`);
    return response.json();
  }

  async function jobCount(): Promise<number> {
    let n = 0;
    for await (const _ of ws.arm.jobs.list(RESOURCE_GROUP, WORKSPACE, { listViewType: 'All' })) n++;
    return n;
  }

  it.each([
    ['pipelineJob', { kind: 'pipelineJob', componentId: BIKE_DEMAND_COMPONENT_ID, datasetInput: 'training_data' }],
    ['batchEndpoint', { kind: 'batchEndpoint', endpoint: 'bike-demand-train', datasetInput: 'training_data' }],
    [
      'publishedPipeline',
      { kind: 'publishedPipeline', pipelineEndpointId: BIKE_DEMAND_PIPELINE_ENDPOINT_ID, datasetInput: 'input_data' },
    ],
  ])(
    'when a %s training is submitted twice with one key, then one job runs and reports MLflow metrics',
    async (kind, spec) => {
      const t = training(spec);
      const before = await jobCount();
      const first = await submitTraining(ws, state.submissions, request(`key-${kind}`, t));
      const second = await submitTraining(ws, state.submissions, request(`key-${kind}`, t));

      expect(second).toMatchObject({ jobName: first.jobName, reused: true });
      expect(await jobCount()).toBe(before + 1);
      const done = await finished(t, first.jobName);
      // v2 reports the ARM JobStatus, v1 the MLflow run status.
      expect(done).toMatchObject({
        phase: 'completed',
        status: t.kind === 'publishedPipeline' ? 'FINISHED' : 'Completed',
      });
      expect(done.modelUri).toBe(`azureml://jobs/${first.jobName}/outputs/model/paths/`);
      // The pipeline's own run has no metrics: its training step (a child run) logged them.
      expect(latestMetrics(await mlflowRun(ws, first.jobName))).toEqual({});
      const lookup = await findMetricsRun(ws, first.jobName, { metrics: ['rmse', 'r2'] });
      expect(lookup.found?.run).toMatchObject({ runName: 'train', depth: 1 });
      expect(lookup.found?.metrics.rmse).toBeGreaterThan(0);
      expect(lookup.found?.metrics.r2).toBeGreaterThan(0.5);
      const byStep = await findMetricsRun(ws, first.jobName, { step: 'train', metrics: ['rmse'] });
      expect(byStep.found?.run.runId).toBe(lookup.found?.run.runId);
      expect((await state.submissions.byJobName(first.jobName))?.instanceId).toBe('retrain-bike-demand');
    },
  );

  it('when a pipeline job names its component and compute in short form, then the PUT carries their ARM ids', async () => {
    const t = training({
      kind: 'pipelineJob',
      componentId: 'azureml:train-linear-regression:1',
      compute: 'cpu-cluster',
      datasetInput: 'training_data',
    });
    const submitted = await submitTraining(ws, state.submissions, request('key-short-ids', t));
    const job = await rawJob(submitted.jobName);
    expect(job.properties.componentId).toBe(BIKE_DEMAND_COMPONENT_ID);
    expect(job.properties.settings).toEqual({
      default_compute: `${workspaceUrl().replace(emulator.url, '')}/computes/cpu-cluster`,
    });
  });

  it('when a published pipeline takes its dataset as a DataPath, then the submit assigns datastore and path (no URL string)', async () => {
    const t = training({
      kind: 'publishedPipeline',
      pipelineEndpointId: BIKE_DEMAND_PIPELINE_ENDPOINT_ID,
      datasetInput: 'input_data',
    });
    const submitted = await submitTraining(ws, state.submissions, request('key-datapath', t));
    const job = await rawJob(submitted.jobName);
    expect((job.properties.inputs as Record<string, unknown>).input_data).toEqual({
      jobInputType: 'uri_file',
      uri: DATASTORE_URI,
    });
    expect(await finished(t, submitted.jobName)).toMatchObject({ phase: 'completed', status: 'FINISHED' });
  });

  it('when a published pipeline takes a DataPath but the dataset is not a datastore path, then the submit fails naming DataPathAssignments and sends nothing', async () => {
    const t = training({
      kind: 'publishedPipeline',
      pipelineEndpointId: BIKE_DEMAND_PIPELINE_ENDPOINT_ID,
      datasetInput: 'input_data',
    });
    const before = await jobCount();
    await expect(submitTraining(ws, state.submissions, request('key-https', t, rawBlobUrl))).rejects.toMatchObject({
      name: 'AzureMlRequestError',
      message: expect.stringContaining('DataPathAssignments') as string,
    });
    expect(await jobCount()).toBe(before);
  });

  it('when a job fails, then its status carries the run-history message and the ARM job has no error field', async () => {
    const fault = await fetch(`${emulator.url}/_emulator/faults/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'fail', message: 'train.py: column count missing' }),
    });
    expect(fault.status).toBe(200);
    const t = training({ kind: 'pipelineJob', componentId: BIKE_DEMAND_COMPONENT_ID, datasetInput: 'training_data' });
    const submitted = await submitTraining(ws, state.submissions, request('key-failing', t));
    const done = await finished(t, submitted.jobName);
    expect(done).toMatchObject({ status: 'Failed', phase: 'failed', error: 'train.py: column count missing' });
    expect((await rawJob(submitted.jobName)).properties).not.toHaveProperty('error');
  });

  it('when a batch invoke went out but its outcome was never recorded, then the retry finds the job instead of invoking again', async () => {
    const t = training({ kind: 'batchEndpoint', endpoint: 'bike-demand-train', datasetInput: 'training_data' });
    const first = await submitTraining(ws, state.submissions, request('key-crash', t));
    // Simulate a crash between the invoke and the "submitted" record.
    await state.submissions.put({
      key: 'key-crash',
      model: 'bike-demand',
      runId: 'key-crash',
      instanceId: 'i',
      kind: t.kind,
      state: 'submitting',
      at: new Date().toISOString(),
    });
    const before = await jobCount();

    const retried = await submitTraining(ws, state.submissions, request('key-crash', t));

    expect(retried).toMatchObject({ jobName: first.jobName, reused: true });
    expect(await jobCount()).toBe(before);
  });

  it('when a model version is registered twice for one trigger, then the second call returns the first version', async () => {
    const body = {
      name: 'bike-demand',
      modelUri: 'azureml://jobs/bike-demand-seed-training/outputs/model/paths/',
      modelType: 'custom_model',
      jobName: 'bike-demand-seed-training',
      description: 'test',
      tags: { [LineageTags.triggerId]: 'trigger-registry', [LineageTags.gateDecision]: 'accepted' },
    };
    const first = await registerModelVersion(ws, body);
    const second = await registerModelVersion(ws, body);

    expect(first.reused).toBe(false);
    expect(second).toMatchObject({ version: first.version, reused: true });
    expect(Number(first.version)).toBeGreaterThan(1);
    expect((await getModelVersion(ws, 'bike-demand', first.version))?.properties.tags?.[LineageTags.modelVersion]).toBe(
      first.version,
    );
  });

  it('when a dataset is registered as a data version, then it can be registered again without change', async () => {
    const request = {
      name: 'bike-demand-data',
      version: '20261120-abc',
      dataUri: datasetUri,
      dataType: 'uri_file' as const,
      description: 'd',
      tags: { etag: 'x' },
    };
    const first = await registerDataVersion(ws, request);
    const again = await registerDataVersion(ws, request);
    expect(again).toEqual(first);
    expect(first.id).toContain('/data/bike-demand-data/versions/20261120-abc');
  });

  it('when a batch run names a data asset version, then latest is the newest, a pinned one is itself, and a missing one is an error naming it', async () => {
    const name = `resolve-${Date.now()}`;
    for (const version of ['1', '2']) {
      await ws.arm.dataVersions.createOrUpdate(ws.resourceGroup, ws.workspace, name, version, {
        properties: {
          dataType: 'uri_folder',
          dataUri: `azureml://datastores/devstoreaccount1_lake/paths/v${version}/`,
        },
      });
      // One emulator second apart, so "latest" (newest by creation time) is unambiguous.
      const advanced = await fetch(`${emulator.url}/_emulator/clock/advance`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ms: 1000 }),
      });
      expect(advanced.status).toBe(200);
    }
    const uriOf = (v: string): string => `azureml://datastores/devstoreaccount1_lake/paths/v${v}/`;
    expect(await resolveDataAsset(ws, name, 'latest')).toMatchObject({ version: '2', dataUri: uriOf('2') });
    expect(await resolveDataAsset(ws, name, '1')).toMatchObject({ version: '1', dataUri: uriOf('1') });
    await expect(resolveDataAsset(ws, name, '9')).rejects.toThrow(`Data asset ${name}:9 does not exist.`);
    await expect(resolveDataAsset(ws, `${name}-none`, 'latest')).rejects.toThrow(
      `Data asset ${name}-none has no version.`,
    );
  });
});
