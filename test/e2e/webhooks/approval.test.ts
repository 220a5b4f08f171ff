// End to end: the approval gate operated through the mlops CLI against the dev host (Azurite + Azure ML emulator),
// then the released run followed with `run --watch` and read back through `models` and `endpoints`.
// The catalog is the demo catalog with `deployment.approval.required` switched on.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { DevHost } from '../../../dev/host/dev-host';
import { createProgram } from '../../../src/cli/program';
import type { EndpointDetail, ModelDetail, RunDetail } from '../../../src/functions/ops/contract';
import { type InProcessPlatform, startInProcessPlatform } from '../../support/in-process-platform';
import { waitFor } from '../../support/wait-for';

jest.setTimeout(300_000);

const root = path.resolve(__dirname, '..', '..', '..');

let platform: InProcessPlatform;
let host: DevHost;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'approval-e2e-'));
  const catalog = JSON.parse(fs.readFileSync(path.join(root, 'catalog.json'), 'utf8')) as {
    models: { deployment: Record<string, unknown> }[];
  };
  for (const m of catalog.models) {
    m.deployment.approval = { required: true, timeoutMinutes: 60 };
    // The release must not fail its latency check because the machine is busy: this test is about the approval.
    m.deployment.latency = { requests: 5, p95BudgetMs: 60_000, maxRatioToLive: 1000 };
  }
  const catalogPath = path.join(dir, 'catalog.json');
  fs.writeFileSync(catalogPath, JSON.stringify(catalog));

  platform = await startInProcessPlatform({
    name: 'approval-e2e',
    appSettings: { MLOPS_CATALOG_PATH: catalogPath, MLOPS_STATE_CONTAINER: `state-${randomUUID().slice(0, 8)}` },
  });
  host = platform.host;
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function mlops() {
  const out: string[] = [];
  const err: string[] = [];
  const { run } = createProgram({
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: { url: host.url, key: host.keys.function },
    cwd: dir,
  });
  return { run, out, err };
}

async function runDetail(runId: string): Promise<RunDetail> {
  const cli = mlops();
  expect(await cli.run(['--json', 'run', runId])).toBe(0);
  return JSON.parse(cli.out.join('\n')) as RunDetail;
}

async function retrainToApproval(): Promise<string> {
  const cli = mlops();
  expect(await cli.run(['--json', 'retrain', 'bike-demand', '--request-id', `e2e-${randomUUID()}`])).toBe(0);
  const { runId } = JSON.parse(cli.out.join('\n')) as { runId: string };
  const reached = await waitFor(
    async () => {
      const run = await runDetail(runId).catch(() => undefined);
      return run && run.status !== 'running' ? run : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 250, description: `run ${runId} to reach its approval gate` },
  );
  // Fails fast (with the run's error) when the run ended before the gate.
  expect({ status: reached.status, error: reached.error }).toEqual({ status: 'awaitingApproval', error: undefined });
  return runId;
}

describe('approval gate through the mlops CLI', () => {
  it('when a run awaiting approval is approved, then the approval stage succeeds and the run moves on', async () => {
    const runId = await retrainToApproval();
    const cli = mlops();
    expect(await cli.run(['approve', runId, '--comment', 'metrics reviewed', '--by', 'e2e'])).toBe(0);
    expect(cli.out.join('\n')).toContain(`approved ${runId}`);
    // `run --watch` follows the run to its end (its own polling interval; the command returns when the run ends).
    const watcher = mlops();
    const watched = await watcher.run(['run', runId, '--watch', '--interval', '250']);
    expect({ watched, err: watcher.err }).toEqual({ watched: 0, err: [] });
    expect(watcher.out.length).toBeGreaterThan(0);
    expect(watcher.out[watcher.out.length - 1]).toMatch(
      new RegExp(`Run ${runId}\\s+bike-demand\\s+retrain\\s+succeeded`),
    );
    const run = await runDetail(runId);
    expect(run.stages.find((s) => s.name === 'approval')?.status).toBe('succeeded');
    // The run view carries the gate against the champion, the lineage and the release.
    expect(run.gate).toMatchObject({ decision: 'accepted', championVersion: '1' });
    expect(run.gate?.checks.find((c) => c.metric === 'rmse')).toMatchObject({ passed: true });
    expect(typeof run.gate?.checks.find((c) => c.metric === 'rmse')?.champion).toBe('number');
    expect(run.lineage).toMatchObject({ triggerId: runId, registeredModel: { name: 'bike-demand' } });
    expect(run.approval).toMatchObject({ status: 'approved', by: 'e2e', comment: 'metrics reviewed' });
    expect(run.deployment).toMatchObject({ endpoint: 'bike-demand', name: expect.any(String) as unknown });
    // The released version is the model's live version, with the run's lineage on it; the endpoint serves it.
    const models = mlops();
    expect(await models.run(['--json', 'models', 'bike-demand'])).toBe(0);
    const model = JSON.parse(models.out.join('\n')) as ModelDetail;
    expect(model.liveVersion).toBe(run.modelVersion);
    expect(model.versions.find((v) => v.version === run.modelVersion)).toMatchObject({
      live: true,
      gate: { decision: 'accepted' },
      lineage: { runId },
      managed: true,
    });
    const endpoints = mlops();
    expect(await endpoints.run(['--json', 'endpoints', 'bike-demand'])).toBe(0);
    const endpoint = JSON.parse(endpoints.out.join('\n')) as EndpointDetail;
    expect(endpoint.deployments.find((d) => d.trafficPercent === 100)).toMatchObject({
      deployment: run.deployment?.name,
      modelVersion: run.modelVersion,
    });

    const late = mlops();
    expect(await late.run(['approve', runId])).toBe(6);
    expect(late.err.join('\n')).toMatch(/Rejected \(409\)/);
  });

  it('when a run awaiting approval is rejected, then it ends rejected', async () => {
    await waitFor(
      async () => {
        const cli = mlops();
        await cli.run(['--json', 'runs', '--status', 'running,awaitingApproval']);
        return (JSON.parse(cli.out.join('\n')) as { runs: unknown[] }).runs.length === 0;
      },
      { timeoutMs: 180_000, intervalMs: 500, description: 'the previous run to finish' },
    );
    const runId = await retrainToApproval();
    expect(await mlops().run(['reject', runId, '--comment', 'not now'])).toBe(0);
    await waitFor(async () => (await runDetail(runId)).status === 'rejected', {
      timeoutMs: 120_000,
      intervalMs: 250,
      description: 'the run to be rejected',
    });
  });
});
