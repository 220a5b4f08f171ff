import { randomUUID } from 'node:crypto';

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';

import { dedupeKeyFor, describeIssues } from '../../services/webhooks';
import { readLimitedBody } from '../webhooks/body';
import { toHttpResponse } from '../webhooks/http-errors';
import {
  cancelRequestSchema,
  decisionRequestSchema,
  deploymentLogsQuerySchema,
  listRunsQuerySchema,
  listTriggersQuerySchema,
  type OperationAccepted,
  retrainRequestSchema,
  rollbackRequestSchema,
  scoreRequestSchema,
  type TriggerAccepted,
} from './contract';
import { InvalidRequestError, type OperationsService, RunNotFoundError, UnknownModelError } from './service';
import { runStatusUrl as statusUrl } from './urls';

/** Request bodies of the operations API are small JSON documents. */
const MAX_OPS_BODY_BYTES = 64 * 1024;

async function jsonBody<S extends z.ZodType>(request: HttpRequest, schema: S): Promise<z.output<S>> {
  const raw = (await readLimitedBody(request, MAX_OPS_BODY_BYTES)).toString('utf8').trim();
  let value: unknown = {};
  if (raw !== '') {
    try {
      value = JSON.parse(raw) as unknown;
    } catch (err) {
      throw new InvalidRequestError([`body is not valid JSON: ${(err as Error).message}`]);
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidRequestError(describeIssues(parsed.error, 'body'));
  return parsed.data;
}

function param(request: HttpRequest, name: string): string {
  const value = request.params[name];
  if (!value) throw new InvalidRequestError([`path parameter ${name} is missing`]);
  return value;
}

export { runStatusUrl as statusUrl } from './urls';

function requireModel(service: OperationsService, model: string): void {
  if (!service.modelNames().includes(model)) throw new UnknownModelError(model);
}

type Handler = (
  service: OperationsService,
  request: HttpRequest,
  context: InvocationContext,
) => Promise<HttpResponseInit>;

const accepted = (body: TriggerAccepted | OperationAccepted): HttpResponseInit => ({
  status: 202,
  jsonBody: body,
  headers: { location: body.statusUrl },
});

export type OpsOperation =
  | 'listRuns'
  | 'getRun'
  | 'listTriggers'
  | 'retrain'
  | 'approve'
  | 'reject'
  | 'rollback'
  | 'cancel'
  | 'deploymentLogs'
  | 'score'
  | 'listModels'
  | 'getModel'
  | 'listEndpoints'
  | 'getEndpoint'
  | 'listBatchRuns'
  | 'getBatchRun'
  | 'backfill';

const notYet = (): Promise<HttpResponseInit> =>
  Promise.resolve({ status: 501, jsonBody: { title: 'Not implemented yet', status: 501 } });

export const opsHandlers: Readonly<Record<OpsOperation, Handler>> = {
  listModels: notYet,
  getModel: notYet,
  listEndpoints: notYet,
  getEndpoint: notYet,
  listBatchRuns: notYet,
  getBatchRun: notYet,
  backfill: notYet,

  listRuns: async (service, request) => {
    const parsed = listRunsQuerySchema.safeParse(Object.fromEntries(request.query.entries()));
    if (!parsed.success) throw new InvalidRequestError(describeIssues(parsed.error, 'query'));
    if (parsed.data.from && parsed.data.to && parsed.data.from >= parsed.data.to) {
      throw new InvalidRequestError(['query.from: must be before query.to']);
    }
    return { status: 200, jsonBody: await service.listRuns(parsed.data) };
  },

  getRun: async (service, request) => {
    const runId = param(request, 'runId');
    const run = await service.getRun(runId);
    if (!run) throw new RunNotFoundError(runId);
    return { status: 200, jsonBody: run };
  },

  listTriggers: async (service, request) => {
    const parsed = listTriggersQuerySchema.safeParse(Object.fromEntries(request.query.entries()));
    if (!parsed.success) throw new InvalidRequestError(describeIssues(parsed.error, 'query'));
    return { status: 200, jsonBody: await service.listTriggers(parsed.data) };
  },

  retrain: async (service, request) => {
    const model = param(request, 'model');
    requireModel(service, model);
    const body = await jsonBody(request, retrainRequestSchema);
    const deliveryId = body.requestId ?? randomUUID();
    const outcome = await service.submit({
      model,
      source: 'manual',
      deliveryId,
      dedupeKey: dedupeKeyFor('manual', deliveryId, model),
      reason: body.reason ?? 'manual retrain through the operations API',
      receivedAt: new Date().toISOString(),
      ...(body.parameters ? { parameters: body.parameters } : {}),
      ...(body.requestedBy ? { requestedBy: body.requestedBy } : {}),
    });
    const result: TriggerAccepted = { ...outcome, statusUrl: statusUrl(request, outcome.runId) };
    return outcome.outcome === 'duplicate' ? { status: 200, jsonBody: result } : accepted(result);
  },

  approve: async (service, request) => decide(service, request, true),
  reject: async (service, request) => decide(service, request, false),

  rollback: async (service, request) => {
    const model = param(request, 'model');
    requireModel(service, model);
    const body = await jsonBody(request, rollbackRequestSchema);
    const { runId } = await service.rollback(model, body);
    return accepted({ runId, operation: 'rollback', statusUrl: statusUrl(request, runId) });
  },

  deploymentLogs: async (service, request) => {
    const model = param(request, 'model');
    requireModel(service, model);
    const parsed = deploymentLogsQuerySchema.safeParse(Object.fromEntries(request.query.entries()));
    if (!parsed.success) throw new InvalidRequestError(describeIssues(parsed.error, 'query'));
    return { status: 200, jsonBody: await service.deploymentLogs(model, parsed.data) };
  },

  score: async (service, request) => {
    const model = param(request, 'model');
    requireModel(service, model);
    const body = await jsonBody(request, scoreRequestSchema);
    return { status: 200, jsonBody: await service.score(model, body) };
  },

  cancel: async (service, request) => {
    const runId = param(request, 'runId');
    const body = await jsonBody(request, cancelRequestSchema);
    const { detail } = await service.cancel(runId, body);
    return accepted({
      runId,
      operation: 'cancel',
      statusUrl: statusUrl(request, runId),
      ...(detail ? { detail } : {}),
    });
  },
};

async function decide(service: OperationsService, request: HttpRequest, approved: boolean): Promise<HttpResponseInit> {
  const runId = param(request, 'runId');
  const body = await jsonBody(request, decisionRequestSchema);
  await service.decideApproval(runId, { approved, ...body });
  return accepted({
    runId,
    operation: approved ? 'approve' : 'reject',
    statusUrl: statusUrl(request, runId),
  });
}

/** Runs one operation with errors mapped by the shared mapper. */
export async function runOperation(
  operation: OpsOperation,
  service: () => OperationsService,
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    return await opsHandlers[operation](service(), request, context);
  } catch (err) {
    return toHttpResponse(err, context);
  }
}
