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

function cli(env: { url?: string; key?: string } = {}, extra: { isTTY?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const sleeps: number[] = [];
  const { run } = createProgram({
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: { url: env.url, key: env.key },
    cwd: __dirname,
    now: () => new Date('2026-11-22T12:00:00Z'),
    // --watch waits here between polls: recorded, never slept (the fake API moves the run on at each request).
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...extra,
  });
  return { run, out, err, sleeps };
}

function batchRun(status: string, done: number, overrides: Record<string, unknown> = {}) {
  return {
    runId: 'batch-bike-demand-2026-10-01',
    model: 'bike-demand',
    date: '2026-10-01',
    status,
    phase: status === 'running' ? 'scoring' : 'published',
    createdAt: '2026-11-22T10:00:00Z',
    updatedAt: '2026-11-22T10:01:00Z',
    progress: {
      miniBatches: { total: 4, done, failed: 0 },
      rows: { scored: done * 1000 },
      rowsPerSecond: 500,
      percent: (done / 4) * 100,
    },
    failures: [],
    ...overrides,
  };
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

  it('when `promote` names a stage and a version, then it posts them and prints the promotion run', async () => {
    const api = await fakeApi(() => ({
      status: 202,
      body: { runId: 'promote-bike-demand-prod-1', operation: 'promote', statusUrl: 'http://h/api/ops/runs/p1' },
    }));
    try {
      const c = cli({ url: api.url, key: 'k' });
      expect(await c.run(['promote', 'bike-demand', '--to', 'prod', '--version', '3'])).toBe(0);
      expect(api.seen[0]).toMatchObject({ method: 'POST', url: '/api/ops/models/bike-demand/promote' });
      expect(JSON.parse(api.seen[0]?.body ?? '{}')).toEqual({ to: 'prod', version: '3' });
      expect(c.out.join('\n')).toContain('promotion of bike-demand to prod: promote-bike-demand-prod-1');
      expect(await c.run(['rollback', 'bike-demand', '--stage', 'prod'])).toBe(0);
      expect(JSON.parse(api.seen[1]?.body ?? '{}')).toEqual({ stage: 'prod' });
      expect(await c.run(['promote', 'bike-demand'])).not.toBe(0);
      expect(api.seen).toHaveLength(2);
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

  it('when `models` and `endpoints` run, then the list and the detail routes are read and printed as tables', async () => {
    const api = await fakeApi((req) => {
      const url = req.url ?? '';
      if (url === '/api/ops/models') {
        return {
          status: 200,
          body: {
            models: [
              {
                model: 'bike-demand',
                registeredName: 'bike-demand',
                endpoint: 'bike-demand',
                liveVersion: '3',
                liveDeployment: 'bike-demand-v3',
                latestVersion: '4',
                versions: 4,
                approvalRequired: false,
                batch: true,
                lastRun: { runId: 'r4', kind: 'retrain', status: 'rejected', createdAt: '2026-11-22T09:00:00Z' },
              },
            ],
          },
        };
      }
      if (url === '/api/ops/models/bike-demand') {
        return {
          status: 200,
          body: {
            model: 'bike-demand',
            registeredName: 'bike-demand',
            endpoint: 'bike-demand',
            liveVersion: '3',
            approvalRequired: false,
            batch: true,
            versions: [
              {
                version: '3',
                live: true,
                deployments: [{ deployment: 'bike-demand-v3', trafficPercent: 100 }],
                gate: { decision: 'accepted' },
                metrics: { rmse: 41.25 },
                lineage: { runId: 'r3', git: { repository: 'contoso/bike-demand', sha: '0d1a26e67d8f' } },
                managed: true,
              },
            ],
            runs: [],
          },
        };
      }
      if (url === '/api/ops/endpoints/bike-demand') {
        return {
          status: 200,
          body: {
            endpoint: 'bike-demand',
            models: ['bike-demand'],
            exists: true,
            provisioningState: 'Succeeded',
            traffic: { 'bike-demand-v3': 90, 'bike-demand-v4': 10 },
            deployments: [
              {
                deployment: 'bike-demand-v3',
                model: 'bike-demand',
                modelVersion: '3',
                provisioningState: 'Succeeded',
                trafficPercent: 90,
                managed: true,
              },
            ],
          },
        };
      }
      return { status: 404, body: { type: 'urn:mlops:problem:x', title: 'x', status: 404, detail: 'no' } };
    });
    try {
      const c = cli({ url: api.url, key: 'k' });
      expect(await c.run(['models'])).toBe(0);
      expect(c.out.join('\n')).toMatch(
        /MODEL\s+ENDPOINT\s+LIVE[\s\S]*bike-demand\s+bike-demand\s+v3 \(bike-demand-v3\)\s+-\s+v4\s+4\s+r4/,
      );
      expect(await c.run(['models', 'bike-demand'])).toBe(0);
      expect(c.out.join('\n')).toMatch(
        /3\s+-\s+\*\s+bike-demand-v3=100%\s+accepted\s+rmse=41.25\s+r3\s+contoso\/bike-demand@0d1a26e/,
      );
      expect(await c.run(['endpoints', 'bike-demand'])).toBe(0);
      expect(c.out.join('\n')).toMatch(/bike-demand-v3\s+bike-demand:3\s+Succeeded\s+90%/);
      expect(await c.run(['endpoints', 'nope'])).toBe(5);
      expect(api.seen.map((r) => r.url)).toEqual([
        '/api/ops/models',
        '/api/ops/models/bike-demand',
        '/api/ops/endpoints/bike-demand',
        '/api/ops/endpoints/nope',
      ]);
    } finally {
      await api.close();
    }
  });

  it('when `batch list` and `batch backfill` run, then filters become query parameters and the body is posted', async () => {
    const api = await fakeApi((req) =>
      req.method === 'GET'
        ? { status: 200, body: { runs: [batchRun('running', 2)] } }
        : {
            status: 202,
            body: {
              model: 'bike-demand',
              replace: false,
              runs: [
                {
                  date: '2026-10-01',
                  runId: 'batch-bike-demand-2026-10-01',
                  action: 'started',
                  statusUrl: 'http://h/api/ops/batch/runs/batch-bike-demand-2026-10-01',
                },
              ],
            },
          },
    );
    try {
      const c = cli({ url: api.url, key: 'k' });
      expect(await c.run(['batch', 'list', '-m', 'bike-demand', '-s', 'running,failed', '-n', '5'])).toBe(0);
      const url = new URL(api.seen[0]?.url ?? '', api.url);
      expect(url.pathname).toBe('/api/ops/batch/runs');
      expect(Object.fromEntries(url.searchParams)).toEqual({
        model: 'bike-demand',
        status: 'running,failed',
        pageSize: '5',
      });
      expect(c.out.join('\n')).toMatch(
        /batch-bike-demand-2026-10-01\s+bike-demand\s+2026-10-01\s+running \(scoring\)\s+50% 2\/4/,
      );

      expect(
        await c.run(['batch', 'backfill', 'bike-demand', '--from', '2026-10-01', '--to', '2026-10-03', '--no-replace']),
      ).toBe(0);
      expect(api.seen[1]).toMatchObject({ method: 'POST', url: '/api/ops/models/bike-demand/backfill' });
      expect(JSON.parse(api.seen[1]?.body ?? '{}')).toEqual({ from: '2026-10-01', to: '2026-10-03', replace: false });
      expect(c.out.join('\n')).toContain('2026-10-01  started');
      expect(await c.run(['batch', 'backfill', 'bike-demand'])).toBe(2);
      expect(await c.run(['batch', 'backfill', 'bike-demand', '--date', '1 Oct'])).toBe(2);
      expect(api.seen).toHaveLength(2);
    } finally {
      await api.close();
    }
  });

  it('when `run --watch` follows a batch run, then the progress bar is redrawn until it publishes', async () => {
    const states = [batchRun('running', 0), batchRun('running', 2), batchRun('running', 2), batchRun('published', 4)];
    let i = 0;
    const api = await fakeApi(() => ({ status: 200, body: states[Math.min(i++, states.length - 1)] }));
    try {
      const c = cli({ url: api.url, key: 'k' }, { isTTY: true });
      expect(await c.run(['run', 'batch-bike-demand-2026-10-01', '--watch', '--interval', '250'])).toBe(0);
      expect(api.seen.map((r) => r.url)).toEqual(Array(4).fill('/api/ops/batch/runs/batch-bike-demand-2026-10-01'));
      expect(c.sleeps).toEqual([250, 250, 250]);
      // Three distinct frames (the third poll changed nothing), each redrawn from the top of the screen.
      expect(c.out).toHaveLength(3);
      expect(c.out.every((f) => f.startsWith('\u001b[H\u001b[J'))).toBe(true);
      expect(c.out[0]).toContain('[------------------------------]   0.0%  0/4 mini-batches');
      expect(c.out[1]).toContain('[###############---------------]  50.0%  2/4 mini-batches · 2,000 rows · 500 rows/s');
      expect(c.out[2]).toContain('published');
      expect(c.out[2]).toContain('100.0%');
    } finally {
      await api.close();
    }
  });

  it('when `run --watch` follows a run that fails, then each change is printed (no terminal), and exit code 7', async () => {
    const states = [
      {
        ...run1,
        status: 'running',
        stages: [{ name: 'training', status: 'running', startedAt: '2026-11-22T11:59:00Z' }],
      },
      {
        ...run1,
        status: 'failed',
        stages: [
          { name: 'training', status: 'failed', startedAt: '2026-11-22T11:59:00Z', endedAt: '2026-11-22T12:00:00Z' },
        ],
        failure: { stage: 'training', errorType: 'TrainingFailed', message: 'job failed' },
      },
    ];
    let i = 0;
    const api = await fakeApi(() => ({ status: 200, body: states[Math.min(i++, states.length - 1)] }));
    try {
      const c = cli({ url: api.url, key: 'k' });
      expect(await c.run(['run', 'r1', '--watch'])).toBe(7);
      expect(c.sleeps).toEqual([2000]);
      expect(c.out).toHaveLength(2);
      expect(c.out[0]).toMatch(/… training\s+1m 00s/);
      expect(c.out[1]).toContain('Failed at training: TrainingFailed: job failed');
      expect(c.out.join('')).not.toContain('\u001b[');
      expect(c.err.join('\n')).toContain('run r1 ended failed');

      // --json: one JSON document per line and per change.
      i = 0;
      const j = cli({ url: api.url, key: 'k' });
      expect(await j.run(['--json', 'run', 'r1', '--watch'])).toBe(7);
      expect(j.out.map((l) => (JSON.parse(l) as { status: string }).status)).toEqual(['running', 'failed']);
    } finally {
      await api.close();
    }
  });
});
