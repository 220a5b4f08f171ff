import { getEndpoint } from '../../../src/azureml/endpoints';
import { getModelVersion } from '../../../src/azureml/registry';
import { LineageTags } from '../../../src/services/retrain/lineage';
import { decideRetrainApproval } from '../../../src/triggers/operations';
import { demoCatalog, fastPlan, type RetrainHarness, startRetrainHarness, waitFor, waitForRun } from './harness';

jest.setTimeout(180_000);

describe('retrain triggers: dedupe, coalescing, approval', () => {
  let h: RetrainHarness;

  beforeAll(async () => {
    h = await startRetrainHarness();
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('when the same upload is delivered twice at once and again after the run, then exactly one run happens', async () => {
    await h.begin({});
    const trigger = await h.uploadDataset('bike-demand/dup.csv');

    const [a, b] = await Promise.all([h.submit(trigger), h.submit({ ...trigger, eventId: 'redelivery' })]);
    const outcomes = [a.outcome, b.outcome].sort();
    expect(outcomes).toEqual(['duplicate', 'started']);
    expect(a.triggerId).toBe(b.triggerId);
    await waitForRun(h, a.instanceId, a.runId);
    const late = await h.submit({ ...trigger, eventId: 'late-redelivery' });

    expect(late).toMatchObject({ outcome: 'duplicate', triggerId: a.triggerId });
    const state = h.scenario().state;
    expect((await state.runs.list({ model: 'bike-demand', kind: 'retrain' })).map((r) => r.runId)).toEqual([a.runId]);
    const entries = await state.ledger.list({ model: 'bike-demand' });
    expect(entries.filter((e) => e.fate === 'duplicate')).toHaveLength(2);
    expect(entries.filter((e) => e.fate === 'duplicate').every((e) => e.relatedTriggerId === a.triggerId)).toBe(true);
    expect(
      h
        .scenario()
        .telemetry.names()
        .filter((n) => n === 'TrainingSubmitted'),
    ).toHaveLength(1);
  });

  it('when three uploads arrive during a run, then exactly one follow-up runs, with the newest data', async () => {
    await h.begin({});
    await h.emulatorCall('PUT', '/_emulator/steps', { runningMs: 3000 });
    const first = await h.submit(await h.uploadDataset('bike-demand/a.csv', { occurredAt: '2026-11-20T10:00:00Z' }));
    const t2 = await h.uploadDataset('bike-demand/b.csv', { occurredAt: '2026-11-20T10:01:00Z', seed: 2 });
    const t3 = await h.uploadDataset('bike-demand/c.csv', { occurredAt: '2026-11-20T10:02:00Z', seed: 3 });
    const t4 = await h.uploadDataset('bike-demand/d.csv', { occurredAt: '2026-11-20T10:03:00Z', seed: 4 });

    const queued = [await h.submit(t2), await h.submit(t4), await h.submit(t3)]; // t3 arrives late, older than t4
    expect(queued.map((q) => q.outcome)).toEqual(['queued', 'queued', 'queued']);
    const followUp = queued[1]!;
    await waitForRun(h, first.instanceId, first.runId);
    const status = await waitForRun(h, followUp.instanceId, followUp.runId);

    expect(status.output).toMatchObject({ runId: followUp.runId, status: 'succeeded', modelVersion: '3' });
    const state = h.scenario().state;
    const runs = await state.runs.list({ model: 'bike-demand', kind: 'retrain' });
    expect(runs.map((r) => r.runId).sort()).toEqual([first.runId, followUp.runId].sort());
    const followUpRun = runs.find((r) => r.runId === followUp.runId);
    expect(followUpRun?.input.dataset?.uri).toBe(t4.dataset?.uri);
    expect([...(followUpRun?.coalesced ?? [])].sort()).toEqual([queued[0]!.triggerId, queued[2]!.triggerId].sort());
    expect((await state.ledger.get(queued[0]!.triggerId))?.fate).toBe('superseded');
    expect((await state.ledger.get(queued[2]!.triggerId))?.fate).toBe('superseded');
    expect((await state.ledger.get(followUp.triggerId))?.fate).toBe('started');
    expect((await state.runs.get(first.runId))?.followUp).toBe(followUp.runId);
    const v3 = await getModelVersion(h.ws, 'bike-demand', '3');
    expect(v3?.properties.tags?.[LineageTags.datasetUri]).toBe(t4.dataset?.uri);
    expect((await h.scenario().state.lanes.get('bike-demand')).active).toBeUndefined();
    expect(
      h
        .scenario()
        .telemetry.events.filter((e) => e.name === 'RetrainStarted')
        .map((e) => e.dimensions.triggerId),
    ).toEqual([first.triggerId, followUp.triggerId]);
  });

  it('when the policy is cancel and a newer upload arrives during training, then the running job is cancelled and the newer one runs', async () => {
    await h.begin({
      catalog: demoCatalog((m) => {
        (m.triggers as Record<string, unknown>).onSupersede = 'cancel';
      }),
    });
    await h.emulatorCall('PUT', '/_emulator/steps', { runningMs: 20_000 });
    const first = await h.submit(await h.uploadDataset('bike-demand/old.csv', { occurredAt: '2026-11-20T10:00:00Z' }));
    await waitFor(
      async () => ((await h.scenario().state.runs.get(first.runId))?.training?.jobName ? true : undefined),
      'first job submitted',
    );
    const newer = await h.submit(await h.uploadDataset('bike-demand/new.csv', { occurredAt: '2026-11-20T11:00:00Z' }));
    expect(newer.outcome).toBe('queued');
    await waitForRun(h, first.instanceId, first.runId);
    await h.emulatorCall('PUT', '/_emulator/steps', { runningMs: 500 });
    const status = await waitForRun(h, newer.instanceId, newer.runId);

    const firstRun = await h.scenario().state.runs.get(first.runId);
    expect(firstRun?.status).toBe('superseded');
    const job = (await h.emulatorCall('GET', `/_emulator/jobs/${firstRun?.training?.jobName ?? ''}`)) as {
      status: string;
    };
    expect(['CancelRequested', 'Canceled']).toContain(job.status);
    expect(status.output).toMatchObject({ runId: newer.runId, status: 'succeeded' });
  });

  describe('approval gate', () => {
    const withApproval = () =>
      demoCatalog((m) => {
        (m.deployment as Record<string, unknown>).approval = { required: true, timeoutMinutes: 60 };
      });

    async function awaitApproval(runId: string): Promise<void> {
      await waitFor(
        async () => ((await h.scenario().state.runs.get(runId))?.status === 'awaitingApproval' ? true : undefined),
        'run awaiting approval',
      );
    }

    it('when the approver approves, then the version is deployed and tagged approved', async () => {
      await h.begin({ catalog: withApproval() });
      const submitted = await h.submit(await h.uploadDataset('bike-demand/approve.csv'));
      await awaitApproval(submitted.runId);

      await decideRetrainApproval({ state: h.scenario().state, orchestrations: h.orchestrations }, submitted.runId, {
        approved: true,
        by: 'lead@example.com',
      });
      const status = await waitForRun(h, submitted.instanceId, submitted.runId);

      expect(status.output).toMatchObject({ status: 'succeeded', deployment: 'bike-demand-v2' });
      expect((await getModelVersion(h.ws, 'bike-demand', '2'))?.properties.tags?.[LineageTags.approval]).toBe(
        'approved',
      );
      expect((await h.scenario().state.runs.get(submitted.runId))?.approval).toMatchObject({
        status: 'approved',
        by: 'lead@example.com',
      });
    });

    it('when the approver rejects, then nothing is deployed and the run is rejected', async () => {
      await h.begin({ catalog: withApproval() });
      const submitted = await h.submit(await h.uploadDataset('bike-demand/reject.csv'));
      await awaitApproval(submitted.runId);

      await decideRetrainApproval(
        { state: h.scenario().state, orchestrations: h.orchestrations },
        'retrain-bike-demand',
        {
          approved: false,
          comment: 'not this week',
        },
      );
      const status = await waitForRun(h, submitted.instanceId, submitted.runId);

      expect(status.output).toMatchObject({ status: 'rejected', reason: 'rejected: not this week' });
      expect((await getEndpoint(h.ws, 'bike-demand'))?.traffic).toEqual({ 'bike-demand-v1': 100 });
      expect((await getModelVersion(h.ws, 'bike-demand', '2'))?.properties.tags?.[LineageTags.approval]).toBe(
        'rejected',
      );
    });

    it('when nobody decides before the timeout, then the release is rejected as timed out', async () => {
      await h.begin({
        catalog: withApproval(),
        planTweak: (p) => ({ ...fastPlan(p), approval: { required: true, timeoutSeconds: 2 } }),
      });
      const submitted = await h.submit(await h.uploadDataset('bike-demand/timeout.csv'));
      const status = await waitForRun(h, submitted.instanceId, submitted.runId);

      expect(status.output).toMatchObject({ status: 'rejected', reason: 'approval timed out after 2 s' });
      expect((await h.scenario().state.runs.get(submitted.runId))?.approval?.status).toBe('timedOut');
      expect((await getEndpoint(h.ws, 'bike-demand'))?.traffic).toEqual({ 'bike-demand-v1': 100 });
      await expect(
        decideRetrainApproval({ state: h.scenario().state, orchestrations: h.orchestrations }, submitted.runId, {
          approved: true,
        }),
      ).rejects.toMatchObject({ name: 'RetrainRunStateError' });
    });
  });
});
