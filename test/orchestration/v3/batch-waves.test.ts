// Bounded parallelism of batch scoring under Azure's semantics: the real durable-functions handler, actions applied
// the way the Durable extension applies them (every child of a new compound scheduled again, durable-js #574).
// No task may be yielded into a second compound; every mini-batch and chunk is scheduled once per attempt, results
// land on the right mini-batch, maxParallel bounds what is in flight, and retries and failures keep their meaning.
import * as df from 'durable-functions';

import { findModel } from '../../../src/catalog';
import {
  BatchOrchestrations,
  batchChunkOrchestrator,
  batchRunOrchestrator,
} from '../../../src/orchestrations/batch-run';
import { miniBatchKey } from '../../../src/services/batch/planner';
import type {
  BatchRunInput,
  BatchRunOutcome,
  ChunkInput,
  ChunkResult,
  MiniBatchResult,
  PlanSummary,
  RunRef,
} from '../../../src/services/batch/types';
import { markErrorType } from '../../../src/services/task-failure';
import {
  actionsYieldedTwice,
  captureRegistrations,
  type EpisodeResult,
  ExtensionDriver,
  type Scheduled,
} from '../../support/real-v3-handler';
import { catalog } from './retrain-app';

const registrations = captureRegistrations(() => {
  df.app.orchestration(BatchOrchestrations.run, batchRunOrchestrator);
  df.app.orchestration(BatchOrchestrations.chunk, batchChunkOrchestrator);
});
const handlerOf = (name: string) => {
  const registration = registrations.get(name);
  if (!registration) throw new Error(`${name} is not registered`);
  return registration.handler;
};

const run: RunRef = {
  model: 'bike-demand',
  date: '2026-03-01',
  runId: '20260301t090000000z',
  instanceId: 'batch-bike-demand-2026-03-01',
  container: 'lake',
  inputPrefix: 'bike-demand/incoming/',
  outputPrefix: 'bike-demand/scores/',
};
const scorer = {
  endpoint: 'bike-demand',
  scoringUri: 'https://scoring.invalid/score',
  deployment: undefined,
  modelVersions: { blue: '3' },
};

function chunkInput(overrides: Partial<ChunkInput>): ChunkInput {
  return {
    run,
    planBlob: 'bike-demand/scores/_staging/date=2026-03-01/20260301t090000000z/plan.json',
    from: 0,
    to: 7,
    parallel: 3,
    maxRetries: 0,
    retryIntervalSeconds: 10,
    scorer,
    settings: {
      requestRows: 100,
      requestConcurrency: 1,
      requestTimeoutMs: 10_000,
      outputFormat: 'csv',
      predictionColumn: 'prediction',
      modelVersionColumn: 'model_version',
      features: undefined,
    },
    ...overrides,
  };
}

/** What scoring mini-batch `index` returns: distinct per index, so a result on the wrong task shows. */
function scored(index: number): MiniBatchResult {
  const key = miniBatchKey(index);
  return {
    key,
    rowsIn: 100 + index,
    rowsOut: 100 + index,
    part: { blob: `part-${key}.csv`, rows: 100 + index, bytes: 1000 + index },
    seconds: 1,
    requests: 1,
    throttled: 0,
  };
}

const indexOf = (s: Scheduled): number => (s.input as { index: number }).index;

/** Episode result after which no action object may appear twice (no task yielded into a second compound). */
function expectNoReyield(result: EpisodeResult): void {
  expect(result.threw).toBe(false);
  expect(actionsYieldedTwice(result.raw ?? { actions: [] })).toEqual([]);
}

function chunkDriver(input: ChunkInput): ExtensionDriver {
  return new ExtensionDriver({
    name: BatchOrchestrations.chunk,
    handler: handlerOf(BatchOrchestrations.chunk),
    instanceId: `${run.instanceId}:${run.runId}:chunk-0`,
    input,
  });
}

describe('batch chunk orchestration on the real v3 handler', () => {
  it('when mini-batch 0 finishes first, then nothing is scheduled twice, and all 7 finish once with their own results and at most 3 in flight', async () => {
    const driver = chunkDriver(chunkInput({ from: 0, to: 7, parallel: 3 }));
    await driver.episode();
    expect(driver.pending().map(indexOf)).toEqual([0, 1, 2]);

    driver.complete((driver.pending()[0] as Scheduled).id, scored(0));
    expectNoReyield(await driver.episode());
    expect(driver.scheduled.map(indexOf)).toEqual([0, 1, 2]);

    let maxInFlight = 0;
    while (!driver.last?.state.isDone) {
      const pending = driver.pending();
      expect(pending.length).toBeGreaterThan(0);
      maxInFlight = Math.max(maxInFlight, pending.length);
      for (const task of [...pending].reverse()) driver.complete(task.id, scored(indexOf(task)));
      expectNoReyield(await driver.episode());
    }
    const output = driver.last.state.output as ChunkResult;
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(driver.scheduled.map(indexOf).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect([...output.succeeded].sort((a, b) => a.key.localeCompare(b.key))).toEqual([0, 1, 2, 3, 4, 5, 6].map(scored));
    expect(output.failed).toEqual([]);
  });

  it('when a mini-batch fails transiently, then it is retried after its backoff without holding a slot; a permanent failure is not retried and reads clearly', async () => {
    const driver = chunkDriver(chunkInput({ from: 0, to: 5, parallel: 2, maxRetries: 2, retryIntervalSeconds: 10 }));
    const start = driver.now.getTime();
    await driver.episode();
    const [first, second] = driver.pending();
    driver.fail((first as Scheduled).id, markErrorType(new Error('socket hang up')));
    driver.complete((second as Scheduled).id, scored(1));
    expectNoReyield(await driver.episode());
    // The retry of 0 is not due: the slot goes to fresh mini-batches, no timer.
    expect(driver.pendingTimers()).toEqual([]);
    expect(driver.pending().map(indexOf)).toEqual([2, 3]);

    const [two, three] = driver.pending();
    driver.complete((two as Scheduled).id, scored(2));
    const rowError = Object.assign(new Error('[permanent] CsvRowError: a.csv: data row 3: x'), {
      name: 'BatchPermanentError',
    });
    driver.fail((three as Scheduled).id, markErrorType(rowError));
    expectNoReyield(await driver.episode());
    expect(driver.pending().map(indexOf)).toEqual([4]);

    driver.advanceTo(new Date(start + 10_000));
    driver.complete((driver.pending()[0] as Scheduled).id, scored(4));
    expectNoReyield(await driver.episode());
    expect(driver.pending().map(indexOf)).toEqual([0]);

    driver.complete((driver.pending()[0] as Scheduled).id, scored(0));
    expectNoReyield(await driver.episode());
    expect(driver.last?.state.isDone).toBe(true);
    const output = driver.last?.state.output as ChunkResult;
    expect(output.succeeded.map((r) => r.key)).toEqual(['000001', '000002', '000004', '000000']);
    expect(output.failed).toEqual([
      {
        key: '000003',
        rows: 0,
        reason: 'BatchPermanentError: [permanent] CsvRowError: a.csv: data row 3: x (attempts: 1)',
      },
    ]);
    expect(driver.scheduled.map(indexOf)).toEqual([0, 1, 2, 3, 4, 0]);
  });

  it('when only retries are left, then the chunk sleeps on a fresh timer until each is due, and gives up after maxRetries', async () => {
    const driver = chunkDriver(chunkInput({ from: 0, to: 1, parallel: 4, maxRetries: 2, retryIntervalSeconds: 10 }));
    await driver.episode();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const failedAt = driver.now.getTime();
      driver.fail((driver.pending()[0] as Scheduled).id, markErrorType(new Error(`HTTP 503 (attempt ${attempt})`)));
      expectNoReyield(await driver.episode());
      if (attempt === 3) break;
      const [timer, ...others] = driver.pendingTimers();
      expect(others).toEqual([]);
      delays.push(new Date(timer?.fireAt ?? 0).getTime() - failedAt);
      expect(driver.pending()).toEqual([]);
      driver.fireTimer(timer?.id ?? -1);
      expectNoReyield(await driver.episode());
    }
    expect(delays).toEqual([10_000, 20_000]);
    expect(driver.last?.state.output).toMatchObject({
      succeeded: [],
      failed: [{ key: '000000', reason: 'Error: HTTP 503 (attempt 3) (attempts: 3)' }],
    });
  });
});

describe('batch run orchestration on the real v3 handler', () => {
  const model = findModel(catalog, 'bike-demand');
  const spec = { ...model?.batch, maxParallel: 8, errorThreshold: 100 } as BatchRunInput['spec'];
  const plan: PlanSummary = {
    planBlob: 'plan.json',
    miniBatches: 450,
    files: 3,
    rows: 45_000,
    bytes: 4_500_000,
    scorer,
  };
  const chunkResult = (input: ChunkInput): ChunkResult => ({
    from: input.from,
    to: input.to,
    succeeded: Array.from({ length: input.to - input.from }, (_, i) => scored(input.from + i)),
    failed: [],
  });

  it('when chunk 0 finishes first, then no chunk is scheduled twice, waves share maxParallel, and a failed chunk counts its mini-batches', async () => {
    const input: BatchRunInput = {
      model: 'bike-demand',
      date: '2026-03-01',
      trigger: 'test',
      spec,
      endpoint: 'bike-demand',
    };
    const driver = new ExtensionDriver({
      name: BatchOrchestrations.run,
      handler: handlerOf(BatchOrchestrations.run),
      instanceId: run.instanceId,
      input,
    });
    await driver.episode();
    const planTask = driver.pending()[0] as Scheduled;
    expect(planTask.name).toBe('batchPlan');
    driver.complete(planTask.id, plan);
    expectNoReyield(await driver.episode());
    const firstWave = driver.pending('subOrchestration');
    expect(firstWave.map((s) => s.instanceId?.replace(/^.*:/, ''))).toEqual(['chunk-0', 'chunk-1']);

    driver.complete((firstWave[0] as Scheduled).id, chunkResult(firstWave[0]?.input as ChunkInput));
    expectNoReyield(await driver.episode());
    expect(driver.pending('subOrchestration')).toEqual([firstWave[1]]);

    let maxInFlight = 0;
    while (driver.pending('subOrchestration').length > 0) {
      const wave = driver.pending('subOrchestration');
      const inFlight = wave.reduce((sum, s) => sum + (s.input as ChunkInput).parallel, 0);
      maxInFlight = Math.max(maxInFlight, inFlight);
      for (const task of wave) {
        if (task.instanceId?.endsWith(':chunk-3')) driver.fail(task.id, new Error('chunk orchestration crashed'));
        else driver.complete(task.id, chunkResult(task.input as ChunkInput));
      }
      expectNoReyield(await driver.episode());
    }
    const chunks = driver.scheduled.filter((s) => s.kind === 'subOrchestration');
    expect(chunks.map((s) => s.instanceId?.replace(/^.*:/, ''))).toEqual([0, 1, 2, 3, 4].map((i) => `chunk-${i}`));
    expect(maxInFlight).toBeLessThanOrEqual(8);
    expect(chunks.map((s) => [(s.input as ChunkInput).from, (s.input as ChunkInput).to])).toEqual([
      [0, 100],
      [100, 200],
      [200, 300],
      [300, 400],
      [400, 450],
    ]);

    const publish = driver.pending()[0] as Scheduled;
    expect(publish.name).toBe('batchPublish');
    const finalize = publish.input as { succeeded: MiniBatchResult[]; failures: { key: string; reason: string }[] };
    expect(finalize.succeeded).toHaveLength(350);
    expect(new Set(finalize.succeeded.map((r) => r.key)).size).toBe(350);
    expect(finalize.failures).toHaveLength(100);
    expect(finalize.failures[0]).toEqual({
      key: '000300',
      rows: 0,
      reason: 'chunk failed: Error: chunk orchestration crashed',
    });
    driver.complete(publish.id, {
      manifestBlob: 'm.json',
      prefix: 'bike-demand/scores/date=2026-03-01/',
      failures: [],
    });
    expectNoReyield(await driver.episode());
    expect(driver.last?.state.output as BatchRunOutcome).toMatchObject({
      status: 'published',
      rowsOut: finalize.succeeded.reduce((sum, r) => sum + r.rowsOut, 0),
      batches: { total: 450, failed: 100 },
    });
  });
});
