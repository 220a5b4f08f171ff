import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { OpsTarget } from '../../config/cli';
import { loopbackGuard } from './guard';
import { type DashboardInfo, INFO_PATH } from './info';
import { DashboardProblems, sendProblem } from './problem';
import { RELAY_PREFIX, relay, sendNotRelayed } from './relay';
import { defaultAssetsDir, serveStatic } from './static-files';

export interface DashboardServerOptions {
  /** The function app the operations API is relayed to, and the key the server (only) presents. */
  readonly target: OpsTarget;
  /** 0: any free port. */
  readonly port: number;
  /** The built dashboard (default: dist/web/dashboard next to this module). */
  readonly assetsDir?: string;
  readonly timeoutInMs?: number;
  readonly fetch?: typeof fetch;
}

export interface DashboardServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Headers on every answer: the page runs only its own scripts, talks only to this server, and cannot be framed.
 * Chart.js sets inline styles on its canvases, hence style-src 'unsafe-inline'.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * The `mlops dashboard` server: bound to 127.0.0.1 only, it serves the built dashboard and relays /api/ops to the
 * target with the key added here, so the key never reaches the browser.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const assetsDir = options.assetsDir ?? defaultAssetsDir();
  const relayOptions = {
    target: options.target,
    timeoutInMs: options.timeoutInMs ?? 30_000,
    fetch: options.fetch ?? fetch,
  };
  let guard = loopbackGuard(options.port);
  const server = http.createServer((request, response) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    const refusal = guard.refusal(request);
    if (refusal) {
      sendProblem(
        response,
        403,
        refusal.kind === 'host' ? DashboardProblems.forbiddenHost : DashboardProblems.forbiddenOrigin,
        'Forbidden',
        refusal.detail,
      );
      return;
    }
    const pathname = (request.url ?? '/').split('?')[0] ?? '/';
    if (pathname === RELAY_PREFIX || pathname.startsWith(`${RELAY_PREFIX}/`)) {
      relay(request, response, relayOptions).catch((err: unknown) => {
        if (!response.headersSent) {
          sendProblem(response, 502, DashboardProblems.upstreamError, 'Relay failed', (err as Error).message);
        } else response.destroy();
      });
      return;
    }
    if (pathname === '/api' || pathname.startsWith('/api/')) {
      sendNotRelayed(response);
      return;
    }
    if (pathname === INFO_PATH) {
      const info: DashboardInfo = {
        target: displayUrl(options.target.url),
        keyConfigured: Boolean(options.target.key),
      };
      const body = JSON.stringify(info);
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(body);
      return;
    }
    serveStatic(request, response, assetsDir);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  guard = loopbackGuard(port);
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The target as the page may show it: origin and path, without a query (which could carry `code=`) or user info. */
function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return '(invalid URL)';
  }
}
