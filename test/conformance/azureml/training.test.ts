/**
 * Real training through every entry point: pipeline job, v1 PipelineEndpoint submit and batch pipeline invoke read a
 * CSV from Azurite, fit the model, log MLflow metrics, and the result can be registered, deployed and scored.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { JobBase, PipelineJob } from '@azure/arm-machinelearning';
import { BlobServiceClient } from '@azure/storage-blob';
import { BIKE_DEMAND_TRUE_COEFFICIENTS, generateBikeDemandCsv } from '../../../dev/demo/bike-data';
import { BIKE_DEMAND_PIPELINE_ENDPOINT_ID } from '../../../dev/azureml-emulator';
import { type AzuriteBlob, startAzuriteBlob } from '../../support/azurite';
import { BIKE_FEATURES, modelVersionId, RG, startTestEmulator, type TestEmulator, TOKEN, waitFor, WS } from './support';

const DATA_URI = 'azureml://datastores/datasets/paths/bikes/train.csv';

describe('Azure ML emulator: training on real data (Azurite)', () => {
  let azurite: AzuriteBlob;
  let env: TestEmulator;
  let tempDir: string;

  beforeAll(async () => {
    azurite = await startAzuriteBlob();
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('datasets');
    await container.createIfNotExists();
    const csv = generateBikeDemandCsv({ rows: 4000, seed: 7 });
    await container.getBlockBlobClient('bikes/train.csv').upload(csv, Buffer.byteLength(csv));
    await container.getBlockBlobClient('bikes/parts/a.csv').upload(csv, Buffer.byteLength(csv));
    env = await startTestEmulator({ azuriteConnectionString: azurite.connectionString, seedDemo: true });
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'aml-emu-'));
  }, 60_000);
  afterAll(async () => {
    await env?.emulator.close();
    await azurite?.stop();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });

  const trainingJob = (inputs: Record<string, unknown>): JobBase => ({
    properties: { jobType: 'Pipeline', experimentName: 'bike-retrain', inputs } as unknown as PipelineJob,
  });
  /**
   * Raw PUT: @azure/arm-machinelearning 2.1.1 registers uri_file/uri_folder inputs under `AssetJobInput.*` in its
   * discriminator table, so its serializer drops their `uri` (see the SDK tripwire test below).
   */
  const submit = async (name: string, body: JobBase): Promise<void> => {
    const response = await env.arm('PUT', `/jobs/${name}`, body);
    expect(response.status).toBe(201);
  };
  const literal = (value: string) => ({ jobInputType: 'literal', value });
  const terminal = (name: string) =>
    waitFor(`job ${name} to finish`, async () => {
      const job = await env.client.jobs.get(RG, WS, name);
      return ['Completed', 'Failed', 'Canceled'].includes(job.properties.status ?? '') ? job : undefined;
    });
  /** Why a job failed: run history keeps it (the ARM job resource has no error field). */
  const failure = async (job: JobBase): Promise<string> => {
    const response = await fetch(
      `${env.url}/history/v1.0${env.workspaceUrl.slice(env.url.length)}/experiments/${job.properties.experimentName ?? 'Default'}/runs/${job.name ?? ''}/details`,
      { headers: { authorization: `Bearer ${TOKEN}` } },
    );
    const details = (await response.json()) as { error: { error: { message: string } } | null };
    expect(job.properties).not.toHaveProperty('error');
    return details.error?.error.message ?? '';
  };
  type Run = {
    info: { run_id: string; run_name: string; status: string; experiment_id: string };
    data: {
      metrics: { key: string; value: number }[];
      params: { key: string; value: string }[];
      tags: { key: string; value: string }[];
    };
  };
  /** Step runs of a pipeline job: MLflow runs/search on the parent-run tag. */
  const childRuns = async (jobName: string): Promise<Run[]> => {
    const parent = ((await mlflow(`runs/get?run_id=${jobName}`)) as { run: Run }).run;
    const search = await fetch(
      `${env.url}/mlflow/v1.0${env.workspaceUrl.slice(env.url.length)}/api/2.0/mlflow/runs/search`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          experiment_ids: [parent.info.experiment_id],
          filter: `tags.mlflow.parentRunId = '${jobName}'`,
        }),
      },
    );
    return ((await search.json()) as { runs: Run[] }).runs;
  };
  const mlflow = async (route: string): Promise<Record<string, unknown>> => {
    const response = await fetch(
      `${env.url}/mlflow/v1.0${env.workspaceUrl.slice(env.url.length)}/api/2.0/mlflow/${route}`,
      {
        headers: { authorization: `Bearer ${TOKEN}` },
      },
    );
    return (await response.json()) as Record<string, unknown>;
  };

  it('when a pipeline job trains on a known linear relation, then scoring the deployed model gives the coefficients back', async () => {
    await submit(
      'train-known',
      trainingJob({
        training_data: { jobInputType: 'uri_file', uri: DATA_URI },
        target_column: literal('count'),
        feature_columns: literal(BIKE_FEATURES.join(',')),
        alpha: literal('0'),
      }),
    );
    const job = await terminal('train-known');
    expect(job.properties.status).toBe('Completed');
    // Outputs stay as submitted (none here: the component's own `model` output is used); whether ARM fills `uri` of
    // an output is unverified, and the documented way to name one is azureml://jobs/<job>/outputs/<output>/paths/.
    expect((job.properties as PipelineJob).outputs).toBeUndefined();

    // The pipeline's own run has no metrics: the training step is a child run and logs on itself.
    const parent = ((await mlflow('runs/get?run_id=train-known')) as { run: Run }).run;
    expect(parent.info.status).toBe('FINISHED');
    expect(parent.data.metrics).toEqual([]);
    const children = await childRuns('train-known');
    expect(children.map((child) => child.info.run_name)).toEqual(['train']);
    const run = { run: children[0] as Run };
    expect(run.run.info.status).toBe('FINISHED');
    const metricKeys = run.run.data.metrics.map((metric) => metric.key);
    expect(metricKeys).toEqual(expect.arrayContaining(['rmse', 'mae', 'r2']));
    const rmse = run.run.data.metrics.find((metric) => metric.key === 'rmse')?.value ?? NaN;
    expect(rmse).toBeGreaterThan(15);
    expect(rmse).toBeLessThan(25);
    // The job's Tracking service (azureml://host/mlflow/v1.0/<workspace>?) is the MLflow base once https:// replaces azureml://.
    const tracking = (job.properties.services?.['Tracking']?.endpoint ?? '')
      .replace(/^azureml:\/\//, 'https://')
      .replace(/\?$/, '');
    const viaTracking = await fetch(`${tracking}/api/2.0/mlflow/runs/get?run_id=train-known`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(viaTracking.status).toBe(200);
    const history = (await mlflow(`metrics/get-history?run_id=${run.run.info.run_id}&metric_key=r2`)) as {
      metrics: { value: number }[];
    };
    expect(history.metrics[0]?.value).toBeGreaterThan(0.9);

    await env.client.modelVersions.createOrUpdate(RG, WS, 'bikes', '1', {
      properties: {
        modelUri: 'azureml://jobs/train-known/outputs/model/paths/',
        modelType: 'mlflow_model',
        jobName: 'train-known',
      },
    });
    await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'bikes', {
      location: 'local',
      properties: { authMode: 'Key' },
    });
    await env.client.onlineDeployments.beginCreateOrUpdateAndWait(RG, WS, 'bikes', 'v1', {
      location: 'local',
      properties: {
        endpointComputeType: 'Managed',
        model: modelVersionId('bikes', '1'),
      },
    });
    const key = (await env.client.onlineEndpoints.listKeys(RG, WS, 'bikes')).primaryKey ?? '';
    const rows = [
      BIKE_FEATURES.map(() => 0),
      ...BIKE_FEATURES.map((_, j) => BIKE_FEATURES.map((__, k) => (k === j ? 1 : 0))),
    ];
    const response = await fetch(`${env.url}/onlineEndpoints/bikes/score`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'azureml-model-deployment': 'v1' },
      body: JSON.stringify({ input_data: { columns: BIKE_FEATURES, data: rows } }),
    });
    expect(response.status).toBe(200);
    const [intercept = NaN, ...unit] = (await response.json()) as number[];
    const truth = BIKE_DEMAND_TRUE_COEFFICIENTS;
    expect(Math.abs(intercept - truth.intercept)).toBeLessThan(15);
    BIKE_FEATURES.forEach((feature, j) => {
      const expected = truth.coefficients[feature as keyof typeof truth.coefficients];
      const learned = (unit[j] ?? NaN) - intercept;
      expect({ feature, close: Math.abs(learned - expected) < Math.max(1, Math.abs(expected) * 0.1) }).toEqual({
        feature,
        close: true,
      });
    });
  });

  it('when the target column does not exist, then the job fails with a message naming it', async () => {
    await submit(
      'train-bad-target',
      trainingJob({ training_data: { jobInputType: 'uri_file', uri: DATA_URI }, target_column: literal('rentals') }),
    );
    const job = await terminal('train-bad-target');
    expect(job.properties.status).toBe('Failed');
    expect(await failure(job)).toMatch(/rentals/);
  });

  it('when the input blob does not exist or no target is given, then the job fails with a real error', async () => {
    await submit(
      'train-missing-blob',
      trainingJob({
        training_data: { jobInputType: 'uri_file', uri: 'azureml://datastores/datasets/paths/nope.csv' },
        target_column: literal('count'),
      }),
    );
    await submit('train-no-target', trainingJob({ training_data: { jobInputType: 'uri_file', uri: DATA_URI } }));
    const missing = await terminal('train-missing-blob');
    const noTarget = await terminal('train-no-target');
    expect(await failure(missing)).toMatch(/nope\.csv/);
    expect(await failure(noTarget)).toMatch(/target_column/);
  });

  it('when a uri_folder input and the lake datastore form are used, then both train', async () => {
    await submit(
      'train-folder',
      trainingJob({
        data: { jobInputType: 'uri_folder', uri: 'azureml://datastores/datasets/paths/bikes/parts/' },
        target_column: literal('count'),
      }),
    );
    // The identity-based datastore infra registers for a lake container: <account>_<container> (here Azurite's).
    await submit(
      'train-lake-datastore',
      trainingJob({
        data: { jobInputType: 'uri_file', uri: 'azureml://datastores/devstoreaccount1_datasets/paths/bikes/train.csv' },
        target_column: literal('count'),
      }),
    );
    expect((await terminal('train-folder')).properties.status).toBe('Completed');
    expect((await terminal('train-lake-datastore')).properties.status).toBe('Completed');
  });

  it('when the input is a raw storage URL, then the job fails as an Azure job without a credential for it does', async () => {
    await submit(
      'train-url',
      trainingJob({
        data: { jobInputType: 'uri_file', uri: `${azurite.blobEndpoint}/datasets/bikes/train.csv` },
        target_column: literal('count'),
      }),
    );
    const job = await terminal('train-url');
    expect(job.properties.status).toBe('Failed');
    expect(await failure(job)).toMatch(
      /ScriptExecution\.StreamAccess\.Authentication: Identity authentication failed .*azureml:\/\/datastores\/<account>_<container>/,
    );
  });

  it('when the input is a registered data asset (azureml:<name>:<version>), then the job trains on its dataUri', async () => {
    await env.client.dataVersions.createOrUpdate(RG, WS, 'bike-rides', '3', {
      properties: { dataType: 'uri_file', dataUri: DATA_URI },
    });
    await submit(
      'train-asset',
      trainingJob({
        training_data: { jobInputType: 'uri_file', uri: 'azureml:bike-rides:3' },
        target_column: literal('count'),
      }),
    );
    await submit(
      'train-asset-missing',
      trainingJob({
        training_data: { jobInputType: 'uri_file', uri: 'azureml:bike-rides:4' },
        target_column: literal('count'),
      }),
    );
    expect((await terminal('train-asset')).properties.status).toBe('Completed');
    const missing = await terminal('train-asset-missing');
    expect(await failure(missing)).toMatch(/bike-rides:4/);
  });

  it('when a local file path is the input, then it trains from disk', async () => {
    const file = path.join(tempDir, 'bikes.csv');
    await writeFile(file, generateBikeDemandCsv({ rows: 500, seed: 3 }));
    await submit(
      'train-local',
      trainingJob({ data: { jobInputType: 'uri_file', uri: file }, target_column: literal('count') }),
    );
    expect((await terminal('train-local')).properties.status).toBe('Completed');
  });

  it('when runs/search gets a filter it does not support, then 400 INVALID_PARAMETER_VALUE names the clause', async () => {
    const response = await fetch(
      `${env.url}/mlflow/v1.0${env.workspaceUrl.slice(env.url.length)}/api/2.0/mlflow/runs/search`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ experiment_ids: ['x'], filter: "tags.a LIKE 'b%'" }),
      },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining("tags.a LIKE 'b%'") as string,
    });
  });

  it('when a v1 DataPath parameter arrives as a string in ParameterAssignments, then 400 asks for DataPathAssignments', async () => {
    const base = env.workspaceUrl.slice(env.url.length);
    const response = await fetch(
      `${env.url}/pipelines/v1.0${base}/PipelineRuns/PipelineEndpointSubmit/Id/${BIKE_DEMAND_PIPELINE_ENDPOINT_ID}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          ExperimentName: 'bike-v1',
          ParameterAssignments: { input_data: 'https://lake.blob.core.windows.net/datasets/bikes/train.csv' },
        }),
      },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: {
        target: 'ParameterAssignments.input_data',
        message: expect.stringContaining('DataPathAssignments') as string,
      },
    });
  });

  it('when the v1 PipelineEndpoint is submitted, then the run trains and run history reports it', async () => {
    const base = env.workspaceUrl.slice(env.url.length);
    const response = await fetch(
      `${env.url}/pipelines/v1.0${base}/PipelineRuns/PipelineEndpointSubmit/Id/${BIKE_DEMAND_PIPELINE_ENDPOINT_ID}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          ExperimentName: 'bike-v1',
          ParameterAssignments: { alpha: '0.5' },
          DataPathAssignments: { input_data: { DataStoreName: 'datasets', RelativePath: 'bikes/train.csv' } },
          RunSource: 'API',
        }),
      },
    );
    expect(response.status).toBe(200);
    const submitted = (await response.json()) as { Id: string; Status: { StatusCode: string } };
    expect(submitted.Id).toMatch(/^[0-9a-f-]{36}$/);
    const history = await waitFor('v1 run to complete', async () => {
      const run = (await (
        await fetch(`${env.url}/history/v1.0${base}/experiments/bike-v1/runs/${submitted.Id}`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        })
      ).json()) as { status: string; runId: string };
      return ['Completed', 'Failed'].includes(run.status) ? run : undefined;
    });
    expect(history).toMatchObject({ runId: submitted.Id, status: 'Completed' });
    const details = (await (
      await fetch(`${env.url}/history/v1.0${base}/runs/${submitted.Id}/details`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).json()) as { statusHistory: { status: string }[]; startTimeUtc: string; endTimeUtc: string };
    expect(details.statusHistory.map((entry) => entry.status)).toEqual([
      'NotStarted',
      'Queued',
      'Running',
      'Completed',
    ]);
    expect(details.endTimeUtc).toBeTruthy();
    const wrongExperiment = await fetch(`${env.url}/history/v1.0${base}/experiments/other/runs/${submitted.Id}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(wrongExperiment.status).toBe(404);
  });

  it('when the seeded batch pipeline endpoint is invoked, then a job named in the response trains and is visible through ARM', async () => {
    const endpoint = await env.client.batchEndpoints.get(RG, WS, 'bike-demand-train');
    expect(endpoint.properties.scoringUri).toBe(`${env.url}/batchEndpoints/bike-demand-train/jobs`);
    const response = await fetch(endpoint.properties.scoringUri ?? '', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        properties: {
          InputData: {
            training_data: { JobInputType: 'UriFile', Uri: DATA_URI },
            alpha: { JobInputType: 'Literal', Value: '2' },
          },
          properties: { experimentName: 'bike-batch' },
        },
      }),
    });
    expect(response.status).toBe(200);
    const invoked = (await response.json()) as { id: string; name: string; properties: { status: string } };
    expect(invoked.id.endsWith(`/jobs/${invoked.name}`)).toBe(true);
    const job = await terminal(invoked.name);
    expect(job.properties).toMatchObject({ status: 'Completed', experimentName: 'bike-batch' });
    const run = { run: (await childRuns(invoked.name))[0] as Run };
    expect(run.run.data.params).toEqual(
      expect.arrayContaining([
        { key: 'alpha', value: '2' },
        { key: 'target_column', value: 'count' },
      ]),
    );
    const unauthenticated = await fetch(endpoint.properties.scoringUri ?? '', { method: 'POST', body: '{}' });
    expect(unauthenticated.status).toBe(401);
  });

  it('when @azure/arm-machinelearning 2.1.1 submits a uri_file input, then its serializer drops the uri and the emulator answers 400 (SDK tripwire)', async () => {
    const submitted = env.client.jobs.createOrUpdate(
      RG,
      WS,
      'sdk-tripwire',
      trainingJob({ training_data: { jobInputType: 'uri_file', uri: DATA_URI }, target_column: literal('count') }),
    );
    // If this starts failing, the SDK fixed its discriminator table and jobs with data inputs can go through it again.
    await expect(submitted).rejects.toMatchObject({ statusCode: 400 });
    const raw = await env.arm(
      'PUT',
      '/jobs/sdk-tripwire',
      trainingJob({ training_data: { jobInputType: 'uri_file' } }),
    );
    expect(await raw.json()).toMatchObject({ error: { target: 'properties.inputs.training_data.uri' } });
  });
});
