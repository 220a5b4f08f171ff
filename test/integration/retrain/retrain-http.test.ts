import { HttpRequest, InvocationContext } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';

import { approvalHandler, manualRetrainHandler, type RetrainHttpDeps } from '../../../src/functions/http/retrain-ops';
import { createStateStores } from '../../../src/state';
import type { OrchestrationClient } from '../../../src/triggers/orchestration-client';
import { newRunRecord } from '../../../src/triggers/submit';
import { type AzuriteBlob, startAzuriteBlob } from '../../support/azurite';
import { demoCatalog, RecordingTelemetry } from '../../orchestration/retrain/harness';

jest.setTimeout(60_000);

class FakeOrchestrations implements OrchestrationClient {
  readonly raised: { instanceId: string; name: string; data: unknown }[] = [];
  readonly started: string[] = [];
  startNew(_name: string, instanceId: string): Promise<void> {
    this.started.push(instanceId);
    return Promise.resolve();
  }
  info() {
    return Promise.resolve({ state: 'running' as const, input: {} });
  }
  raiseEvent(instanceId: string, name: string, data: unknown): Promise<boolean> {
    this.raised.push({ instanceId, name, data });
    return Promise.resolve(true);
  }
  purge(): Promise<void> {
    return Promise.resolve();
  }
}

function post(route: string, params: Record<string, string>, body: string, headers: Record<string, string> = {}) {
  return new HttpRequest({
    method: 'POST',
    url: `http://localhost:7071/api/${route}`,
    params,
    headers: { 'content-type': 'application/json', ...headers },
    body: { string: body },
  });
}

describe('retrain HTTP operations (handlers, real state in Azurite)', () => {
  let azurite: AzuriteBlob;
  let deps: RetrainHttpDeps;
  let fake: FakeOrchestrations;
  const context = () => new InvocationContext({ functionName: 'test', invocationId: 'inv-1' });

  beforeAll(async () => {
    azurite = await startAzuriteBlob();
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('http-ops');
    await container.createIfNotExists();
    deps = { catalog: demoCatalog(), state: createStateStores(container), telemetry: new RecordingTelemetry() };
  });

  beforeEach(() => {
    fake = new FakeOrchestrations();
  });

  afterAll(async () => {
    await azurite?.stop();
  });

  it('when the model is unknown, then 404 and nothing happens', async () => {
    const res = await approvalHandler(
      () => deps,
      () => fake,
    )(post('x', { model: 'nope', runId: 'r' }, '{"decision":"approve"}'), context());
    expect(res.status).toBe(404);
    expect(fake.raised).toEqual([]);
  });

  it('when the body has no valid decision, then 400 names the expected shape', async () => {
    const res = await approvalHandler(
      () => deps,
      () => fake,
    )(post('x', { model: 'bike-demand', runId: 'r' }, '{"decision":"maybe"}'), context());
    expect(res).toMatchObject({ status: 400, jsonBody: { title: 'Invalid request' } });
  });

  it('when the run does not exist, then 404; when it is not awaiting approval, then 409', async () => {
    const missing = await approvalHandler(
      () => deps,
      () => fake,
    )(post('x', { model: 'bike-demand', runId: 'ghost' }, '{"decision":"approve"}'), context());
    expect(missing.status).toBe(404);
    const at = new Date().toISOString();
    await deps.state.runs.create(
      newRunRecord(
        { runId: 'r-running', triggerId: 'r-running', model: 'bike-demand', source: 'manual', occurredAt: at },
        'retrain-bike-demand',
        at,
      ),
    );
    const busy = await approvalHandler(
      () => deps,
      () => fake,
    )(post('x', { model: 'bike-demand', runId: 'r-running' }, '{"decision":"approve"}'), context());
    expect(busy.status).toBe(409);
    expect(fake.raised).toEqual([]);
  });

  it('when a run awaits approval, then 202 and the decision is raised on its instance with the run id', async () => {
    const at = new Date().toISOString();
    const record = newRunRecord(
      { runId: 'r-wait', triggerId: 'r-wait', model: 'bike-demand', source: 'manual', occurredAt: at },
      'retrain-bike-demand',
      at,
    );
    await deps.state.runs.create({ ...record, status: 'awaitingApproval' });
    const res = await approvalHandler(
      () => deps,
      () => fake,
    )(
      post('x', { model: 'bike-demand', runId: 'r-wait' }, '{"decision":"reject","by":"lead","comment":"no"}'),
      context(),
    );
    expect(res).toMatchObject({
      status: 202,
      jsonBody: { runId: 'r-wait', instanceId: 'retrain-bike-demand', decision: 'reject' },
    });
    expect(fake.raised).toEqual([
      {
        instanceId: 'retrain-bike-demand',
        name: 'ApprovalDecision',
        data: { runId: 'r-wait', approved: false, by: 'lead', comment: 'no' },
      },
    ]);
  });

  it('when a manual retrain is repeated with the same request id, then the second answer is a 200 duplicate', async () => {
    const handler = manualRetrainHandler(
      () => deps,
      () => fake,
    );
    const request = () => post('x', { model: 'bike-demand' }, '{"by":"me"}', { 'x-mlops-request-id': 'req-42' });
    const first = await handler(request(), context());
    const second = await handler(request(), context());
    expect(first).toMatchObject({ status: 202, jsonBody: { outcome: 'started', instanceId: 'retrain-bike-demand' } });
    expect(second).toMatchObject({ status: 200, jsonBody: { outcome: 'duplicate' } });
    expect(fake.started).toEqual(['retrain-bike-demand']);
  });
});
