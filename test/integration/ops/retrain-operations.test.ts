// The operations service over real run records in Azurite: listing filters and paging, the run view, cancel rules.
import { randomUUID } from 'node:crypto';

import { BlobServiceClient } from '@azure/storage-blob';
import type { DurableClient } from 'durable-functions';

import type { AppContext } from '../../../src/app/context';
import { parseCatalog } from '../../../src/catalog';
import { ConflictError, RunNotFoundError } from '../../../src/functions/ops';
import { retrainOperations } from '../../../src/functions/ops/retrain-operations';
import { createStateStores, type RunRecord, type StateStores } from '../../../src/state';
import type { RetrainTrigger } from '../../../src/triggers/model';
import type { Telemetry } from '../../../src/telemetry';
import { type AzuriteBlob, startAzuriteBlob } from '../../support/azurite';

jest.setTimeout(60_000);

const telemetry: Telemetry = {
  trackEvent: () => undefined,
  trackMetric: () => undefined,
  trackException: () => undefined,
  flush: () => Promise.resolve(),
};

const catalog = parseCatalog({
  models: ['bike-demand', 'churn'].map((name) => ({
    name,
    training: { kind: 'batchEndpoint', endpoint: 'train-endpoint', experiment: 'exp', datasetInput: 'data' },
    gate: { metrics: [{ name: 'rmse', goal: 'minimize' }] },
    registry: { modelName: name },
    deployment: { endpoint: 'score-endpoint', smokeSample: {} },
  })),
});

/** The durable client calls the cancel path makes, recorded (the service only needs these). */
function recordingClient(runtimeStatus: string) {
  const terminated: { instanceId: string; reason: string }[] = [];
  const client = {
    getStatus: () => Promise.resolve({ runtimeStatus, input: {}, customStatus: null }),
    terminate: (instanceId: string, reason: string) => {
      terminated.push({ instanceId, reason });
      return Promise.resolve();
    },
  } as unknown as DurableClient;
  return { client, terminated };
}

function record(runId: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    runId,
    kind: 'retrain',
    model: 'bike-demand',
    triggerId: runId,
    source: 'git',
    instanceId: 'retrain-bike-demand',
    status: 'succeeded',
    startedAt: '2026-11-20T00:00:00.000Z',
    updatedAt: '2026-11-20T01:00:00.000Z',
    input: { git: { repository: 'contoso/bike-demand', sha: 'abc1234', branch: 'main', provider: 'github' } },
    coalesced: [],
    stages: [
      {
        name: 'trigger',
        status: 'succeeded',
        startedAt: '2026-11-20T00:00:00.000Z',
        finishedAt: '2026-11-20T00:00:00.000Z',
      },
      { name: 'training', status: 'started', startedAt: '2026-11-20T00:00:01.000Z' },
    ],
    ...overrides,
  };
}

let azurite: AzuriteBlob;
let state: StateStores;
let context: AppContext;

beforeAll(async () => {
  azurite = await startAzuriteBlob();
});
afterAll(async () => {
  await azurite?.stop();
});
beforeEach(async () => {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    `ops-${randomUUID().slice(0, 8)}`,
  );
  state = createStateStores(container);
  context = { catalog, state, telemetry } as unknown as AppContext;
  await state.runs.create(record('r1', { startedAt: '2026-11-20T00:00:00.000Z', status: 'succeeded' }));
  await state.runs.create(record('r2', { startedAt: '2026-11-21T00:00:00.000Z', status: 'failed' }));
  await state.runs.create(
    record('r3', {
      startedAt: '2026-11-22T00:00:00.000Z',
      status: 'failed',
      failure: { stage: 'cancel', errorType: 'RunCanceled', message: 'stop' },
    }),
  );
  await state.runs.create(record('r4', { startedAt: '2026-11-22T06:00:00.000Z', status: 'running' }));
  await state.runs.create(
    record('c1', { model: 'churn', instanceId: 'retrain-churn', startedAt: '2026-11-22T07:00:00.000Z' }),
  );
});

describe('operations service over run records', () => {
  it('when runs are listed page by page, then every run comes once, newest first', async () => {
    const ops = retrainOperations(context, recordingClient('Completed').client);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await ops.listRuns({ pageSize: 2, ...(token ? { continuationToken: token } : {}) });
      expect(page.runs.length).toBeLessThanOrEqual(2);
      seen.push(...page.runs.map((r) => r.runId));
      token = page.continuationToken;
    } while (token);
    expect(seen).toEqual(['c1', 'r4', 'r3', 'r2', 'r1']);
  });

  it('when filtered by model, statuses and time, then a cancelled run reads canceled and only matches that status', async () => {
    const ops = retrainOperations(context, recordingClient('Completed').client);
    const failedOrCanceled = await ops.listRuns({ model: 'bike-demand', status: ['failed', 'canceled'], pageSize: 50 });
    expect(failedOrCanceled.runs.map((r) => [r.runId, r.status])).toEqual([
      ['r3', 'canceled'],
      ['r2', 'failed'],
    ]);
    const failed = await ops.listRuns({ status: ['failed'], pageSize: 50 });
    expect(failed.runs.map((r) => r.runId)).toEqual(['r2']);
    const window = await ops.listRuns({ from: '2026-11-21T00:00:00Z', to: '2026-11-22T06:00:00Z', pageSize: 50 });
    expect(window.runs.map((r) => r.runId)).toEqual(['r3', 'r2']);
    await expect(ops.listRuns({ pageSize: 5, continuationToken: 'forged' })).rejects.toMatchObject({
      name: 'InvalidRequestError',
    });
  });

  it('when one run is read, then stages, lineage and the record ids are in the view', async () => {
    const run = await retrainOperations(context, recordingClient('Completed').client).getRun('r4');
    expect(run).toMatchObject({
      runId: 'r4',
      instanceId: 'retrain-bike-demand',
      status: 'running',
      trigger: { source: 'git', git: { repository: 'contoso/bike-demand', sha: 'abc1234', ref: 'main' } },
      stages: [
        { name: 'trigger', status: 'succeeded' },
        { name: 'training', status: 'running' },
      ],
    });
  });

  it('when a finished or unknown run is cancelled, then 409/404 errors and nothing is terminated', async () => {
    const { client, terminated } = recordingClient('Running');
    const ops = retrainOperations(context, client);
    await expect(ops.cancel('r1', {})).rejects.toBeInstanceOf(ConflictError);
    await expect(ops.cancel('nope', {})).rejects.toBeInstanceOf(RunNotFoundError);
    expect(terminated).toEqual([]);
  });

  it('when a running run is cancelled, then its instance is terminated and the record reads canceled', async () => {
    const { client, terminated } = recordingClient('Running');
    const ops = retrainOperations(context, client, () => new Date('2026-11-22T08:00:00Z'));
    const result = await ops.cancel('r4', { reason: 'wrong data' });
    expect(terminated).toEqual([{ instanceId: 'retrain-bike-demand', reason: 'wrong data' }]);
    expect(result.detail).toContain('terminated retrain-bike-demand');
    expect(await ops.getRun('r4')).toMatchObject({
      status: 'canceled',
      finishedAt: '2026-11-22T08:00:00.000Z',
      error: 'cancel: RunCanceled: wrong data',
    });
  });

  describe('triggers and their fate', () => {
    const trigger = (id: string, at: string, extra: Partial<RetrainTrigger> = {}): RetrainTrigger => ({
      model: 'bike-demand',
      source: 'dataset',
      dedupe: { kind: 'manual', requestId: id },
      occurredAt: at,
      dataset: {
        uri: `http://127.0.0.1:10000/devstoreaccount1/datasets/bike-demand/${id}.csv`,
        container: 'datasets',
        name: `bike-demand/${id}.csv`,
        eTag: `0x${id.toUpperCase()}`,
      },
      ...extra,
    });
    const recordTrigger = (id: string, at: string, extra: Partial<RetrainTrigger> = {}) =>
      state.ledger.record({
        triggerId: id,
        model: 'bike-demand',
        dedupeKey: `manual:${id}`,
        receivedAt: at,
        trigger: trigger(id, at, extra),
        fate: 'received',
      });

    beforeEach(async () => {
      await recordTrigger('t1', '2026-11-22T09:00:00.000Z');
      await state.ledger.setFate('t1', 'started', '2026-11-22T09:00:01.000Z', { runId: 't1', placed: true });
      await recordTrigger('t2', '2026-11-22T09:05:00.000Z');
      await state.ledger.setFate('t2', 'coalesced', '2026-11-22T09:05:01.000Z', { placed: true, note: 'behind t1' });
      await recordTrigger('t3', '2026-11-22T09:06:00.000Z', { parameters: { alpha: 0.5 } });
      await state.ledger.setFate('t2', 'superseded', '2026-11-22T09:06:01.000Z', { relatedTriggerId: 't3' });
      await state.ledger.setFate('t3', 'coalesced', '2026-11-22T09:06:01.000Z', { placed: true });
      await recordTrigger('t4', '2026-11-22T09:07:00.000Z');
      await state.ledger.setFate('t4', 'duplicate', '2026-11-22T09:07:00.000Z', {
        relatedTriggerId: 't1',
        runId: 't1',
      });
    });

    it('when triggers are listed, then each shows its fate and history, newest first, filtered and paged', async () => {
      const ops = retrainOperations(context, recordingClient('Running').client);
      const all = await ops.listTriggers({ model: 'bike-demand', pageSize: 50 });
      expect(all.triggers.map((t) => [t.triggerId, t.fate])).toEqual([
        ['t4', 'duplicate'],
        ['t3', 'coalesced'],
        ['t2', 'superseded'],
        ['t1', 'started'],
      ]);
      expect(all.triggers[2]).toMatchObject({
        relatedTriggerId: 't3',
        dataset: { uri: expect.stringContaining('bike-demand/t2.csv') as unknown, eTag: '0xT2' },
        history: [
          { fate: 'received', at: '2026-11-22T09:05:00.000Z' },
          { fate: 'coalesced', note: 'behind t1' },
          { fate: 'superseded' },
        ],
      });
      expect(all.triggers[2]).not.toHaveProperty('dedupeKey');
      const waiting = await ops.listTriggers({ fate: ['coalesced', 'superseded'], pageSize: 1 });
      expect(waiting.triggers.map((t) => t.triggerId)).toEqual(['t3']);
      const next = await ops.listTriggers({
        fate: ['coalesced', 'superseded'],
        pageSize: 1,
        continuationToken: waiting.continuationToken,
      });
      expect(next).toEqual({ triggers: [expect.objectContaining({ triggerId: 't2' })] });
      expect((await ops.listTriggers({ model: 'churn', pageSize: 50 })).triggers).toEqual([]);
    });

    it('when a trigger waiting behind the run in flight is read as a run, then it is queued with its inputs', async () => {
      const ops = retrainOperations(context, recordingClient('Running').client);
      expect(await ops.getRun('t3')).toMatchObject({
        runId: 't3',
        instanceId: 'retrain-bike-demand',
        status: 'queued',
        createdAt: '2026-11-22T09:06:00.000Z',
        trigger: { source: 'dataset', parameters: { alpha: 0.5 } },
        stages: [{ name: 'trigger', status: 'pending' }],
      });
      expect(await ops.getRun('t2')).toMatchObject({ status: 'superseded', stages: [{ status: 'skipped' }] });
      expect(await ops.getRun('t4')).toBeUndefined();
    });

    it('when a queued run is canceled, then it leaves the lane, reads canceled and nothing is terminated', async () => {
      await state.lanes.transact('bike-demand', (lane) => ({
        lane: {
          ...lane,
          active: { runId: 't1', triggerId: 't1', instanceId: 'retrain-bike-demand', since: '2026-11-22T09:00:01Z' },
          pending: { triggerId: 't3', occurredAt: '2026-11-22T09:06:00.000Z', receivedAt: '2026-11-22T09:06:00.000Z' },
          folded: ['t2'],
        },
        result: undefined,
      }));
      const { client, terminated } = recordingClient('Running');
      const ops = retrainOperations(context, client, () => new Date('2026-11-22T09:10:00Z'));
      expect(await ops.cancel('t3', { reason: 'not this one' })).toEqual({
        detail: 'taken out of the queue before it started',
      });
      const lane = await state.lanes.get('bike-demand');
      expect(lane).toMatchObject({ active: { runId: 't1' }, folded: [] });
      expect(lane.pending).toBeUndefined();
      expect(await ops.getRun('t3')).toMatchObject({ status: 'canceled', stages: [{ status: 'skipped' }] });
      expect((await state.ledger.get('t3'))?.history.at(-1)).toMatchObject({ fate: 'canceled', note: 'not this one' });
      expect(terminated).toEqual([]);
      // Once out of the queue, or never queued (a duplicate), there is nothing to cancel.
      await expect(ops.cancel('t3', {})).rejects.toBeInstanceOf(ConflictError);
      await expect(ops.cancel('t4', {})).rejects.toBeInstanceOf(RunNotFoundError);
    });
  });
});
