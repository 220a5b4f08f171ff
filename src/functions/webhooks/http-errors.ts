import type { HttpResponseInit, InvocationContext } from '@azure/functions';

import { redactText } from '../../security';

/**
 * The one mapper from errors to HTTP answers for the webhook and operations endpoints.
 *
 * @remarks Errors are recognised by `name` (stable across packages and serialisation). Known errors become a
 * problem body `{ error: { code, message, problems? } }`; anything else is logged once and becomes a 500 carrying
 * only the invocation id, never a stack or a message that might hold a secret.
 */
export interface ProblemBody {
  readonly error: { readonly code: string; readonly message: string; readonly problems?: readonly string[] };
}

const STATUS_BY_NAME: Readonly<Record<string, number>> = {
  WebhookNotConfiguredError: 503,
  WebhookUnauthorizedError: 401,
  PayloadTooLargeError: 413,
  BadWebhookHeaderError: 400,
  WebhookPayloadError: 400,
  InvalidRequestError: 400,
  UnknownModelError: 404,
  RunNotFoundError: 404,
  DeploymentNotFoundError: 404,
  ConflictError: 409,
  // src/triggers and src/services/retrain errors reaching the ops API
  InvalidTriggerError: 400,
  RetrainRunNotFoundError: 404,
  ModelNotInCatalogError: 404,
  RetrainRunStateError: 409,
};

interface KnownError extends Error {
  readonly code?: string;
  readonly problems?: readonly string[];
}

export function problem(status: number, code: string, message: string, problems?: readonly string[]): HttpResponseInit {
  const body: ProblemBody = { error: { code, message, ...(problems && problems.length ? { problems } : {}) } };
  return { status, jsonBody: body, headers: { 'content-type': 'application/json; charset=utf-8' } };
}

export function toHttpResponse(err: unknown, context: InvocationContext): HttpResponseInit {
  const e = err instanceof Error ? (err as KnownError) : undefined;
  const status = e ? STATUS_BY_NAME[e.name] : undefined;
  if (e && status !== undefined) {
    const init = problem(
      status,
      e.code ?? e.name,
      redactText(e.message),
      e.problems?.map((p) => redactText(p)),
    );
    if (status === 401) init.headers = { ...init.headers, 'www-authenticate': 'Basic realm="mlops-webhooks"' };
    return init;
  }
  context.error(`Unhandled error (${e?.name ?? typeof err}): ${redactText(e?.message ?? String(err))}`);
  return problem(500, 'InternalError', `Internal error; invocation id ${context.invocationId}.`);
}
