import type { IncomingMessage, ServerResponse } from 'node:http';

import type { OpsTarget } from '../../config/cli';
import { DashboardProblems, sendProblem } from './problem';

/** Request bodies of the operations API are small JSON documents (the API itself takes at most 64 KiB). */
export const MAX_RELAY_BODY_BYTES = 256 * 1024;

/** The only path the dashboard relays: the operations API, and nothing above or beside it. */
export const RELAY_PREFIX = '/api/ops';

/** Path characters an operations route can hold; encoded slashes, backslashes and dot segments never pass. */
const SAFE_PATH = /^\/api\/ops(?:\/[A-Za-z0-9\-._~!$&'()*+,;=:@%]*)*$/;

/** Where `/api/ops/<rest>` goes: the target's `/api` base (with or without /api given), as the CLI client does. */
export function upstreamApiBase(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/api$/.test(trimmed) ? trimmed : `${trimmed}/api`;
}

/**
 * The upstream URL of a relayed request, or undefined when the path is not an operations route. The query string is
 * kept except `code` (a key only the server holds).
 */
export function relayUrl(rawPath: string, target: OpsTarget): URL | undefined {
  const q = rawPath.indexOf('?');
  const pathname = q < 0 ? rawPath : rawPath.slice(0, q);
  const search = q < 0 ? '' : rawPath.slice(q + 1);
  if (!SAFE_PATH.test(pathname)) return undefined;
  if (/%(2f|5c|2e)/i.test(pathname)) return undefined;
  if (pathname.split('/').some((segment) => segment === '.' || segment === '..')) return undefined;
  const base = new URL(upstreamApiBase(target.url));
  const upstream = new URL(`${base.origin}${base.pathname}${pathname.slice('/api'.length)}`);
  const params = new URLSearchParams(search);
  params.delete('code');
  upstream.search = params.toString();
  const opsRoot = `${base.pathname}/ops`;
  if (upstream.pathname !== opsRoot && !upstream.pathname.startsWith(`${opsRoot}/`)) return undefined;
  return upstream;
}

/** Anything that looks like a key in a relayed body: the target's key itself and `code=` query parameters of URLs. */
export function scrubSecrets(text: string, key: string | undefined): string {
  const withoutKey = key ? text.split(key).join('[redacted]') : text;
  return withoutKey.replace(/([?&]code=)[^&"'\s]+/g, '$1[redacted]');
}

/** 404 for anything under /api that is not an operations route. */
export function sendNotRelayed(response: ServerResponse): void {
  sendProblem(
    response,
    404,
    DashboardProblems.notRelayed,
    'Not relayed',
    `only operations routes under ${RELAY_PREFIX}/ are relayed`,
  );
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'tooLarge'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return 'tooLarge';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function isProblemLike(contentType: string, text: string): boolean {
  if (/application\/problem\+json/i.test(contentType)) return true;
  if (!/json/i.test(contentType)) return false;
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

export interface RelayOptions {
  readonly target: OpsTarget;
  readonly timeoutInMs: number;
  readonly fetch: typeof fetch;
}

/**
 * Relays one request under /api/ops to the target with the key added server-side. The browser's own headers are not
 * forwarded (no cookies, no key it might send); the answer keeps its status and JSON body, scrubbed of keys. An
 * upstream error without a JSON body (a host's bare 401, a gateway's HTML page) becomes a problem body with the
 * same status; an unreachable or silent target is a 502/504 problem.
 */
export async function relay(request: IncomingMessage, response: ServerResponse, options: RelayOptions): Promise<void> {
  const method = request.method ?? 'GET';
  if (method !== 'GET' && method !== 'POST') {
    sendProblem(
      response,
      405,
      DashboardProblems.methodNotAllowed,
      'Method not allowed',
      `${method} is not relayed: the operations API is read with GET and operated with POST`,
      { allow: 'GET, POST' },
    );
    return;
  }
  const upstream = relayUrl(request.url ?? '/', options.target);
  if (!upstream) {
    sendNotRelayed(response);
    return;
  }
  let body: Buffer | undefined;
  if (method === 'POST') {
    const read = await readBody(request, MAX_RELAY_BODY_BYTES);
    if (read === 'tooLarge') {
      sendProblem(
        response,
        413,
        DashboardProblems.bodyTooLarge,
        'Body too large',
        `request bodies are limited to ${MAX_RELAY_BODY_BYTES} bytes`,
      );
      return;
    }
    body = read;
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.target.key) headers['x-functions-key'] = options.target.key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let answer: Response;
  try {
    answer = await options.fetch(upstream, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutInMs),
    });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    sendProblem(
      response,
      timedOut ? 504 : 502,
      timedOut ? DashboardProblems.upstreamTimeout : DashboardProblems.upstreamUnreachable,
      timedOut ? 'Function app did not answer' : 'Function app unreachable',
      timedOut
        ? `${upstream.origin} did not answer within ${options.timeoutInMs} ms`
        : `cannot reach ${upstream.origin} (${cause}): is the host running (npm start), or --url right?`,
    );
    return;
  }
  const contentType = answer.headers.get('content-type') ?? '';
  const text = scrubSecrets(await answer.text(), options.target.key);
  if (!answer.ok && !isProblemLike(contentType, text)) {
    const why =
      answer.status === 401 || answer.status === 403
        ? `the function app refused the dashboard's key (${options.target.key ? 'rejected' : 'none given'}); start the dashboard with --key`
        : `the function app answered ${answer.status} ${answer.statusText}`.trim();
    sendProblem(response, answer.status, DashboardProblems.upstreamError, 'Function app error', why);
    return;
  }
  response.writeHead(answer.status, {
    'content-type': contentType || 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}
