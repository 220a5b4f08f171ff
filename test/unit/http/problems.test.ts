// The one error → HTTP mapper: RFC 9457 problem details with a stable type per error kind, fields named, no internals.
import { InvocationContext } from '@azure/functions';

import {
  MethodNotAllowedError,
  PROBLEM_TYPE_PREFIX,
  problemKinds,
  toFieldProblem,
  toProblemResponse,
} from '../../../src/functions/http/problems';
import {
  BatchRunNotFoundError,
  ConflictError,
  DeploymentNotFoundError,
  EndpointNotFoundError,
  InvalidRequestError,
  RunNotFoundError,
  UnknownModelError,
} from '../../../src/functions/ops';
import {
  BadWebhookHeaderError,
  PayloadTooLargeError,
  WebhookNotConfiguredError,
  WebhookUnauthorizedError,
} from '../../../src/functions/webhooks/errors';
import { ModelNotInCatalogError } from '../../../src/services/retrain/errors';
import { WebhookPayloadError } from '../../../src/services/webhooks/errors';
import { InvalidTriggerError } from '../../../src/triggers/submit';
import { RetrainRunNotFoundError, RetrainRunStateError } from '../../../src/triggers/operations';

function context(logged: string[] = []): InvocationContext {
  return new InvocationContext({
    functionName: 'f',
    invocationId: 'inv-42',
    logHandler: (_level, ...args) => logged.push(args.map(String).join(' ')),
  });
}

describe('problem mapper', () => {
  it.each([
    [
      new InvalidRequestError(['query.status: bad']),
      400,
      'invalid-request',
      [{ field: 'query.status', message: 'bad' }],
    ],
    [
      new InvalidTriggerError(['body.parameters.epochs: not a training parameter of m']),
      400,
      'invalid-request',
      [{ field: 'body.parameters.epochs', message: 'not a training parameter of m' }],
    ],
    [
      new WebhookPayloadError(['push.commits[0].id: Required']),
      400,
      'invalid-webhook-payload',
      [{ field: 'push.commits[0].id', message: 'Required' }],
    ],
    [
      new BadWebhookHeaderError('X-GitHub-Event', 'is missing'),
      400,
      'invalid-webhook-header',
      [{ field: 'header.X-GitHub-Event', message: 'Header X-GitHub-Event is missing.' }],
    ],
    [new WebhookUnauthorizedError('signature-mismatch'), 401, 'unauthorized', undefined],
    [new UnknownModelError('m'), 404, 'model-not-found', [{ field: 'path.model' }]],
    [new ModelNotInCatalogError('m'), 404, 'model-not-found', [{ field: 'path.model' }]],
    [new RunNotFoundError('r'), 404, 'run-not-found', [{ field: 'path.runId' }]],
    [new RetrainRunNotFoundError('r'), 404, 'run-not-found', [{ field: 'path.runId' }]],
    [new BatchRunNotFoundError('batch-m-2026-01-01'), 404, 'batch-run-not-found', [{ field: 'path.runId' }]],
    [new EndpointNotFoundError('e'), 404, 'endpoint-not-found', [{ field: 'path.endpoint' }]],
    [new DeploymentNotFoundError('no such deployment'), 404, 'deployment-not-found', [{ field: 'query.deployment' }]],
    [new MethodNotAllowedError('DELETE', '/api/ops/runs', ['GET']), 405, 'method-not-allowed', undefined],
    [new ConflictError('not waiting'), 409, 'conflict', undefined],
    [new RetrainRunStateError('not waiting'), 409, 'conflict', undefined],
    [new PayloadTooLargeError(10), 413, 'payload-too-large', [{ field: 'body' }]],
    [new WebhookNotConfiguredError('GitHub', ['GITHUB_WEBHOOK_SECRET']), 503, 'webhook-not-configured', undefined],
  ])('when %p is mapped, then %i %s with its fields', (error, status, kind, errors) => {
    const answer = toProblemResponse(error, context());
    expect(answer.status).toBe(status);
    expect(answer.headers).toMatchObject({ 'content-type': 'application/problem+json; charset=utf-8' });
    const body = answer.jsonBody as Record<string, unknown>;
    expect(body).toMatchObject({
      type: `${PROBLEM_TYPE_PREFIX}${kind}`,
      title: problemKinds[kind as keyof typeof problemKinds].title,
      status,
      detail: error.message,
    });
    if (errors) expect(body.errors).toMatchObject(errors);
    else expect(body.errors).toBeUndefined();
    expect(body.invocationId).toBeUndefined();
  });

  it('when a 405 is mapped, then Allow names the methods the route takes; a 401 carries WWW-Authenticate', () => {
    expect(
      toProblemResponse(new MethodNotAllowedError('PUT', '/api/ops/models/{model}/retrain', ['POST']), context())
        .headers,
    ).toMatchObject({ allow: 'POST' });
    expect(toProblemResponse(new WebhookUnauthorizedError('missing-signature'), context()).headers).toMatchObject({
      'www-authenticate': 'Basic realm="mlops-webhooks"',
    });
  });

  it('when an unknown error is mapped, then 500 carries only the invocation id and the error is logged redacted', () => {
    const logged: string[] = [];
    const secret = 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0c2VjcmV0c2VjcmV0;';
    const answer = toProblemResponse(new TypeError(`boom with ${secret}`), context(logged));
    expect(answer).toMatchObject({
      status: 500,
      jsonBody: {
        type: 'urn:mlops:problem:internal-error',
        title: 'Internal error',
        status: 500,
        detail: 'Internal error; see the logs of invocation inv-42.',
        invocationId: 'inv-42',
      },
    });
    expect(JSON.stringify(answer.jsonBody)).not.toMatch(/boom|AccountKey|TypeError/);
    expect(logged.join('\n')).toContain('TypeError');
    expect(logged.join('\n')).not.toContain('c2VjcmV0c2VjcmV0c2VjcmV0');
    // Not even an Error: still a 500 problem.
    expect(toProblemResponse('a string', context()).status).toBe(500);
  });

  it('when a known error message holds a secret, then detail and fields are redacted', () => {
    const answer = toProblemResponse(
      new InvalidRequestError(['body.reason: AccountKey=c2VjcmV0c2VjcmV0c2VjcmV0 is not allowed']),
      context(),
    );
    expect(JSON.stringify(answer.jsonBody)).not.toContain('c2VjcmV0c2VjcmV0c2VjcmV0');
  });

  it('when a problem line has no field prefix, then the field falls back to the body', () => {
    expect(toFieldProblem('query.pageSize: Too small')).toEqual({ field: 'query.pageSize', message: 'Too small' });
    expect(toFieldProblem('push.commits[0].id: Required')).toEqual({
      field: 'push.commits[0].id',
      message: 'Required',
    });
    expect(toFieldProblem('something odd: happened here')).toEqual({
      field: 'body',
      message: 'something odd: happened here',
    });
  });

  it('when every kind is listed, then each has a distinct type and a 4xx/5xx status', () => {
    const kinds = Object.entries(problemKinds);
    expect(new Set(kinds.map(([k]) => k)).size).toBe(kinds.length);
    for (const [, k] of kinds) expect(k.status).toBeGreaterThanOrEqual(400);
  });
});
