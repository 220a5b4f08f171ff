// A batch run as the operations API shows it, from the orchestration's status (runtime status, custom status,
// output): status names, progress and rows/s, and which instances are batch runs at all.
import type { DurableOrchestrationStatus } from 'durable-functions';

import { parseBatchRunId, toBatchRunSummary } from '../../../src/functions/ops/batch-runs';

function status(overrides: Partial<Record<keyof DurableOrchestrationStatus, unknown>>): DurableOrchestrationStatus {
  return {
    name: 'batchRun',
    instanceId: 'batch-bike-demand-v2-2026-10-01',
    createdTime: new Date('2026-10-02T02:00:00Z'),
    lastUpdatedTime: new Date('2026-10-02T02:00:20Z'),
    input: { model: 'bike-demand-v2', date: '2026-10-01', trigger: 'schedule:2026-10-02T02:00:00.000Z' },
    output: null,
    runtimeStatus: 'Running',
    customStatus: null,
    history: [],
    ...overrides,
  } as unknown as DurableOrchestrationStatus;
}

const scoring = {
  kind: 'batchScoring',
  model: 'bike-demand-v2',
  date: '2026-10-01',
  runId: '20261002T020000Z',
  phase: 'scoring',
  batches: { total: 8, done: 3, failed: 1 },
  rowsScored: 15000,
  errorThreshold: 2,
  scoringStartedAt: '2026-10-02T02:00:05.000Z',
};

describe('batch run view', () => {
  it('when the id is parsed, then a model name with dashes keeps them and the date is the last part', () => {
    expect(parseBatchRunId('batch-bike-demand-v2-2026-10-01')).toEqual({ model: 'bike-demand-v2', date: '2026-10-01' });
    expect(parseBatchRunId('retrain-bike-demand')).toBeUndefined();
    expect(parseBatchRunId('batch-2026-10-01')).toBeUndefined();
  });

  it('when a run is scoring, then progress counts settled mini-batches and rows/s is over the scoring time', () => {
    expect(toBatchRunSummary(status({ customStatus: scoring }))).toEqual({
      runId: 'batch-bike-demand-v2-2026-10-01',
      model: 'bike-demand-v2',
      date: '2026-10-01',
      status: 'running',
      phase: 'scoring',
      trigger: 'schedule:2026-10-02T02:00:00.000Z',
      attemptId: '20261002T020000Z',
      createdAt: '2026-10-02T02:00:00.000Z',
      updatedAt: '2026-10-02T02:00:20.000Z',
      progress: {
        miniBatches: { total: 8, done: 3, failed: 1 },
        rows: { scored: 15000 },
        rowsPerSecond: 1000,
        percent: 50,
      },
      errorThreshold: 2,
    });
  });

  it.each([
    ['Pending', null, 'pending'],
    ['Completed', { status: 'published', rowsIn: 10, rowsOut: 10, batches: { total: 1, failed: 0 } }, 'published'],
    ['Completed', { status: 'skipped', rowsIn: 0, rowsOut: 0, batches: { total: 0, failed: 0 } }, 'skipped'],
    ['Failed', 'm 2026-10-01: 3 of 8 mini-batches failed; nothing was published', 'failed'],
    ['Terminated', 'replaced: backfill:abc', 'canceled'],
  ])('when the orchestration is %s, then the run reads as expected', (runtimeStatus, output, expected) => {
    const run = toBatchRunSummary(status({ runtimeStatus, output, customStatus: null }));
    expect(run?.status).toBe(expected);
    if (typeof output === 'string') expect(run?.reason).toBe(output);
    if (output && typeof output === 'object') expect(run?.progress.rows.total).toBe(output.rowsIn);
  });

  it('when an instance is not a batch run, then it is not listed', () => {
    expect(toBatchRunSummary(status({ instanceId: 'retrain-bike-demand' }))).toBeUndefined();
    expect(toBatchRunSummary(status({ name: 'retrainOrchestrator' }))).toBeUndefined();
  });

  it('when planning (nothing scored yet), then percent is 0 and there is no rate', () => {
    const planning = { ...scoring, phase: 'planning', batches: { total: 0, done: 0, failed: 0 }, rowsScored: 0 };
    const { scoringStartedAt: _s, ...withoutStart } = planning;
    expect(toBatchRunSummary(status({ customStatus: withoutStart }))?.progress).toEqual({
      miniBatches: { total: 0, done: 0, failed: 0 },
      rows: { scored: 0 },
      percent: 0,
    });
  });
});
