import type { z } from 'zod';

import {
  backfillAcceptedSchema,
  backfillRequestSchema,
  batchRunDetailSchema,
  batchRunPageSchema,
  cancelRequestSchema,
  decisionRequestSchema,
  deploymentLogsQuerySchema,
  deploymentLogsSchema,
  endpointDetailSchema,
  endpointListSchema,
  listBatchRunsQuerySchema,
  listRunsQuerySchema,
  listTriggersQuerySchema,
  modelDetailSchema,
  modelListSchema,
  operationAcceptedSchema,
  promoteRequestSchema,
  retrainRequestSchema,
  rollbackRequestSchema,
  runDetailSchema,
  runPageSchema,
  scoreRequestSchema,
  scoreResultSchema,
  triggerAcceptedSchema,
  triggerPageSchema,
} from './contract';
import type { OpsOperation } from './handlers';

/**
 * Every route of the operations API, once: registration, the OpenAPI document and the CLI's paths come from here.
 */
export interface OpsRoute {
  readonly operation: OpsOperation;
  /** Function name. */
  readonly name: string;
  /** Route under the /api prefix, with {param} placeholders. */
  readonly route: string;
  readonly method: 'GET' | 'POST';
  readonly summary: string;
  /** The `mlops` command that calls this route (a test checks it exists and is documented). */
  readonly cli: string;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Success responses by status. */
  readonly responses: Readonly<Record<number, { description: string; schema: z.ZodType }>>;
  /** Error statuses this route can answer besides 400/401/405/500 (and 413 for routes with a body). */
  readonly errors: readonly number[];
  /**
   * Older routes that answer exactly as this one (same handler, same bytes): kept so existing callers keep working,
   * documented as deprecated in the OpenAPI document and docs/operations.md.
   */
  readonly aliases?: readonly { readonly name: string; readonly route: string }[];
}

/** Every ops route takes a function key (any function key of the app, or the host/master key). */
export const OPS_AUTH_LEVEL = 'function';

/** Methods each ops function is registered for: the route's own, and the others to answer 405 with Allow. */
export const REGISTERED_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export const opsRoutes: readonly OpsRoute[] = [
  {
    operation: 'listRuns',
    name: 'opsListRuns',
    route: 'ops/runs',
    method: 'GET',
    summary: 'List runs, newest first, filtered by model, kind, status and creation time; paged',
    cli: 'runs',
    query: listRunsQuerySchema,
    responses: { 200: { description: 'A page of runs', schema: runPageSchema } },
    errors: [],
  },
  {
    operation: 'getRun',
    name: 'opsGetRun',
    route: 'ops/runs/{runId}',
    method: 'GET',
    summary: 'One run with its stages',
    cli: 'run',
    responses: { 200: { description: 'The run', schema: runDetailSchema } },
    errors: [404],
  },
  {
    operation: 'listTriggers',
    name: 'opsListTriggers',
    route: 'ops/triggers',
    method: 'GET',
    summary: 'List triggers with their fate (started, coalesced, superseded, duplicate, ...), newest first; paged',
    cli: 'triggers',
    query: listTriggersQuerySchema,
    responses: { 200: { description: 'A page of triggers', schema: triggerPageSchema } },
    errors: [],
  },
  {
    operation: 'retrain',
    name: 'opsRetrain',
    route: 'ops/models/{model}/retrain',
    method: 'POST',
    summary: 'Trigger a retrain manually (same start/coalesce path as every trigger)',
    cli: 'retrain',
    body: retrainRequestSchema,
    responses: {
      202: { description: 'Started or queued behind the run in flight', schema: triggerAcceptedSchema },
      200: { description: 'Duplicate requestId: the original run', schema: triggerAcceptedSchema },
    },
    errors: [404],
  },
  {
    operation: 'approve',
    name: 'opsApprove',
    route: 'ops/runs/{runId}/approve',
    method: 'POST',
    summary: 'Approve the deployment of a run waiting at its approval gate',
    cli: 'approve',
    body: decisionRequestSchema,
    responses: { 202: { description: 'Approval event raised', schema: operationAcceptedSchema } },
    errors: [404, 409],
  },
  {
    operation: 'reject',
    name: 'opsReject',
    route: 'ops/runs/{runId}/reject',
    method: 'POST',
    summary: 'Reject the deployment of a run waiting at its approval gate',
    cli: 'reject',
    body: decisionRequestSchema,
    responses: { 202: { description: 'Rejection event raised', schema: operationAcceptedSchema } },
    errors: [404, 409],
  },
  {
    operation: 'rollback',
    name: 'opsRollback',
    route: 'ops/models/{model}/rollback',
    method: 'POST',
    summary: "Put the previous model version back on the model's endpoint",
    cli: 'rollback',
    body: rollbackRequestSchema,
    responses: { 202: { description: 'Rollback started', schema: operationAcceptedSchema } },
    errors: [404, 409],
  },
  {
    operation: 'promote',
    name: 'opsPromote',
    route: 'ops/models/{model}/promote',
    method: 'POST',
    summary:
      'Promote the version live in a stage to the next stage (its approval, release checks and automatic rollback); one per model and stage',
    cli: 'promote',
    body: promoteRequestSchema,
    responses: {
      202: { description: 'Promotion started', schema: operationAcceptedSchema },
      200: { description: 'A promotion to this stage is in flight: that one', schema: operationAcceptedSchema },
    },
    errors: [404, 409],
  },
  {
    operation: 'cancel',
    name: 'opsCancel',
    route: 'ops/runs/{runId}/cancel',
    method: 'POST',
    summary: 'Terminate a run and cancel its Azure ML job',
    cli: 'cancel',
    body: cancelRequestSchema,
    responses: { 202: { description: 'Run terminated', schema: operationAcceptedSchema } },
    errors: [404, 409],
  },
  {
    operation: 'deploymentLogs',
    name: 'opsDeploymentLogs',
    route: 'ops/models/{model}/logs',
    method: 'GET',
    summary:
      "A deployment's logs (StorageInitializer: model download; InferenceServer: scoring server), live or as kept by a failed release",
    cli: 'logs',
    query: deploymentLogsQuerySchema,
    responses: { 200: { description: 'The logs', schema: deploymentLogsSchema } },
    errors: [404],
  },
  {
    operation: 'score',
    name: 'opsScore',
    route: 'ops/models/{model}/score',
    method: 'POST',
    summary: "Send one request to the model's endpoint (default: the catalog's smoke sample) and show the answer",
    cli: 'score',
    body: scoreRequestSchema,
    responses: {
      200: { description: "The endpoint's answer (its status may be an error)", schema: scoreResultSchema },
    },
    errors: [404],
  },
  {
    operation: 'listModels',
    name: 'opsListModels',
    route: 'ops/models',
    method: 'GET',
    summary: 'Catalog models with their live version, endpoint and last run',
    cli: 'models',
    responses: { 200: { description: 'The models', schema: modelListSchema } },
    errors: [],
  },
  {
    operation: 'getModel',
    name: 'opsGetModel',
    route: 'ops/models/{model}',
    method: 'GET',
    summary: 'One model: registered versions (newest first) with lineage, gate decision, metrics, and which is live',
    cli: 'models',
    responses: { 200: { description: 'The model', schema: modelDetailSchema } },
    errors: [404],
  },
  {
    operation: 'listEndpoints',
    name: 'opsListEndpoints',
    route: 'ops/endpoints',
    method: 'GET',
    summary: 'Online endpoints of the catalog with their traffic split',
    cli: 'endpoints',
    responses: { 200: { description: 'The endpoints', schema: endpointListSchema } },
    errors: [],
  },
  {
    operation: 'getEndpoint',
    name: 'opsGetEndpoint',
    route: 'ops/endpoints/{endpoint}',
    method: 'GET',
    summary: 'One endpoint: deployments with model version, provisioning state and traffic percent',
    cli: 'endpoints',
    responses: { 200: { description: 'The endpoint', schema: endpointDetailSchema } },
    errors: [404],
  },
  {
    operation: 'listBatchRuns',
    name: 'opsListBatchRuns',
    route: 'ops/batch/runs',
    method: 'GET',
    summary: 'Batch scoring runs with progress, newest first, filtered by model, status and creation time; paged',
    cli: 'batch list',
    query: listBatchRunsQuerySchema,
    responses: { 200: { description: 'A page of batch runs', schema: batchRunPageSchema } },
    errors: [],
  },
  {
    operation: 'getBatchRun',
    name: 'opsGetBatchRun',
    route: 'ops/batch/runs/{runId}',
    method: 'GET',
    summary:
      'One batch run: progress (mini-batches, rows, rows/s), failed mini-batches and its manifest once published',
    cli: 'batch show',
    responses: { 200: { description: 'The batch run', schema: batchRunDetailSchema } },
    errors: [404],
  },
  {
    operation: 'backfill',
    name: 'opsBackfill',
    route: 'ops/models/{model}/backfill',
    method: 'POST',
    summary: "Batch-score a date or a range of dates again (one run per date; replaces a date's output atomically)",
    cli: 'batch backfill',
    body: backfillRequestSchema,
    responses: { 202: { description: 'Runs started (one per date)', schema: backfillAcceptedSchema } },
    errors: [404],
    aliases: [{ name: 'batchBackfill', route: 'batch/{model}/backfill' }],
  },
];

/** The Functions route syntax ({param}) is the OpenAPI one, so routes are used as they are. */
export function pathParameters(route: string): string[] {
  return [...route.matchAll(/\{([^}:]+)(?::[^}]*)?\}/g)].map((m) => m[1] ?? '');
}

/** The route of `operation`, by operation name. */
export function opsRoute(operation: OpsOperation): OpsRoute {
  const route = opsRoutes.find((r) => r.operation === operation);
  if (!route) throw new RangeError(`no ops route for ${operation}`);
  return route;
}

/** The path (under /api) of `operation` with its path parameters filled in (URL-encoded). */
export function opsPath(operation: OpsOperation, params: Readonly<Record<string, string>> = {}): string {
  return opsRoute(operation).route.replace(/\{([^}:]+)(?::[^}]*)?\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new RangeError(`${operation}: path parameter ${name} is missing`);
    return encodeURIComponent(value);
  });
}
