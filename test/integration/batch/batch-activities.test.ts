// Batch activities against Azurite and the Azure ML emulator: real blob and scoring traffic, no durable engine.
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { parse } from 'csv-parse/sync';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';

import { createBatchActivities, type FinalizeInput } from '../../../src/activities/batch-activities';
import { BatchActivities, type ScoreMiniBatchRef } from '../../../src/orchestrations/batch-run';
import { type BatchSpec, parseCatalog } from '../../../src/catalog';
import { runIdFor } from '../../../src/services/batch/layout';
import { describeThreshold } from '../../../src/services/batch/threshold';
import type { MiniBatchResult, PlanSummary, RunRef } from '../../../src/services/batch/types';
import { RESOURCE_GROUP, SUBSCRIPTION_ID, WORKSPACE } from '../../../dev/azureml-emulator';
import { armEndpointResolver } from '../../../src/services/batch/endpoint-resolver';
import {
  type BatchEnv,
  bikeSpec,
  staticCredential,
  blobText,
  listNames,
  seedCsv,
  startBatchEnv,
  uniquePrefixes,
} from './batch-env';
import { seededModelEntry } from '../../support/emulator-workspace';

jest.setTimeout(120_000);

let env: BatchEnv;
beforeAll(async () => {
  env = await startBatchEnv();
});
afterAll(async () => {
  await env?.stop();
});

const DATE = '2026-11-21';

function runRef(spec: BatchSpec, startedAt: string): RunRef {
  return {
    model: 'bike-demand',
    date: DATE,
    runId: runIdFor(startedAt),
    instanceId: `batch-bike-demand-${DATE}`,
    container: 'lake',
    inputPrefix: spec.inputPrefix ?? '',
    outputPrefix: spec.outputPrefix,
  };
}

/** Runs plan → every mini-batch → publish through the activity functions, as the orchestrator would. */
async function runThrough(spec: BatchSpec, startedAt: string, activities = createBatchActivities(env.deps)) {
  const run = runRef(spec, startedAt);
  const plan: PlanSummary = await activities[BatchActivities.plan]({
    run,
    endpoint: 'bike-demand',
    deployment: undefined,
    inputMode: spec.inputMode,
    miniBatchSize: spec.miniBatchSize,
  });
  const settings = {
    requestRows: spec.requestRows,
    requestConcurrency: spec.requestConcurrency,
    requestTimeoutMs: spec.requestTimeoutMs,
    outputFormat: spec.outputFormat,
    predictionColumn: spec.predictionColumn,
    modelVersionColumn: spec.modelVersionColumn,
    features: spec.features,
  };
  const results: MiniBatchResult[] = [];
  for (let index = 0; index < plan.miniBatches; index++) {
    const ref: ScoreMiniBatchRef = { run, planBlob: plan.planBlob, index, scorer: plan.scorer, settings };
    results.push(await activities[BatchActivities.scoreMiniBatch](ref));
  }
  // As chunks do: the scored results go to chunk records (two when there are several, the second from the middle on).
  const middle = Math.ceil(results.length / 2);
  const chunkRecords: string[] = [];
  for (const from of middle < results.length ? [0, middle] : [0]) {
    const succeeded = results.slice(from, from === 0 ? middle : undefined);
    chunkRecords.push(await activities[BatchActivities.recordChunk]({ run, from, succeeded }));
  }
  const finalize: FinalizeInput = {
    run,
    planBlob: plan.planBlob,
    trigger: 'test',
    endpoint: 'bike-demand',
    deployment: undefined,
    modelVersions: Object.values(plan.scorer.modelVersions),
    inputFiles: plan.files,
    inputBytes: plan.bytes,
    rowsIn: plan.rows,
    format: spec.outputFormat,
    mode: spec.outputMode,
    chunkRecords,
    scored: results.length,
    failures: [],
    scorerKind: 'onlineEndpoint',
    job: undefined,
    input: plan.input,
    tally: await activities[BatchActivities.tally]({ run, planBlob: plan.planBlob, failures: [] }),
    errorThreshold: describeThreshold(spec.errorThreshold),
    startedAt,
    scoringStartedAt: startedAt,
    publishStartedAt: startedAt,
    reason: 'ok',
  };
  const published = await activities[BatchActivities.publish](finalize);
  return { run, plan, results, published, settings, activities, finalize };
}

describe('batch scoring activities on Azurite and the Azure ML emulator', () => {
  it('when a classic scoring script takes {data: [records]} and answers a JSON-encoded string, and an ID column is declared a string, then every row is scored and 007 stays 007', async () => {
    const arm = new AzureMachineLearningWorkspaces(staticCredential, SUBSCRIPTION_ID, { endpoint: env.emulator.url });
    const ws = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE}`;
    await arm.onlineDeployments.beginCreateOrUpdateAndWait(
      RESOURCE_GROUP,
      WORKSPACE,
      'bike-demand',
      'bike-demand-script',
      {
        location: 'local',
        sku: { name: 'Default', capacity: 1 },
        properties: {
          endpointComputeType: 'Managed',
          model: `${ws}/models/bike-demand/versions/1`,
          environmentId: `${ws}/environments/sklearn-inference/versions/1`,
          codeConfiguration: { codeId: `${ws}/codes/bike-score/versions/1`, scoringScript: 'score.py' },
          instanceType: 'Standard_DS3_v2',
        },
      },
      { updateIntervalInMs: 10 },
    );
    const prefixes = uniquePrefixes('classic');
    const features = ['hour', 'temperature', 'humidity', 'windspeed', 'workingday'];
    const csv = [
      'station_id,' + features.join(','),
      '007,8,20,0.5,10,1',
      '042,17,25,0.4,5,1',
      '0100,3,5,0.9,30,0',
    ].join('\n');
    await env.lake
      .getBlockBlobClient(`${prefixes.inputPrefix}date=${DATE}/stations.csv`)
      .upload(csv, Buffer.byteLength(csv));
    const catalog = parseCatalog({
      models: [
        {
          ...seededModelEntry(),
          deployment: { endpoint: 'bike-demand', smokeSample: {} },
          batch: {
            ...prefixes,
            features,
            requestFormat: 'dataRecords',
            columnTypes: { station_id: 'string' },
          },
        },
      ],
    });
    const spec = catalog.models[0]?.batch as BatchSpec;
    const activities = createBatchActivities({ ...env.deps, catalog });
    const run = runRef(spec, '2026-11-22T02:00:00.000Z');
    const plan = await activities[BatchActivities.plan]({
      run,
      endpoint: 'bike-demand',
      deployment: 'bike-demand-script',
      inputMode: 'tabular',
      miniBatchSize: 100,
    });
    expect(plan.scorer.request).toEqual({ format: 'dataRecords', columnTypes: { station_id: 'string' } });
    const result = await activities[BatchActivities.scoreMiniBatch]({
      run,
      planBlob: plan.planBlob,
      index: 0,
      scorer: plan.scorer,
      settings: {
        requestRows: 10,
        requestConcurrency: 1,
        requestTimeoutMs: 30_000,
        outputFormat: 'csv',
        predictionColumn: 'prediction',
        modelVersionColumn: 'model_version',
        features,
      },
    });
    const rows: Record<string, string>[] = parse(await blobText(env.lake, result.part.blob), { columns: true });
    expect(rows.map((r) => r.station_id)).toEqual(['007', '042', '0100']);
    expect(rows.every((r) => Number.isFinite(Number(r.prediction)))).toBe(true);
  });

  it('when a day of CSV files is scored, then every row comes back with a prediction and the model version', async () => {
    const spec = bikeSpec({ ...uniquePrefixes('csv'), miniBatchSize: 120, requestRows: 50 });
    const rowsIn = await seedCsv(env.lake, spec.inputPrefix!, DATE, [250, 7]);
    const { plan, published } = await runThrough(spec, '2026-11-22T02:00:00.000Z');
    expect(plan).toMatchObject({ miniBatches: 3, rows: rowsIn, files: 2 });
    const finalPrefix = `${spec.outputPrefix}date=${DATE}/`;
    const names = await listNames(env.lake, finalPrefix);
    expect(names).toEqual([
      '_SUCCESS',
      '_manifest.json',
      'part-20261122t020000000z-000000.csv',
      'part-20261122t020000000z-000001.csv',
      'part-20261122t020000000z-000002.csv',
    ]);
    const rows = (
      await Promise.all(names.filter((n) => n.endsWith('.csv')).map((n) => blobText(env.lake, finalPrefix + n)))
    ).flatMap((text): Record<string, string>[] => parse(text, { columns: true }));
    expect(rows).toHaveLength(rowsIn);
    expect(Object.keys(rows[0] ?? {})).toEqual([
      'timestamp',
      'hour',
      'temperature',
      'humidity',
      'windspeed',
      'workingday',
      'count',
      'prediction',
      'model_version',
    ]);
    expect(rows.every((r) => Number.isFinite(Number(r.prediction)) && r.model_version === 'bike-demand:1')).toBe(true);
    const manifest = JSON.parse(await blobText(env.lake, published.manifestBlob)) as Record<string, unknown>;
    expect(manifest).toMatchObject({ rows: { in: rowsIn, out: rowsIn, failed: 0 }, batches: { total: 3, failed: 0 } });
    expect(await listNames(env.lake, `${spec.outputPrefix}_staging/`)).toEqual([]);
    expect(env.telemetry.events.map((e) => e.name)).toEqual(expect.arrayContaining(['BatchPlanned', 'BatchPublished']));
  });

  it('when the chunk records do not add up to what the run counted, then publish refuses and publishes nothing', async () => {
    const spec = bikeSpec({ ...uniquePrefixes('records'), miniBatchSize: 120, requestRows: 50 });
    await seedCsv(env.lake, spec.inputPrefix!, DATE, [250]);
    const { finalize, activities } = await runThrough(spec, '2026-11-23T02:00:00.000Z');
    const finalPrefix = `${spec.outputPrefix}date=${DATE}/`;
    const before = await listNames(env.lake, finalPrefix);
    // A rerun of the same date whose run lost a record (only the first chunk's is handed over).
    const rerun = { ...finalize, run: { ...finalize.run, runId: 'lost-record' } };
    const kept = await activities[BatchActivities.recordChunk]({ run: rerun.run, from: 0, succeeded: [] });
    await expect(
      activities[BatchActivities.publish]({ ...rerun, chunkRecords: [kept], scored: finalize.scored }),
    ).rejects.toThrow(
      `the chunk records of run lost-record hold 0 scored mini-batches, the run counted ${finalize.scored}`,
    );
    expect(await listNames(env.lake, finalPrefix)).toEqual(before);
  });

  it('when the endpoint answers with a 429 storm, then Retry-After is honoured and no row is lost', async () => {
    const spec = bikeSpec({ ...uniquePrefixes('storm'), miniBatchSize: 400, requestRows: 40, requestConcurrency: 4 });
    const rowsIn = await seedCsv(env.lake, spec.inputPrefix!, DATE, [400]);
    const fault = await env.control('PUT', '/onlineEndpoints/bike-demand/deployments/bike-demand-v1/scoringFaults', {
      throttle: { statusCode: 429, share: 0.4, retryAfterSeconds: 1 },
    });
    expect(fault.status).toBe(200);
    try {
      const { results, published } = await runThrough(spec, '2026-11-22T02:00:00.000Z');
      expect(results[0]?.throttled).toBeGreaterThan(0);
      expect(results[0]).toMatchObject({ rowsIn, rowsOut: rowsIn });
      const manifest = JSON.parse(await blobText(env.lake, published.manifestBlob)) as {
        throughput: { throttledRequests: number };
      };
      expect(manifest.throughput.throttledRequests).toBeGreaterThan(0);
    } finally {
      await env.control('DELETE', '/onlineEndpoints/bike-demand/deployments/bike-demand-v1/scoringFaults');
    }
  });

  it('when a mini-batch crashes midway and is retried, then its part holds each row exactly once', async () => {
    const spec = bikeSpec({ ...uniquePrefixes('crash'), miniBatchSize: 300, requestRows: 25, requestConcurrency: 2 });
    await seedCsv(env.lake, spec.inputPrefix!, DATE, [300]);
    const run = runRef(spec, '2026-11-22T02:00:00.000Z');
    const activities = createBatchActivities(env.deps);
    const plan = await activities[BatchActivities.plan]({
      run,
      endpoint: 'bike-demand',
      deployment: undefined,
      inputMode: 'tabular',
      miniBatchSize: 300,
    });
    const settings = {
      requestRows: 25,
      requestConcurrency: 2,
      requestTimeoutMs: 30_000,
      outputFormat: 'csv' as const,
      predictionColumn: 'prediction',
      modelVersionColumn: 'model_version',
      features: undefined,
    };
    // The first attempt loses its key after a few requests: the activity fails with part of the rows already written.
    let calls = 0;
    const crashing = createBatchActivities({
      ...env.deps,
      resolver: {
        describe: (e) => env.deps.resolver.describe(e),
        secret: (e) => (++calls > 5 ? Promise.reject(new Error('worker lost')) : env.deps.resolver.secret(e)),
      },
    });
    const ref: ScoreMiniBatchRef = { run, planBlob: plan.planBlob, index: 0, scorer: plan.scorer, settings };
    await expect(crashing[BatchActivities.scoreMiniBatch](ref)).rejects.toThrow('worker lost');
    expect(await listNames(env.lake, `${spec.outputPrefix}_staging/date=${DATE}/${run.runId}/`)).toEqual(['plan.json']);
    // Retry, twice (a retry after a successful but unacknowledged attempt overwrites the same part).
    await activities[BatchActivities.scoreMiniBatch](ref);
    const again = await activities[BatchActivities.scoreMiniBatch](ref);
    const text = await blobText(env.lake, again.part.blob);
    const rows: Record<string, string>[] = parse(text, { columns: true });
    expect(rows).toHaveLength(300);
    expect(new Set(rows.map((r) => r.timestamp)).size).toBe(300);
  });

  it('when a date is re-run, then the new output replaces the old one completely', async () => {
    const spec = bikeSpec({ ...uniquePrefixes('rerun'), miniBatchSize: 100, requestRows: 100 });
    await seedCsv(env.lake, spec.inputPrefix!, DATE, [250]);
    await runThrough(spec, '2026-11-22T02:00:00.000Z');
    const finalPrefix = `${spec.outputPrefix}date=${DATE}/`;
    expect((await listNames(env.lake, finalPrefix)).filter((n) => n.startsWith('part-'))).toHaveLength(3);
    // The input shrinks; the re-run must not leave the first run's third part behind.
    await env.lake.getBlobClient(`${spec.inputPrefix!}date=${DATE}/part-000.csv`).delete();
    await seedCsv(env.lake, spec.inputPrefix!, DATE, [150], 7);
    await runThrough(spec, '2026-11-23T09:30:00.000Z');
    expect(await listNames(env.lake, finalPrefix)).toEqual([
      '_SUCCESS',
      '_manifest.json',
      'part-20261123t093000000z-000000.csv',
      'part-20261123t093000000z-000001.csv',
    ]);
    expect(JSON.parse(await blobText(env.lake, `${finalPrefix}_SUCCESS`))).toEqual({
      runId: '20261123t093000000z',
      manifest: '_manifest.json',
    });
    const manifest = JSON.parse(await blobText(env.lake, `${finalPrefix}_manifest.json`)) as {
      runId: string;
      rows: { out: number };
    };
    expect(manifest).toMatchObject({ runId: '20261123t093000000z', rows: { out: 150 } });
  });

  it('when the partition mixes CSV and a Parquet file of several row groups, then both are scored in order', async () => {
    const spec = bikeSpec({ ...uniquePrefixes('mixed'), miniBatchSize: 50, requestRows: 30 });
    const csvRows = await seedCsv(env.lake, spec.inputPrefix!, DATE, [60]);
    const n = 130;
    const columnData = [
      { name: 'hour', data: Array.from({ length: n }, (_, i) => i % 24), type: 'DOUBLE' as const },
      { name: 'temperature', data: Array.from({ length: n }, (_, i) => 10 + (i % 15)), type: 'DOUBLE' as const },
      { name: 'humidity', data: Array.from({ length: n }, () => 0.5), type: 'DOUBLE' as const },
      { name: 'windspeed', data: Array.from({ length: n }, (_, i) => i % 20), type: 'DOUBLE' as const },
      { name: 'workingday', data: Array.from({ length: n }, (_, i) => i % 2), type: 'DOUBLE' as const },
      { name: 'id', data: Array.from({ length: n }, (_, i) => `row-${i}`), type: 'STRING' as const },
    ];
    const buffer = Buffer.from(parquetWriteBuffer({ columnData, rowGroupSize: 40 }));
    await env.lake.getBlockBlobClient(`${spec.inputPrefix!}date=${DATE}/zz.parquet`).upload(buffer, buffer.length);
    const { plan, results } = await runThrough(spec, '2026-11-22T02:00:00.000Z');
    expect(plan.rows).toBe(csvRows + n);
    expect(results.reduce((sum, r) => sum + r.rowsOut, 0)).toBe(csvRows + n);
    // The CSV file (part-000.csv) sorts before zz.parquet, so the last published part is the Parquet file's tail.
    const finalPrefix = `${spec.outputPrefix}date=${DATE}/`;
    const parts = (await listNames(env.lake, finalPrefix)).filter((name) => name.startsWith('part-'));
    expect(plan.miniBatches).toBe(parts.length);
    const last = await blobText(env.lake, finalPrefix + (parts[parts.length - 1] ?? ''));
    const rows: Record<string, string>[] = parse(last, { columns: true });
    expect(Object.keys(rows[0] ?? {})).toEqual([
      'hour',
      'temperature',
      'humidity',
      'windspeed',
      'workingday',
      'id',
      'prediction',
      'model_version',
    ]);
    expect(rows[rows.length - 1]?.id).toBe('row-129');
  });

  it('when Parquet output is combined with appendRow, then one readable file holds all rows', async () => {
    const spec = bikeSpec({
      ...uniquePrefixes('pq'),
      miniBatchSize: 100,
      requestRows: 60,
      outputFormat: 'parquet',
      outputMode: 'appendRow',
    });
    const rowsIn = await seedCsv(env.lake, spec.inputPrefix!, DATE, [130, 90]);
    const { published } = await runThrough(spec, '2026-11-22T02:00:00.000Z');
    const finalPrefix = `${spec.outputPrefix}date=${DATE}/`;
    const names = await listNames(env.lake, finalPrefix);
    expect(names).toEqual(['_SUCCESS', '_manifest.json', 'scores-20261122t020000000z.parquet']);
    const data = await env.lake.getBlobClient(`${finalPrefix}scores-20261122t020000000z.parquet`).downloadToBuffer();
    const file = data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer;
    expect(Number(parquetMetadata(file).num_rows)).toBe(rowsIn);
    const rows = await parquetReadObjects({ file });
    expect(typeof rows[0]?.prediction).toBe('number');
    expect(rows[0]?.model_version).toBe('bike-demand:1');
    expect(published.prefix).toBe(finalPrefix);
  });

  it('when the endpoint key is regenerated mid-run, then the next request gets one 401, re-reads the key and the mini-batch succeeds', async () => {
    const spec = bikeSpec({ ...uniquePrefixes('rotate'), miniBatchSize: 40, requestRows: 40 });
    await seedCsv(env.lake, spec.inputPrefix!, DATE, [80]);
    const arm = new AzureMachineLearningWorkspaces(staticCredential, SUBSCRIPTION_ID, { endpoint: env.emulator.url });
    const resolver = armEndpointResolver(arm, { resourceGroup: RESOURCE_GROUP, workspace: WORKSPACE });
    const activities = createBatchActivities({ ...env.deps, resolver });
    const run = runRef(spec, '2026-11-22T02:00:00.000Z');
    const plan = await activities[BatchActivities.plan]({
      run,
      endpoint: 'bike-demand',
      deployment: undefined,
      inputMode: 'tabular',
      miniBatchSize: 40,
    });
    const settings = {
      requestRows: 40,
      requestConcurrency: 1,
      requestTimeoutMs: 30_000,
      outputFormat: 'csv' as const,
      predictionColumn: 'prediction',
      modelVersionColumn: 'model_version',
      features: undefined,
    };
    const ref = (index: number): ScoreMiniBatchRef => ({
      run,
      planBlob: plan.planBlob,
      index,
      scorer: plan.scorer,
      settings,
    });
    await activities[BatchActivities.scoreMiniBatch](ref(0));
    try {
      await arm.onlineEndpoints.beginRegenerateKeysAndWait(
        RESOURCE_GROUP,
        WORKSPACE,
        'bike-demand',
        { keyType: 'Primary' },
        { updateIntervalInMs: 10 },
      );
      await expect(activities[BatchActivities.scoreMiniBatch](ref(1))).resolves.toMatchObject({ rowsOut: 40 });
      const calls = (await (await fetch(`${env.emulator.url}/_emulator/scoringCalls?endpoint=bike-demand`)).json()) as {
        value: { status: number }[];
      };
      expect(calls.value.slice(-2).map((call) => call.status)).toEqual([401, 200]);
    } finally {
      // The shared environment's resolver still holds the old key: renew it for the tests that follow.
      env.deps.resolver.refresh?.('bike-demand', await env.deps.resolver.secret('bike-demand'));
    }
  });
});
