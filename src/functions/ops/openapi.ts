import { z } from 'zod';

import { PROBLEM_CONTENT_TYPE } from '../http/problems';
import { WebhookFunctions } from '../webhooks/register';
import { problemSchema } from './contract';
import { pathParameters, opsRoutes } from './routes';

/**
 * The OpenAPI 3.1 document of the app's HTTP API, generated from the same route table and schemas the handlers
 * use, so it cannot drift from what is registered (a test compares it with the actual registrations).
 */

type Json = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

const problemResponse = (description: string): Json => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
});

const STANDARD_ERRORS: Readonly<Record<number, string>> = {
  400: 'Invalid path, query or body; `errors` names each field',
  401: 'Missing or invalid function key / signature / credentials',
  404: 'Unknown run, model, endpoint, deployment or batch run',
  405: 'The route does not take this method (Allow names the one it takes)',
  409: 'The operation does not apply to the run in its current state',
  413: 'Body larger than allowed',
  500: 'Internal error (carries the invocation id)',
  503: 'Not configured',
};

/** Webhook routes as registered by src/functions/webhooks (anonymous; each verifies its own signature). */
export const webhookRoutes = [
  {
    name: WebhookFunctions.github.name,
    route: WebhookFunctions.github.route,
    summary: 'GitHub webhook: ping, push, workflow_run (X-Hub-Signature-256 over the raw body)',
    headers: ['X-GitHub-Event', 'X-GitHub-Delivery', 'X-Hub-Signature-256'],
  },
  {
    name: WebhookFunctions.azureDevOps.name,
    route: WebhookFunctions.azureDevOps.route,
    summary:
      'Azure DevOps service hook: git.push, build.complete, ms.vss-pipelines.run-state-changed-event (basic auth)',
    headers: ['Authorization'],
  },
  {
    name: WebhookFunctions.generic.name,
    route: WebhookFunctions.generic.route,
    summary: 'Generic/Jenkins webhook (X-Mlops-Signature = HMAC-SHA256 over "<timestamp>.<raw body>")',
    headers: ['X-Mlops-Timestamp', 'X-Mlops-Signature', 'X-Mlops-Delivery'],
  },
] as const;

export const OPENAPI_ROUTE = 'openapi.json';

function opsPaths(): Json {
  const paths: Record<string, Json> = {};
  for (const r of opsRoutes) {
    const parameters: Json[] = pathParameters(r.route).map((name) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (r.query) {
      const shape: Record<string, z.ZodType> = r.query.shape;
      for (const [name, field] of Object.entries(shape)) {
        const schema = schemaOf(field, 'input');
        parameters.push({
          name,
          in: 'query',
          required: !field.safeParse(undefined).success,
          schema,
          ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
        });
      }
    }
    const responses: Record<string, Json> = {};
    for (const [status, response] of Object.entries(r.responses)) {
      responses[status] = {
        description: response.description,
        content: { 'application/json': { schema: schemaOf(response.schema, 'output') } },
      };
    }
    for (const status of [400, 401, 405, ...(r.body ? [413] : []), ...r.errors, 500]) {
      responses[String(status)] = problemResponse(STANDARD_ERRORS[status] ?? 'Error');
    }
    const operation: Json = {
      operationId: r.operation,
      summary: r.summary,
      'x-mlops-cli': `mlops ${r.cli}`,
      tags: ['operations'],
      security: [{ functionKey: [] }, { functionKeyQuery: [] }],
      parameters,
      responses,
      ...(r.body
        ? {
            requestBody: {
              required: false,
              content: { 'application/json': { schema: schemaOf(r.body, 'input') } },
            },
          }
        : {}),
    };
    paths[`/${r.route}`] = { [r.method.toLowerCase()]: operation };
    for (const alias of r.aliases ?? []) {
      paths[`/${alias.route}`] = {
        [r.method.toLowerCase()]: {
          ...operation,
          operationId: alias.name,
          deprecated: true,
          summary: `Alias of ${r.method} /${r.route}: answers exactly as it does. ${r.summary}`,
        },
      };
    }
  }
  return paths;
}

function webhookPaths(): Json {
  const paths: Json = {};
  for (const w of webhookRoutes) {
    paths[`/${w.route}`] = {
      post: {
        operationId: w.name,
        summary: w.summary,
        tags: ['webhooks'],
        security: [],
        parameters: w.headers.map((name) => ({ name, in: 'header', required: true, schema: { type: 'string' } })),
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
        responses: {
          '200': { description: 'Ping answered, or a duplicate delivery: the original instance ids' },
          '202': { description: 'Accepted (instance ids and status URLs) or ignored ({"ignored": reason})' },
          ...Object.fromEntries(
            [400, 401, 413, 500, 503].map((s) => [String(s), problemResponse(STANDARD_ERRORS[s] ?? 'Error')]),
          ),
        },
      },
    };
  }
  return paths;
}

/** Builds the document; `serverUrl` is the API base the caller reached (e.g. https://app.azurewebsites.net/api). */
export function buildOpenApiDocument(serverUrl = '/api', version = '0.1.0'): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'MLOps orchestrator API',
      version,
      description:
        'Operations API (function key) and CI webhooks (signed) of the event-driven MLOps orchestrator for Azure ML.',
    },
    servers: [{ url: serverUrl }],
    paths: {
      ...opsPaths(),
      ...webhookPaths(),
      [`/${OPENAPI_ROUTE}`]: {
        get: {
          operationId: 'openApiDocument',
          summary: 'This document',
          tags: ['meta'],
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1 document', content: { 'application/json': {} } } },
        },
      },
    },
    components: {
      securitySchemes: {
        functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key' },
        functionKeyQuery: { type: 'apiKey', in: 'query', name: 'code' },
      },
      schemas: { Problem: schemaOf(problemSchema, 'output') },
    },
  };
}
