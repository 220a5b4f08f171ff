/**
 * ARM long-running-operation plumbing: the Azure-AsyncOperation status resource (`mfeOperationsStatus`) and the
 * Location result resource (`mfeOperationResults`), both absolute URLs on this host like the real RP's.
 */
import { apiVersion, PROVIDER, REGION, SUBSCRIPTION_ID } from '../arm';
import type { EmulatorContext } from '../context';
import { notFound } from '../errors';
import { type EmulatorRequest, type EmulatorResponse, param, type Router } from '../http';
import type { OperationRecord } from '../state';

const LOCATION_ROUTE = `/subscriptions/{subscriptionId}/providers/${PROVIDER}/locations/{location}`;

/** The profile's Retry-After when one is in force, else the configured one. */
export function retryAfter(context: EmulatorContext): number {
  return context.store.data.latency?.retryAfterSeconds ?? context.settings.retryAfterSeconds;
}

function operationUrl(
  context: EmulatorContext,
  request: EmulatorRequest,
  kind: string,
  operation: OperationRecord,
): string {
  const url = new URL(
    `/subscriptions/${SUBSCRIPTION_ID}/providers/${PROVIDER}/locations/${REGION}/${kind}/${operation.id}`,
    context.baseUrl(),
  );
  url.searchParams.set('api-version', apiVersion(request));
  return url.toString();
}

export function asyncOperationHeaders(
  context: EmulatorContext,
  request: EmulatorRequest,
  operation: OperationRecord,
): Record<string, string> {
  return {
    'Azure-AsyncOperation': operationUrl(context, request, 'mfeOperationsStatus', operation),
    'Retry-After': String(retryAfter(context)),
    'x-ms-async-operation-timeout': 'PT1H',
  };
}

export function locationHeaders(
  context: EmulatorContext,
  request: EmulatorRequest,
  operation: OperationRecord,
): Record<string, string> {
  return {
    Location: operationUrl(context, request, 'mfeOperationResults', operation),
    'Retry-After': String(retryAfter(context)),
    'x-ms-async-operation-timeout': 'PT1H',
  };
}

export function asyncOperationUri(
  context: EmulatorContext,
  request: EmulatorRequest,
  operation: OperationRecord,
): string {
  return operationUrl(context, request, 'mfeOperationsStatus', operation);
}

function find(context: EmulatorContext, request: EmulatorRequest): OperationRecord {
  const id = param(request, 'operationId');
  const operation = context.store.data.operations[id];
  if (!operation) throw notFound('Operation', id);
  return operation;
}

export function registerOperationRoutes(router: Router, context: EmulatorContext, tick: () => void): void {
  router.add('GET', `${LOCATION_ROUTE}/mfeOperationsStatus/{operationId}`, (request): EmulatorResponse => {
    tick();
    const operation = find(context, request);
    const body = {
      id: new URL(request.url.pathname, context.baseUrl()).pathname,
      name: operation.id,
      status: operation.status,
      startTime: operation.startTime,
      ...(operation.endTime ? { endTime: operation.endTime } : {}),
      ...(operation.error ? { error: operation.error } : {}),
    };
    const headers: Record<string, string> =
      operation.status === 'InProgress' ? { 'Retry-After': String(retryAfter(context)) } : {};
    return { status: 200, body, headers };
  });
  router.add('GET', `${LOCATION_ROUTE}/mfeOperationResults/{operationId}`, (request): EmulatorResponse => {
    tick();
    const operation = find(context, request);
    if (operation.status === 'InProgress') {
      return { status: 202, headers: locationHeaders(context, request, operation) };
    }
    if (operation.status === 'Failed') {
      return {
        status: 500,
        body: { error: operation.error ?? { code: 'InternalError', message: 'The operation failed.' } },
      };
    }
    return { status: 200, body: {} };
  });
}
