import { parseRetryAfter } from '../../../src/azureml/scoring-client';
import { publishedPartName, runIdFor, stagedPartName } from '../../../src/services/batch/layout';
import { buildManifest } from '../../../src/services/batch/manifest';
import type { MiniBatchResult, RunRef } from '../../../src/services/batch/types';

const run: RunRef = {
  model: 'bike-demand',
  date: '2026-11-21',
  runId: '20261122t020000000z',
  instanceId: 'batch-bike-demand-2026-11-21',
  container: 'lake',
  inputPrefix: 'bike-demand/incoming/',
  outputPrefix: 'bike-demand/scores/',
};

const result = (key: string, rows: number): MiniBatchResult => ({
  key,
  rowsIn: rows,
  rowsOut: rows,
  part: { blob: `x/${key}`, rows, bytes: rows * 10 },
  seconds: 1,
  requests: 2,
  throttled: 1,
});

describe('manifest', () => {
  it('when a run publishes with one failure, then the manifest says exactly what happened', () => {
    const manifest = buildManifest({
      run,
      trigger: 'backfill:abc',
      endpoint: 'bike-demand',
      deployment: undefined,
      modelVersions: ['bike-demand:3', 'bike-demand:3'],
      inputFiles: 2,
      inputBytes: 1234,
      format: 'csv',
      mode: 'parts',
      outputPrefix: 'bike-demand/scores/date=2026-11-21/',
      files: [{ name: 'part-a.csv', rows: 100, bytes: 1000 }],
      rowsIn: 150,
      succeeded: [result('000000', 100)],
      failures: [{ key: '000001', rows: 50, reason: 'ScoringHttpError: HTTP 400' }],
      scorerKind: 'onlineEndpoint',
      job: undefined,
      input: { container: 'lake', prefix: 'bike-demand/incoming/date=2026-11-21/' },
      tally: {
        failed: { records: 50, files: 1, miniBatches: 1 },
        total: { records: 150, files: 2, miniBatches: 2 },
        failures: [],
      },
      errorThreshold: { unit: 'records', limit: 50 },
      startedAt: '2026-11-22T02:00:00.000Z',
      scoringStartedAt: '2026-11-22T02:00:02.000Z',
      publishStartedAt: '2026-11-22T02:00:12.000Z',
    });
    expect(manifest).toEqual({
      schemaVersion: 2,
      model: 'bike-demand',
      date: '2026-11-21',
      runId: '20261122t020000000z',
      instanceId: 'batch-bike-demand-2026-11-21',
      trigger: 'backfill:abc',
      scorer: {
        kind: 'onlineEndpoint',
        endpoint: 'bike-demand',
        job: null,
        deployment: null,
        modelVersions: ['bike-demand:3'],
      },
      input: {
        container: 'lake',
        prefix: 'bike-demand/incoming/date=2026-11-21/',
        asset: null,
        files: 2,
        bytes: 1234,
      },
      output: {
        container: 'lake',
        prefix: 'bike-demand/scores/date=2026-11-21/',
        format: 'csv',
        mode: 'parts',
        files: [{ name: 'part-a.csv', rows: 100, bytes: 1000 }],
      },
      rows: { in: 150, out: 100, failed: 50 },
      batches: { total: 2, succeeded: 1, failed: 1 },
      failed: { records: 50, files: 1, miniBatches: 1 },
      errorThreshold: { unit: 'records', limit: 50 },
      failures: [{ key: '000001', rows: 50, reason: 'ScoringHttpError: HTTP 400' }],
      timings: {
        startedAt: '2026-11-22T02:00:00.000Z',
        scoringStartedAt: '2026-11-22T02:00:02.000Z',
        publishStartedAt: '2026-11-22T02:00:12.000Z',
        planSeconds: 2,
        scoreSeconds: 10,
        totalSeconds: 12,
      },
      throughput: { rowsPerSecond: 10, requests: 2, throttledRequests: 1 },
    });
  });

  it('when names are derived, then staged parts are per run and published parts carry the run id', () => {
    expect(runIdFor('2026-11-22T02:00:00.123Z')).toBe('20261122t020000123z');
    expect(stagedPartName(run, '000007', 'parquet')).toBe(
      'bike-demand/scores/_staging/date=2026-11-21/20261122t020000000z/part-000007.parquet',
    );
    expect(publishedPartName(run, '000007', 'csv')).toBe(
      'bike-demand/scores/date=2026-11-21/part-20261122t020000000z-000007.csv',
    );
  });
});

describe('Retry-After', () => {
  it('when the server sends seconds, an HTTP date or milliseconds, then the delay is read from each', () => {
    const now = Date.parse('2026-11-22T00:00:00Z');
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Sun, 22 Nov 2026 00:00:05 GMT' }), now)).toBe(5000);
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '150', 'retry-after': '9' }), now)).toBe(150);
    expect(parseRetryAfter(new Headers({ 'x-ms-retry-after-ms': '20' }), now)).toBe(20);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(new Headers(), now)).toBeUndefined();
  });
});
