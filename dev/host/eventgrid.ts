/**
 * The Event Grid extension's webhook: `POST /runtime/webhooks/eventgrid?functionName=<name>&code=<system key>`.
 *
 * @remarks Mirrors the extension's HttpRequestProcessor: the `aeg-event-type` header selects the subscription
 * validation handshake, notification delivery or unsubscribe; CloudEvents' abuse-protection handshake is an
 * OPTIONS request. One invocation per event, all in parallel; any failure answers 500 so Event Grid redelivers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Invoker } from './invoker';
import { type HostKeys, isAuthorized, presentedKey } from './keys';
import { errorMessage } from './log';
import type { FunctionRegistry } from './registry';
import { readBody, sendJson, sendText } from './http/http-io';

export const EVENT_GRID_SYSTEM_KEY = 'eventgrid_extension';
export const EVENT_GRID_PATH = '/runtime/webhooks/eventgrid';

const KNOWN_ORIGINS = ['eventgrid.azure.net', 'eventgrid.azure.us', 'eventgrid.azure.cn'];

export interface EventGridDeps {
  registry: FunctionRegistry;
  invoker: Invoker;
  keys: HostKeys;
}

type JsonObject = Record<string, unknown>;

export async function handleEventGrid(
  deps: EventGridDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  if (!isAuthorized(deps.keys, 'system', presentedKey(url.searchParams, req.headers), EVENT_GRID_SYSTEM_KEY)) {
    sendText(res, 401, '');
    return;
  }
  const functionName = url.searchParams.get('functionName') ?? '';
  const fn = deps.registry.get(functionName);
  if (!fn || fn.trigger.type !== 'eventGridTrigger') {
    sendText(res, 404, `cannot find function: '${functionName}'`);
    return;
  }
  if (req.method === 'OPTIONS') {
    const requested = headerValue(req, 'webhook-request-origin');
    const allowed =
      requested && KNOWN_ORIGINS.some((o) => requested.toLowerCase() === o) ? requested : KNOWN_ORIGINS[0];
    res.writeHead(200, { 'Webhook-Allowed-Origin': allowed ?? 'eventgrid.azure.net' });
    res.end();
    return;
  }
  if (req.method !== 'POST') {
    sendText(res, 405, '');
    return;
  }
  const eventType = (headerValue(req, 'aeg-event-type') ?? '').toLowerCase();
  const raw = (await readBody(req)).toString('utf8');
  let body: unknown;
  try {
    body = raw === '' ? undefined : JSON.parse(raw);
  } catch {
    sendText(res, 400, 'The request body is not valid JSON.');
    return;
  }
  if (eventType === 'subscriptionvalidation') {
    const code = validationCode(body);
    if (code === undefined) {
      sendText(res, 400, 'The subscription validation event has no validationCode.');
      return;
    }
    sendJson(res, 200, { validationResponse: code });
    return;
  }
  if (eventType === 'unsubscribe') {
    sendText(res, 202, '');
    return;
  }
  if (eventType !== 'notification') {
    sendText(res, 400, `Invalid 'aeg-event-type' header: '${headerValue(req, 'aeg-event-type') ?? ''}'`);
    return;
  }
  const events = Array.isArray(body) ? body : body === undefined ? [] : [body];
  const outcomes = await Promise.allSettled(
    events.map((event) => deps.invoker.invoke(fn, event, { triggerMetadata: triggerMetadataFor(event, fn.name) })),
  );
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure)
    sendText(res, 500, `Exception while executing function: Functions.${fn.name}. ${errorMessage(failure.reason)}`);
  else sendText(res, 202, '');
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Event Grid schema: an array whose first event carries `data.validationCode`; CloudEvents: `data` may be a JSON string. */
function validationCode(body: unknown): string | undefined {
  const first = Array.isArray(body) ? (body[0] as unknown) : body;
  if (typeof first !== 'object' || first === null) return undefined;
  let data = (first as JsonObject).data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  const code = typeof data === 'object' && data !== null ? (data as JsonObject).validationCode : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** Host-side binding data for one event: its top-level properties (camelCased keys) plus `sys`. */
function triggerMetadataFor(event: unknown, functionName: string): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  if (typeof event === 'object' && event !== null) {
    for (const [key, value] of Object.entries(event as JsonObject))
      metadata[key.charAt(0).toLowerCase() + key.slice(1)] = value;
  }
  metadata.sys = { methodName: functionName, utcNow: new Date().toISOString() };
  return metadata;
}
