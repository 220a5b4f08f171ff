import { HttpRequest, type HttpResponseInit, InvocationContext } from '@azure/functions';

import {
  type BackfillStarted,
  type BatchRunDetail,
  type BatchRunPage,
  ConflictError,
  type DeploymentLogs,
  type DeploymentLogsQuery,
  type EndpointDetail,
  EndpointNotFoundError,
  type EndpointList,
  type ListBatchRunsQuery,
  type ListRunsQuery,
  type ListTriggersQuery,
  type ModelDetail,
  type ModelList,
  type OperationsService,
  type OpsOperation,
  opsRoutes,
  type RunDetail,
  RunNotFoundError,
  type ScoreRequestBody,
  type ScoreResult,
  type TriggerPage,
  type TriggerView,
  runOperation,
} from '../../../src/functions/ops';
import type { RetrainTriggerOutcome, RetrainTriggerRequest } from '../../../src/services/webhooks';

/** An in-memory operations service with the behaviour the HTTP edge relies on. */
export class MemoryOperations implements OperationsService {
  readonly runs: RunDetail[] = [];
  readonly submitted: RetrainTriggerRequest[] = [];
  readonly decisions: { runId: string; approved: boolean; comment?: string; decidedBy?: string }[] = [];
  readonly rollbacks: { model: string; reason?: string }[] = [];
  readonly cancels: string[] = [];
  private readonly byKey = new Map<string, RetrainTriggerOutcome>();

  modelNames(): readonly string[] {
    return ['bike-demand', 'churn'];
  }

  readonly logQueries: { model: string; query: DeploymentLogsQuery }[] = [];
  readonly scored: { model: string; request: ScoreRequestBody }[] = [];

  deploymentLogs(model: string, query: DeploymentLogsQuery): Promise<DeploymentLogs> {
    this.logQueries.push({ model, query });
    return Promise.resolve({
      model,
      endpoint: `${model}-endpoint`,
      deployment: query.deployment ?? `${model}-v1`,
      source: 'live',
      logs: { InferenceServer: 'ready\n' },
    });
  }

  score(model: string, request: ScoreRequestBody): Promise<ScoreResult> {
    this.scored.push({ model, request });
    return Promise.resolve({
      model,
      endpoint: `${model}-endpoint`,
      scoringUri: 'https://x/score',
      status: 200,
      body: [1],
    });
  }

  listRuns(query: ListRunsQuery): Promise<{ runs: RunDetail[]; continuationToken?: string }> {
    const all = this.runs
      .filter((r) => !query.model || r.model === query.model)
      .filter((r) => !query.kind || query.kind.includes(r.kind))
      .filter((r) => !query.status || (query.status as readonly string[]).includes(r.status))
      .filter((r) => !query.from || r.createdAt >= query.from)
      .filter((r) => !query.to || r.createdAt < query.to)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const start = query.continuationToken ? Number(query.continuationToken) : 0;
    const page = all.slice(start, start + query.pageSize);
    const next = start + query.pageSize < all.length ? String(start + query.pageSize) : undefined;
    return Promise.resolve({ runs: page, ...(next ? { continuationToken: next } : {}) });
  }

  getRun(runId: string): Promise<RunDetail | undefined> {
    return Promise.resolve(this.runs.find((r) => r.runId === runId));
  }

  readonly triggers: TriggerView[] = [];

  listTriggers(query: ListTriggersQuery): Promise<TriggerPage> {
    const all = this.triggers
      .filter((t) => !query.model || t.model === query.model)
      .filter((t) => !query.fate || query.fate.includes(t.fate))
      .filter((t) => !query.from || t.receivedAt >= query.from);
    return Promise.resolve({ triggers: all.slice(0, query.pageSize) });
  }

  readonly submit = (r: RetrainTriggerRequest): Promise<RetrainTriggerOutcome> => {
    this.submitted.push(r);
    const prior = this.byKey.get(r.dedupeKey);
    if (prior) return Promise.resolve({ ...prior, outcome: 'duplicate' });
    const outcome: RetrainTriggerOutcome = {
      outcome: 'started',
      runId: `run-${this.byKey.size + 1}`,
      instanceId: `retrain-${r.model}`,
      triggerId: `t-${this.byKey.size + 1}`,
    };
    this.byKey.set(r.dedupeKey, outcome);
    return Promise.resolve(outcome);
  };

  decideApproval(runId: string, decision: { approved: boolean; comment?: string; decidedBy?: string }) {
    const run = this.runs.find((r) => r.runId === runId);
    if (!run) return Promise.reject(new RunNotFoundError(runId));
    if (run.status !== 'awaitingApproval') {
      return Promise.reject(new ConflictError(`Run '${runId}' is ${run.status}, not awaiting approval.`));
    }
    this.decisions.push({ runId, ...decision });
    return Promise.resolve();
  }

  readonly promotions: { model: string; to: string; version?: string | undefined }[] = [];

  promote(
    model: string,
    request: { to: string; version?: string | undefined },
  ): Promise<{ runId: string; outcome: 'started' | 'inFlight' }> {
    this.promotions.push({ model, ...request });
    return Promise.resolve({ runId: `promote-${model}-${request.to}`, outcome: 'started' });
  }

  rollback(model: string, request: { reason?: string }) {
    this.rollbacks.push({ model, ...request });
    return Promise.resolve({ runId: `rollback-${model}` });
  }

  cancel(runId: string) {
    if (!this.runs.some((r) => r.runId === runId)) return Promise.reject(new RunNotFoundError(runId));
    this.cancels.push(runId);
    return Promise.resolve({ detail: 'Azure ML job job-1 cancel requested' });
  }

  listModels(): Promise<ModelList> {
    return Promise.resolve({
      models: this.modelNames().map((model) => ({
        model,
        registeredName: model,
        endpoint: `${model}-endpoint`,
        versions: 0,
        approvalRequired: false,
        batch: model === 'bike-demand',
      })),
    });
  }

  getModel(model: string): Promise<ModelDetail> {
    return Promise.resolve({
      model,
      registeredName: model,
      endpoint: `${model}-endpoint`,
      approvalRequired: false,
      batch: model === 'bike-demand',
      versions: [],
      runs: [],
    });
  }

  listEndpoints(): Promise<EndpointList> {
    return Promise.resolve({
      endpoints: this.modelNames().map((m) => ({ endpoint: `${m}-endpoint`, models: [m], exists: true, traffic: {} })),
    });
  }

  getEndpoint(endpoint: string): Promise<EndpointDetail> {
    const model = this.modelNames().find((m) => `${m}-endpoint` === endpoint);
    if (!model) return Promise.reject(new EndpointNotFoundError(endpoint));
    return Promise.resolve({ endpoint, models: [model], exists: true, traffic: {}, deployments: [] });
  }

  readonly batchRuns: BatchRunDetail[] = [];
  readonly backfills: { model: string; dates: readonly string[]; replace: boolean }[] = [];

  listBatchRuns(query: ListBatchRunsQuery): Promise<BatchRunPage> {
    const runs = this.batchRuns
      .filter((r) => !query.model || r.model === query.model)
      .filter((r) => !query.status || query.status.includes(r.status))
      .map(({ failures: _f, manifest: _m, manifestUrl: _u, ...summary }) => summary);
    return Promise.resolve({ runs: runs.slice(0, query.pageSize) });
  }

  getBatchRun(runId: string): Promise<BatchRunDetail | undefined> {
    return Promise.resolve(this.batchRuns.find((r) => r.runId === runId));
  }

  backfill(model: string, dates: readonly string[], options: { replace: boolean }): Promise<BackfillStarted[]> {
    this.backfills.push({ model, dates, replace: options.replace });
    return Promise.resolve(
      dates.map((date) => ({ date, runId: `batch-${model}-${date}`, action: 'started' as const })),
    );
  }
}

export function run(runId: string, overrides: Partial<RunDetail> = {}): RunDetail {
  return {
    runId,
    instanceId: 'retrain-bike-demand',
    model: 'bike-demand',
    kind: 'retrain',
    status: 'running',
    createdAt: '2026-11-22T10:00:00.000Z',
    updatedAt: '2026-11-22T10:05:00.000Z',
    stages: [],
    ...overrides,
  };
}

export async function call(
  service: OperationsService,
  operation: OpsOperation,
  options: { path: string; params?: Record<string, string>; method?: string; body?: unknown; rawBody?: string },
): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  const url = `http://127.0.0.1:7071/api/${options.path}`;
  const text = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const request = new HttpRequest({
    method: options.method ?? opsRoutes.find((r) => r.operation === operation)?.method ?? 'GET',
    url,
    params: options.params ?? {},
    query: Object.fromEntries(new URL(url).searchParams.entries()),
    headers: { 'content-type': 'application/json' },
    ...(text === undefined ? {} : { body: { string: text } }),
  });
  const context = new InvocationContext({ functionName: operation, invocationId: 'inv-1', logHandler: () => {} });
  const route = opsRoutes.find((r) => r.operation === operation);
  if (!route) throw new Error(`no route for ${operation}`);
  const edge = { operation, route: route.route, method: route.method, query: route.query !== undefined };
  const init: HttpResponseInit = await runOperation(edge, () => service, request, context);
  return {
    status: init.status ?? 200,
    body: (init.jsonBody ?? {}) as Record<string, unknown>,
    headers: (init.headers ?? {}) as Record<string, string>,
  };
}
