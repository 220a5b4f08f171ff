import { randomUUID } from 'node:crypto';

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { type Catalog, findModel } from '../../catalog';
import { decideRetrainApproval, startRetrainRollback } from '../../triggers/operations';
import { durableOrchestrationClient, type OrchestrationClient } from '../../triggers/orchestration-client';
import type { SubmitDeps } from '../../triggers/submit';
import { submitRetrainTrigger } from '../../triggers/submit';

/**
 * The retrain operations over HTTP (function-key auth): approval decision, rollback, manual retrain. Thin: parse,
 * validate, delegate to src/triggers, map errors. The ops API (src/functions/ops) may expose the same operations.
 */
export const RetrainHttpFunctions = {
  approval: { name: 'retrainApproval', route: 'retrain/{model}/runs/{runId}/approval' },
  rollback: { name: 'retrainRollback', route: 'retrain/{model}/rollback' },
  retrain: { name: 'retrainManual', route: 'retrain/{model}' },
} as const;

export type RetrainHttpDeps = Omit<SubmitDeps, 'orchestrations'>;

/** The orchestration client of one invocation (production: the durable client input binding). */
export type OrchestrationsFor = (context: InvocationContext) => OrchestrationClient;

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

const fromBinding: OrchestrationsFor = (context) => durableOrchestrationClient(df.getClient(context));

function problem(status: number, title: string, detail: string): HttpResponseInit {
  return { status, jsonBody: { title, detail } };
}

async function jsonBody(request: HttpRequest): Promise<Record<string, unknown> | undefined> {
  const text = await request.text();
  if (!text.trim()) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  return typeof v === 'string' && v.trim() ? v.trim().slice(0, 200) : undefined;
}

function mapError(error: unknown, context: InvocationContext): HttpResponseInit {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'RetrainRunNotFoundError' || name === 'ModelNotInCatalogError')
    return problem(404, 'Not found', message);
  if (name === 'RetrainRunStateError') return problem(409, 'Conflict', message);
  if (name === 'InvalidTriggerError') return problem(400, 'Invalid request', message);
  context.error(`retrain operation failed: ${name}: ${message}`);
  return problem(500, 'Internal error', `invocation ${context.invocationId}`);
}

function knownModel(catalog: Catalog, request: HttpRequest): string | HttpResponseInit {
  const model = request.params.model ?? '';
  return findModel(catalog, model) ? model : problem(404, 'Unknown model', `Model '${model}' is not in the catalog.`);
}

/** POST retrain/{model}/runs/{runId}/approval `{decision: approve|reject, by?, comment?}` → 202. */
export function approvalHandler(deps: () => RetrainHttpDeps, orchestrations: OrchestrationsFor = fromBinding): Handler {
  return async (request, context) => {
    try {
      const d = deps();
      const model = knownModel(d.catalog, request);
      if (typeof model !== 'string') return model;
      const body = await jsonBody(request);
      const decision = body?.decision;
      if (!body || (decision !== 'approve' && decision !== 'reject')) {
        return problem(
          400,
          'Invalid request',
          'body must be JSON with "decision": "approve" | "reject" (optional "by", "comment")',
        );
      }
      const result = await decideRetrainApproval(
        { state: d.state, orchestrations: orchestrations(context) },
        request.params.runId ?? '',
        { approved: decision === 'approve', by: optionalString(body, 'by'), comment: optionalString(body, 'comment') },
      );
      return { status: 202, jsonBody: { ...result, decision } };
    } catch (error) {
      return mapError(error, context);
    }
  };
}

/** POST retrain/{model}/rollback `{deployment?, by?}` → 202 with the rollback instance's status URLs. */
export function rollbackHandler(deps: () => RetrainHttpDeps): Handler {
  return async (request, context) => {
    try {
      const d = deps();
      const model = knownModel(d.catalog, request);
      if (typeof model !== 'string') return model;
      const body = await jsonBody(request);
      if (!body) return problem(400, 'Invalid request', 'body must be JSON (optional "deployment", "by")');
      const client = df.getClient(context);
      const started = await startRetrainRollback({ orchestrations: durableOrchestrationClient(client) }, model, {
        target: optionalString(body, 'deployment'),
        requestedBy: optionalString(body, 'by'),
      });
      return client.createCheckStatusResponse(request, started.instanceId);
    } catch (error) {
      return mapError(error, context);
    }
  };
}

/** POST retrain/{model} `{datasetUri?, requestId?, by?}` (or header x-mlops-request-id) → 202, 200 for a repeat. */
export function manualRetrainHandler(
  deps: () => RetrainHttpDeps,
  orchestrations: OrchestrationsFor = fromBinding,
): Handler {
  return async (request, context) => {
    try {
      const d = deps();
      const model = knownModel(d.catalog, request);
      if (typeof model !== 'string') return model;
      const body = await jsonBody(request);
      if (!body) return problem(400, 'Invalid request', 'body must be JSON (optional "datasetUri", "requestId", "by")');
      const requestId = request.headers.get('x-mlops-request-id') ?? optionalString(body, 'requestId') ?? randomUUID();
      const datasetUri = optionalString(body, 'datasetUri')?.replace(/[?#].*$/, '');
      const result = await submitRetrainTrigger(
        { ...d, orchestrations: orchestrations(context) },
        {
          model,
          source: 'manual',
          dedupe: { kind: 'manual', requestId },
          occurredAt: new Date().toISOString(),
          requestedBy: optionalString(body, 'by'),
          ...(datasetUri ? { dataset: { uri: datasetUri, container: '', name: datasetUri, eTag: requestId } } : {}),
        },
      );
      return { status: result.outcome === 'duplicate' ? 200 : 202, jsonBody: result };
    } catch (error) {
      return mapError(error, context);
    }
  };
}

export function registerRetrainHttpFunctions(deps: () => RetrainHttpDeps): void {
  const common = {
    methods: ['POST' as const],
    authLevel: 'function' as const,
    extraInputs: [df.input.durableClient()],
  };
  app.http(RetrainHttpFunctions.approval.name, {
    ...common,
    route: RetrainHttpFunctions.approval.route,
    handler: approvalHandler(deps),
  });
  app.http(RetrainHttpFunctions.rollback.name, {
    ...common,
    route: RetrainHttpFunctions.rollback.route,
    handler: rollbackHandler(deps),
  });
  app.http(RetrainHttpFunctions.retrain.name, {
    ...common,
    route: RetrainHttpFunctions.retrain.route,
    handler: manualRetrainHandler(deps),
  });
}
