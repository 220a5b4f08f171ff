import { randomUUID } from 'node:crypto';
import { EventType, newEvent } from './dtfx';
import type { DurableEngine } from './engine';
import { historyView, type InstanceFilter, type InstanceRecord, queryInstances, toRecord } from './instance-query';
import { isTerminal, type RuntimeStatus, type StateStore } from './state-store';

export interface DurableHttpRequest {
  method: string;
  /** The path after `/runtime/webhooks/durabletask`, e.g. `/instances/abc`. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: string;
}

export interface DurableHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const WEBHOOK_PATH = '/runtime/webhooks/durabletask';

export interface DurableHttpApiDeps {
  taskHubName: string;
  store: StateStore;
  engine: DurableEngine;
  clock: () => number;
  /** Page size when the caller sends no `top` (the client never does; tests shrink it to force continuations). */
  listPageSize: number;
}

const ALL_STATUSES: RuntimeStatus[] = [
  'Running',
  'Pending',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Suspended',
];
/** Instance-ID reuse follows the extension default `overridableExistingInstanceStates: NonRunningStates`. */
const BLOCKS_NEW_START: ReadonlySet<RuntimeStatus> = new Set(['Pending', 'Running', 'Suspended', 'ContinuedAsNew']);

/** Second-precision UTC, as the extension formats `createdTime`/`lastUpdatedTime`. */
export const formatTime = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

const JSON_TYPE = 'application/json; charset=utf-8';

function json(status: number, value: unknown, headers: Record<string, string> = {}): DurableHttpResponse {
  return { status, headers: { 'Content-Type': JSON_TYPE, ...headers }, body: JSON.stringify(value) };
}

function text(status: number, message: string): DurableHttpResponse {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: message };
}

class BadRequest extends Error {}

function header(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

function parseBody(body: string): { present: boolean; json?: string } {
  if (body.trim() === '') return { present: false };
  try {
    return { present: true, json: JSON.stringify(JSON.parse(body)) };
  } catch {
    throw new BadRequest('The request body is not valid JSON.');
  }
}

// Like the extension (DateTime.TryParse / Enum.TryParse), values that do not parse are ignored, not rejected.
function parseDate(query: URLSearchParams, key: string): Date | undefined {
  const raw = query.get(key);
  if (!raw) return undefined;
  const d = new Date(raw);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function parseStatuses(query: URLSearchParams): Set<RuntimeStatus> | undefined {
  const out = new Set<RuntimeStatus>();
  for (const part of query.getAll('runtimeStatus').flatMap((v) => v.split(','))) {
    const match = ALL_STATUSES.find((s) => s === part.trim());
    if (match) out.add(match);
  }
  return out.size > 0 ? out : undefined;
}

const flag = (query: URLSearchParams, key: string, fallback: boolean): boolean => {
  const raw = query.get(key);
  return raw === null ? fallback : raw.toLowerCase() === 'true';
};

function validateInstanceId(id: string): void {
  const hasControlChar = [...id].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
  if (id.length > 256 || /[/\\#?]/.test(id) || hasControlChar || id.trim() === '') {
    throw new BadRequest(`Invalid instance ID: ${id}`);
  }
}

/**
 * The Durable Functions HTTP API (extension `HttpApiHandler` routes) over the in-memory engine, so the unmodified
 * `DurableClient` of durable-functions works locally. Status codes follow the extension (see docs/durable-engine.md).
 */
export class DurableHttpApi {
  constructor(private readonly deps: DurableHttpApiDeps) {}

  async handle(req: DurableHttpRequest, origin: string): Promise<DurableHttpResponse> {
    try {
      return await this.route(req, origin);
    } catch (e) {
      if (e instanceof BadRequest) return text(400, e.message);
      return text(500, e instanceof Error ? e.message : String(e));
    }
  }

  /** Management URLs for one instance (`createHttpManagementPayload` shape). */
  managementPayload(origin: string, instanceId: string, code: string): Record<string, string> {
    const base = `${origin}${WEBHOOK_PATH}/instances/${encodeURIComponent(instanceId)}`;
    const q = `taskHub=${encodeURIComponent(this.deps.taskHubName)}&connection=Storage&code=${encodeURIComponent(code)}`;
    return {
      id: instanceId,
      purgeHistoryDeleteUri: `${base}?${q}`,
      sendEventPostUri: `${base}/raiseEvent/{eventName}?${q}`,
      statusQueryGetUri: `${base}?${q}`,
      terminatePostUri: `${base}/terminate?reason={text}&${q}`,
      suspendPostUri: `${base}/suspend?reason={text}&${q}`,
      resumePostUri: `${base}/resume?reason={text}&${q}`,
      rewindPostUri: `${base}/rewind?reason={text}&${q}`,
      restartPostUri: `${base}/restart?${q}`,
    };
  }

  private async route(req: DurableHttpRequest, origin: string): Promise<DurableHttpResponse> {
    const segments = req.path
      .split('/')
      .filter((s) => s !== '')
      .map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          throw new BadRequest(`Malformed path segment: ${s}`);
        }
      });
    const method = req.method.toUpperCase();
    const [root, a, b, c] = segments;
    if (root === 'orchestrators' && a !== undefined && segments.length <= 3) {
      if (method !== 'POST') return text(404, 'Not found');
      return this.start(req, origin, a, b);
    }
    if (root === 'instances') {
      if (a === undefined) {
        if (method === 'GET') return this.list(req);
        if (method === 'DELETE') return this.purgeBy(req);
        return text(404, 'Not found');
      }
      if (b === undefined) {
        if (method === 'GET') return this.status(req, origin, a);
        if (method === 'DELETE') return this.purge(a);
        return text(404, 'Not found');
      }
      if (method !== 'POST') return text(404, 'Not found');
      if (b === 'raiseEvent' && c !== undefined && segments.length === 4) return this.raiseEvent(req, a, c);
      if (segments.length === 3) {
        if (b === 'terminate' || b === 'suspend' || b === 'resume') return this.control(req, a, b);
        if (b === 'rewind') return this.rewind(a);
        if (b === 'restart') return this.restart(req, origin, a);
      }
    }
    if (root === 'entities') {
      return text(501, 'Durable entities are not supported by the local durable engine.');
    }
    return text(404, 'Not found');
  }

  private checkStatus(origin: string, req: DurableHttpRequest, instanceId: string): DurableHttpResponse {
    const payload = this.managementPayload(origin, instanceId, req.query.get('code') ?? '');
    const { id, statusQueryGetUri, sendEventPostUri, terminatePostUri, purgeHistoryDeleteUri } = payload;
    const { restartPostUri, suspendPostUri, resumePostUri } = payload;
    // The extension's check-status body has no rewindPostUri (the management payload has one).
    return json(
      202,
      {
        id,
        statusQueryGetUri,
        sendEventPostUri,
        terminatePostUri,
        purgeHistoryDeleteUri,
        restartPostUri,
        suspendPostUri,
        resumePostUri,
      },
      { Location: statusQueryGetUri as string, 'Retry-After': '10' },
    );
  }

  private async createInstance(
    name: string,
    instanceId: string,
    inputJson: string | undefined,
  ): Promise<DurableHttpResponse | undefined> {
    const existing = this.deps.store.get(instanceId);
    if (existing) {
      if (BLOCKS_NEW_START.has(existing.runtimeStatus)) {
        return text(
          409,
          `An orchestration with the instance ID '${instanceId}' already exists and is ${existing.runtimeStatus}.`,
        );
      }
      await this.deps.store.purge(instanceId);
    }
    const at = new Date(this.deps.clock());
    const executionId = randomUUID().replace(/-/g, '');
    await this.deps.store.createInstance(
      {
        instanceId,
        name,
        executionId,
        runtimeStatus: 'Pending',
        ...(inputJson === undefined ? {} : { input: inputJson }),
        createdTime: at,
        lastUpdatedTime: at,
        historyLength: 0,
      },
      this.deps.engine.startMessage(instanceId, name, executionId, inputJson, at),
    );
    this.deps.engine.wake();
    return undefined;
  }

  private async start(
    req: DurableHttpRequest,
    origin: string,
    name: string,
    givenId?: string,
  ): Promise<DurableHttpResponse> {
    const registered = this.deps.engine.canonicalOrchestrator(name);
    if (!registered) {
      return text(400, `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`);
    }
    const instanceId = givenId ?? randomUUID().replace(/-/g, '');
    validateInstanceId(instanceId);
    const body = parseBody(req.body);
    const conflict = await this.createInstance(registered, instanceId, body.json);
    if (conflict) return conflict;
    return this.startResponse(req, origin, instanceId);
  }

  /** The check-status response, or with `?timeout=` (seconds) the result if the instance finishes in time. */
  private startResponse(req: DurableHttpRequest, origin: string, instanceId: string): Promise<DurableHttpResponse> {
    const timeout = Number(req.query.get('timeout'));
    // The engine is poll-free (like providers with SupportsPollFreeWait), so pollingInterval is not required.
    if (req.query.has('timeout') && Number.isFinite(timeout) && timeout > 0) {
      return this.waitForCompletion(req, origin, instanceId, timeout * 1000);
    }
    return Promise.resolve(this.checkStatus(origin, req, instanceId));
  }

  private async waitForCompletion(
    req: DurableHttpRequest,
    origin: string,
    instanceId: string,
    timeoutMs: number,
  ): Promise<DurableHttpResponse> {
    const finished = (): boolean => isTerminal(this.deps.store.get(instanceId)?.runtimeStatus ?? 'Running');
    if (!finished()) {
      const done = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          stop();
          resolve(false);
        }, timeoutMs);
        const stop = this.deps.engine.onChange(() => {
          if (!finished()) return;
          clearTimeout(timer);
          stop();
          resolve(true);
        });
      });
      if (!done) return this.checkStatus(origin, req, instanceId);
    }
    const row = this.deps.store.get(instanceId);
    const record = row ? toRecord(row) : undefined;
    if (record?.runtimeStatus === 'Completed') return json(200, record.output);
    return record ? json(record.runtimeStatus === 'Failed' ? 500 : 200, this.statusBody(record, true)) : text(404, '');
  }

  private statusBody(
    record: InstanceRecord,
    showInput: boolean,
    history?: Record<string, unknown>[],
  ): Record<string, unknown> {
    return {
      name: record.name,
      instanceId: record.instanceId,
      runtimeStatus: record.runtimeStatus,
      input: showInput ? record.input : null,
      customStatus: record.customStatus,
      output: record.output,
      createdTime: formatTime(record.createdTime),
      lastUpdatedTime: formatTime(record.lastUpdatedTime),
      ...(history ? { historyEvents: history } : {}),
    };
  }

  private status(req: DurableHttpRequest, origin: string, instanceId: string): DurableHttpResponse {
    const row = this.deps.store.get(instanceId);
    if (!row) return text(404, '');
    const record = toRecord(row);
    const history = flag(req.query, 'showHistory', false)
      ? historyView(this.deps.store.history(instanceId), flag(req.query, 'showHistoryOutput', false))
      : undefined;
    const body = this.statusBody(record, flag(req.query, 'showInput', true), history);
    if (!isTerminal(record.runtimeStatus)) {
      const query = req.query.toString();
      const location = `${origin}${WEBHOOK_PATH}/instances/${encodeURIComponent(instanceId)}${query ? `?${query}` : ''}`;
      return json(202, body, { Location: location, 'Retry-After': '5' });
    }
    const failAs500 = record.runtimeStatus === 'Failed' && flag(req.query, 'returnInternalServerErrorOnFailure', false);
    return json(failAs500 ? 500 : 200, body);
  }

  private filterFrom(query: URLSearchParams): InstanceFilter {
    return {
      instanceIdPrefix: query.get('instanceIdPrefix') ?? undefined,
      createdTimeFrom: parseDate(query, 'createdTimeFrom'),
      createdTimeTo: parseDate(query, 'createdTimeTo'),
      runtimeStatus: parseStatuses(query),
    };
  }

  private list(req: DurableHttpRequest): DurableHttpResponse {
    const top = Number(req.query.get('top'));
    const pageSize = req.query.has('top') && Number.isInteger(top) && top > 0 ? top : this.deps.listPageSize;
    const showInput = flag(req.query, 'showInput', true);
    const page = queryInstances(
      this.deps.store,
      this.filterFrom(req.query),
      pageSize,
      header(req.headers, 'x-ms-continuation-token') || undefined,
    );
    return json(
      200,
      page.items.map((r) => this.statusBody(r, showInput)),
      page.continuation ? { 'x-ms-continuation-token': page.continuation } : {},
    );
  }

  private async purge(instanceId: string): Promise<DurableHttpResponse> {
    const record = this.deps.store.get(instanceId);
    if (!record) return text(404, '');
    if (!isTerminal(record.runtimeStatus))
      return text(412, `Instance '${instanceId}' is ${record.runtimeStatus}; only finished instances can be purged.`);
    await this.deps.store.purge(instanceId);
    return json(200, { instancesDeleted: 1 });
  }

  private async purgeBy(req: DurableHttpRequest): Promise<DurableHttpResponse> {
    if (!parseDate(req.query, 'createdTimeFrom')) {
      return text(400, "Please provide value for 'createdTimeFrom' parameter.");
    }
    const filter = this.filterFrom(req.query);
    let deleted = 0;
    const victims = queryInstances(this.deps.store, filter, Number.MAX_SAFE_INTEGER).items.filter((r) =>
      isTerminal(r.runtimeStatus),
    );
    for (const r of victims) if (await this.deps.store.purge(r.instanceId)) deleted++;
    return deleted === 0 ? text(404, '') : json(200, { instancesDeleted: deleted });
  }

  private async raiseEvent(
    req: DurableHttpRequest,
    instanceId: string,
    eventName: string,
  ): Promise<DurableHttpResponse> {
    const record = this.deps.store.get(instanceId);
    if (!record) return text(404, `No instance with ID '${instanceId}' found.`);
    if (isTerminal(record.runtimeStatus)) return text(410, `Instance '${instanceId}' is ${record.runtimeStatus}.`);
    const contentType = header(req.headers, 'content-type') ?? '';
    if (!contentType.toLowerCase().startsWith('application/json')) {
      return text(400, 'Only application/json request content is supported');
    }
    const body = parseBody(req.body);
    await this.enqueue(instanceId, EventType.EventRaised, {
      Name: eventName,
      ...(body.json === undefined ? {} : { Input: body.json }),
    });
    return { status: 202, headers: {}, body: '' };
  }

  private async enqueue(instanceId: string, type: EventType, fields: Record<string, unknown>): Promise<void> {
    const at = this.deps.clock();
    await this.deps.store.putMessage({
      id: `${instanceId}|api|${randomUUID()}`,
      instanceId,
      event: newEvent(type, new Date(at), fields),
      visibleAt: at,
    });
    this.deps.engine.wake();
  }

  private async control(
    req: DurableHttpRequest,
    instanceId: string,
    op: 'terminate' | 'suspend' | 'resume',
  ): Promise<DurableHttpResponse> {
    const record = this.deps.store.get(instanceId);
    if (!record) return text(404, `No instance with ID '${instanceId}' found.`);
    if (isTerminal(record.runtimeStatus)) return text(410, `Instance '${instanceId}' is ${record.runtimeStatus}.`);
    const reason = req.query.get('reason') ?? undefined;
    const input = reason === undefined ? {} : { Input: JSON.stringify(reason) };
    if (op === 'terminate') await this.enqueue(instanceId, EventType.ExecutionTerminated, input);
    else if (op === 'suspend') await this.enqueue(instanceId, EventType.ExecutionSuspended, input);
    else await this.enqueue(instanceId, EventType.ExecutionResumed, input);
    return { status: 202, headers: {}, body: '' };
  }

  private rewind(instanceId: string): DurableHttpResponse {
    const record = this.deps.store.get(instanceId);
    if (!record) return text(404, `No instance with ID '${instanceId}' found.`);
    if (record.runtimeStatus !== 'Failed')
      return text(412, `Instance '${instanceId}' is ${record.runtimeStatus}; only failed instances can be rewound.`);
    return text(501, 'Rewind is not supported by the local durable engine.');
  }

  private async restart(req: DurableHttpRequest, origin: string, instanceId: string): Promise<DurableHttpResponse> {
    const record = this.deps.store.get(instanceId);
    if (!record) return text(400, 'InstanceId does not match a valid orchestration instance.');
    const newId = flag(req.query, 'restartWithNewInstanceId', true) ? randomUUID().replace(/-/g, '') : instanceId;
    const conflict = await this.createInstance(record.name, newId, record.input);
    return conflict ?? this.startResponse(req, origin, newId);
  }
}
