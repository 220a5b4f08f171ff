import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { DashboardProblems, sendProblem } from './problem';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/** The built dashboard (npm run build writes it to dist/web/dashboard). */
export function defaultAssetsDir(): string {
  // Compiled to dist/src/cli/dashboard/static-files.js.
  return path.resolve(__dirname, '..', '..', '..', 'web', 'dashboard');
}

/**
 * Serves the dashboard's files: `/` is index.html, hashed assets are cached for good, nothing outside the assets
 * folder is ever read.
 */
export function serveStatic(request: IncomingMessage, response: ServerResponse, assetsDir: string): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    sendProblem(response, 405, DashboardProblems.methodNotAllowed, 'Method not allowed', 'pages are read with GET', {
      allow: 'GET, HEAD',
    });
    return;
  }
  const pathname = decodeURIComponentSafe(new URL(request.url ?? '/', 'http://localhost').pathname);
  const relative = pathname === '/' ? 'index.html' : (pathname ?? '').replace(/^\/+/, '');
  const root = path.resolve(assetsDir);
  const file = pathname === undefined || pathname.includes('\0') ? undefined : path.resolve(root, relative);
  if (!file || (file !== root && !file.startsWith(`${root}${path.sep}`)) || !isFile(file)) {
    if (!isFile(path.join(root, 'index.html'))) {
      sendProblem(
        response,
        500,
        DashboardProblems.notBuilt,
        'Dashboard not built',
        `no dashboard in ${root}: run npm run build`,
      );
      return;
    }
    sendProblem(response, 404, DashboardProblems.notFound, 'Not found', `no page ${pathname ?? ''}`);
    return;
  }
  const content = fs.readFileSync(file);
  const ext = path.extname(file);
  response.writeHead(200, {
    'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
    'content-length': content.length,
    'cache-control': relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  response.end(request.method === 'HEAD' ? undefined : content);
}

function decodeURIComponentSafe(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
