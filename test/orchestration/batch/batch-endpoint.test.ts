// A score-only model scored through an Azure ML batch endpoint (model deployment) on the local durable engine: the
// real activities against Azurite and the Azure ML emulator's batch jobs; observed through the DurableClient and the
// lake. Covers the batchEndpoint scorer, the deployment's and the catalog's error thresholds, data-asset inputs.
import { BlobServiceClient } from '@azure/storage-blob';
import { parse } from 'csv-parse/sync';

import { createBatchActivities } from '../../../src/activities/batch-activities';
import { type BatchSpec, parseCatalog } from '../../../src/catalog';
import {
  BatchOrchestrations,
  batchChunkOrchestrator,
  batchRunOrchestrator,
} from '../../../src/orchestrations/batch-run';
import { batchInstanceId } from '../../../src/services/batch/planner';
import type { BatchRunInput, BatchRunStatus } from '../../../src/services/batch/types';
import { createStateStores } from '../../../src/state';
import { type Harness, startHarness, waitForFinish } from '../../conformance/durable/harness';
import {
  type BatchEnv,
  blobText,
  listNames,
  seedCsv,
  startBatchEnv,
  staticCredential,
  uniquePrefixes,
} from '../../integration/batch/batch-env';
import { createBatchModelEndpoint, emulatorWorkspace } from '../../support/emulator-workspace';
import { type LocalPostgres, startPostgres } from '../../support/postgres';
import { postgresPool } from '../../../src/storage/postgres-table';
import type { Pool } from 'pg';
import type { AzureMlWorkspace } from '../../../src/azureml/workspace';

jest.setTimeout(180_000);

let env: BatchEnv;
let h: Harness;
let ws: AzureMlWorkspace;
let pg: LocalPostgres;
let pool: Pool;

const ENDPOINT = 'nb-score';

beforeAll(async () => {
  env = await startBatchEnv();
  ws = emulatorWorkspace(env.emulator.url, { lroIntervalMs: 20 });
  pg = await startPostgres({ password: 'local-test-token' });
  pool = postgresPool(
    { host: pg.host, port: pg.port, database: pg.database, user: pg.user, ssl: false },
    staticCredential,
  );
  const stateContainer = BlobServiceClient.fromConnectionString(env.azurite.connectionString).getContainerClient(
    'state',
  );
  await stateContainer.createIfNotExists();
  const activities = createBatchActivities({
    ...env.deps,
    ws,
    submissions: createStateStores(stateContainer).submissions,
    postgres: () => pool,
  });
  h = await startHarness((rt) => {
    rt.registerOrchestration(BatchOrchestrations.run, batchRunOrchestrator);
    rt.registerOrchestration(BatchOrchestrations.chunk, batchChunkOrchestrator);
    for (const [name, handler] of Object.entries(activities)) {
      rt.registerActivity(name, (input) => (handler as (i: unknown) => Promise<unknown>)(input));
    }
  });
  await createBatchModelEndpoint(ws, ENDPOINT, {
    strict: { miniBatchSize: 2, errorThreshold: 0, retrySettings: { maxRetries: 1, timeout: 'PT30S' } },
    tolerant: { miniBatchSize: 2, errorThreshold: -1, retrySettings: { maxRetries: 0, timeout: 'PT30S' } },
  });
});

afterAll(async () => {
  await h?.stop();
  await pool?.end();
  await pg?.stop();
  await env?.stop();
});

/** A score-only catalog entry: only a batch section, scored through the batch endpoint. */
function scoreOnlySpec(batch: Record<string, unknown>): BatchSpec {
  const catalog = parseCatalog({
    models: [
      {
        name: 'notebook-model',
        batch: {
          scorer: {
            kind: 'batchEndpoint',
            endpoint: ENDPOINT,
            polling: { initialIntervalSeconds: 1, maxIntervalSeconds: 2 },
          },
          ...batch,
        },
      },
    ],
  });
  return catalog.models[0]?.batch as BatchSpec;
}

async function runBatch(spec: BatchSpec, date: string, label: string) {
  const input: BatchRunInput = { model: 'notebook-model', date, trigger: `test:${label}`, spec, endpoint: ENDPOINT };
  const instanceId = `${batchInstanceId('notebook-model', date)}-${label}`;
  await h.client.startNew(BatchOrchestrations.run, { instanceId, input });
  return waitForFinish(h.client, instanceId, 150_000);
}

async function seedBadFile(prefix: string, date: string, name: string, rows: number): Promise<void> {
  let text = 'timestamp,hour,temperature,humidity,windspeed,workingday,count\n';
  for (let i = 0; i < rows; i++) text += `2026-01-01T00:00:00Z,${i % 24},warm,0.5,10,1,100\n`;
  await env.lake.getBlockBlobClient(`${prefix}date=${date}/${name}`).upload(text, Buffer.byteLength(text));
}

interface Manifest {
  scorer: { kind: string; job: string | null; deployment: string | null; modelVersions: string[] };
  input: { prefix: string; asset: string | null };
  output: { files: { name: string; rows: number }[] };
  rows: { in: number; out: number; failed: number };
  failed: unknown;
  errorThreshold: unknown;
}

describe('batch scoring through an Azure ML batch endpoint', () => {
  it('when a score-only model scores a day through the batch endpoint, then the job output is published atomically with its manifest', async () => {
    const spec = scoreOnlySpec({ ...uniquePrefixes('be-ok') });
    const rowsIn = await seedCsv(env.lake, spec.inputPrefix!, '2026-12-01', [30, 20, 10]);
    const status = await runBatch(spec, '2026-12-01', 'ok');
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toMatchObject({
      status: 'published',
      rowsIn,
      rowsOut: rowsIn,
      batches: { total: 2, failed: 0 },
    });
    const custom = status.customStatus as BatchRunStatus;
    expect(custom).toMatchObject({ phase: 'published', scorer: 'batchEndpoint', job: { status: 'Completed' } });
    const final = `${spec.outputPrefix}date=2026-12-01/`;
    const manifest = JSON.parse(await blobText(env.lake, `${final}_manifest.json`)) as Manifest;
    expect(manifest.scorer).toEqual({
      kind: 'batchEndpoint',
      endpoint: ENDPOINT,
      job: custom.job?.name,
      deployment: 'strict',
      modelVersions: ['bike-demand:1'],
    });
    expect(manifest.rows).toEqual({ in: rowsIn, out: rowsIn, failed: 0 });
    expect(manifest.failed).toEqual({ records: 0, files: 0, miniBatches: 0 });
    const names = await listNames(env.lake, final);
    expect(names).toEqual(['_SUCCESS', '_manifest.json', manifest.output.files[0]?.name].sort());
    const rows = parse<Record<string, string>>(await blobText(env.lake, `${final}${manifest.output.files[0]?.name}`), {
      columns: true,
    });
    expect(rows).toHaveLength(rowsIn);
    expect(Object.keys(rows[0] ?? {})).toEqual(['file', 'row', 'prediction', 'model_version']);
    expect(new Set(rows.map((r) => r.file))).toEqual(new Set(['part-000.csv', 'part-001.csv', 'part-002.csv']));
    expect(rows.every((r) => Number.isFinite(Number(r.prediction)) && r.model_version === 'bike-demand:1')).toBe(true);
    expect(await listNames(env.lake, `${spec.outputPrefix}_staging/`)).toEqual([]);
  });

  it("when a file fails over the deployment's errorThreshold, then the job fails and nothing is published", async () => {
    const spec = scoreOnlySpec({ ...uniquePrefixes('be-over') });
    await seedCsv(env.lake, spec.inputPrefix!, '2026-12-02', [30, 20]);
    await seedBadFile(spec.inputPrefix!, '2026-12-02', 'zz-bad.csv', 5);
    const status = await runBatch(spec, '2026-12-02', 'over');
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toMatch(
      /batch endpoint job \S+ Failed: .*errorThreshold of 0.*nothing was published/,
    );
    expect(await listNames(env.lake, `${spec.outputPrefix}date=2026-12-02/`)).toEqual([]);
  });

  it("when the deployment tolerates failures but the catalog's files threshold does not, then nothing is published", async () => {
    const spec = scoreOnlySpec({
      ...uniquePrefixes('be-files'),
      inputMode: 'files',
      errorThreshold: { files: 0 },
      scorer: {
        kind: 'batchEndpoint',
        endpoint: ENDPOINT,
        deployment: 'tolerant',
        polling: { initialIntervalSeconds: 1 },
      },
    });
    await seedCsv(env.lake, spec.inputPrefix!, '2026-12-03', [30, 20]);
    await seedBadFile(spec.inputPrefix!, '2026-12-03', 'zz-bad.csv', 5);
    const status = await runBatch(spec, '2026-12-03', 'files');
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toMatch(/1 of 3 files failed; errorThreshold is 0 files; nothing was published/);
    expect(await listNames(env.lake, `${spec.outputPrefix}date=2026-12-03/`)).toEqual([]);

    // The same day within {records: 5} publishes, and the manifest counts the failure in every unit.
    const tolerant = { ...spec, inputMode: 'tabular' as const, errorThreshold: { records: 5 } };
    const again = await runBatch(tolerant, '2026-12-03', 'records');
    expect(again.runtimeStatus).toBe('Completed');
    const manifest = JSON.parse(
      await blobText(env.lake, `${spec.outputPrefix}date=2026-12-03/_manifest.json`),
    ) as Manifest;
    expect(manifest.rows).toEqual({ in: 55, out: 50, failed: 5 });
    expect(manifest.failed).toEqual({ records: 5, files: 1, miniBatches: 1 });
    expect(manifest.errorThreshold).toEqual({ unit: 'records', limit: 5 });
  });

  it('when the catalog names a table, then the day is written to PostgreSQL too, a backfill replaces it and a failed run leaves it', async () => {
    const table = { name: `scores_${process.pid}` };
    const spec = scoreOnlySpec({ ...uniquePrefixes('be-table'), table });
    const rowsOf = async () =>
      (
        await pool.query<{ file: string; n: string }>(
          `SELECT file, count(*) AS n FROM public.${table.name} WHERE score_date = '2026-12-05' GROUP BY file ORDER BY file`,
        )
      ).rows.map((r) => [r.file, Number(r.n)]);
    await seedCsv(env.lake, spec.inputPrefix!, '2026-12-05', [12, 8]);
    expect((await runBatch(spec, '2026-12-05', 'table-1')).runtimeStatus).toBe('Completed');
    expect(await rowsOf()).toEqual([
      ['part-000.csv', 12],
      ['part-001.csv', 8],
    ]);
    // A backfill of the same date after the input changed: the day's rows are replaced, not appended.
    await env.lake.deleteBlob(`${spec.inputPrefix!}date=2026-12-05/part-001.csv`);
    expect((await runBatch(spec, '2026-12-05', 'table-2')).runtimeStatus).toBe('Completed');
    expect(await rowsOf()).toEqual([['part-000.csv', 12]]);
    // Over the deployment's threshold: the run fails and neither the lake nor the table changes.
    await seedBadFile(spec.inputPrefix!, '2026-12-05', 'zz-bad.csv', 5);
    expect((await runBatch(spec, '2026-12-05', 'table-3')).runtimeStatus).toBe('Failed');
    expect(await rowsOf()).toEqual([['part-000.csv', 12]]);
  });

  it('when the input is a registered data asset (latest or pinned), then that version is scored and named in the manifest', async () => {
    const prefixes = uniquePrefixes('be-asset');
    const rowsIn = await seedCsv(env.lake, prefixes.inputPrefix, 'snapshot', [25]);
    const assetName = `asset-${process.pid}`;
    for (const version of ['1', '2']) {
      await ws.arm.dataVersions.createOrUpdate(ws.resourceGroup, ws.workspace, assetName, version, {
        properties: {
          dataType: 'uri_folder',
          dataUri: `azureml://datastores/devstoreaccount1_lake/paths/${version === '2' ? `${prefixes.inputPrefix}date=snapshot/` : 'nowhere/'}`,
        },
      });
      // Versions created one emulator second apart, so "latest" (newest by creation time) is unambiguous.
      expect((await env.control('POST', '/clock/advance', { ms: 1000 })).status).toBe(200);
    }
    const spec = scoreOnlySpec({
      outputPrefix: prefixes.outputPrefix,
      input: { kind: 'dataAsset', name: assetName },
    });
    const status = await runBatch(spec, '2026-12-04', 'asset');
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toMatchObject({ status: 'published', rowsIn, rowsOut: rowsIn });
    const manifest = JSON.parse(
      await blobText(env.lake, `${prefixes.outputPrefix}date=2026-12-04/_manifest.json`),
    ) as Manifest;
    expect(manifest.input).toMatchObject({ prefix: `${prefixes.inputPrefix}date=snapshot/`, asset: `${assetName}:2` });

    // Pinned: exactly that version, even when a newer one exists (resolution errors: test/integration/retrain).
    const older = await seedCsv(env.lake, prefixes.inputPrefix, 'older', [7]);
    for (const [version, folder] of [
      ['3', 'date=older/'],
      ['4', 'nowhere/'],
    ] as const) {
      await ws.arm.dataVersions.createOrUpdate(ws.resourceGroup, ws.workspace, assetName, version, {
        properties: {
          dataType: 'uri_folder',
          dataUri: `azureml://datastores/devstoreaccount1_lake/paths/${version === '3' ? prefixes.inputPrefix : ''}${folder}`,
        },
      });
    }
    const pinned = await runBatch(
      scoreOnlySpec({
        outputPrefix: prefixes.outputPrefix,
        input: { kind: 'dataAsset', name: assetName, version: '3' },
      }),
      '2026-12-05',
      'asset-pinned',
    );
    expect(pinned.output).toMatchObject({ status: 'published', rowsIn: older, rowsOut: older });
    const pinnedManifest = JSON.parse(
      await blobText(env.lake, `${prefixes.outputPrefix}date=2026-12-05/_manifest.json`),
    ) as Manifest;
    expect(pinnedManifest.input).toMatchObject({ asset: `${assetName}:3` });
  });
});
