import { BlobServiceClient } from '@azure/storage-blob';

import {
  BIKE_DEMAND_COMPONENT_ID,
  BIKE_DEMAND_PIPELINE_ENDPOINT_ID,
  REGION,
  RESOURCE_GROUP,
  type RunningAzureMlEmulator,
  startAzureMlEmulator,
  SUBSCRIPTION_ID,
  WORKSPACE,
} from '../../../dev/azureml-emulator';
import { generateBikeDemandCsv } from '../../../dev/demo/bike-data';
import { getModelVersion, registerDataVersion, registerModelVersion } from '../../../src/azureml/registry';
import { getRunMetrics, getTrainingStatus, submitTraining, type TrainingRequest } from '../../../src/azureml/training';
import { type AzureMlWorkspace, createWorkspace } from '../../../src/azureml/workspace';
import { parseCatalog, type TrainingSpec } from '../../../src/catalog';
import { LineageTags } from '../../../src/services/retrain/lineage';
import { createStateStores, type StateStores } from '../../../src/state';
import { type AzuriteBlob, startAzuriteBlob } from '../../support/azurite';
import { testCredential, waitFor } from '../../orchestration/retrain/harness';
import { PINNED_AZUREML_API_VERSION } from '../../../src/config';

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
  }).models[0]!.training;
}

describe('Azure ML clients against the emulator', () => {
  let azurite: AzuriteBlob;
  let emulator: RunningAzureMlEmulator;
  let ws: AzureMlWorkspace;
  let state: StateStores;
  let datasetUri: string;

  beforeAll(async () => {
    azurite = await startAzuriteBlob();
    emulator = await startAzureMlEmulator({
      port: 0,
      azuriteConnectionString: azurite.connectionString,
      seedDemo: true,
      lroRetryAfterSeconds: 0,
    });
    ws = createWorkspace(
      {
        azureml: {
          subscriptionId: SUBSCRIPTION_ID,
          resourceGroup: RESOURCE_GROUP,
          workspace: WORKSPACE,
          region: REGION,
          armEndpoint: emulator.url,
          dataPlaneEndpoint: emulator.url,
          apiVersion: PINNED_AZUREML_API_VERSION,
        },
      },
      testCredential,
      { lroIntervalMs: 50 },
    );
    const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const container = blobs.getContainerClient('retrain-clients-state');
    await container.createIfNotExists();
    state = createStateStores(container);
    const datasets = blobs.getContainerClient('datasets');
    await datasets.createIfNotExists();
    const csv = generateBikeDemandCsv({ rows: 300, seed: 11 });
    const blob = datasets.getBlockBlobClient('bike-demand/clients.csv');
    await blob.upload(csv, csv.length);
    datasetUri = blob.url;
  });

  afterAll(async () => {
    await emulator?.close();
    await azurite?.stop();
  });

  const request = (key: string, spec: TrainingSpec): TrainingRequest => ({
    model: 'bike-demand',
    runId: key,
    instanceId: 'retrain-bike-demand',
    key,
    training: spec,
    datasetUri,
    tags: { [LineageTags.runId]: key },
  });

  async function finished(kind: TrainingSpec['kind'], jobName: string): Promise<string> {
    return waitFor(async () => {
      const s = await getTrainingStatus(ws, kind, jobName, 'model');
      return s.phase === 'running' ? undefined : s.status;
    }, `job ${jobName}`);
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
      expect(await finished(t.kind, first.jobName)).toBe('Completed');
      const metrics = await getRunMetrics(ws, first.jobName);
      expect(metrics.rmse).toBeGreaterThan(0);
      expect(metrics.r2).toBeGreaterThan(0.5);
      expect((await state.submissions.byJobName(first.jobName))?.instanceId).toBe('retrain-bike-demand');
    },
  );

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
      modelUri: 'azureml://jobs/bike-demand-seed-training/outputs/artifacts/paths/model/',
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
});
