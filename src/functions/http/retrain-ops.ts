import { randomUUID } from 'node:crypto';

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { type Catalog, findModel } from '../../catalog';
import { decideRetrainApproval, startRetrainRollback } from '../../triggers/operations';
import { durableOrchestrationClient } from '../../triggers/orchestration-client';
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
  context.error(`retrain operation failed: ${name}: ${message}`);
  return problem(500, 'Internal error', `invocation ${context.invocationId}`);
}

function knownModel(catalog: Catalog, request: HttpRequest): string | HttpResponseInit {
  const model = request.params.model ?? '';
  return findModel(catalog, model) ? model : problem(404, 'Unknown model', `Model '${model}' is not in the catalog.`);
}

export function registerRetrainHttpFunctions(deps: () => RetrainHttpDeps): void {
  app.http(RetrainHttpFunctions.approval.name, {
    route: RetrainHttpFunctions.approval.route,
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: [df.input.durableClient()],
    handler: async (request, context) => {
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
          { state: d.state, orchestrations: durableOrchestrationClient(df.getClient(context)) },
          request.params.runId ?? '',
          {
            approved: decision === 'approve',
            by: optionalString(body, 'by'),
            comment: optionalString(body, 'comment'),
          },
        );
        return { status: 202, jsonBody: { ...result, decision } };
      } catch (error) {
        return mapError(error, context);
      }
    },
  });

  app.http(RetrainHttpFunctions.rollback.name, {
    route: RetrainHttpFunctions.rollback.route,
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: [df.input.durableClient()],
    handler: async (request, context) => {
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
    },
  });

  app.http(RetrainHttpFunctions.retrain.name, {
    route: RetrainHttpFunctions.retrain.route,
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: [df.input.durableClient()],
    handler: async (request, context) => {
      try {
        const d = deps();
        const model = knownModel(d.catalog, request);
        if (typeof model !== 'string') return model;
        const body = await jsonBody(request);
        if (!body)
          return problem(400, 'Invalid request', 'body must be JSON (optional "datasetUri", "requestId", "by")');
        const requestId =
          request.headers.get('x-mlops-request-id') ?? optionalString(body, 'requestId') ?? randomUUID();
        const datasetUri = optionalString(body, 'datasetUri');
        const result = await submitRetrainTrigger(
          { ...d, orchestrations: durableOrchestrationClient(df.getClient(context)) },
          {
            model,
            source: 'manual',
            dedupe: { kind: 'manual', requestId },
            occurredAt: new Date().toISOString(),
            requestedBy: optionalString(body, 'by'),
            ...(datasetUri
              ? {
                  dataset: {
                    uri: datasetUri.replace(/[?#].*$/, ''),
                    container: '',
                    name: datasetUri.replace(/[?#].*$/, ''),
                    eTag: requestId,
                  },
                }
              : {}),
          },
        );
        return { status: result.outcome === 'duplicate' ? 200 : 202, jsonBody: result };
      } catch (error) {
        return mapError(error, context);
      }
    },
  });
}
