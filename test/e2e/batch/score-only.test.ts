// End to end: score-only catalog entries (only a `batch` section) in the dev host with Azurite and the Azure ML
// emulator, one per scorer kind. Only public interfaces: the ops backfill operation and batch run view over HTTP, the
// emulator's ARM API (to create the batch endpoint a user would have) and its event subscriptions, and the lake.
// The batch endpoint entry polls only every ten minutes, so its runs finish in time only when the job's Azure ML run
// event reaches the orchestration through the app's Event Grid function.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';

import { seedLake } from '../../../dev/demo/lake-seed';
import type { DevHost } from '../../../dev/host/dev-host';
import { FunctionNames } from '../../../src/functions/names';
import { createBatchModelEndpoint, emulatorWorkspace } from '../../support/emulator-workspace';
import { type InProcessPlatform, startInProcessPlatform } from '../../support/in-process-platform';
import { waitFor } from '../../support/wait-for';

jest.setTimeout(240_000);

const root = path.resolve(__dirname, '..', '..', '..');
const BATCH_ENDPOINT = 'daily-scores';

let platform: InProcessPlatform;
let host: DevHost;
let lake: ContainerClient;
let dir: string;

function scoreOnly(name: string, batch: Record<string, unknown>): Record<string, unknown> {
  return {
    name,
    description: `score-only ${name} (e2e)`,
    batch: {
      container: 'lake',
      inputPrefix: `${name}/incoming/`,
      outputPrefix: `${name}/scores/`,
      outputFormat: 'csv',
      ...batch,
    },
  };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'score-only-e2e-'));
  const catalog = JSON.parse(fs.readFileSync(path.join(root, 'catalog.json'), 'utf8')) as { models: unknown[] };
  catalog.models.push(
    scoreOnly('daily-online', {
      miniBatchSize: 6,
      maxRetries: 0,
      errorThreshold: { records: 0 },
      scorer: { kind: 'onlineEndpoint', endpoint: 'bike-demand' },
    }),
    scoreOnly('daily-batch', {
      scorer: {
        kind: 'batchEndpoint',
        endpoint: BATCH_ENDPOINT,
        polling: { initialIntervalSeconds: 600, maxIntervalSeconds: 600 },
        timeoutMinutes: 60,
      },
    }),
  );
  const catalogPath = path.join(dir, 'catalog.json');
  fs.writeFileSync(catalogPath, JSON.stringify(catalog));
  platform = await startInProcessPlatform({
    name: 'score-only-e2e',
    appSettings: { MLOPS_CATALOG_PATH: catalogPath },
  });
  host = platform.host;
  lake = BlobServiceClient.fromConnectionString(platform.azurite.connectionString).getContainerClient('lake');

  // Azure ML run events reach the app as Event Grid delivers them: to the Event Grid function's webhook.
  const subscribe = await fetch(`${platform.emulator.url}/_emulator/eventSubscribers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      url: `${host.url}/runtime/webhooks/eventgrid?functionName=${FunctionNames.azuremlRunEvents}&code=${encodeURIComponent(host.keys.system['eventgrid_extension'] ?? '')}`,
    }),
  });
  expect(subscribe.status).toBe(200);

  // The batch endpoint a user deploys their notebook model to: a model deployment appending rows.
  await createBatchModelEndpoint(emulatorWorkspace(platform.emulator.url, { lroIntervalMs: 20 }), BATCH_ENDPOINT, {
    main: { miniBatchSize: 2, errorThreshold: 0, retrySettings: { maxRetries: 1, timeout: 'PT30S' } },
  });
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface BatchRunView {
  runId: string;
  status: string;
  reason?: string;
  manifest?: {
    runId: string;
    scorer: { kind: string; job: string | null };
    rows: { in: number; out: number; failed: number };
    output: { files: { name: string; rows: number }[] };
  };
}

async function backfill(model: string, date: string): Promise<{ action: string; statusUrl: string }> {
  const response = await fetch(`${host.url}/api/ops/models/${model}/backfill`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-functions-key': host.keys.function },
    body: JSON.stringify({ date }),
  });
  expect(response.status).toBe(202);
  const body = (await response.json()) as { runs: { action: string; statusUrl: string }[] };
  const run = body.runs[0];
  if (!run) throw new Error('backfill started no run');
  return run;
}

async function finished(statusUrl: string): Promise<BatchRunView> {
  return waitFor(
    async () => {
      const response = await fetch(statusUrl, { headers: { 'x-functions-key': host.keys.function } });
      const run = (await response.json()) as BatchRunView;
      return ['published', 'failed', 'skipped', 'canceled'].includes(run.status) ? run : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 200, description: `the batch run at ${statusUrl} to finish` },
  );
}

async function names(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const b of lake.listBlobsFlat({ prefix })) out.push(b.name.slice(prefix.length));
  return out.sort();
}

async function text(name: string): Promise<string> {
  return (await lake.getBlobClient(name).downloadToBuffer()).toString();
}

/** The demo day (24 rows in four files) under the model's input prefix. */
async function seedDay(model: string, date: string): Promise<void> {
  await seedLake({
    connectionString: platform.azurite.connectionString,
    inputPrefix: `${model}/incoming/`,
    dates: [date],
  });
}

/** Rows whose `temperature` is not a number: the model rejects every request that carries one. */
async function seedBadFile(model: string, date: string, rows: number): Promise<void> {
  let body = 'timestamp,hour,temperature,humidity,windspeed,workingday,count\n';
  for (let i = 0; i < rows; i++) body += `${date}T00:00:00Z,${i % 24},warm,0.5,10,1,100\n`;
  await lake.getBlockBlobClient(`${model}/incoming/date=${date}/zz-bad.csv`).upload(body, Buffer.byteLength(body));
}

describe('score-only models through the dev host', () => {
  it('when a score-only entry scores a day through the online endpoint, then the day is published with its manifest', async () => {
    await seedDay('daily-online', '2026-11-01');
    const run = await finished((await backfill('daily-online', '2026-11-01')).statusUrl);
    expect({ status: run.status, reason: run.reason }).toMatchObject({ status: 'published' });
    expect(run.manifest).toMatchObject({ scorer: { kind: 'onlineEndpoint' }, rows: { in: 24, out: 24, failed: 0 } });
    const published = await names('daily-online/scores/date=2026-11-01/');
    expect(published.filter((n) => n.startsWith('_'))).toEqual(['_SUCCESS', '_manifest.json']);
    expect(published.filter((n) => !n.startsWith('_'))).toEqual(run.manifest?.output.files.map((f) => f.name).sort());
  });

  it("when failed records exceed the entry's record threshold, then the run fails and the day has no output", async () => {
    await seedDay('daily-online', '2026-11-02');
    await seedBadFile('daily-online', '2026-11-02', 3);
    const run = await finished((await backfill('daily-online', '2026-11-02')).statusUrl);
    expect(run.status).toBe('failed');
    expect(run.reason).toMatch(/^3 of 27 records failed; errorThreshold is 0 records/);
    expect(await names('daily-online/scores/date=2026-11-02/')).toEqual([]);
    // The abandoned attempt stays in staging for diagnosis, marked failed; readers never look there.
    const staged = await names('daily-online/scores/_staging/date=2026-11-02/');
    expect(staged.filter((n) => n.endsWith('/_FAILED.json'))).toHaveLength(1);
  });

  it('when a score-only entry scores through the batch endpoint, then the run event wakes it, and a backfill replaces the day whole', async () => {
    await seedDay('daily-batch', '2026-11-03');
    const first = await finished((await backfill('daily-batch', '2026-11-03')).statusUrl);
    expect({ status: first.status, reason: first.reason }).toMatchObject({ status: 'published' });
    expect(first.manifest).toMatchObject({ scorer: { kind: 'batchEndpoint' }, rows: { in: 24, out: 24, failed: 0 } });
    // The job's completion reached the app as an Event Grid event (polling alone would wait ten minutes).
    const deliveries = (await (await fetch(`${platform.emulator.url}/_emulator/events/deliveries`)).json()) as {
      value: { eventType?: string; subject?: string; status?: number; outcome?: string }[];
    };
    expect(
      deliveries.value.some(
        (d) =>
          d.eventType === 'Microsoft.MachineLearningServices.RunCompleted' &&
          d.subject?.includes(first.manifest?.scorer.job ?? '?'),
      ),
    ).toBe(true);

    // More input for the day, then a backfill: the new run's output replaces the old one as a whole.
    const extra =
      'timestamp,hour,temperature,humidity,windspeed,workingday,count\n2026-11-03T23:30:00Z,23,11.5,0.6,12,1,40\n';
    await lake
      .getBlockBlobClient('daily-batch/incoming/date=2026-11-03/zz-late.csv')
      .upload(extra, Buffer.byteLength(extra));
    const again = await backfill('daily-batch', '2026-11-03');
    expect(again.action).toBe('replaced');
    const second = await finished(again.statusUrl);
    expect(second.status).toBe('published');
    expect(second.manifest?.rows).toEqual({ in: 25, out: 25, failed: 0 });
    const final = 'daily-batch/scores/date=2026-11-03/';
    const success = JSON.parse(await text(`${final}_SUCCESS`)) as { runId: string };
    expect(success.runId).toBe(second.manifest?.runId);
    expect(success.runId).not.toBe(first.manifest?.runId);
    const parts = (await names(final)).filter((n) => !n.startsWith('_'));
    expect(parts).toEqual(second.manifest?.output.files.map((f) => f.name).sort());
    const rows = parts.length ? (await text(`${final}${parts[0]}`)).trim().split('\n').length - 1 : 0;
    expect(rows).toBe(25);
  });
});
