// Bounded parallelism of batch scoring under Azure's semantics: the real durable-functions handler, its actions
// applied by the engine's emulation of the extension (every child of a new compound scheduled again, durable-js #574),
// episode by episode with scripted outcomes, or end to end on the engine when nothing needs scripting.
// No task may be yielded into a second compound; every mini-batch and chunk is scheduled once per attempt, results
// land on the right mini-batch, maxParallel bounds what is in flight, and retries and failures keep their meaning.
import { EventType, type HistoryEvent, parseTime, SCHEDULING_EVENTS } from '../../../dev/host/durable/dtfx';
import { findModel } from '../../../src/catalog';
import {
  BatchActivities,
  BatchOrchestrations,
  batchChunkOrchestrator,
  batchRunOrchestrator,
  type ScoreMiniBatchRef,
} from '../../../src/orchestrations/batch-run';
import { miniBatchKey } from '../../../src/services/batch/planner';
import type {
  BatchRunInput,
  ChunkInput,
  ChunkRecordInput,
  ChunkResult,
  MiniBatchResult,
  PlanSummary,
  RunRef,
} from '../../../src/services/batch/types';
import { markErrorType, withErrorType } from '../../../src/services/task-failure';
import { type Harness, startHarness, waitForFinish } from '../../conformance/durable/harness';
import { type RealOrchestrationApp, registerRealOrchestrations } from '../../support/durable/real-handler';
import {
  reyieldedActions,
  type ScriptedEpisode,
  ScriptedOrchestration,
  type ScriptedTask,
} from '../../support/durable/scripted-orchestration';
import { catalog } from './retrain-app';

let app: RealOrchestrationApp;
beforeAll(async () => {
  app = await registerRealOrchestrations(() => ({
    [BatchOrchestrations.run]: batchRunOrchestrator,
    [BatchOrchestrations.chunk]: batchChunkOrchestrator,
  }));
});
afterAll(() => app.release());

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

const indexOf = (s: ScriptedTask): number => (s.input as { index: number }).index;
const isScoring = (s: ScriptedTask): boolean => s.name === BatchActivities.scoreMiniBatch;
const scoredIndexes = (tasks: readonly ScriptedTask[]): number[] => tasks.filter(isScoring).map(indexOf);

/** The episode ran without a failure and the handler yielded no task into a second compound. */
function expectNoReyield(result: ScriptedEpisode): void {
  expect(result.threw).toBe(false);
  expect(result.outcome.kind).not.toBe('failed');
  expect(reyieldedActions(result.raw)).toEqual([]);
}

/** The chunk's output once the extension has completed it. */
function outputOf(chunk: ScriptedOrchestration): ChunkResult {
  const outcome = chunk.last?.outcome;
  if (outcome?.kind !== 'completed') throw new Error(`the chunk is not completed: ${JSON.stringify(outcome)}`);
  return outcome.output as ChunkResult;
}

/**
 * The chunk's last step: its record activity (the scored mini-batches' results go to a blob, not to the run's
 * history). Completes it and returns what the chunk recorded with the chunk's output.
 */
async function recordedOutput(
  chunk: ScriptedOrchestration,
): Promise<{ output: ChunkResult; recorded: MiniBatchResult[] }> {
  const pending = chunk.pending();
  const record = pending[0];
  if (pending.length !== 1 || record?.name !== BatchActivities.recordChunk) {
    throw new Error(
      `expected only the chunk's record activity, pending: ${JSON.stringify(pending.map((t) => t.name))}`,
    );
  }
  chunk.complete(record.id, 'staging/chunks/chunk-000000.json');
  expectNoReyield(await chunk.episode());
  return { output: outputOf(chunk), recorded: [...(record.input as ChunkRecordInput).succeeded] };
}

function scriptedChunk(input: ChunkInput): ScriptedOrchestration {
  return new ScriptedOrchestration(app, {
    name: BatchOrchestrations.chunk,
    instanceId: `${run.instanceId}:${run.runId}:chunk-0`,
    input,
  });
}

describe('batch chunk orchestration on the engine', () => {
  it('when mini-batch 0 finishes first, then nothing is scheduled twice, and all 7 finish once with their own results and at most 3 in flight', async () => {
    const chunk = scriptedChunk(chunkInput({ from: 0, to: 7, parallel: 3 }));
    await chunk.episode();
    expect(chunk.pending().map(indexOf)).toEqual([0, 1, 2]);

    chunk.complete((chunk.pending()[0] as ScriptedTask).id, scored(0));
    expectNoReyield(await chunk.episode());
    expect(chunk.scheduled().map(indexOf)).toEqual([0, 1, 2]);

    let maxInFlight = 0;
    while (chunk.pending().some(isScoring)) {
      const pending = chunk.pending();
      expect(pending.length).toBeGreaterThan(0);
      maxInFlight = Math.max(maxInFlight, pending.length);
      for (const task of [...pending].reverse()) chunk.complete(task.id, scored(indexOf(task)));
      expectNoReyield(await chunk.episode());
    }
    const { output, recorded } = await recordedOutput(chunk);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(scoredIndexes(chunk.scheduled()).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect([...recorded].sort((a, b) => a.key.localeCompare(b.key))).toEqual([0, 1, 2, 3, 4, 5, 6].map(scored));
    // The run hears counts and failures only: its history does not grow by one entry per mini-batch.
    expect(output).toEqual({
      from: 0,
      to: 7,
      scored: 7,
      rowsOut: [0, 1, 2, 3, 4, 5, 6].reduce((sum, i) => sum + scored(i).rowsOut, 0),
      failed: [],
      record: 'staging/chunks/chunk-000000.json',
    });
  });

  it('when a mini-batch fails transiently, then it is retried after its backoff without holding a slot; a permanent failure is not retried and reads clearly', async () => {
    const chunk = scriptedChunk(chunkInput({ from: 0, to: 5, parallel: 2, maxRetries: 2, retryIntervalSeconds: 10 }));
    const start = chunk.now.getTime();
    await chunk.episode();
    const [first, second] = chunk.pending();
    chunk.fail((first as ScriptedTask).id, markErrorType(new Error('socket hang up')));
    chunk.complete((second as ScriptedTask).id, scored(1));
    expectNoReyield(await chunk.episode());
    // The retry of 0 is not due: the slot goes to fresh mini-batches, no timer.
    expect(chunk.pendingTimers()).toEqual([]);
    expect(chunk.pending().map(indexOf)).toEqual([2, 3]);

    const [two, three] = chunk.pending();
    chunk.complete((two as ScriptedTask).id, scored(2));
    const rowError = Object.assign(new Error('[permanent] CsvRowError: a.csv: data row 3: x'), {
      name: 'BatchPermanentError',
    });
    chunk.fail((three as ScriptedTask).id, markErrorType(rowError));
    expectNoReyield(await chunk.episode());
    expect(chunk.pending().map(indexOf)).toEqual([4]);

    chunk.advanceTo(new Date(start + 10_000));
    chunk.complete((chunk.pending()[0] as ScriptedTask).id, scored(4));
    expectNoReyield(await chunk.episode());
    expect(chunk.pending().map(indexOf)).toEqual([0]);

    chunk.complete((chunk.pending()[0] as ScriptedTask).id, scored(0));
    expectNoReyield(await chunk.episode());
    const { output, recorded } = await recordedOutput(chunk);
    expect(recorded.map((r) => r.key)).toEqual(['000001', '000002', '000004', '000000']);
    expect(output.scored).toBe(4);
    expect(output.failed).toEqual([
      {
        key: '000003',
        rows: 0,
        reason: 'BatchPermanentError: [permanent] CsvRowError: a.csv: data row 3: x (attempts: 1)',
      },
    ]);
    expect(scoredIndexes(chunk.scheduled())).toEqual([0, 1, 2, 3, 4, 0]);
  });
});

describe('batch chunk orchestration end to end on the engine', () => {
  let h: Harness;
  /** Scoring attempts, in the order the engine ran them. */
  const attempts: number[] = [];
  beforeAll(async () => {
    h = await startHarness((functions) => {
      functions.registerOrchestration(BatchOrchestrations.chunk, batchChunkOrchestrator);
      functions.registerActivity(
        BatchActivities.scoreMiniBatch,
        // As the app registers its batch activities: the error type travels in the message.
        withErrorType((input: unknown) => {
          attempts.push((input as ScoreMiniBatchRef).index);
          return Promise.reject(new Error(`HTTP 503 (attempt ${attempts.length})`));
        }),
      );
    });
  });
  afterAll(() => h.stop());

  it('when only retries are left, then the chunk sleeps on a fresh timer until each is due, and gives up after maxRetries', async () => {
    const retryIntervalSeconds = 0.1;
    const instanceId = 'chunk-only-retries';
    await h.client.startNew(BatchOrchestrations.chunk, {
      instanceId,
      input: chunkInput({ from: 0, to: 1, parallel: 4, maxRetries: 2, retryIntervalSeconds }),
    });
    const status = await waitForFinish(h.client, instanceId);

    expect(status.runtimeStatus).toBe('Completed');
    // Nothing scored: no record is written.
    expect(status.output).toEqual({
      from: 0,
      to: 1,
      scored: 0,
      rowsOut: 0,
      failed: [{ key: '000000', rows: 0, reason: 'Error: HTTP 503 (attempt 3) (attempts: 3)' }],
    });
    expect(attempts).toEqual([0, 0, 0]);
    // Each sleep is an episode that schedules one fresh timer and nothing else, due one backoff after the failure
    // it follows (the episode's clock), and each timer fires before the next attempt is scheduled.
    const episodes = episodesOf(h.runtime.store.history(instanceId));
    const sleeps = episodes.filter((e) => e.scheduled.some((s) => s.EventType === EventType.TimerCreated));
    expect(sleeps.map((e) => e.scheduled.map((s) => s.EventType))).toEqual([
      [EventType.TimerCreated],
      [EventType.TimerCreated],
    ]);
    expect(sleeps.map((e) => parseTime(e.scheduled[0]?.FireAt ?? '') - e.startedAt)).toEqual([
      retryIntervalSeconds * 1000,
      2 * retryIntervalSeconds * 1000,
    ]);
    const order = h.runtime.store
      .history(instanceId)
      .filter((e) => [EventType.TaskScheduled, EventType.TimerCreated, EventType.TimerFired].includes(e.EventType))
      .map((e) => EventType[e.EventType]);
    expect(order).toEqual([
      'TaskScheduled',
      'TimerCreated',
      'TimerFired',
      'TaskScheduled',
      'TimerCreated',
      'TimerFired',
      'TaskScheduled',
    ]);
  });
});

/** A committed history split into episodes: each one's clock and the scheduling events it appended. */
function episodesOf(history: readonly HistoryEvent[]): { startedAt: number; scheduled: HistoryEvent[] }[] {
  const episodes: { startedAt: number; scheduled: HistoryEvent[] }[] = [];
  for (const event of history) {
    if (event.EventType === EventType.OrchestratorStarted) {
      episodes.push({ startedAt: parseTime(event.Timestamp), scheduled: [] });
    } else if (SCHEDULING_EVENTS.has(event.EventType)) {
      episodes[episodes.length - 1]?.scheduled.push(event);
    }
  }
  return episodes;
}

describe('batch run orchestration on the engine', () => {
  const model = findModel(catalog, 'bike-demand');
  const spec = { ...model?.batch, maxParallel: 8, errorThreshold: 100 } as BatchRunInput['spec'];
  const plan: PlanSummary = {
    planBlob: 'plan.json',
    miniBatches: 450,
    files: 3,
    rows: 45_000,
    bytes: 4_500_000,
    input: { container: 'lake', prefix: 'bike-demand/incoming/date=2026-03-01/' },
    scorer,
  };
  const chunkResult = (input: ChunkInput): ChunkResult => ({
    from: input.from,
    to: input.to,
    scored: input.to - input.from,
    rowsOut: Array.from({ length: input.to - input.from }, (_, i) => scored(input.from + i).rowsOut).reduce(
      (a, b) => a + b,
      0,
    ),
    failed: [],
    record: `chunks/chunk-${miniBatchKey(input.from)}.json`,
  });

  it('when chunk 0 finishes first, then no chunk is scheduled twice, waves share maxParallel, and a failed chunk counts its mini-batches', async () => {
    const input: BatchRunInput = {
      model: 'bike-demand',
      date: '2026-03-01',
      trigger: 'test',
      spec,
      endpoint: 'bike-demand',
    };
    const batch = new ScriptedOrchestration(app, { name: BatchOrchestrations.run, instanceId: run.instanceId, input });
    await batch.episode();
    const planTask = batch.pending()[0] as ScriptedTask;
    expect(planTask.name).toBe('batchPlan');
    batch.complete(planTask.id, plan);
    expectNoReyield(await batch.episode());
    const firstWave = batch.pending('subOrchestration');
    expect(firstWave.map((s) => s.instanceId?.replace(/^.*:/, ''))).toEqual(['chunk-0', 'chunk-1']);

    batch.complete((firstWave[0] as ScriptedTask).id, chunkResult(firstWave[0]?.input as ChunkInput));
    expectNoReyield(await batch.episode());
    expect(batch.pending('subOrchestration')).toEqual([firstWave[1]]);

    let maxInFlight = 0;
    while (batch.pending('subOrchestration').length > 0) {
      const wave = batch.pending('subOrchestration');
      const inFlight = wave.reduce((sum, s) => sum + (s.input as ChunkInput).parallel, 0);
      maxInFlight = Math.max(maxInFlight, inFlight);
      for (const task of wave) {
        if (task.instanceId?.endsWith(':chunk-3')) batch.fail(task.id, new Error('chunk orchestration crashed'));
        else batch.complete(task.id, chunkResult(task.input as ChunkInput));
      }
      expectNoReyield(await batch.episode());
    }
    const chunks = batch.scheduled('subOrchestration');
    expect(chunks.map((s) => s.instanceId?.replace(/^.*:/, ''))).toEqual([0, 1, 2, 3, 4].map((i) => `chunk-${i}`));
    expect(maxInFlight).toBeLessThanOrEqual(8);
    expect(chunks.map((s) => [(s.input as ChunkInput).from, (s.input as ChunkInput).to])).toEqual([
      [0, 100],
      [100, 200],
      [200, 300],
      [300, 400],
      [400, 450],
    ]);

    // The failures are tallied against the plan (rows and files in every threshold unit) before the decision.
    const tallyTask = batch.pending()[0] as ScriptedTask;
    expect(tallyTask.name).toBe('batchTally');
    const failed = (tallyTask.input as { failures: { key: string; rows: number; reason: string }[] }).failures;
    expect(failed).toHaveLength(100);
    expect(failed[0]).toEqual({ key: '000300', rows: 0, reason: 'chunk failed: Error: chunk orchestration crashed' });
    batch.complete(tallyTask.id, {
      failed: { records: 10_000, files: 1, miniBatches: 100 },
      total: { records: 45_000, files: 3, miniBatches: 450 },
      failures: failed.map((f) => ({ ...f, rows: 100 })),
    });
    expectNoReyield(await batch.episode());

    const publish = batch.pending()[0] as ScriptedTask;
    expect(publish.name).toBe('batchPublish');
    const finalize = publish.input as {
      chunkRecords: string[];
      scored: number;
      failures: { key: string; rows: number }[];
    };
    // The scored results stay in the chunks' records: the run hands publish their names and the count, no results.
    expect(finalize).not.toHaveProperty('succeeded');
    expect(finalize.scored).toBe(350);
    expect(finalize.chunkRecords).toEqual([0, 100, 200, 400].map((i) => `chunks/chunk-${miniBatchKey(i)}.json`));
    expect(finalize.failures).toHaveLength(100);
    expect(finalize.failures[0]?.rows).toBe(100);
    batch.complete(publish.id, {
      manifestBlob: 'm.json',
      prefix: 'bike-demand/scores/date=2026-03-01/',
      failures: [],
    });
    expectNoReyield(await batch.episode());
    expect(batch.last?.outcome).toEqual({
      kind: 'completed',
      output: expect.objectContaining({
        status: 'published',
        rowsOut: [...Array(450).keys()]
          .filter((i) => i < 300 || i >= 400)
          .reduce((sum, i) => sum + scored(i).rowsOut, 0),
        batches: expect.objectContaining({ total: 450, failed: 100 }) as unknown,
      }) as unknown,
    });
  });
});
