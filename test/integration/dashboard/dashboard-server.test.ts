// The `mlops dashboard` server against a recording stand-in for the function app: what it relays, what it refuses,
// and that the key it holds never reaches the browser.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { type DashboardServer, startDashboardServer } from '../../../src/cli/dashboard/server';
import { createProgram } from '../../../src/cli/program';
import { freePorts } from '../../support/free-port';
import { waitFor } from '../../support/wait-for';

const KEY = 'k-dashboard-secret-0123';
const assetsDir = path.resolve(__dirname, '..', '..', '..', 'dist', 'web', 'dashboard');

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Answer = { status: number; type?: string; body?: string } | 'hang';

async function fakeFunctionApp(answer: (req: Seen) => Answer) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      const a = answer(s);
      if (a === 'hang') return;
      res.writeHead(a.status, a.type ? { 'content-type': a.type } : {});
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A raw request, so Host and Origin can be anything (fetch sets Host itself). */
function raw(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = 'application/json; charset=utf-8';
const problemJson = 'application/problem+json; charset=utf-8';

let upstream: Awaited<ReturnType<typeof fakeFunctionApp>>;
let dashboard: DashboardServer;
let own: Record<string, string>;

beforeAll(async () => {
  expect(fs.existsSync(path.join(assetsDir, 'index.html'))).toBe(true); // npm run build made the dashboard
  upstream = await fakeFunctionApp((req) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/api/ops/runs') {
      return { status: 200, type: json, body: JSON.stringify({ runs: [], echoedKey: req.headers['x-functions-key'] }) };
    }
    if (url.pathname === '/api/ops/models/bike-demand/retrain') {
      return {
        status: 202,
        type: json,
        body: JSON.stringify({
          runId: 't1',
          statusUrl: `http://127.0.0.1/runtime/webhooks/durabletask/instances/x?code=system-key-9&taskHub=h`,
        }),
      };
    }
    if (url.pathname === '/api/ops/runs/t1/approve') {
      return {
        status: 409,
        type: 'application/problem+json',
        body: JSON.stringify({
          type: 'urn:mlops:problem:conflict',
          title: 'Conflict',
          status: 409,
          detail: 'run t1 is not awaiting approval',
        }),
      };
    }
    if (url.pathname === '/api/ops/unauthorized') return { status: 401 };
    if (url.pathname === '/api/ops/gateway')
      return { status: 502, type: 'text/html', body: '<html>Bad gateway</html>' };
    if (url.pathname === '/api/ops/slow') return 'hang';
    return { status: 404, type: 'application/problem+json', body: '{"type":"urn:mlops:problem:not-found"}' };
  });
  dashboard = await startDashboardServer({
    target: { url: upstream.url, key: KEY },
    port: 0,
    assetsDir,
    timeoutInMs: 1000,
  });
  own = { host: `127.0.0.1:${dashboard.port}`, origin: `http://127.0.0.1:${dashboard.port}` };
});

afterAll(async () => {
  await dashboard?.close();
  await upstream?.close();
});

beforeEach(() => {
  upstream.seen.length = 0;
});

describe('mlops dashboard server', () => {
  it('when the page reads and operates the API, then the relay adds the key upstream and the browser never sees it', async () => {
    const list = await raw(dashboard.port, { path: '/api/ops/runs?status=running&code=from-browser', headers: own });
    expect(list.status).toBe(200);
    expect(upstream.seen[0]).toMatchObject({ method: 'GET', url: '/api/ops/runs?status=running' });
    expect(upstream.seen[0]?.headers['x-functions-key']).toBe(KEY);

    const retrain = await raw(dashboard.port, {
      method: 'POST',
      path: '/api/ops/models/bike-demand/retrain',
      headers: { ...own, 'content-type': 'application/json', 'x-functions-key': 'browser-key', cookie: 'a=b' },
      body: '{"reason":"from the page"}',
    });
    expect(retrain.status).toBe(202);
    expect(upstream.seen[1]).toMatchObject({ method: 'POST', body: '{"reason":"from the page"}' });
    expect(upstream.seen[1]?.headers['x-functions-key']).toBe(KEY);
    expect(upstream.seen[1]?.headers.cookie).toBeUndefined();
    expect(retrain.body).toContain('code=[redacted]');

    // Everything the browser can load: the page, its assets, the info document and relayed answers.
    const index = await raw(dashboard.port, { path: '/', headers: own });
    expect(index.status).toBe(200);
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    const assets = [...index.body.matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((m) => m[1] ?? '');
    expect(assets.length).toBeGreaterThan(0);
    const loaded = [index, list, retrain];
    for (const asset of assets) loaded.push(await raw(dashboard.port, { path: `/${asset}`, headers: own }));
    loaded.push(await raw(dashboard.port, { path: '/_dashboard/info', headers: own }));
    expect(JSON.parse(loaded[loaded.length - 1]?.body ?? '{}')).toEqual({ target: upstream.url, keyConfigured: true });
    for (const answer of loaded) {
      expect(answer.status).toBe(answer === retrain ? 202 : 200);
      expect(answer.body).not.toContain(KEY);
      expect(answer.body).not.toContain('system-key-9');
      expect(JSON.stringify(answer.headers)).not.toContain(KEY);
    }
  });

  it.each([
    [
      'a foreign Host (DNS rebinding)',
      'GET',
      { host: `attacker.example:0` },
      'urn:mlops:problem:dashboard-forbidden-host',
    ],
    [
      'a foreign Origin (CSRF)',
      'POST',
      { origin: 'http://attacker.example' },
      'urn:mlops:problem:dashboard-forbidden-origin',
    ],
    ['a POST without Origin', 'POST', { origin: '' }, 'urn:mlops:problem:dashboard-forbidden-origin'],
    ['a cross-site fetch', 'GET', { 'sec-fetch-site': 'cross-site' }, 'urn:mlops:problem:dashboard-forbidden-origin'],
  ])(
    'when a request comes with %s, then it is refused with 403 and nothing is relayed',
    async (_, method, extra, type) => {
      const headers: Record<string, string> = { ...own, ...extra };
      if (headers.host === 'attacker.example:0') headers.host = `attacker.example:${dashboard.port}`;
      if (headers.origin === '') delete headers.origin;
      for (const p of ['/api/ops/models/bike-demand/retrain', '/']) {
        const answer = await raw(dashboard.port, {
          method,
          path: p,
          headers,
          body: method === 'POST' ? '{}' : undefined,
        });
        expect(answer.status).toBe(403);
        expect(answer.headers['content-type']).toBe(problemJson);
        expect(JSON.parse(answer.body)).toMatchObject({ type, status: 403 });
      }
      expect(upstream.seen).toEqual([]);
    },
  );

  it('when localhost is the Host and Origin, then the request is served', async () => {
    const headers = { host: `localhost:${dashboard.port}`, origin: `http://localhost:${dashboard.port}` };
    expect((await raw(dashboard.port, { path: '/api/ops/runs', headers })).status).toBe(200);
  });

  it.each([
    '/api/retrain/bike-demand',
    '/api/batch/bike-demand/backfill',
    '/api/ops/../admin/host/status',
    '/api/ops/%2e%2e/admin/host/status',
    '/api/openapi.json',
    '/admin/host/status',
    '/runtime/webhooks/durabletask/instances',
  ])('when %s is asked for, then it is not relayed', async (p) => {
    const answer = await raw(dashboard.port, { path: p, headers: own });
    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toBe(problemJson);
    expect(upstream.seen).toEqual([]);
  });

  it('when a method other than GET or POST, or an oversized body, is sent, then it is refused before the relay', async () => {
    const put = await raw(dashboard.port, { method: 'PUT', path: '/api/ops/runs', headers: own, body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST');
    const big = await raw(dashboard.port, {
      method: 'POST',
      path: '/api/ops/models/bike-demand/retrain',
      headers: { ...own, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'x'.repeat(300 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ type: 'urn:mlops:problem:dashboard-body-too-large', status: 413 });
    expect(upstream.seen).toEqual([]);
  });

  it('when the function app answers an error, then the browser gets it as a problem body with the same status', async () => {
    const conflict = await raw(dashboard.port, {
      method: 'POST',
      path: '/api/ops/runs/t1/approve',
      headers: { ...own, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(conflict.status).toBe(409);
    expect(conflict.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(conflict.body)).toEqual({
      type: 'urn:mlops:problem:conflict',
      title: 'Conflict',
      status: 409,
      detail: 'run t1 is not awaiting approval',
    });

    const unauthorized = await raw(dashboard.port, { path: '/api/ops/unauthorized', headers: own });
    expect(unauthorized.status).toBe(401);
    expect(JSON.parse(unauthorized.body)).toMatchObject({
      type: 'urn:mlops:problem:dashboard-upstream-error',
      status: 401,
      detail: expect.stringMatching(/refused the dashboard's key/) as unknown,
    });

    const gateway = await raw(dashboard.port, { path: '/api/ops/gateway', headers: own });
    expect(gateway.status).toBe(502);
    expect(gateway.headers['content-type']).toBe(problemJson);
    expect(gateway.body).not.toContain('<html>');

    const slow = await raw(dashboard.port, { path: '/api/ops/slow', headers: own });
    expect(slow.status).toBe(504);
    expect(JSON.parse(slow.body)).toMatchObject({ type: 'urn:mlops:problem:dashboard-upstream-timeout' });
  });

  it('when the function app is not running, then the relay answers 502 with a problem naming the target', async () => {
    const [port] = await freePorts(1);
    const orphan = await startDashboardServer({
      target: { url: `http://127.0.0.1:${port}`, key: KEY },
      port: 0,
      assetsDir,
    });
    try {
      const answer = await raw(orphan.port, { path: '/api/ops/runs', headers: { host: `127.0.0.1:${orphan.port}` } });
      expect(answer.status).toBe(502);
      expect(JSON.parse(answer.body)).toMatchObject({
        type: 'urn:mlops:problem:dashboard-upstream-unreachable',
        detail: expect.stringContaining(`127.0.0.1:${port}`) as unknown,
      });
      expect(answer.body).not.toContain(KEY);
    } finally {
      await orphan.close();
    }
  });

  it('when `mlops dashboard --port 0 --no-open` runs, then it serves on 127.0.0.1, relays with --key, and stops on request', async () => {
    const out: string[] = [];
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const opened: string[] = [];
    const { run } = createProgram({
      out: (t) => out.push(t),
      err: (t) => out.push(t),
      env: { url: undefined, key: undefined },
      cwd: __dirname,
      dashboard: { untilStopped: () => stopped, open: (u) => opened.push(u), assetsDir },
    });
    const exit = run(['dashboard', '--port', '0', '--no-open', '--url', upstream.url, '--key', KEY]);
    const printed = await waitForLine(out, /^Dashboard: (http:\/\/127\.0\.0\.1:(\d+)\/)$/);
    const port = Number(printed[2]);
    const answer = await raw(port, { path: '/api/ops/runs', headers: { host: `127.0.0.1:${port}` } });
    expect(answer.status).toBe(200);
    expect(upstream.seen[0]?.headers['x-functions-key']).toBe(KEY);
    expect(out.join('\n')).not.toContain(KEY);
    expect(opened).toEqual([]);
    stop();
    expect(await exit).toBe(0);
    await expect(raw(port, { path: '/', headers: { host: `127.0.0.1:${port}` } })).rejects.toThrow(/ECONNREFUSED/);
  });
});

function waitForLine(lines: string[], pattern: RegExp): Promise<RegExpExecArray> {
  return waitFor(() => lines.map((l) => pattern.exec(l)).find(Boolean) ?? undefined, {
    timeoutMs: 10_000,
    description: `a line matching ${pattern}`,
  });
}
