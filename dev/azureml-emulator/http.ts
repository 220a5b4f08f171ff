/**
 * Minimal request/response types and a segment router for the emulator's HTTPS server.
 *
 * @remarks ARM matches its fixed path segments (`resourceGroups`, `providers`, collection names) case-insensitively,
 * so literal segments compare lower-cased; parameters keep the caller's casing (job and model names are
 * case-sensitive).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { badRequest, notSupported } from './errors';

export interface EmulatorRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: Buffer;
  readonly params: Readonly<Record<string, string>>;
}

export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless `text` is set. */
  body?: unknown;
  text?: string;
}

export type RouteHandler = (request: EmulatorRequest) => Promise<EmulatorResponse> | EmulatorResponse;

/** Who may call a route: ARM-style bearer (any token), none (control API), or the handler checks itself. */
export type RouteAuth = 'bearer' | 'none' | 'custom';

interface Route {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: RouteHandler;
  readonly auth: RouteAuth;
}

export interface RouteMatch {
  readonly handler: RouteHandler;
  readonly params: Record<string, string>;
  readonly auth: RouteAuth;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: RouteHandler, auth: RouteAuth = 'bearer'): void {
    this.routes.push({ method: method.toUpperCase(), segments: split(pattern), handler, auth });
  }

  /** Returns the matching route, or throws a NotSupportedByEmulator error naming what is missing. */
  match(method: string, pathname: string): RouteMatch {
    const segments = split(pathname).map(decodeSegment);
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      pathMatched = true;
      if (route.method === method.toUpperCase()) return { handler: route.handler, params, auth: route.auth };
    }
    if (pathMatched) throw notSupported(`${method.toUpperCase()} on ${pathname}`);
    throw notSupported(`The route ${method.toUpperCase()} ${pathname}`, 404);
  }
}

function split(pattern: string): string[] {
  return pattern.split('/').filter((segment) => segment.length > 0);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function matchSegments(pattern: readonly string[], actual: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i += 1) {
    const expected = pattern[i] ?? '';
    const value = actual[i] ?? '';
    if (expected.startsWith('{') && expected.endsWith('}')) {
      params[expected.slice(1, -1)] = value;
    } else if (expected.toLowerCase() !== value.toLowerCase()) {
      return undefined;
    }
  }
  return params;
}

export function param(request: EmulatorRequest, name: string): string {
  const value = request.params[name];
  if (value === undefined) throw new TypeError(`Route has no parameter '${name}'.`);
  return value;
}

/** Parses the JSON body; an empty body is `{}` so optional bodies (cancel, listKeys) work. */
export function jsonBody(request: EmulatorRequest): Record<string, unknown> {
  if (request.rawBody.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw badRequest('The request body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw badRequest('The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** Case-insensitive query lookup (ARM clients send `$orderBy`, older ones `$orderby`). */
export function query(request: EmulatorRequest, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of request.url.searchParams) {
    if (key.toLowerCase() === lower) return value;
  }
  return undefined;
}

export function header(request: EmulatorRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): EmulatorResponse {
  return { status, body, headers };
}
