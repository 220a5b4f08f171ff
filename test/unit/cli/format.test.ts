import {
  batchRunText,
  duration,
  endpointsTable,
  modelsTable,
  progressBar,
  runsTable,
  runTimeline,
  shortTime,
  stagesText,
  triggersTable,
} from '../../../src/cli/format';
import type { ModelSummary, RunDetail, TriggerView } from '../../../src/functions/ops/contract';

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
    expect(header).toMatch(/^RUN\s+MODEL\s+KIND\s+STAGE\s+STATUS\s+CREATED\s+TRIGGER\s+VERSION$/);
    expect(first).toContain('github contoso/bike-demand@0d1a26e');
    expect(second).toMatch(/\s7$/);
    expect(header?.indexOf('MODEL')).toBe((first?.indexOf('  bike-demand') ?? 0) + 2);
    expect(runsTable([])).toBe('No runs match.');
  });

  it('when runs released to promotion stages are listed, then the stage column shows a retrain stage and a promotion source → target', () => {
    const table = runsTable([
      { ...detail, runId: 'r1', stage: 'dev' },
      { ...detail, runId: 'p1', kind: 'promotion', stage: 'prod', fromStage: 'dev' },
      { ...detail, runId: 'x1' },
    ]);
    const rows = table.split('\n');
    const stageColumn = rows[0]?.indexOf('STAGE') ?? -1;
    expect(rows.slice(1).map((r) => r.slice(stageColumn).split(/\s{2,}/)[0])).toEqual(['dev', 'dev → prod', '-']);
  });

  it('when models with stages are listed, then each stage shows the version it serves', () => {
    const summary: ModelSummary = {
      model: 'bike-demand',
      registeredName: 'bike-demand',
      endpoint: 'bike-demand',
      liveVersion: '3',
      liveDeployment: 'bike-demand-v3',
      versions: 3,
      approvalRequired: false,
      batch: false,
      stages: [
        { stage: 'dev', endpoint: 'bike-demand', promotion: 'manual', liveVersion: '3' },
        {
          stage: 'prod',
          endpoint: 'bike-demand-prod',
          workspace: 's/rg/prod',
          registry: 'shared',
          promotion: 'manual',
        },
      ],
    };
    const [header, row] = modelsTable([summary, { ...summary, model: 'plain', stages: undefined }]).split('\n');
    expect(header).toMatch(/\sSTAGES\s/);
    expect(row).toContain('dev:v3 prod:-');
    expect(stagesText(undefined)).toBe('-');
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

  it('when a run has a gate, a release, lineage and a failure report, then each is shown under the timeline', () => {
    const text = runTimeline(
      {
        ...detail,
        status: 'rolledBack',
        metrics: { rmse: 40.123456, r2: 0.81 },
        gate: {
          decision: 'accepted',
          reasons: ['rmse improved'],
          championVersion: '6',
          checks: [
            { metric: 'rmse', candidate: 40.123456, champion: 44, passed: true, notes: ['40.12 < 44'] },
            { metric: 'r2', candidate: 0.81, passed: true, notes: ['0.81 >= 0.5'] },
          ],
        },
        lineage: {
          triggerId: 't1',
          instanceId: 'retrain-bike-demand',
          dataset: { uri: 'https://lake/datasets/bike.csv', eTag: '0x1', dataAsset: 'bike-demand-data:7' },
          registeredModel: { name: 'bike-demand', version: '7' },
          coalescedTriggers: ['t2'],
        },
        deployment: {
          endpoint: 'bike-demand',
          name: 'bike-demand-v7',
          previous: 'bike-demand-v6',
          outcome: 'rolledBack',
          traffic: { 'bike-demand-v6': 100, 'bike-demand-v7': 0 },
        },
        failure: {
          stage: 'smoke',
          errorType: 'SmokeTestFailed',
          message: 'HTTP 500',
          deploymentLogs: 'line 1\nTraceback: KeyError',
        },
      },
      new Date('2026-11-22T10:05:00Z'),
    );
    expect(text).toMatch(/Gate accepted vs champion v6\n {2}METRIC\s+CANDIDATE\s+CHAMPION\s+CHECK\s+NOTES/);
    expect(text).toMatch(/rmse\s+40.12\s+44\s+pass\s+40.12 < 44/);
    expect(text).toMatch(/r2\s+0.81\s+-\s+pass/);
    expect(text).toContain('Release bike-demand-v7 on bike-demand (previous bike-demand-v6): rolledBack');
    expect(text).toContain('dataset https://lake/datasets/bike.csv (bike-demand-data:7) etag 0x1');
    expect(text).toContain('registered bike-demand:7');
    expect(text).toContain('coalesced triggers t2');
    expect(text).toContain('Failed at smoke: SmokeTestFailed: HTTP 500');
    expect(text).toContain('    Traceback: KeyError');
  });

  it('when progress is drawn, then the bar is proportional and clamped', () => {
    expect(progressBar(0, 10)).toBe('[----------]   0.0%');
    expect(progressBar(0.5, 10)).toBe('[#####-----]  50.0%');
    expect(progressBar(2, 10)).toBe('[##########] 100.0%');
    expect(progressBar(Number.NaN, 4)).toBe('[----]   0.0%');
  });

  it('when a batch run failed, then its failed mini-batches are listed with reasons', () => {
    const text = batchRunText({
      runId: 'batch-bike-demand-2026-10-01',
      model: 'bike-demand',
      date: '2026-10-01',
      status: 'failed',
      createdAt: '2026-11-22T10:00:00Z',
      updatedAt: '2026-11-22T10:01:00Z',
      errorThreshold: 0,
      reason: '1 of 4 mini-batches failed (threshold 0)',
      progress: { miniBatches: { total: 4, done: 3, failed: 1 }, rows: { scored: 15000, total: 20000 }, percent: 100 },
      failures: [{ key: 'mb-00002', rows: 5000, reason: 'HTTP 500 from the endpoint (attempts: 3)' }],
    });
    expect(text).toContain('[##############################] 100.0%  3/4 mini-batches (1 failed) · 15,000/20,000 rows');
    expect(text).toMatch(
      /Failed mini-batches \(1, threshold 0\)\n {2}MINI-BATCH\s+ROWS\s+REASON\n {2}mb-00002\s+5000\s+HTTP 500/,
    );
  });

  it('when endpoints are listed, then the traffic split shows the deployments that get any', () => {
    expect(
      endpointsTable([
        {
          endpoint: 'e1',
          models: ['m'],
          exists: true,
          provisioningState: 'Succeeded',
          authMode: 'Key',
          traffic: { a: 90, b: 10, c: 0 },
        },
        { endpoint: 'e2', models: ['n'], exists: false, traffic: {} },
      ]),
    ).toMatch(/e1\s+m\s+Succeeded\s+Key\s+a=90% b=10%\ne2\s+n\s+not created\s+-\s+-/);
  });
});
