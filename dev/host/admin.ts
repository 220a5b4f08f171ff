/**
 * The host's admin API: `/admin/host/status` (open, as Core Tools serves it locally, so health probes and
 * `npm start` users need no key) and, with the master key, `/admin/functions[/{name}]` (list; POST runs a non-HTTP
 * function now, as in Azure), plus dev-host additions `/admin/telemetry` and `/admin/invocations`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import { readBody, sendJson, sendText } from './http/http-io';
import type { InvocationRecord } from './invoker';
import { type HostKeys, isAuthorized, presentedKey } from './keys';
import type { RegisteredFunction } from './registry';
import type { TelemetryKind, TelemetrySink } from './telemetry-sink';

export type HostState = 'Default' | 'Initialized' | 'Running' | 'Error' | 'Stopping' | 'Stopped';

export interface AdminDeps {
  keys: HostKeys;
  state(): HostState;
  errors(): string[];
  functions(): RegisteredFunction[];
  telemetry: TelemetrySink;
  invocations(): readonly InvocationRecord[];
  /** Runs a non-HTTP function now; resolves false when the function does not exist or cannot be run this way. */
  runNow(name: string, input: string | undefined): boolean;
  origin: string;
  routePrefix: string;
  hostId: string;
  startedAt: number;
}

export async function handleAdmin(deps: AdminDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname.replace(/\/+$/, '');
  const method = req.method ?? 'GET';
  if (path === '/admin/host/ping') {
    sendText(res, 200, '');
    return;
  }
  if (path === '/admin/host/status' && method === 'GET') {
    const errors = deps.errors();
    sendJson(res, 200, {
      id: deps.hostId,
      state: deps.state(),
      version: '4.0.0-devhost',
      processUptime: Date.now() - deps.startedAt,
      ...(errors.length > 0 ? { errors } : {}),
    });
    return;
  }
  if (!isAuthorized(deps.keys, 'admin', presentedKey(url.searchParams, req.headers))) {
    sendText(res, 401, '');
    return;
  }
  if (path === '/admin/functions' && method === 'GET') {
    sendJson(
      res,
      200,
      deps.functions().map((fn) => describe(deps, fn)),
    );
    return;
  }
  const fnMatch = /^\/admin\/functions\/([^/]+)$/.exec(path);
  if (fnMatch?.[1]) {
    const name = decodeURIComponent(fnMatch[1]);
    const fn = deps.functions().find((f) => f.name.toLowerCase() === name.toLowerCase());
    if (!fn) {
      sendText(res, 404, '');
      return;
    }
    if (method === 'GET') {
      sendJson(res, 200, describe(deps, fn));
      return;
    }
    if (method === 'POST') {
      const raw = (await readBody(req)).toString('utf8');
      let input: string | undefined;
      try {
        const parsed = raw === '' ? {} : (JSON.parse(raw) as { input?: unknown });
        input =
          typeof parsed.input === 'string'
            ? parsed.input
            : parsed.input === undefined
              ? undefined
              : JSON.stringify(parsed.input);
      } catch {
        sendText(res, 400, 'Body must be JSON: {"input": "..."}');
        return;
      }
      sendText(res, deps.runNow(fn.name, input) ? 202 : 400, '');
      return;
    }
  }
  if (path === '/admin/telemetry') {
    if (method === 'DELETE') {
      deps.telemetry.clear();
      sendText(res, 204, '');
      return;
    }
    const name = url.searchParams.get('name') ?? undefined;
    const type = (url.searchParams.get('type') ?? undefined) as TelemetryKind | undefined;
    sendJson(res, 200, deps.telemetry.query({ name, type }));
    return;
  }
  if (path === '/admin/invocations' && method === 'GET') {
    const name = url.searchParams.get('functionName')?.toLowerCase();
    sendJson(
      res,
      200,
      deps.invocations().filter((r) => !name || r.functionName.toLowerCase() === name),
    );
    return;
  }
  sendText(res, 404, '');
}

function describe(deps: AdminDeps, fn: RegisteredFunction): Record<string, unknown> {
  const route = typeof fn.trigger.route === 'string' && fn.trigger.route !== '' ? fn.trigger.route : fn.name;
  const prefix = deps.routePrefix ? `/${deps.routePrefix}` : '';
  return {
    name: fn.name,
    trigger: fn.trigger.type,
    language: 'node',
    isDisabled: false,
    invoke_url_template: fn.trigger.type === 'httpTrigger' ? `${deps.origin}${prefix}/${route}` : null,
    config: {
      bindings: Object.values(fn.metadata.bindings).map((b, i) => ({
        name: Object.keys(fn.metadata.bindings)[i],
        ...b,
      })),
    },
  };
}
