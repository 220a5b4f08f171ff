import { randomUUID } from 'node:crypto';

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';

import { dedupeKeyFor, describeIssues } from '../../services/webhooks';
import { readLimitedBody } from '../webhooks/body';
import { MethodNotAllowedError, toProblemResponse } from '../http/problems';
import {
  backfillRequestSchema,
  cancelRequestSchema,
  decisionRequestSchema,
  deploymentLogsQuerySchema,
  listBatchRunsQuerySchema,
  listRunsQuerySchema,
  listTriggersQuerySchema,
  type OperationAccepted,
  promoteRequestSchema,
  retrainRequestSchema,
  rollbackRequestSchema,
  scoreRequestSchema,
  type TriggerAccepted,
} from './contract';
import {
  BatchRunNotFoundError,
  InvalidRequestError,
  type OperationsService,
  RunNotFoundError,
  UnknownModelError,
} from './service';
import { batchRunStatusUrl, runStatusUrl as statusUrl } from './urls';

/** Request bodies of the operations API are small JSON documents. */
export const MAX_OPS_BODY_BYTES = 64 * 1024;

/** Longest date range one backfill request may start. */
export const MAX_BACKFILL_DAYS = 31;

async function jsonBody<S extends z.ZodType>(request: HttpRequest, schema: S): Promise<z.output<S>> {
  const raw = (await readLimitedBody(request, MAX_OPS_BODY_BYTES)).toString('utf8').trim();
  let value: unknown = {};
  if (raw !== '') {
    try {
      value = JSON.parse(raw) as unknown;
    } catch (err) {
      throw new InvalidRequestError([`body: not valid JSON (${(err as Error).message})`]);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidRequestError(['body: must be a JSON object']);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidRequestError(describeIssues(parsed.error, 'body'));
  return parsed.data;
}

function param(request: HttpRequest, name: string): string {
  const value = request.params[name];
  if (!value) throw new InvalidRequestError([`path.${name}: is missing`]);
  return value;
}

/** Parses the query string with `schema`; a parameter given twice is refused rather than silently picked. */
function queryOf<S extends z.ZodObject>(request: HttpRequest, schema: S): z.output<S> {
  // `code` is the function key when it is passed in the query (the host checks it).
  const entries = [...request.query.entries()].filter(([k]) => k !== 'code');
  const known = Object.keys(schema.shape);
  const unknown = [...new Set(entries.map(([k]) => k).filter((k) => !known.includes(k)))];
  if (unknown.length) {
    throw new InvalidRequestError(
      unknown.map((k) => `query.${k}: unknown parameter (this route takes ${known.join(', ')})`),
    );
  }
  const repeated = [...new Set(entries.map(([k]) => k).filter((k, i, all) => all.indexOf(k) !== i))];
  if (repeated.length) throw new InvalidRequestError(repeated.map((k) => `query.${k}: given more than once`));
  const raw = Object.fromEntries(entries);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    // A query field is one parameter: name it (not the element of a comma list) and quote what was sent.
    throw new InvalidRequestError(
      parsed.error.issues.slice(0, 20).map((issue) => {
        const name = String(issue.path[0] ?? '');
        const sent = raw[name] === undefined ? '' : ` (got '${raw[name].slice(0, 100)}')`;
        return `query.${name}: ${issue.message}${sent}`;
      }),
    );
  }
  return parsed.data;
}

function checkTimeRange(query: { from?: string | undefined; to?: string | undefined }): void {
  if (query.from && query.to && Date.parse(query.from) >= Date.parse(query.to)) {
    throw new InvalidRequestError(['query.from: must be before query.to']);
  }
}

/** The dates of a backfill request (one date or an inclusive range of at most MAX_BACKFILL_DAYS). */
export function backfillDates(body: { date?: string; from?: string; to?: string }): string[] {
  const problems: string[] = [];
  const valid = (field: 'date' | 'from' | 'to'): boolean => {
    const v = body[field];
    if (v === undefined) return true;
    const ok = !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);
    if (!ok) problems.push(`body.${field}: ${v} is not a calendar date`);
    return ok;
  };
  if (![valid('date'), valid('from'), valid('to')].every(Boolean)) throw new InvalidRequestError(problems);
  if (body.date !== undefined && (body.from !== undefined || body.to !== undefined)) {
    throw new InvalidRequestError(['body.date: give either date or from/to, not both']);
  }
  if (body.to !== undefined && body.from === undefined) {
    throw new InvalidRequestError(['body.from: is required when to is given']);
  }
  if (body.date !== undefined) return [body.date];
  if (body.from === undefined) throw new InvalidRequestError(['body.date: is required (or from, with an optional to)']);
  const first = Date.parse(`${body.from}T00:00:00Z`);
  const last = Date.parse(`${body.to ?? body.from}T00:00:00Z`);
  if (last < first) throw new InvalidRequestError(['body.to: must not be before from']);
  const days = Math.round((last - first) / 86_400_000) + 1;
  if (days > MAX_BACKFILL_DAYS) {
    throw new InvalidRequestError([`body.to: the range covers ${days} days; at most ${MAX_BACKFILL_DAYS} are allowed`]);
  }
  return Array.from({ length: days }, (_, i) => new Date(first + i * 86_400_000).toISOString().slice(0, 10));
}

export { runStatusUrl as statusUrl } from './urls';

/** The submit path names overrides `parameters.<name>`; in this request they are `body.parameters.<name>`. */
async function submitting<T>(submission: Promise<T>): Promise<T> {
  try {
    return await submission;
  } catch (err) {
    const e = err as { name?: string; problems?: readonly string[] };
    if (e.name === 'InvalidTriggerError' && e.problems)
      throw new InvalidRequestError(e.problems.map((p) => `body.${p}`));
    throw err;
  }
}

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
  | 'promote'
  | 'deploymentLogs'
  | 'score'
  | 'listModels'
  | 'getModel'
  | 'listEndpoints'
  | 'getEndpoint'
  | 'listBatchRuns'
  | 'getBatchRun'
  | 'backfill';

export const opsHandlers: Readonly<Record<OpsOperation, Handler>> = {
  listModels: async (service) => ({ status: 200, jsonBody: await service.listModels() }),

  getModel: async (service, request) => {
    const model = param(request, 'model');
    requireModel(service, model);
    return { status: 200, jsonBody: await service.getModel(model) };
  },

  listEndpoints: async (service) => ({ status: 200, jsonBody: await service.listEndpoints() }),

  getEndpoint: async (service, request) => ({
    status: 200,
    jsonBody: await service.getEndpoint(param(request, 'endpoint')),
  }),

  listBatchRuns: async (service, request) => {
    const query = queryOf(request, listBatchRunsQuerySchema);
    checkTimeRange(query);
    return { status: 200, jsonBody: await service.listBatchRuns(query) };
  },

  getBatchRun: async (service, request) => {
    const runId = param(request, 'runId');
    const run = await service.getBatchRun(runId);
    if (!run) throw new BatchRunNotFoundError(runId);
    return { status: 200, jsonBody: run };
  },

  backfill: async (service, request, context) => {
    const model = param(request, 'model');
    requireModel(service, model);
    const body = await jsonBody(request, backfillRequestSchema);
    const dates = backfillDates(body);
    const started = await service.backfill(model, dates, { replace: body.replace, requestId: context.invocationId });
    const result = {
      model,
      replace: body.replace,
      runs: started.map((r) => ({ ...r, statusUrl: batchRunStatusUrl(request, r.runId) })),
    };
    return {
      status: 202,
      jsonBody: result,
      ...(result.runs[0] ? { headers: { location: result.runs[0].statusUrl } } : {}),
    };
  },

  listRuns: async (service, request) => {
    const query = queryOf(request, listRunsQuerySchema);
    checkTimeRange(query);
    return { status: 200, jsonBody: await service.listRuns(query) };
  },

  getRun: async (service, request) => {
    const runId = param(request, 'runId');
    const run = await service.getRun(runId);
    if (!run) throw new RunNotFoundError(runId);
    return { status: 200, jsonBody: run };
  },

  listTriggers: async (service, request) => ({
    status: 200,
    jsonBody: await service.listTriggers(queryOf(request, listTriggersQuerySchema)),
  }),

  retrain: async (service, request) => {
    const model = param(request, 'model');
    requireModel(service, model);
    const body = await jsonBody(request, retrainRequestSchema);
    const deliveryId = body.requestId ?? randomUUID();
    const outcome = await submitting(
      service.submit({
        model,
        source: 'manual',
        deliveryId,
        dedupeKey: dedupeKeyFor('manual', deliveryId, model),
        reason: body.reason ?? 'manual retrain through the operations API',
        receivedAt: new Date().toISOString(),
        ...(body.parameters ? { parameters: body.parameters } : {}),
        ...(body.requestedBy ? { requestedBy: body.requestedBy } : {}),
      }),
    );
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

  promote: async (service, request) => {
    const model = param(request, 'model');
    requireModel(service, model);
    const body = await jsonBody(request, promoteRequestSchema);
    const { runId, outcome } = await service.promote(model, body);
    const result: OperationAccepted = { runId, operation: 'promote', statusUrl: statusUrl(request, runId) };
    return outcome === 'inFlight'
      ? { status: 200, jsonBody: { ...result, detail: 'already in flight' } }
      : accepted(result);
  },

  deploymentLogs: async (service, request) => {
    const model = param(request, 'model');
    requireModel(service, model);
    return { status: 200, jsonBody: await service.deploymentLogs(model, queryOf(request, deploymentLogsQuerySchema)) };
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

/** What the route table says about an operation, as far as the edge checks it before running it. */
export interface OperationEdge {
  readonly operation: OpsOperation;
  readonly route: string;
  readonly method: 'GET' | 'POST';
  /** Whether the route takes query parameters (others refuse any). */
  readonly query: boolean;
}

/**
 * Runs one operation: refuses a method the route does not take (405, with Allow) and query parameters on a route
 * that takes none, then runs the handler; every error is mapped by the one problem mapper.
 */
export async function runOperation(
  edge: OperationEdge,
  service: () => OperationsService,
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    if (request.method.toUpperCase() !== edge.method) {
      throw new MethodNotAllowedError(request.method.toUpperCase(), `/api/${edge.route}`, [edge.method]);
    }
    if (!edge.query) {
      const given = [...new Set([...request.query.keys()].filter((k) => k !== 'code'))];
      if (given.length)
        throw new InvalidRequestError(given.map((k) => `query.${k}: this route takes no query parameters`));
    }
    return await opsHandlers[edge.operation](service(), request, context);
  } catch (err) {
    return toProblemResponse(err, context);
  }
}
