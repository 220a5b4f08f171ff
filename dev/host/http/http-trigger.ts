/**
 * Serves HTTP-triggered functions under `/{routePrefix}/{route}`: route matching, methods, auth levels, request
 * conversion to the library's `HttpRequest`, and a faithful (streamed) copy of the handler's response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

import type { Cookie, HttpResponse } from '@azure/functions';

import type { FunctionsLibrary } from '../app-loader';
import type { Invoker } from '../invoker';
import { type AuthLevel, type HostKeys, isAuthorized, presentedKey } from '../keys';
import { errorMessage, type HostLogger } from '../log';
import type { RegisteredFunction } from '../registry';
import { flatHeaders, readBody, requestOrigin, sendText } from './http-io';
import { compareRoutes, RouteTemplate } from './route-template';

interface HttpRoute {
  fn: RegisteredFunction;
  template: RouteTemplate;
  methods: Set<string>;
  authLevel: AuthLevel;
}

export interface HttpTriggerDeps {
  functions: readonly RegisteredFunction[];
  invoker: Invoker;
  library: FunctionsLibrary;
  keys: HostKeys;
  logger: HostLogger;
  /** Values for extra inputs by binding type (the durable client payload for this request's origin). */
  extraInputsFor: (origin: string) => Record<string, unknown>;
  fallbackOrigin: string;
}

export class HttpTriggerRouter {
  private readonly routes: HttpRoute[];

  constructor(private readonly deps: HttpTriggerDeps) {
    this.routes = deps.functions
      .filter((fn) => fn.trigger.type === 'httpTrigger')
      .map((fn) => {
        const route = typeof fn.trigger.route === 'string' && fn.trigger.route !== '' ? fn.trigger.route : fn.name;
        const methods = Array.isArray(fn.trigger.methods) ? (fn.trigger.methods as string[]) : ['GET', 'POST'];
        const authLevel = (
          typeof fn.trigger.authLevel === 'string' ? fn.trigger.authLevel.toLowerCase() : 'anonymous'
        ) as AuthLevel;
        return {
          fn,
          template: new RouteTemplate(route),
          methods: new Set(methods.map((m) => m.toUpperCase())),
          authLevel,
        };
      })
      .sort((a, b) => compareRoutes(a.template, b.template));
  }

  /** Handles the request if a route matches `routePath` (the path after the prefix); false if none does. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, routePath: string): Promise<boolean> {
    const method = (req.method ?? 'GET').toUpperCase();
    let methodMismatch = false;
    for (const route of this.routes) {
      const match = route.template.match(routePath);
      if (!match) continue;
      if (!route.methods.has(method)) {
        methodMismatch = true;
        continue;
      }
      if (!isAuthorized(this.deps.keys, route.authLevel, presentedKey(url.searchParams, req.headers))) {
        sendText(res, 401, '');
        return true;
      }
      await this.invoke(route, req, res, url, match.params);
      return true;
    }
    if (methodMismatch) {
      sendText(res, 405, '');
      return true;
    }
    return false;
  }

  private async invoke(
    route: HttpRoute,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    params: Record<string, string>,
  ): Promise<void> {
    const { library, invoker } = this.deps;
    const body = await readBody(req);
    const origin = requestOrigin(req, this.deps.fallbackOrigin);
    const request = new library.HttpRequest({
      method: req.method ?? 'GET',
      url: `${origin}${url.pathname}${url.search}`,
      headers: flatHeaders(req),
      params,
      body: body.length > 0 ? { bytes: body } : undefined,
    });
    let result: unknown;
    try {
      ({ result } = await invoker.invoke(route.fn, request, {
        triggerMetadata: { headers: flatHeaders(req), query: Object.fromEntries(url.searchParams), params },
        extraInputsByType: this.deps.extraInputsFor(origin),
        traceParent: typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined,
      }));
    } catch (error) {
      // Azure answers 500 with no details; the message is in the invocation log line.
      if (!res.headersSent) sendText(res, 500, '');
      this.deps.logger.error(`HTTP ${req.method ?? ''} ${url.pathname} failed: ${errorMessage(error)}`);
      return;
    }
    await writeResponse(res, toResponse(library, result), req.method === 'HEAD');
  }
}

/** Anything shaped like an `HttpResponse` (durable-functions may build one from its own copy of the library). */
function isResponseLike(value: unknown): value is HttpResponse {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<HttpResponse>;
  return (
    typeof v.status === 'number' && typeof v.arrayBuffer === 'function' && typeof v.headers?.entries === 'function'
  );
}

function toResponse(library: FunctionsLibrary, result: unknown): HttpResponse | undefined {
  if (result === undefined || result === null) return undefined;
  if (isResponseLike(result)) return result;
  if (typeof result !== 'object') {
    throw new TypeError(
      'The HTTP response must be an object with optional properties "body", "status", "headers", and "cookies".',
    );
  }
  return new library.HttpResponse(result);
}

async function writeResponse(res: ServerResponse, response: HttpResponse | undefined, isHead: boolean): Promise<void> {
  if (!response) {
    // No return value: the host answers 204 No Content.
    res.writeHead(204);
    res.end();
    return;
  }
  const headers: [string, string][] = [];
  for (const [name, value] of response.headers.entries()) {
    if (name.toLowerCase() !== 'set-cookie') headers.push([name, value]);
  }
  const setCookies = typeof response.headers.getSetCookie === 'function' ? response.headers.getSetCookie() : [];
  for (const cookie of response.cookies ?? []) setCookies.push(serializeCookie(cookie));
  res.statusCode = response.status;
  for (const [name, value] of headers) res.setHeader(name, value);
  if (setCookies.length > 0) res.setHeader('set-cookie', setCookies);
  const body = response.body;
  if (!body || isHead) {
    res.end();
    return;
  }
  const stream = Readable.fromWeb(body);
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    res.on('close', resolve);
    stream.pipe(res);
  });
}

function serializeCookie(cookie: Cookie): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  if (cookie.path) parts.push(`Path=${cookie.path}`);
  if (cookie.expires) parts.push(`Expires=${new Date(cookie.expires).toUTCString()}`);
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${cookie.maxAge}`);
  if (cookie.secure) parts.push('Secure');
  if (cookie.httpOnly) parts.push('HttpOnly');
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join('; ');
}
