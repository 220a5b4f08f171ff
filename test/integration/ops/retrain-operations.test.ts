// The operations service over real run records in Azurite: listing filters and paging, the run view, cancel rules.
import { randomUUID } from 'node:crypto';

import { BlobServiceClient } from '@azure/storage-blob';
import type { DurableClient } from 'durable-functions';

import type { AppContext } from '../../../src/app/context';
import { parseCatalog } from '../../../src/catalog';
import { ConflictError, RunNotFoundError } from '../../../src/functions/ops';
import { retrainOperations } from '../../../src/functions/ops/retrain-operations';
import { createStateStores, type RunRecord, type StateStores } from '../../../src/state';
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
});
