// End to end: the operations API through the dev host running the compiled app (Azurite + the seeded Azure ML
// emulator): the read routes over what Azure ML holds, and bad input to every route — one table, which must name
// every route of the route table — answered with a 4xx problem and no side effect.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { seedLake } from '../../../dev/demo/lake-seed';
import type { DevHost } from '../../../dev/host/dev-host';
import {
  type BatchRunDetail,
  type EndpointDetail,
  type EndpointList,
  MAX_OPS_BODY_BYTES,
  type ModelDetail,
  type ModelList,
  type OpsOperation,
  opsRoutes,
} from '../../../src/functions/ops';
import { type InProcessPlatform, startInProcessPlatform } from '../../support/in-process-platform';
import { waitFor } from '../../support/wait-for';

jest.setTimeout(300_000);

const root = path.resolve(__dirname, '..', '..', '..');

let platform: InProcessPlatform;
let host: DevHost;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-api-e2e-'));
  // The demo catalog plus a second model without a batch section, whose endpoint does not exist yet.
  const catalog = JSON.parse(fs.readFileSync(path.join(root, 'catalog.json'), 'utf8')) as {
    models: Record<string, unknown>[];
  };
  const demo = catalog.models[0] as Record<string, unknown> & { deployment: Record<string, unknown> };
  const { batch: _batch, stages: _stages, ...withoutBatch } = demo;
  catalog.models.push({
    ...withoutBatch,
    name: 'churn',
    description: '',
    triggers: {},
    registry: { modelName: 'churn' },
    deployment: { ...demo.deployment, endpoint: 'churn', approval: { required: true } },
  });
  const catalogPath = path.join(dir, 'catalog.json');
  fs.writeFileSync(catalogPath, JSON.stringify(catalog));
  platform = await startInProcessPlatform({
    name: 'ops-api-e2e',
    appSettings: { MLOPS_CATALOG_PATH: catalogPath, MLOPS_STATE_CONTAINER: `state-${randomUUID().slice(0, 8)}` },
  });
  host = platform.host;
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown>;
}

async function call(
  method: string,
  route: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${host.url}/api/${route}`, {
    method,
    headers: { 'x-functions-key': host.keys.function, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: the assertion on the body says so
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

const get = async <T>(route: string): Promise<T> => {
  const answer = await call('GET', route);
  expect({ route, status: answer.status }).toEqual({ route, status: 200 });
  return answer.body as T;
};

describe('read routes over the emulator', () => {
  it('when models are read, then the live version, its deployment and lineage come from Azure ML', async () => {
    const list = await get<ModelList>('ops/models');
    expect(list.models.map((m) => m.model)).toEqual(['bike-demand', 'churn']);
    expect(list.models[0]).toMatchObject({
      model: 'bike-demand',
      registeredName: 'bike-demand',
      endpoint: 'bike-demand',
      liveVersion: '1',
      liveDeployment: 'bike-demand-v1',
      latestVersion: '1',
      versions: 1,
      batch: true,
      approvalRequired: false,
    });
    expect(list.models[1]).toMatchObject({ model: 'churn', versions: 0, batch: false, approvalRequired: true });
    expect(list.models[1]?.liveVersion).toBeUndefined();

    const detail = await get<ModelDetail>('ops/models/bike-demand');
    expect(detail.versions).toEqual([
      expect.objectContaining({
        version: '1',
        live: true,
        deployments: [{ deployment: 'bike-demand-v1', trafficPercent: 100 }],
      }),
    ]);
    expect(detail.versions[0]?.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('when endpoints are read, then each catalog endpoint shows its traffic and deployments', async () => {
    const list = await get<EndpointList>('ops/endpoints');
    expect(list.endpoints).toEqual([
      expect.objectContaining({
        endpoint: 'bike-demand',
        models: ['bike-demand'],
        exists: true,
        provisioningState: 'Succeeded',
        traffic: { 'bike-demand-v1': 100 },
        liveDeployment: 'bike-demand-v1',
      }),
      { endpoint: 'churn', models: ['churn'], exists: false, traffic: {} },
    ]);
    const detail = await get<EndpointDetail>('ops/endpoints/bike-demand');
    expect(detail.deployments).toEqual([
      expect.objectContaining({
        deployment: 'bike-demand-v1',
        model: 'bike-demand',
        modelVersion: '1',
        provisioningState: 'Succeeded',
        trafficPercent: 100,
      }),
    ]);
    expect(detail.scoringUri).toMatch(/^https:\/\//);
  });

  it('when a date is backfilled, then the batch run is listed with its progress and filters apply', async () => {
    await seedLake({ connectionString: platform.azurite.connectionString, dates: ['2026-09-15'] });
    const started = await call('POST', 'ops/models/bike-demand/backfill', JSON.stringify({ date: '2026-09-15' }));
    expect(started.status).toBe(202);
    const runId = 'batch-bike-demand-2026-09-15';
    expect(started.headers.get('location')).toBe(`${host.url}/api/ops/batch/runs/${runId}`);
    const done = await waitFor(
      async () => {
        const run = (await call('GET', `ops/batch/runs/${runId}`)).body as unknown as BatchRunDetail;
        return ['published', 'failed'].includes(run.status) ? run : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 100, description: 'the batch run to end' },
    );
    expect(done).toMatchObject({
      runId,
      model: 'bike-demand',
      date: '2026-09-15',
      status: 'published',
      phase: 'published',
      trigger: expect.stringMatching(/^backfill:/) as unknown,
      progress: { percent: 100, miniBatches: { failed: 0 }, rows: { scored: 24, total: 24 } },
      manifest: { date: '2026-09-15', rows: { in: 24, out: 24 } },
    });
    expect(done.progress.rowsPerSecond).toBeGreaterThan(0);

    const listed = (await get<{ runs: { runId: string }[] }>('ops/batch/runs?model=bike-demand&status=published')).runs;
    expect(listed.map((r) => r.runId)).toContain(runId);
    expect((await get<{ runs: unknown[] }>('ops/batch/runs?status=running,pending')).runs).toEqual([]);
    expect((await get<{ runs: unknown[] }>('ops/batch/runs?model=churn')).runs).toEqual([]);
    const paged = await get<{ runs: unknown[]; continuationToken?: string }>('ops/batch/runs?pageSize=1');
    expect(paged.runs).toHaveLength(1);
  });
});

// ---- bad input --------------------------------------------------------------------------------------------------

interface BadCase {
  readonly what: string;
  readonly method?: string;
  /** Route under /api with ids filled in. */
  readonly path: string;
  readonly body?: string;
  readonly status: number;
  /** The problem kind (urn:mlops:problem:<kind>). */
  readonly kind: string;
  /** A field the problem must name. */
  readonly field?: string;
}

const json = (value: unknown): string => JSON.stringify(value);

/**
 * Route-specific bad input, per operation. The type makes a new operation a compile error until it has cases, and a
 * test below fails for a route of the table without any; wrong method, malformed JSON, non-object and oversized
 * bodies and unknown query parameters are added for every route from the route table.
 */
const badInput: Readonly<Record<OpsOperation, readonly BadCase[]>> = {
  listRuns: [
    {
      what: 'unknown status',
      path: 'ops/runs?status=sleeping',
      status: 400,
      kind: 'invalid-request',
      field: 'query.status',
    },
    { what: 'page size 0', path: 'ops/runs?pageSize=0', status: 400, kind: 'invalid-request', field: 'query.pageSize' },
    {
      what: 'time not ISO',
      path: 'ops/runs?from=yesterday',
      status: 400,
      kind: 'invalid-request',
      field: 'query.from',
    },
    {
      what: 'from after to',
      path: 'ops/runs?from=2026-11-22T00:00:00Z&to=2026-11-21T00:00:00Z',
      status: 400,
      kind: 'invalid-request',
      field: 'query.from',
    },
    {
      what: 'forged token',
      path: 'ops/runs?continuationToken=bm90LWEtdG9rZW4',
      status: 400,
      kind: 'invalid-request',
      field: 'query.continuationToken',
    },
    {
      what: 'filter twice',
      path: 'ops/runs?model=a&model=b',
      status: 400,
      kind: 'invalid-request',
      field: 'query.model',
    },
  ],
  getRun: [
    { what: 'unknown run', path: 'ops/runs/no-such-run', status: 404, kind: 'run-not-found', field: 'path.runId' },
  ],
  listTriggers: [
    { what: 'unknown fate', path: 'ops/triggers?fate=lost', status: 400, kind: 'invalid-request', field: 'query.fate' },
    {
      what: 'bad model name',
      path: 'ops/triggers?model=..%2Fx',
      status: 400,
      kind: 'invalid-request',
      field: 'query.model',
    },
  ],
  retrain: [
    {
      what: 'unknown model',
      path: 'ops/models/no-such-model/retrain',
      body: '{}',
      status: 404,
      kind: 'model-not-found',
      field: 'path.model',
    },
    {
      what: 'parameter of the wrong type',
      path: 'ops/models/bike-demand/retrain',
      body: json({ parameters: { alpha: [1] } }),
      status: 400,
      kind: 'invalid-request',
      field: 'body.parameters.alpha',
    },
    {
      what: 'undeclared parameter',
      path: 'ops/models/bike-demand/retrain',
      body: json({ parameters: { epochs: 3 } }),
      status: 400,
      kind: 'invalid-request',
      field: 'body.parameters.epochs',
    },
    {
      what: 'unknown field',
      path: 'ops/models/bike-demand/retrain',
      body: json({ extra: true }),
      status: 400,
      kind: 'invalid-request',
      field: 'body',
    },
  ],
  approve: [
    { what: 'unknown run', path: 'ops/runs/no-such-run/approve', body: '{}', status: 404, kind: 'run-not-found' },
    {
      what: 'comment not text',
      path: 'ops/runs/no-such-run/approve',
      body: json({ comment: 5 }),
      status: 400,
      kind: 'invalid-request',
      field: 'body.comment',
    },
  ],
  reject: [
    { what: 'unknown run', path: 'ops/runs/no-such-run/reject', body: '{}', status: 404, kind: 'run-not-found' },
    {
      what: 'decidedBy too long',
      path: 'ops/runs/no-such-run/reject',
      body: json({ decidedBy: 'x'.repeat(201) }),
      status: 400,
      kind: 'invalid-request',
      field: 'body.decidedBy',
    },
  ],
  rollback: [
    {
      what: 'unknown model',
      path: 'ops/models/no-such-model/rollback',
      body: '{}',
      status: 404,
      kind: 'model-not-found',
    },
    {
      what: 'reason not text',
      path: 'ops/models/bike-demand/rollback',
      body: json({ reason: 1 }),
      status: 400,
      kind: 'invalid-request',
      field: 'body.reason',
    },
    {
      what: 'unknown stage',
      path: 'ops/models/bike-demand/rollback',
      body: json({ stage: 'qa' }),
      status: 400,
      kind: 'invalid-request',
      field: 'body.stage',
    },
  ],
  promote: [
    {
      what: 'unknown model',
      path: 'ops/models/no-such-model/promote',
      body: json({ to: 'prod' }),
      status: 404,
      kind: 'model-not-found',
      field: 'path.model',
    },
    {
      what: 'no target stage',
      path: 'ops/models/bike-demand/promote',
      body: '{}',
      status: 400,
      kind: 'invalid-request',
      field: 'body.to',
    },
    {
      what: 'unknown stage',
      path: 'ops/models/bike-demand/promote',
      body: json({ to: 'qa' }),
      status: 400,
      kind: 'invalid-request',
      field: 'body.to',
    },
    {
      what: 'the first stage',
      path: 'ops/models/bike-demand/promote',
      body: json({ to: 'dev' }),
      status: 400,
      kind: 'invalid-request',
      field: 'body.to',
    },
    {
      what: 'a model without stages',
      path: 'ops/models/churn/promote',
      body: json({ to: 'prod' }),
      status: 409,
      kind: 'conflict',
    },
  ],
  cancel: [
    { what: 'unknown run', path: 'ops/runs/no-such-run/cancel', body: '{}', status: 404, kind: 'run-not-found' },
    {
      what: 'reason not text',
      path: 'ops/runs/no-such-run/cancel',
      body: json({ reason: [] }),
      status: 400,
      kind: 'invalid-request',
      field: 'body.reason',
    },
  ],
  deploymentLogs: [
    { what: 'unknown model', path: 'ops/models/no-such-model/logs', status: 404, kind: 'model-not-found' },
    {
      what: 'unknown container',
      path: 'ops/models/bike-demand/logs?container=Foo',
      status: 400,
      kind: 'invalid-request',
      field: 'query.container',
    },
    {
      what: 'tail 0',
      path: 'ops/models/bike-demand/logs?tail=0',
      status: 400,
      kind: 'invalid-request',
      field: 'query.tail',
    },
    {
      what: 'unknown deployment',
      path: 'ops/models/bike-demand/logs?deployment=no-such-deployment',
      status: 404,
      kind: 'deployment-not-found',
    },
  ],
  score: [
    { what: 'unknown model', path: 'ops/models/no-such-model/score', body: '{}', status: 404, kind: 'model-not-found' },
    {
      what: 'bad deployment name',
      path: 'ops/models/bike-demand/score',
      body: json({ deployment: 'not a name!' }),
      status: 400,
      kind: 'invalid-request',
      field: 'body.deployment',
    },
  ],
  listModels: [
    {
      what: 'a filter it does not take',
      path: 'ops/models?pageSize=1',
      status: 400,
      kind: 'invalid-request',
      field: 'query.pageSize',
    },
  ],
  getModel: [
    {
      what: 'unknown model',
      path: 'ops/models/no-such-model',
      status: 404,
      kind: 'model-not-found',
      field: 'path.model',
    },
  ],
  listEndpoints: [
    {
      what: 'a filter it does not take',
      path: 'ops/endpoints?model=bike-demand',
      status: 400,
      kind: 'invalid-request',
      field: 'query.model',
    },
  ],
  getEndpoint: [
    {
      what: 'unknown endpoint',
      path: 'ops/endpoints/no-such-endpoint',
      status: 404,
      kind: 'endpoint-not-found',
      field: 'path.endpoint',
    },
  ],
  listBatchRuns: [
    {
      what: 'unknown status',
      path: 'ops/batch/runs?status=done',
      status: 400,
      kind: 'invalid-request',
      field: 'query.status',
    },
    {
      what: 'page size 201',
      path: 'ops/batch/runs?pageSize=201',
      status: 400,
      kind: 'invalid-request',
      field: 'query.pageSize',
    },
    {
      what: 'time not ISO',
      path: 'ops/batch/runs?to=tomorrow',
      status: 400,
      kind: 'invalid-request',
      field: 'query.to',
    },
  ],
  getBatchRun: [
    {
      what: 'unknown date',
      path: 'ops/batch/runs/batch-bike-demand-2001-01-01',
      status: 404,
      kind: 'batch-run-not-found',
      field: 'path.runId',
    },
    { what: 'not a batch run id', path: 'ops/batch/runs/no-such-run', status: 404, kind: 'batch-run-not-found' },
  ],
  backfill: [
    {
      what: 'unknown model',
      path: 'ops/models/no-such-model/backfill',
      body: json({ date: '2026-10-01' }),
      status: 404,
      kind: 'model-not-found',
    },
    {
      what: 'model without batch section',
      path: 'ops/models/churn/backfill',
      body: json({ date: '2026-10-01' }),
      status: 400,
      kind: 'invalid-request',
      field: 'path.model',
    },
    {
      what: 'range reversed',
      path: 'ops/models/bike-demand/backfill',
      body: json({ from: '2026-10-05', to: '2026-10-01' }),
      status: 400,
      kind: 'invalid-request',
      field: 'body.to',
    },
    {
      what: 'range too long',
      path: 'ops/models/bike-demand/backfill',
      body: json({ from: '2026-01-01', to: '2026-03-01' }),
      status: 400,
      kind: 'invalid-request',
      field: 'body.to',
    },
    {
      what: 'not a calendar date',
      path: 'ops/models/bike-demand/backfill',
      body: json({ date: '2026-02-30' }),
      status: 400,
      kind: 'invalid-request',
      field: 'body.date',
    },
    {
      what: 'no date',
      path: 'ops/models/bike-demand/backfill',
      body: '{}',
      status: 400,
      kind: 'invalid-request',
      field: 'body.date',
    },
    {
      what: 'replace not boolean',
      path: 'ops/models/bike-demand/backfill',
      body: json({ date: '2026-10-01', replace: 'yes' }),
      status: 400,
      kind: 'invalid-request',
      field: 'body.replace',
    },
  ],
};

/** An example path of a route with its ids filled in (ids that exist, so only the generic fault is tested). */
function examplePath(route: string): string {
  return route.replace('{model}', 'bike-demand').replace('{runId}', 'no-such-run').replace('{endpoint}', 'bike-demand');
}

/** Faults every route gets, from the route table. */
function genericCases(): { operation: OpsOperation; c: BadCase }[] {
  return opsRoutes.flatMap((r) => {
    const p = examplePath(r.route);
    const cases: BadCase[] = [
      {
        what: 'wrong method',
        method: r.method === 'GET' ? 'POST' : 'GET',
        path: p,
        ...(r.method === 'GET' ? { body: '{}' } : {}),
        status: 405,
        kind: 'method-not-allowed',
      },
      {
        what: 'unknown query parameter',
        path: `${p}?bogus=1`,
        body: r.body ? '{}' : undefined,
        status: 400,
        kind: 'invalid-request',
        field: 'query.bogus',
      },
    ];
    if (r.body) {
      cases.push(
        { what: 'malformed JSON', path: p, body: '{oops', status: 400, kind: 'invalid-request', field: 'body' },
        {
          what: 'JSON that is not an object',
          path: p,
          body: '[1]',
          status: 400,
          kind: 'invalid-request',
          field: 'body',
        },
        {
          what: 'oversized body',
          path: p,
          body: json({ reason: 'x'.repeat(MAX_OPS_BODY_BYTES) }),
          status: 413,
          kind: 'payload-too-large',
          field: 'body',
        },
      );
    }
    return cases.map((c) => ({ operation: r.operation, c }));
  });
}

/** What a bad request must not change: runs, triggers, batch runs. */
async function snapshot(): Promise<string> {
  const parts = await Promise.all(
    ['ops/runs?pageSize=200', 'ops/triggers?pageSize=200', 'ops/batch/runs?pageSize=200'].map(
      async (r) => (await call('GET', r)).text,
    ),
  );
  return parts.join('\n');
}

describe('bad input to every ops route', () => {
  it('when the table is checked against the route table, then every route has route-specific cases', () => {
    const missing = opsRoutes.filter((r) => (badInput[r.operation] ?? []).length === 0).map((r) => r.operation);
    expect(missing).toEqual([]);
    // Every route with a path parameter has an unknown-id case, every route with a query an invalid-filter case.
    for (const r of opsRoutes) {
      const cases = badInput[r.operation];
      if (/\{/.test(r.route) && r.operation !== 'listRuns') {
        expect({ operation: r.operation, unknownId: cases.some((c) => c.status === 404) }).toEqual({
          operation: r.operation,
          unknownId: true,
        });
      }
      if (r.query) {
        expect({
          operation: r.operation,
          badFilter: cases.some((c) => c.path.includes('?') && c.status === 400),
        }).toEqual({
          operation: r.operation,
          badFilter: true,
        });
      }
    }
  });

  it('when each bad request is sent, then it gets a 4xx problem naming the problem and nothing changes', async () => {
    const before = await snapshot();
    const all = [
      ...Object.entries(badInput).flatMap(([operation, cases]) => cases.map((c) => ({ operation, c }))),
      ...genericCases(),
    ];
    const failures: string[] = [];
    for (const { operation, c } of all) {
      const route = opsRoutes.find((r) => r.operation === operation);
      const method = c.method ?? route?.method ?? 'GET';
      const answer = await call(method, c.path, c.body ?? (method === 'POST' ? '{}' : undefined));
      const problem = answer.body as {
        type?: string;
        status?: number;
        title?: string;
        detail?: string;
        errors?: { field: string }[];
      };
      const ok =
        answer.status === c.status &&
        answer.headers.get('content-type') === 'application/problem+json; charset=utf-8' &&
        problem.type === `urn:mlops:problem:${c.kind}` &&
        problem.status === c.status &&
        typeof problem.title === 'string' &&
        typeof problem.detail === 'string' &&
        problem.detail.length > 0 &&
        (!c.field || (problem.errors ?? []).some((e) => e.field === c.field)) &&
        (c.status !== 405 || answer.headers.get('allow') === route?.method);
      if (!ok)
        failures.push(`${operation} ${c.what}: ${method} ${c.path} → ${answer.status} ${answer.text.slice(0, 300)}`);
    }
    expect(failures).toEqual([]);
    expect(all.length).toBeGreaterThan(opsRoutes.length * 3);
    expect(await snapshot()).toBe(before);
  });

  it('when the deprecated backfill alias gets the same bad request, then it answers byte for byte as the ops route', async () => {
    for (const body of [json({ from: '2026-10-05', to: '2026-10-01' }), '{oops', json({ date: '2026-10-01', x: 1 })]) {
      const ops = await call('POST', 'ops/models/bike-demand/backfill', body);
      const alias = await call('POST', 'batch/bike-demand/backfill', body);
      expect({ status: alias.status, type: alias.headers.get('content-type'), text: alias.text }).toEqual({
        status: ops.status,
        type: ops.headers.get('content-type'),
        text: ops.text,
      });
    }
    const unknown = await call('POST', 'batch/no-such-model/backfill', json({ date: '2026-10-01' }));
    expect(unknown.text).toBe(
      (await call('POST', 'ops/models/no-such-model/backfill', json({ date: '2026-10-01' }))).text,
    );
  });
});
