import { duration, runsTable, runTimeline, shortTime, triggersTable } from '../../../src/cli/format';
import type { RunDetail, TriggerView } from '../../../src/functions/ops/contract';

const detail: RunDetail = {
  runId: 't7f3a0c1d2e3f405162738495',
  instanceId: 'retrain-bike-demand',
  model: 'bike-demand',
  kind: 'retrain',
  status: 'running',
  createdAt: '2026-11-22T10:00:00.000Z',
  updatedAt: '2026-11-22T10:04:00.000Z',
  trigger: {
    source: 'github',
    reason: 'push to contoso/bike-demand@main changed models/bike-demand/train.py',
    git: {
      provider: 'github',
      repository: 'contoso/bike-demand',
      sha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      ref: 'refs/heads/main',
    },
  },
  azureMlJob: 'bike-demand-retrain-42',
  stages: [
    { name: 'submitTraining', status: 'succeeded', startedAt: '2026-11-22T10:00:01Z', endedAt: '2026-11-22T10:00:03Z' },
    { name: 'waitForRun', status: 'running', startedAt: '2026-11-22T10:00:03Z', detail: 'Running' },
    { name: 'gate', status: 'pending' },
  ],
};

describe('CLI formatting', () => {
  it('when times and durations are shown, then they are short and UTC', () => {
    expect(shortTime('2026-11-22T10:00:00.000Z')).toBe('2026-11-22 10:00:00Z');
    expect(shortTime(undefined)).toBe('-');
    expect([850, 12_000, 185_000, 3_725_000].map(duration)).toEqual(['850ms', '12s', '3m 05s', '1h 02m']);
  });

  it('when runs are listed, then a header and one aligned row per run appear with the trigger commit', () => {
    const table = runsTable([detail, { ...detail, runId: 'x', trigger: undefined, modelVersion: '7' }]);
    const [header, first, second] = table.split('\n');
    expect(header).toMatch(/^RUN\s+MODEL\s+KIND\s+STATUS\s+CREATED\s+TRIGGER\s+VERSION$/);
    expect(first).toContain('github contoso/bike-demand@0d1a26e');
    expect(second).toMatch(/\s7$/);
    expect(header?.indexOf('MODEL')).toBe((first?.indexOf('  bike-demand') ?? 0) + 2);
    expect(runsTable([])).toBe('No runs match.');
  });

  it('when one run is shown, then its stages read as a timeline with marks and durations', () => {
    const text = runTimeline(detail, new Date('2026-11-22T10:04:03Z'));
    expect(text).toContain('Run t7f3a0c1d2e3f405162738495  bike-demand  retrain  running');
    expect(text).toContain('git contoso/bike-demand@0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c (refs/heads/main)');
    expect(text).toContain('Azure ML job bike-demand-retrain-42');
    expect(text).toMatch(/10:00:01\s+✓ submitTraining\s+2s/);
    expect(text).toMatch(/10:00:03\s+… waitForRun\s+4m 00s\s+Running/);
    expect(text).toMatch(/○ gate\s+pending/);
  });

  it('when triggers are listed, then each row shows its fate, its input and the run or trigger it went to', () => {
    const base: TriggerView = {
      triggerId: 't1',
      model: 'bike-demand',
      source: 'dataset',
      fate: 'started',
      receivedAt: '2026-11-22T10:00:00.000Z',
      occurredAt: '2026-11-22T10:00:00.000Z',
      runId: 't1',
      dataset: { uri: 'http://127.0.0.1:10000/devstoreaccount1/datasets/bike-demand/a.csv', eTag: '0x1' },
      history: [],
    };
    const lines = triggersTable([
      base,
      { ...base, triggerId: 't2', fate: 'superseded', runId: undefined, relatedTriggerId: 't3' },
      {
        ...base,
        triggerId: 't4',
        source: 'git',
        fate: 'duplicate',
        dataset: undefined,
        git: { repository: 'contoso/bike-demand', sha: '0d1a26e67d8f5eaf' },
      },
    ]).split('\n');
    expect(lines[0]).toMatch(/^TRIGGER\s+MODEL\s+SOURCE\s+FATE\s+RECEIVED\s+INPUT\s+RUN \/ RELATED$/);
    expect(lines[1]).toMatch(
      /^t1\s+bike-demand\s+dataset\s+started\s+2026-11-22 10:00:00Z\s+devstoreaccount1\/datasets\/bike-demand\/a\.csv\s+t1$/,
    );
    expect(lines[2]).toMatch(/superseded\s.*\st3$/);
    expect(lines[3]).toMatch(/duplicate\s.*contoso\/bike-demand@0d1a26e\s+t1$/);
    expect(triggersTable([])).toBe('No triggers match.');
  });

  it('when a run carries parameter overrides, then the timeline lists them under the trigger', () => {
    const text = runTimeline({ ...detail, trigger: { source: 'manual', parameters: { alpha: 0.5, warm: true } } });
    expect(text).toContain('Trigger manual\n  parameters alpha=0.5 warm=true');
  });
});
