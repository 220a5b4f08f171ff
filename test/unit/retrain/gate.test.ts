import { parseCatalog, type GateSpec } from '../../../src/catalog';
import { decideGate } from '../../../src/services/retrain/gate';

function gate(metrics: unknown[]): GateSpec {
  const catalog = parseCatalog({
    models: [
      {
        name: 'm',
        training: { kind: 'pipelineJob', componentId: 'azureml:c:1', experiment: 'e', datasetInput: 'd' },
        gate: { metrics },
        registry: { modelName: 'm' },
        deployment: { endpoint: 'm-ep', smokeSample: {} },
      },
    ],
  });
  return catalog.models[0]!.gate!;
}

describe('quality gate', () => {
  const spec = gate([
    { name: 'rmse', goal: 'minimize', threshold: 200, minImprovement: 0.05 },
    { name: 'r2', goal: 'maximize', threshold: 0.5, compareToChampion: false },
  ]);

  it('when there is no champion and thresholds are met, then it accepts and says why', () => {
    const d = decideGate(spec, { rmse: 150, r2: 0.8 }, undefined);
    expect(d.decision).toBe('accepted');
    expect(d.reasons).toEqual([
      'rmse 150 meets the threshold <= 200',
      'rmse: no champion to compare with',
      'r2 0.8 meets the threshold >= 0.5',
    ]);
  });

  it('when a threshold is missed, then it rejects naming only the failed check', () => {
    const d = decideGate(spec, { rmse: 150, r2: 0.4 }, undefined);
    expect(d.decision).toBe('rejected');
    expect(d.reasons).toEqual(['r2 0.4 misses the threshold >= 0.5']);
  });

  it('when the relative improvement over the champion is too small, then it rejects', () => {
    const d = decideGate(spec, { rmse: 97, r2: 0.8 }, { version: '3', metrics: { rmse: 100 } });
    expect(d.decision).toBe('rejected');
    expect(d.reasons).toEqual(["rmse 97 is not 5 % lower than the champion's 100 (version 3)"]);
    expect(d.championVersion).toBe('3');
  });

  it('when the improvement is exactly the required one, then it accepts (no float noise)', () => {
    expect(decideGate(spec, { rmse: 95, r2: 0.8 }, { version: '3', metrics: { rmse: 100 } }).decision).toBe('accepted');
  });

  it('when the improvement is absolute, then the difference is compared directly', () => {
    const abs = gate([{ name: 'auc', goal: 'maximize', minImprovement: 0.01, improvement: 'absolute' }]);
    expect(decideGate(abs, { auc: 0.905 }, { version: '1', metrics: { auc: 0.9 } }).decision).toBe('rejected');
    expect(decideGate(abs, { auc: 0.91 }, { version: '1', metrics: { auc: 0.9 } }).decision).toBe('accepted');
  });

  it('when minImprovement is 0, then equal is good enough and worse is not', () => {
    const eq = gate([{ name: 'rmse', goal: 'minimize' }]);
    expect(decideGate(eq, { rmse: 10 }, { version: '1', metrics: { rmse: 10 } }).decision).toBe('accepted');
    expect(decideGate(eq, { rmse: 10.5 }, { version: '1', metrics: { rmse: 10 } }).reasons).toEqual([
      "rmse 10.5 is not at least as good as the champion's 10 (version 1)",
    ]);
  });

  it('when a regression is tolerated (negative minImprovement), then slightly worse passes and much worse fails', () => {
    const tolerant = gate([{ name: 'rmse', goal: 'minimize', minImprovement: -0.1 }]);
    expect(decideGate(tolerant, { rmse: 105 }, { version: '1', metrics: { rmse: 100 } })).toMatchObject({
      decision: 'accepted',
      reasons: ["rmse 105 is at most 10 % higher than the champion's 100 (version 1)"],
    });
    expect(decideGate(tolerant, { rmse: 111 }, { version: '1', metrics: { rmse: 100 } }).reasons).toEqual([
      "rmse 111 is not at most 10 % higher than the champion's 100 (version 1)",
    ]);
  });

  it('when the candidate lacks a metric, then it rejects', () => {
    expect(decideGate(spec, { rmse: 100 }, undefined).reasons).toEqual([
      "r2: missing from the candidate run's metrics",
    ]);
  });

  it('when the champion lacks the metric, then the comparison is skipped, not failed', () => {
    const d = decideGate(spec, { rmse: 150, r2: 0.8 }, { version: '2', metrics: {} });
    expect(d.decision).toBe('accepted');
    expect(d.reasons).toContain('rmse: champion version 2 has no value; comparison skipped');
  });
});
