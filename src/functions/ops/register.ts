import { app, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { runOperation } from './handlers';
import { buildOpenApiDocument, OPENAPI_ROUTE } from './openapi';
import { OPS_AUTH_LEVEL, opsRoutes, REGISTERED_METHODS } from './routes';
import type { OperationsService } from './service';
import { apiBase } from './urls';

/** Builds the operations service for one invocation (it needs that invocation's durable client). */
export type OperationsServiceFactory = (client: df.DurableClient, context: InvocationContext) => OperationsService;

export const OPENAPI_FUNCTION_NAME = 'openApiDocument';

/**
 * Registers the operations API (function-key auth, durable client input) and the anonymous OpenAPI document.
 */
export function registerOpsFunctions(factory: OperationsServiceFactory): void {
  for (const r of opsRoutes) {
    const edge = { operation: r.operation, route: r.route, method: r.method, query: r.query !== undefined };
    for (const { name, route } of [{ name: r.name, route: r.route }, ...(r.aliases ?? [])]) {
      app.http(name, {
        route,
        // Every method reaches the handler so that a wrong one gets a 405 problem naming the right one.
        methods: [...REGISTERED_METHODS],
        authLevel: OPS_AUTH_LEVEL,
        extraInputs: [df.input.durableClient()],
        handler: (request, context) =>
          runOperation(edge, () => factory(df.getClient(context), context), request, context),
      });
    }
  }
  app.http(OPENAPI_FUNCTION_NAME, {
    route: OPENAPI_ROUTE,
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (request) => Promise.resolve({ status: 200, jsonBody: buildOpenApiDocument(apiBase(request)) }),
  });
}
