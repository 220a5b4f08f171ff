import { getEndpoint, listDeployments } from '../../../src/azureml/endpoints';
import { getModelVersion, listModelVersions } from '../../../src/azureml/registry';
import { RESOURCE_GROUP, WORKSPACE } from '../../../dev/azureml-emulator';
import { LineageTags } from '../../../src/services/retrain/lineage';
import { demoCatalog, fastPlan, type RetrainHarness, startRetrainHarness, waitForRun } from './harness';

jest.setTimeout(180_000);

describe('retrain orchestration (emulator + in-memory durable engine)', () => {
  let h: RetrainHarness;

  beforeAll(async () => {
    h = await startRetrainHarness();
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('when a dataset upload triggers a retrain, then the new version serves 100 % with lineage tags', async () => {
    // Arrange: polling far slower than training, so only the Azure ML run event can end the wait in time.
    await h.begin({
      planTweak: (p) => ({
        ...fastPlan(p),
        polling: { initialIntervalSeconds: 120, maxIntervalSeconds: 120, backoffCoefficient: 1 },
      }),
    });
    const trigger = { ...(await h.uploadDataset('bike-demand/2026-11-20.csv')), parameters: { alpha: 0.5 } };

    // Act
    const submitted = await h.submit(trigger);
    const status = await waitForRun(h, submitted.instanceId, submitted.runId);

    // Assert
    expect(submitted).toMatchObject({ outcome: 'started', instanceId: 'retrain-bike-demand' });
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toMatchObject({ status: 'succeeded', modelVersion: '2', deployment: 'bike-demand-v2' });
    const endpoint = await getEndpoint(h.ws, 'bike-demand');
    expect(endpoint?.traffic).toEqual({ 'bike-demand-v2': 100 });
    const version = await getModelVersion(h.ws, 'bike-demand', '2');
    const tags = version?.properties.tags ?? {};
    expect(tags).toMatchObject({
      [LineageTags.datasetUri]: trigger.dataset?.uri,
      [LineageTags.datasetETag]: trigger.dataset?.eTag,
      [LineageTags.triggerId]: submitted.triggerId,
      [LineageTags.instanceId]: 'retrain-bike-demand',
      [LineageTags.gateDecision]: 'accepted',
    });
    expect(tags[LineageTags.job]).toMatch(/^batchjob-/);
    expect(tags[LineageTags.parameters]).toBe('{"alpha":0.5}');
    const job = await h.ws.arm.jobs.get(RESOURCE_GROUP, WORKSPACE, tags[LineageTags.job] ?? '');
    expect((job.properties as { inputs?: Record<string, { value?: string }> }).inputs?.alpha?.value).toBe('0.5');
    const run = await h.scenario().state.runs.get(submitted.runId);
    expect(run).toMatchObject({
      status: 'succeeded',
      registered: { version: '2' },
      deployment: { name: 'bike-demand-v2' },
    });
    expect(run?.training?.statusHistory.some((s) => s.via === 'event')).toBe(true);
    // The run links to the job in studio (the job's own Studio service link).
    expect(run?.training?.studioUrl).toBe(`${h.emulator.url}/_emulator/jobs/${run?.training?.jobName ?? ''}`);
    expect(run?.stages.map((s) => `${s.name}:${s.status}`)).toEqual(
      expect.arrayContaining([
        'submit:succeeded',
        'training:succeeded',
        'gate:succeeded',
        'register:succeeded',
        'smoke:succeeded',
        'latency:succeeded',
        'traffic:succeeded',
        'deploy:succeeded',
      ]),
    );
    const custom = status.customStatus as { trainingStatus: { status: string }[] };
    expect(custom.trainingStatus.map((s) => s.status)).toContain('Completed');
    expect(h.scenario().telemetry.names()).toEqual(
      expect.arrayContaining([
        'TriggerReceived',
        'RetrainStarted',
        'TrainingSubmitted',
        'TrainingCompleted',
        'GateDecided',
        'ModelRegistered',
        'DeploymentStarted',
        'DeploymentShifted',
        'DeploymentSucceeded',
        'RetrainCompleted',
      ]),
    );
    expect(h.scenario().telemetry.metrics.filter((m) => m.name === 'StageDurationMs').length).toBeGreaterThan(3);
    // Retention 1: the previous deployment stays as the rollback target.
    expect((await listDeployments(h.ws, 'bike-demand')).map((d) => d.name).sort()).toEqual([
      'bike-demand-v1',
      'bike-demand-v2',
    ]);
  });

  it('when no Azure ML run event arrives, then durable-timer polling still completes the wait', async () => {
    await h.begin({});
    await h.emulatorCall('DELETE', `/_emulator/eventSubscribers?url=${encodeURIComponent(h.eventsUrl)}`);
    try {
      const submitted = await h.submit(await h.uploadDataset('bike-demand/no-events.csv'));
      const status = await waitForRun(h, submitted.instanceId, submitted.runId);

      expect(status.output).toMatchObject({ status: 'succeeded' });
      const history = (await h.scenario().state.runs.get(submitted.runId))?.training?.statusHistory ?? [];
      expect(history.map((s) => s.via)).not.toContain('event');
      expect(history[history.length - 1]).toMatchObject({ status: 'Completed', via: 'poll' });
    } finally {
      await h.emulatorCall('POST', '/_emulator/eventSubscribers', { url: h.eventsUrl });
    }
  });

  it('when the candidate misses a gate threshold, then the version is registered as rejected and traffic stays', async () => {
    await h.begin({
      catalog: demoCatalog((m) => {
        m.gate = { metrics: [{ name: 'r2', goal: 'maximize', threshold: 0.99999, compareToChampion: false }] };
      }),
    });
    const submitted = await h.submit(await h.uploadDataset('bike-demand/gate.csv'));
    const status = await waitForRun(h, submitted.instanceId, submitted.runId);

    expect(status.output).toMatchObject({ status: 'rejected', modelVersion: '2' });
    const version = await getModelVersion(h.ws, 'bike-demand', '2');
    expect(version?.properties.tags?.[LineageTags.gateDecision]).toBe('rejected');
    expect(version?.properties.tags?.[LineageTags.gateReasons]).toMatch(/^r2 0\.\d+ misses the threshold >= 0\.99999$/);
    expect((await getEndpoint(h.ws, 'bike-demand'))?.traffic).toEqual({ 'bike-demand-v1': 100 });
    expect((await h.scenario().state.runs.get(submitted.runId))?.status).toBe('rejected');
  });

  it("when the pipeline's training step logged the metrics, then the gate reads them from that step's run (not the pipeline's)", async () => {
    await h.begin({});
    const submitted = await h.submit(await h.uploadDataset('bike-demand/child-metrics.csv'));
    const status = await waitForRun(h, submitted.instanceId, submitted.runId);

    expect(status.output).toMatchObject({ status: 'succeeded' });
    const run = await h.scenario().state.runs.get(submitted.runId);
    expect(run?.metricsRun).toMatchObject({ runName: 'train' });
    expect(run?.metricsRun?.runId).not.toBe(run?.training?.jobName);
    expect(run?.metrics?.rmse).toBeGreaterThan(0);
  });

  it('when no run of the job logged a gate metric, then the run fails at metrics saying which runs it looked at', async () => {
    await h.begin({
      catalog: demoCatalog((m) => {
        m.gate = { metrics: [{ name: 'auc', goal: 'maximize', threshold: 0.5, compareToChampion: false }] };
      }),
    });
    const submitted = await h.submit(await h.uploadDataset('bike-demand/no-auc.csv'));
    const status = await waitForRun(h, submitted.instanceId, submitted.runId);

    expect(status.output).toMatchObject({ status: 'failed' });
    const run = await h.scenario().state.runs.get(submitted.runId);
    expect(run?.failure).toMatchObject({ stage: 'metrics', errorType: 'MetricsUnavailableError' });
    expect(run?.failure?.message).toContain('no run logged auc');
    expect(run?.failure?.message).toMatch(/job run \S+ .*\(metrics: none\); step run \S+ 'train' \(metrics: [^)]*rmse/);
    expect((await listModelVersions(h.ws, 'bike-demand')).map((v) => v.name)).toEqual(['1']);
  });

  it('when training.metricsStep names a step the pipeline does not have, then the message names it', async () => {
    await h.begin({
      catalog: demoCatalog((m) => {
        (m.training as Record<string, unknown>).metricsStep = 'evaluate';
      }),
    });
    const submitted = await h.submit(await h.uploadDataset('bike-demand/no-step.csv'));
    await waitForRun(h, submitted.instanceId, submitted.runId);

    const run = await h.scenario().state.runs.get(submitted.runId);
    expect(run?.failure).toMatchObject({ stage: 'metrics', errorType: 'MetricsUnavailableError' });
    expect(run?.failure?.message).toContain("no step run named 'evaluate'");
  });

  it('when the training run fails, then the run fails at training and no version is registered', async () => {
    await h.begin({});
    await h.emulatorCall('POST', '/_emulator/faults/jobs', { mode: 'fail', message: 'out of memory' });
    const submitted = await h.submit(await h.uploadDataset('bike-demand/fail.csv'));
    const status = await waitForRun(h, submitted.instanceId, submitted.runId);

    expect(status.output).toMatchObject({ status: 'failed' });
    const run = await h.scenario().state.runs.get(submitted.runId);
    expect(run?.failure).toMatchObject({ stage: 'training', errorType: 'TrainingFailedError' });
    expect(run?.failure?.message).toContain('Failed');
    expect((await listModelVersions(h.ws, 'bike-demand')).map((v) => v.name)).toEqual(['1']);
    expect(h.scenario().telemetry.names()).toContain('RetrainFailed');
  });

  it('when the training run hangs past the timeout, then it is cancelled and the run fails as timed out', async () => {
    await h.begin({ planTweak: (p) => ({ ...fastPlan(p), trainingTimeoutSeconds: 3 }) });
    await h.emulatorCall('POST', '/_emulator/faults/jobs', { mode: 'hang' });
    const submitted = await h.submit(await h.uploadDataset('bike-demand/hang.csv'));
    const status = await waitForRun(h, submitted.instanceId, submitted.runId);

    expect(status.output).toMatchObject({ status: 'failed' });
    const run = await h.scenario().state.runs.get(submitted.runId);
    expect(run?.failure).toMatchObject({ stage: 'training', errorType: 'TrainingTimedOutError' });
    const job = (await h.emulatorCall('GET', `/_emulator/jobs/${run?.training?.jobName ?? ''}`)) as { status: string };
    expect(['CancelRequested', 'Canceled']).toContain(job.status);
  });
});
