import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { createProgram } from '../../../src/cli/program';

/** A loopback stand-in for the operations API that records what the CLI sent. */
async function fakeApi(handler: (req: http.IncomingMessage, body: string) => { status: number; body?: unknown }) {
  const seen: { method: string; url: string; key: string | undefined; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', key: req.headers['x-functions-key'] as string, body });
      const answer = handler(req, body);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function cli(env: { url?: string; key?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const { run } = createProgram({
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: { url: env.url, key: env.key },
    cwd: __dirname,
    now: () => new Date('2026-11-22T12:00:00Z'),
  });
  return { run, out, err };
}

const run1 = {
  runId: 'r1',
  instanceId: 'retrain-bike-demand',
  model: 'bike-demand',
  kind: 'retrain',
  status: 'succeeded',
  createdAt: '2026-11-22T10:00:00Z',
  updatedAt: '2026-11-22T10:30:00Z',
  stages: [],
};

describe('mlops CLI', () => {
  it('when `runs` is given filters, then they become query parameters and a table is printed', async () => {
    const api = await fakeApi(() => ({ status: 200, body: { runs: [run1] } }));
    try {
      const c = cli({ url: api.url, key: 'k-123' });
      const code = await c.run(['runs', '--model', 'bike-demand', '--status', 'failed,succeeded', '--since', '24h']);
      expect(code).toBe(0);
      const url = new URL(api.seen[0]?.url ?? '', api.url);
      expect(url.pathname).toBe('/api/ops/runs');
      expect(Object.fromEntries(url.searchParams)).toEqual({
        model: 'bike-demand',
        status: 'failed,succeeded',
        from: '2026-11-21T12:00:00.000Z',
        pageSize: '20',
      });
      expect(api.seen[0]?.key).toBe('k-123');
      expect(c.out.join('\n')).toMatch(/RUN[\s\S]*r1\s+bike-demand/);
    } finally {
      await api.close();
    }
  });

  it('when --url and --key are given, then they win over the environment', async () => {
    const api = await fakeApi(() => ({ status: 200, body: run1 }));
    try {
      const c = cli({ url: 'http://127.0.0.1:1', key: 'env-key' });
      expect(await c.run(['--url', `${api.url}/api`, '--key', 'flag-key', 'run', 'r1'])).toBe(0);
      expect(api.seen[0]).toMatchObject({ url: '/api/ops/runs/r1', key: 'flag-key' });
    } finally {
      await api.close();
    }
  });

  it('when no key is given for a loopback URL, then the dev host default key is sent', async () => {
    const api = await fakeApi(() => ({
      status: 202,
      body: { outcome: 'started', runId: 'r2', instanceId: 'retrain-bike-demand', triggerId: 'r2', statusUrl: 'u' },
    }));
    try {
      const c = cli({ url: api.url });
      expect(await c.run(['retrain', 'bike-demand', '-p', 'alpha=0.5', '-p', 'warm=true', '-r', 'why'])).toBe(0);
      expect(api.seen[0]).toMatchObject({
        method: 'POST',
        url: '/api/ops/models/bike-demand/retrain',
        key: 'local-function-key',
      });
      expect(JSON.parse(api.seen[0]?.body ?? '{}')).toEqual({ parameters: { alpha: 0.5, warm: true }, reason: 'why' });
      expect(c.out.join('\n')).toContain('started r2');
    } finally {
      await api.close();
    }
  });

  it('when the API answers 401, 404 or 409, then a clear message and exit codes 4, 5, 6', async () => {
    const statuses = [401, 404, 409];
    let i = 0;
    const api = await fakeApi(() => {
      const status = statuses[i++] ?? 500;
      return {
        status,
        body: {
          type: 'urn:mlops:problem:x',
          title: 'X',
          status,
          detail: `answer ${status}`,
          ...(status === 409 ? { errors: [{ field: 'path.model', message: 'busy' }] } : {}),
        },
      };
    });
    try {
      const c = cli({ url: api.url, key: 'bad' });
      expect(await c.run(['approve', 'r1'])).toBe(4);
      expect(await c.run(['reject', 'r1'])).toBe(5);
      expect(await c.run(['rollback', 'bike-demand'])).toBe(6);
      expect(c.err.join('\n')).toMatch(
        /Unauthorized \(401\)[\s\S]*Not found: answer 404[\s\S]*Rejected \(409\): answer 409\n {2}- path.model: busy/,
      );
      expect(c.err.join('\n')).not.toContain('bad');
    } finally {
      await api.close();
    }
  });

  it('when the host is unreachable, then exit code 3 says so', async () => {
    const api = await fakeApi(() => ({ status: 200 }));
    await api.close(); // the port is now closed
    const c = cli({ url: api.url });
    expect(await c.run(['runs'])).toBe(3);
    expect(c.err.join('\n')).toContain(`Cannot reach ${api.url}/api`);
  });

  it('when the command line is wrong, then exit code 2 and help', async () => {
    const c = cli();
    expect(await c.run(['runs', '--limit', 'many'])).toBe(2);
    expect(await c.run(['frobnicate'])).toBe(2);
    expect(await c.run(['--help'])).toBe(0);
  });

  it('when `logs` names a deployment and a container, then they become query parameters and each container is printed', async () => {
    const api = await fakeApi(() => ({
      status: 200,
      body: {
        model: 'bike-demand',
        endpoint: 'bike-demand',
        deployment: 'bike-demand-v2',
        source: 'failureReport',
        runId: 'r9',
        logs: { report: '== StorageInitializer ==\nModel download failed: no MLmodel file' },
      },
    }));
    try {
      const c = cli({ url: api.url, key: 'k' });
      expect(await c.run(['logs', 'bike-demand', '-d', 'bike-demand-v2', '-c', 'StorageInitializer', '-t', '50'])).toBe(
        0,
      );
      const url = new URL(api.seen[0]?.url ?? '', api.url);
      expect(url.pathname).toBe('/api/ops/models/bike-demand/logs');
      expect(Object.fromEntries(url.searchParams)).toEqual({
        deployment: 'bike-demand-v2',
        container: 'StorageInitializer',
        tail: '50',
      });
      expect(c.out.join('\n')).toContain('deleted; logs kept by run r9');
      expect(c.out.join('\n')).toContain('no MLmodel file');
    } finally {
      await api.close();
    }
  });

  it('when `score` gets a body, then it is posted with the pinned deployment and the answer is printed', async () => {
    const api = await fakeApi(() => ({
      status: 200,
      body: {
        model: 'bike-demand',
        endpoint: 'bike-demand',
        scoringUri: 'https://e/score',
        deployment: 'bike-demand-v1',
        status: 200,
        latencyMs: 12,
        body: [101.5],
      },
    }));
    try {
      const c = cli({ url: api.url, key: 'k' });
      const body = { input_data: { columns: ['hour'], data: [[8]] } };
      expect(await c.run(['score', 'bike-demand', '--data', JSON.stringify(body), '-d', 'bike-demand-v1'])).toBe(0);
      expect(api.seen[0]).toMatchObject({ method: 'POST', url: '/api/ops/models/bike-demand/score' });
      expect(JSON.parse(api.seen[0]?.body ?? '{}')).toEqual({ body, deployment: 'bike-demand-v1' });
      expect(c.out.join('\n')).toContain('HTTP 200 from bike-demand-v1 in 12 ms');
      expect(await c.run(['score', 'bike-demand', '--data', '{not json'])).toBe(2);
    } finally {
      await api.close();
    }
  });
});
