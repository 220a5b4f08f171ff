import { errorRate, latencyVerdict, percentile } from '../../../src/services/retrain/latency';
import { LineageTags, lineageTags, metricsFromTags } from '../../../src/services/retrain/lineage';
import { deploymentsToDelete } from '../../../src/services/retrain/retention';

describe('latency', () => {
  it('when computing p95 by nearest rank, then 20 samples give the 19th smallest', () => {
    const samples = Array.from({ length: 20 }, (_, i) => 20 - i);
    expect(percentile(samples, 0.95)).toBe(19);
    expect(percentile([5], 0.95)).toBe(5);
    expect(percentile([], 0.95)).toBeUndefined();
  });

  it('when the candidate is within budget and ratio, then the verdict is ok', () => {
    const v = latencyVerdict({
      candidateMs: [10, 12, 14],
      liveMs: [10, 10, 10],
      candidateFailures: 0,
      p95BudgetMs: 100,
      maxRatioToLive: 1.5,
    });
    expect(v).toMatchObject({ ok: true, candidateP95Ms: 14, liveP95Ms: 10 });
  });

  it('when the candidate p95 exceeds the ratio to live, then it fails with the ratio in the reason', () => {
    const v = latencyVerdict({
      candidateMs: [30, 30],
      liveMs: [10, 10],
      candidateFailures: 0,
      p95BudgetMs: 100,
      maxRatioToLive: 2,
    });
    expect(v.ok).toBe(false);
    expect(v.reasons).toContain("p95 is 3.00× the live deployment's 10 ms (over the limit 2×)");
  });

  it('when the candidate exceeds the budget or requests failed, then it fails', () => {
    expect(
      latencyVerdict({ candidateMs: [200], liveMs: [], candidateFailures: 0, p95BudgetMs: 100, maxRatioToLive: 2 }).ok,
    ).toBe(false);
    expect(
      latencyVerdict({ candidateMs: [1], liveMs: [], candidateFailures: 1, p95BudgetMs: 100, maxRatioToLive: 2 }).ok,
    ).toBe(false);
    expect(
      latencyVerdict({ candidateMs: [], liveMs: [], candidateFailures: 0, p95BudgetMs: 100, maxRatioToLive: 2 }).ok,
    ).toBe(false);
  });

  it('when no probes ran, then the error rate is 0', () => {
    expect(errorRate(0, 0)).toBe(0);
    expect(errorRate(1, 4)).toBe(0.25);
  });
});

describe('retention', () => {
  const d = (name: string, createdAt: string, traffic = 0, managed = true) => ({ name, createdAt, traffic, managed });

  it('when more managed idle deployments exist than retained, then the oldest are deleted', () => {
    const all = [
      d('v1', '2026-01-01'),
      d('v2', '2026-02-01'),
      d('v3', '2026-03-01'),
      d('v4', '2026-04-01', 100),
      d('v5', '2026-05-01'),
    ];
    expect(deploymentsToDelete(all, ['v4', 'v5'], 1)).toEqual(['v2', 'v1']);
  });

  it('when the previous deployment is older than others, then it is still the one retained', () => {
    const all = [d('prev', '2026-01-01'), d('newer-idle', '2026-03-01'), d('live', '2026-04-01', 100)];
    expect(deploymentsToDelete(all, ['live'], 1, ['prev'])).toEqual(['newer-idle']);
    expect(deploymentsToDelete(all, ['live'], 0, ['prev'])).toEqual(['prev', 'newer-idle']);
  });

  it('when a deployment has traffic or was not created by us, then it is never deleted', () => {
    const all = [d('manual', '2020-01-01', 0, false), d('split', '2020-01-01', 10), d('v1', '2020-01-01')];
    expect(deploymentsToDelete(all, [], 0)).toEqual(['v1']);
  });
});

describe('lineage tags', () => {
  it('when a version is registered, then dataset, git, job, trigger, instance and gate are tagged', () => {
    const tags = lineageTags({
      model: 'bike',
      dataset: {
        uri: 'https://a/c/x.csv',
        container: 'c',
        name: 'x.csv',
        eTag: '0x1',
        dataAsset: { name: 'bike-data', version: '5' },
      },
      git: { repository: 'o/r', sha: 'abc', ciRun: '42' },
      jobName: 'job1',
      triggerId: 't1',
      triggerSource: 'dataset',
      runId: 't1',
      instanceId: 'retrain-bike',
      gate: { decision: 'rejected', reasons: ['r2 0.1 misses'], checks: [], championVersion: '4' },
      metrics: { rmse: 12.5 },
    });
    expect(tags).toMatchObject({
      [LineageTags.datasetUri]: 'https://a/c/x.csv',
      [LineageTags.datasetETag]: '0x1',
      [LineageTags.datasetAsset]: 'bike-data:5',
      [LineageTags.gitSha]: 'abc',
      [LineageTags.ciRun]: '42',
      [LineageTags.job]: 'job1',
      [LineageTags.triggerId]: 't1',
      [LineageTags.instanceId]: 'retrain-bike',
      [LineageTags.gateDecision]: 'rejected',
      [LineageTags.gateReasons]: 'r2 0.1 misses',
      [LineageTags.championVersion]: '4',
    });
    expect(metricsFromTags(tags)).toEqual({ rmse: 12.5 });
  });

  it('when reasons are very long, then the tag is cut to 256 characters', () => {
    const tags = lineageTags({
      model: 'm',
      jobName: 'j',
      triggerId: 't',
      triggerSource: 'manual',
      runId: 't',
      instanceId: 'i',
      metrics: {},
      gate: { decision: 'accepted', reasons: ['x'.repeat(1000)], checks: [], championVersion: undefined },
    });
    expect(tags[LineageTags.gateReasons]).toHaveLength(256);
  });
});
