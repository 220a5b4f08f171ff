import type { HttpResponseInit, InvocationContext } from '@azure/functions';

import { redactText } from '../../security';

/**
 * The one mapper from errors to HTTP answers, used by every HTTP edge of the app (operations API, webhooks).
 *
 * @remarks Answers are RFC 9457 problem details (`application/problem+json`): `type` is a stable URI per kind of
 * error (listed in docs/operations.md), `title` the kind's fixed summary, `status`, `detail` about this request, and
 * `errors` naming the offending fields. Errors are recognised by `name` (stable across packages and serialisation).
 * Anything unknown is logged once and becomes a 500 carrying only the invocation id: never a stack, never a message
 * that might hold a secret.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** Prefix of every problem `type` (a URN: a name, not a page to fetch; RFC 9457 section 3.1.1). */
export const PROBLEM_TYPE_PREFIX = 'urn:mlops:problem:';

export interface FieldProblem {
  /** `path.runId`, `query.status`, `body.parameters.lr`, `header.X-GitHub-Event`, `body`. */
  readonly field: string;
  readonly message: string;
}

export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly FieldProblem[];
  readonly invocationId?: string;
}

/** Every kind of error an HTTP edge answers with: status and fixed title. */
export const problemKinds = {
  'invalid-request': { status: 400, title: 'The request is invalid' },
  'invalid-webhook-header': { status: 400, title: 'A webhook header is missing or invalid' },
  'invalid-webhook-payload': { status: 400, title: 'The webhook payload is invalid' },
  unauthorized: { status: 401, title: 'The request is not authorized' },
  'model-not-found': { status: 404, title: 'No such model in the catalog' },
  'run-not-found': { status: 404, title: 'No such run' },
  'batch-run-not-found': { status: 404, title: 'No such batch run' },
  'endpoint-not-found': { status: 404, title: 'No such endpoint in the catalog' },
  'deployment-not-found': { status: 404, title: 'No such deployment' },
  'method-not-allowed': { status: 405, title: 'The route does not support this method' },
  conflict: { status: 409, title: 'The operation does not apply in the current state' },
  'payload-too-large': { status: 413, title: 'The body is too large' },
  'internal-error': { status: 500, title: 'Internal error' },
  'webhook-not-configured': { status: 503, title: 'The webhook is not configured' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemKind = keyof typeof problemKinds;

export function problemType(kind: ProblemKind): string {
  return `${PROBLEM_TYPE_PREFIX}${kind}`;
}

/** Which kind each known error is, and the field it concerns when the error names none itself. */
const KIND_BY_ERROR_NAME: Readonly<Record<string, { kind: ProblemKind; field?: string }>> = {
  InvalidRequestError: { kind: 'invalid-request' },
  // src/triggers: a parameter override the catalog does not declare (problems name body.parameters.<name>)
  InvalidTriggerError: { kind: 'invalid-request' },
  BadWebhookHeaderError: { kind: 'invalid-webhook-header' },
  WebhookPayloadError: { kind: 'invalid-webhook-payload' },
  WebhookUnauthorizedError: { kind: 'unauthorized' },
  UnknownModelError: { kind: 'model-not-found', field: 'path.model' },
  ModelNotInCatalogError: { kind: 'model-not-found', field: 'path.model' },
  RunNotFoundError: { kind: 'run-not-found', field: 'path.runId' },
  RetrainRunNotFoundError: { kind: 'run-not-found', field: 'path.runId' },
  BatchRunNotFoundError: { kind: 'batch-run-not-found', field: 'path.runId' },
  EndpointNotFoundError: { kind: 'endpoint-not-found', field: 'path.endpoint' },
  DeploymentNotFoundError: { kind: 'deployment-not-found', field: 'query.deployment' },
  MethodNotAllowedError: { kind: 'method-not-allowed' },
  ConflictError: { kind: 'conflict' },
  RetrainRunStateError: { kind: 'conflict' },
  PayloadTooLargeError: { kind: 'payload-too-large', field: 'body' },
  WebhookNotConfiguredError: { kind: 'webhook-not-configured' },
};

interface KnownError extends Error {
  /** `<field>: <message>` lines (zod issues as describeIssues words them). */
  readonly problems?: readonly string[];
  /** Structured field problems, when the error has them. */
  readonly fields?: readonly FieldProblem[];
  /** BadWebhookHeaderError: the header. */
  readonly header?: string;
  /** MethodNotAllowedError: the methods the route takes. */
  readonly allow?: readonly string[];
}

/** `query.status: Invalid option` → `{field: 'query.status', message: 'Invalid option'}`. */
export function toFieldProblem(text: string, fallbackField = 'body'): FieldProblem {
  const m = /^([A-Za-z_$][\w$]*(?:(?:\.[^\s:.[\]]+)|\[\d+\])*): ([\s\S]+)$/.exec(text);
  return m?.[1] && m[2] ? { field: m[1], message: m[2] } : { field: fallbackField, message: text };
}

/** A problem answer of `kind`. */
export function problemResponse(
  kind: ProblemKind,
  detail: string,
  options: { errors?: readonly FieldProblem[]; invocationId?: string; headers?: Record<string, string> } = {},
): HttpResponseInit {
  const { status, title } = problemKinds[kind];
  const body: ProblemBody = {
    type: problemType(kind),
    title,
    status,
    detail,
    ...(options.errors && options.errors.length > 0 ? { errors: options.errors } : {}),
    ...(options.invocationId ? { invocationId: options.invocationId } : {}),
  };
  return {
    status,
    jsonBody: body,
    headers: { 'content-type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`, ...options.headers },
  };
}

function fieldsOf(e: KnownError, defaultField: string | undefined): FieldProblem[] {
  if (e.fields?.length) return e.fields.map((f) => ({ field: f.field, message: redactText(f.message) }));
  if (e.problems?.length) return e.problems.map((p) => toFieldProblem(redactText(p)));
  if (e.header) return [{ field: `header.${e.header}`, message: redactText(e.message) }];
  return defaultField ? [{ field: defaultField, message: redactText(e.message) }] : [];
}

/** Maps any error to its problem answer; unknown errors are logged and answered 500 with the invocation id. */
export function toProblemResponse(err: unknown, context: InvocationContext): HttpResponseInit {
  const e = err instanceof Error ? (err as KnownError) : undefined;
  const known = e ? KIND_BY_ERROR_NAME[e.name] : undefined;
  if (e && known) {
    const headers: Record<string, string> = {};
    if (known.kind === 'unauthorized') headers['www-authenticate'] = 'Basic realm="mlops-webhooks"';
    if (known.kind === 'method-not-allowed' && e.allow) headers.allow = e.allow.join(', ');
    return problemResponse(known.kind, redactText(e.message), { errors: fieldsOf(e, known.field), headers });
  }
  context.error(`Unhandled error (${e?.name ?? typeof err}): ${redactText(e?.message ?? String(err))}`);
  return problemResponse('internal-error', `Internal error; see the logs of invocation ${context.invocationId}.`, {
    invocationId: context.invocationId,
  });
}

/** The request used a method the route does not take. */
export class MethodNotAllowedError extends Error {
  readonly allow: readonly string[];

  constructor(method: string, route: string, allow: readonly string[]) {
    super(`${method} is not supported on ${route}; use ${allow.join(' or ')}.`);
    this.name = 'MethodNotAllowedError';
    this.allow = allow;
  }
}
