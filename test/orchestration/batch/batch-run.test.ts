// The batch orchestrations on the local durable engine, with the real activities against Azurite and the Azure ML
// emulator. Observed through the real DurableClient: runtime status, custom status, output; and the lake.
import { parse } from 'csv-parse/sync';

import { createBatchActivities } from '../../../src/activities/batch-activities';
import type { BatchSpec } from '../../../src/catalog';
import {
  BatchOrchestrations,
  batchChunkOrchestrator,
  batchRunOrchestrator,
} from '../../../src/orchestrations/batch-run';
import { batchInstanceId } from '../../../src/services/batch/planner';
import type { BatchRunInput, BatchRunOutcome, BatchRunStatus } from '../../../src/services/batch/types';
import { type Harness, startHarness, waitForFinish } from '../../conformance/durable/harness';
import {
  type BatchEnv,
  bikeSpec,
  blobText,
  listNames,
  seedCsv,
  startBatchEnv,
  uniquePrefixes,
} from '../../integration/batch/batch-env';

jest.setTimeout(180_000);

let env: BatchEnv;
let h: Harness;
let inFlight = 0;
let maxInFlight = 0;
/** Mini-batches whose first attempt crashes (the worker dies mid-batch): plan blob prefix + index. */
const crashFirstAttempt: { prefix: string; index: number }[] = [];
/** Attempts per `<planBlob>#<index>`. */
const attempts = new Map<string, number>();

beforeAll(async () => {
  env = await startBatchEnv();
  const activities = createBatchActivities(env.deps);
  h = await startHarness(
    (rt) => {
      rt.registerOrchestration(BatchOrchestrations.run, batchRunOrchestrator);
      rt.registerOrchestration(BatchOrchestrations.chunk, batchChunkOrchestrator);
      for (const [name, handler] of Object.entries(activities)) {
        rt.registerActivity(name, async (input) => {
          const scoring = name === 'batchScoreMiniBatch';
          if (scoring) maxInFlight = Math.max(maxInFlight, ++inFlight);
          try {
            if (scoring) {
              const ref = input as { planBlob: string; index: number };
              const id = `${ref.planBlob}#${ref.index}`;
              attempts.set(id, (attempts.get(id) ?? 0) + 1);
              const crash = crashFirstAttempt.some((c) => ref.planBlob.startsWith(c.prefix) && c.index === ref.index);
              if (crash && attempts.get(id) === 1) throw new Error('worker lost mid-batch');
            }
            return await (handler as (i: unknown) => Promise<unknown>)(input);
          } finally {
            if (scoring) inFlight--;
          }
        });
      }
    },
    { maxConcurrentActivityFunctions: 16 },
  );
});
afterAll(async () => {
  await h?.stop();
  await env?.stop();
});
beforeEach(() => {
  maxInFlight = 0;
});

async function runBatch(spec: BatchSpec, date: string, label: string) {
  const input: BatchRunInput = { model: 'bike-demand', date, trigger: `test:${label}`, spec, endpoint: 'bike-demand' };
  const instanceId = `${batchInstanceId('bike-demand', date)}-${label}`;
  await h.client.startNew(BatchOrchestrations.run, { instanceId, input });
  return waitForFinish(h.client, instanceId, 150_000);
}

/** A CSV file whose rows have a non-numeric feature: the model rejects every request of its mini-batch (424). */
async function seedBadFile(spec: BatchSpec, date: string, name: string, rows: number): Promise<void> {
  let text = 'timestamp,hour,temperature,humidity,windspeed,workingday,count\n';
  for (let i = 0; i < rows; i++) text += `2026-01-01T00:00:00Z,${i % 24},warm,0.5,10,1,100\n`;
  await env.lake.getBlockBlobClient(`${spec.inputPrefix!}date=${date}/${name}`).upload(text, Buffer.byteLength(text));
}

describe('batch scoring orchestration', () => {
  it('when 25 mini-batches run with maxParallel 3, then the whole run never has more than 3 in flight and all rows publish', async () => {
    const spec = bikeSpec({
      ...uniquePrefixes('fanout'),
      miniBatchSize: 20,
      requestRows: 20,
      maxParallel: 3,
      maxRetries: 0,
    });
    const rowsIn = await seedCsv(env.lake, spec.inputPrefix!, '2026-11-01', [200, 300]);
    const status = await runBatch(spec, '2026-11-01', 'fanout');
    expect(status.runtimeStatus).toBe('Completed');
    const output = status.output as BatchRunOutcome;
    expect(output).toMatchObject({ status: 'published', rowsIn, rowsOut: rowsIn, batches: { total: 25, failed: 0 } });
    expect(status.customStatus).toMatchObject({
      phase: 'published',
      batches: { total: 25, done: 25, failed: 0 },
      rowsScored: rowsIn,
    });
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThan(1);
  });

  it('when 205 mini-batches span three chunk sub-orchestrations, then they share maxParallel and every row publishes once', async () => {
    const spec = bikeSpec({
      ...uniquePrefixes('chunks'),
      miniBatchSize: 4,
      requestRows: 4,
      maxParallel: 8,
      maxRetries: 0,
    });
    const rowsIn = await seedCsv(env.lake, spec.inputPrefix!, '2026-11-05', [820]);
    const status = await runBatch(spec, '2026-11-05', 'chunks');
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toMatchObject({ status: 'published', rowsOut: rowsIn, batches: { total: 205, failed: 0 } });
    expect(maxInFlight).toBeLessThanOrEqual(8);
    const finalPrefix = `${spec.outputPrefix}date=2026-11-05/`;
    const manifest = JSON.parse(await blobText(env.lake, `${finalPrefix}_manifest.json`)) as {
      output: { files: unknown[] };
    };
    expect(manifest.output.files).toHaveLength(205);
  });

  it('when failed mini-batches stay within errorThreshold, then the run publishes and the manifest lists the failures', async () => {
    const spec = bikeSpec({
      ...uniquePrefixes('partial'),
      miniBatchSize: 50,
      requestRows: 25,
      errorThreshold: 1,
      maxRetries: 1,
      retryIntervalSeconds: 1,
    });
    const good = await seedCsv(env.lake, spec.inputPrefix!, '2026-11-02', [100]);
    await seedBadFile(spec, '2026-11-02', 'zz-bad.csv', 30);
    const status = await runBatch(spec, '2026-11-02', 'partial');
    expect(status.runtimeStatus).toBe('Completed');
    const output = status.output as BatchRunOutcome;
    expect(output).toMatchObject({
      status: 'published',
      rowsIn: good + 30,
      rowsOut: good,
      batches: { total: 3, failed: 1 },
    });
    const finalPrefix = `${spec.outputPrefix}date=2026-11-02/`;
    const manifest = JSON.parse(await blobText(env.lake, `${finalPrefix}_manifest.json`)) as {
      failures: { key: string; rows: number; reason: string }[];
      rows: unknown;
      batches: unknown;
      failed: unknown;
      errorThreshold: unknown;
    };
    expect(manifest.rows).toEqual({ in: good + 30, out: good, failed: 30 });
    expect(manifest.batches).toEqual({ total: 3, succeeded: 2, failed: 1 });
    expect(manifest.failed).toEqual({ records: 30, files: 1, miniBatches: 1 });
    expect(manifest.errorThreshold).toEqual({ unit: 'miniBatches', limit: 1 });
    const badAttempts = [...attempts.entries()].filter(
      ([id]) => id.includes(`${spec.outputPrefix}_staging/`) && id.endsWith('#2'),
    );
    expect(badAttempts.map(([, n]) => n)).toEqual([1]);
    expect(manifest.failures).toEqual([
      {
        key: '000002',
        rows: 30,
        files: [`${spec.inputPrefix!}date=2026-11-02/zz-bad.csv`],
        reason: expect.stringMatching(/ScoringHttpError.*424/) as unknown,
      },
    ]);
    const parts = (await listNames(env.lake, finalPrefix)).filter((n) => n.endsWith('.csv'));
    const scored = (await Promise.all(parts.map((p) => blobText(env.lake, finalPrefix + p)))).flatMap((t): unknown[] =>
      parse(t, { columns: true }),
    );
    expect(scored).toHaveLength(good);
    expect(
      env.telemetry.events.filter((e) => e.name === 'BatchMiniBatchFailed' && e.dimensions.date === '2026-11-02'),
    ).toHaveLength(1);
  });

  it('when a mini-batch crashes once, then it is retried after the interval and the run publishes every row once', async () => {
    const spec = bikeSpec({
      ...uniquePrefixes('retry'),
      miniBatchSize: 40,
      requestRows: 40,
      maxRetries: 2,
      retryIntervalSeconds: 1,
    });
    const rowsIn = await seedCsv(env.lake, spec.inputPrefix!, '2026-11-06', [120]);
    const planPrefix = `${spec.outputPrefix}_staging/date=2026-11-06/`;
    crashFirstAttempt.push({ prefix: planPrefix, index: 1 });
    const status = await runBatch(spec, '2026-11-06', 'retry');
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toMatchObject({ status: 'published', rowsOut: rowsIn, batches: { total: 3, failed: 0 } });
    const retried = [...attempts.entries()].filter(([id]) => id.startsWith(planPrefix));
    expect(retried.map(([id, n]) => [id.slice(id.indexOf('#')), n]).sort()).toEqual([
      ['#0', 1],
      ['#1', 2],
      ['#2', 1],
    ]);
  });

  it('when failures exceed errorThreshold, then the run fails and nothing appears under the final prefix', async () => {
    const spec = bikeSpec({
      ...uniquePrefixes('over'),
      miniBatchSize: 50,
      requestRows: 50,
      errorThreshold: 0,
      maxRetries: 0,
    });
    await seedCsv(env.lake, spec.inputPrefix!, '2026-11-03', [100]);
    await seedBadFile(spec, '2026-11-03', 'zz-bad.csv', 10);
    const status = await runBatch(spec, '2026-11-03', 'over');
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toMatch(
      /1 of 3 mini-batches failed; errorThreshold is 0 mini-batches; nothing was published/,
    );
    expect((status.customStatus as BatchRunStatus).phase).toBe('failed');
    expect(await listNames(env.lake, `${spec.outputPrefix}date=2026-11-03/`)).toEqual([]);
    const staged = await listNames(env.lake, `${spec.outputPrefix}_staging/date=2026-11-03/`);
    expect(staged.some((n) => n.endsWith('/_FAILED.json'))).toBe(true);
    expect(env.telemetry.events.some((e) => e.name === 'BatchFailed' && e.dimensions.date === '2026-11-03')).toBe(true);
  });

  it('when errorThreshold counts records, then one failed mini-batch over the record limit publishes nothing', async () => {
    // Within one failed mini-batch, but 30 failed records > 29: the unit users chose decides (Azure ML's tabular unit).
    const spec = bikeSpec({
      ...uniquePrefixes('records'),
      miniBatchSize: 50,
      requestRows: 50,
      errorThreshold: { records: 29 },
      maxRetries: 0,
    });
    await seedCsv(env.lake, spec.inputPrefix!, '2026-11-07', [100]);
    await seedBadFile(spec, '2026-11-07', 'zz-bad.csv', 30);
    const status = await runBatch(spec, '2026-11-07', 'records');
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toMatch(
      /30 of 130 records failed; errorThreshold is 29 records; nothing was published/,
    );
    expect(status.customStatus).toMatchObject({ phase: 'failed', errorThreshold: 29, errorThresholdUnit: 'records' });
    expect(await listNames(env.lake, `${spec.outputPrefix}date=2026-11-07/`)).toEqual([]);
  });

  it('when the day has no input, then the run is skipped and publishes nothing', async () => {
    const spec = bikeSpec({ ...uniquePrefixes('empty') });
    const status = await runBatch(spec, '2026-11-04', 'empty');
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toMatchObject({ status: 'skipped', reason: 'no input rows for this date' });
    expect(await listNames(env.lake, `${spec.outputPrefix}date=2026-11-04/`)).toEqual([]);
  });
});
