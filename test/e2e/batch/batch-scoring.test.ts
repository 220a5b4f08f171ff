// End to end: the compiled app in the dev host, Azurite and the Azure ML emulator; only public interfaces
// (the ops API's backfill operation over HTTP with a function key, the schedule timer, the ops batch run view, the lake).

import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';

import { seedLake, yesterdayUtc } from '../../../dev/demo/lake-seed';
import type { DevHost } from '../../../dev/host/dev-host';
import type { AzuriteBlob } from '../../support/azurite';
import { type InProcessPlatform, startInProcessPlatform } from '../../support/in-process-platform';
import { waitFor } from '../../support/wait-for';

jest.setTimeout(180_000);

let platform: InProcessPlatform;
let azurite: AzuriteBlob;
let host: DevHost;
let lake: ContainerClient;
const logs: string[] = [];

beforeAll(async () => {
  platform = await startInProcessPlatform({ name: 'batch-e2e', log: (line) => logs.push(line) });
  ({ azurite, host } = platform);
  lake = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('lake');
});
afterAll(async () => {
  await platform?.stop();
});

function backfill(
  body: unknown,
  model = 'bike-demand',
  key = host.keys.function,
  route = `ops/models/${model}/backfill`,
): Promise<Response> {
  return fetch(`${host.url}/api/${route}?code=${encodeURIComponent(key)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

interface BatchRunView {
  runId: string;
  status: string;
  progress: { miniBatches: { total: number; done: number; failed: number }; rows: { scored: number; total?: number } };
  manifest?: Record<string, unknown>;
  failures: unknown[];
}

/** Polls the run's ops status URL until the run has ended. */
async function finished(statusUrl: string): Promise<BatchRunView> {
  return waitFor(
    async () => {
      const run = (await (
        await fetch(statusUrl, { headers: { 'x-functions-key': host.keys.function } })
      ).json()) as BatchRunView;
      return ['published', 'failed', 'skipped', 'canceled'].includes(run.status) ? run : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 100, description: 'the batch run to finish' },
  );
}

async function names(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const b of lake.listBlobsFlat({ prefix })) out.push(b.name.slice(prefix.length));
  return out.sort();
}

describe('batch scoring through the dev host', () => {
  it('when a date is backfilled, then the demo model scores the demo day into the lake with a manifest', async () => {
    await seedLake({ connectionString: azurite.connectionString, dates: ['2026-10-01'] });
    const response = await backfill({ date: '2026-10-01' });
    expect(response.status).toBe(202);
    const body = (await response.json()) as {
      runs: { date: string; runId: string; action: string; statusUrl: string }[];
    };
    expect(body.runs).toEqual([
      {
        date: '2026-10-01',
        runId: 'batch-bike-demand-2026-10-01',
        action: 'started',
        statusUrl: `${host.url}/api/ops/batch/runs/batch-bike-demand-2026-10-01`,
      },
    ]);
    const status = await finished(body.runs[0]?.statusUrl ?? '');
    expect(status).toMatchObject({
      status: 'published',
      progress: { rows: { scored: 24, total: 24 }, miniBatches: { failed: 0 } },
      manifest: { rows: { in: 24, out: 24, failed: 0 } },
      failures: [],
    });
    expect(status.progress.miniBatches.done).toBe(status.progress.miniBatches.total);
    const out = await names('bike-demand/scores/date=2026-10-01/');
    expect(out.filter((n) => n.startsWith('_'))).toEqual(['_SUCCESS', '_manifest.json']);
    const manifest = JSON.parse(
      (await lake.getBlobClient('bike-demand/scores/date=2026-10-01/_manifest.json').downloadToBuffer()).toString(),
    ) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      model: 'bike-demand',
      date: '2026-10-01',
      rows: { in: 24, out: 24, failed: 0 },
      scorer: { modelVersions: ['bike-demand:1'] },
    });

    // A second backfill of the same date replaces the first run's output.
    const again = (await (await backfill({ date: '2026-10-01' })).json()) as {
      runs: { action: string; statusUrl: string }[];
    };
    expect(again.runs[0]?.action).toBe('replaced');
    expect((await finished(again.runs[0]?.statusUrl ?? '')).status).toBe('published');
    const replaced = JSON.parse(
      (await lake.getBlobClient('bike-demand/scores/date=2026-10-01/_SUCCESS').downloadToBuffer()).toString(),
    ) as { runId: string };
    expect(replaced.runId).not.toBe((manifest as { runId: string }).runId);
    const parts = (await names('bike-demand/scores/date=2026-10-01/')).filter((n) => n.startsWith('part-'));
    expect(parts.every((p) => p.includes(replaced.runId))).toBe(true);
  });

  it('when the backfill request is invalid, then it answers 400 naming the field and starts nothing', async () => {
    const bad = await backfill({ from: '2026-10-05', to: '2026-10-01' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      type: 'urn:mlops:problem:invalid-request',
      errors: [{ field: 'body.to', message: 'must not be before from' }],
    });
    // The old route is an alias of the ops route: the same answer, byte for byte.
    const viaAlias = await backfill(
      { from: '2026-10-05', to: '2026-10-01' },
      'bike-demand',
      host.keys.function,
      'batch/bike-demand/backfill',
    );
    expect(viaAlias.status).toBe(400);
    expect(await viaAlias.text()).toBe(await (await backfill({ from: '2026-10-05', to: '2026-10-01' })).text());
    const unknown = await backfill({ date: '2026-10-05' }, 'no-such-model');
    expect(unknown.status).toBe(404);
    const unauthorised = await backfill({ date: '2026-10-05' }, 'bike-demand', 'wrong-key');
    expect(unauthorised.status).toBe(401);
    expect(await names('bike-demand/scores/_staging/date=2026-10-05/')).toEqual([]);
  });

  it('when the schedule fires twice for the same day, then one run scores yesterday and the second start is a no-op', async () => {
    const date = yesterdayUtc();
    await seedLake({ connectionString: azurite.connectionString, dates: [date] });
    await host.runTimer('batchSchedule-bike-demand');
    await waitFor(async () => (await names(`bike-demand/scores/date=${date}/`)).includes('_SUCCESS'), {
      timeoutMs: 120_000,
      intervalMs: 100,
      description: 'the scheduled run to publish',
    });
    const first = (await lake.getBlobClient(`bike-demand/scores/date=${date}/_SUCCESS`).downloadToBuffer()).toString();
    await host.runTimer('batchSchedule-bike-demand');
    expect(logs.some((l) => new RegExp(`batch bike-demand ${date}: already(Running|Completed)`).test(l))).toBe(true);
    expect((await lake.getBlobClient(`bike-demand/scores/date=${date}/_SUCCESS`).downloadToBuffer()).toString()).toBe(
      first,
    );
  });
});
