// End to end: CI webhooks and the operations API of the compiled app in the dev host, over Azurite (trigger ledger,
// dedupe markers, run records) and the Azure ML emulator. Only public interfaces: signed HTTP requests, the ops API
// with a function key, the mlops CLI.
import { randomUUID } from 'node:crypto';
import path from 'node:path';

import type { DevHost } from '../../../dev/host/dev-host';
import { createProgram } from '../../../src/cli/program';
import type { RunDetail } from '../../../src/functions/ops/contract';
import { basicAuthHeader, signatureHeader, signGeneric } from '../../../src/security';
import { type InProcessPlatform, startInProcessPlatform } from '../../support/in-process-platform';
import { waitFor } from '../../support/wait-for';
import { azureDevOpsPush, gitHubPush, HEAD_SHA } from '../../unit/webhooks/fixtures/payloads';

jest.setTimeout(180_000);

const root = path.resolve(__dirname, '..', '..', '..');
const SECRETS = {
  github: `gh-${randomUUID()}`,
  generic: `gen-${randomUUID()}`,
  azdoUser: 'azdo-e2e',
  azdoPassword: `pw-${randomUUID()}`,
};

let platform: InProcessPlatform;
let host: DevHost;
const logs: string[] = [];

beforeAll(async () => {
  platform = await startInProcessPlatform({
    name: 'webhooks-e2e',
    log: (line) => logs.push(line),
    appSettings: {
      MLOPS_STATE_CONTAINER: `state-${randomUUID().slice(0, 8)}`,
      GITHUB_WEBHOOK_SECRET: SECRETS.github,
      GENERIC_WEBHOOK_SECRET: SECRETS.generic,
      AZURE_DEVOPS_WEBHOOK_USERNAME: SECRETS.azdoUser,
      AZURE_DEVOPS_WEBHOOK_PASSWORD: SECRETS.azdoPassword,
    },
  });
  host = platform.host;
});

afterAll(async () => {
  await platform?.stop();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** The run the 20 concurrent copies of one delivery were folded into. */
let burstRunId = '';

/** Every run id a webhook answer named: runs appearing later without being named here were started by nothing. */
const namedRunIds = new Set<string>();

async function post(route: string, body: string, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(`${host.url}/api/${route}`, { method: 'POST', headers, body });
  const text = await res.text();
  const answer = { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  for (const id of (answer.body.runIds as string[] | undefined) ?? []) namedRunIds.add(id);
  return answer;
}

/** Runs that appeared since `before` and that no accepted trigger named (a queued follow-up may start meanwhile). */
async function unexplainedNewRuns(before: readonly string[]): Promise<string[]> {
  return (await runIds()).filter((id) => !before.includes(id) && !namedRunIds.has(id));
}

function gitHubHeaders(body: string, delivery: string, secret = SECRETS.github): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': delivery,
    'x-hub-signature-256': signatureHeader(secret, body),
  };
}

async function ops<T>(pathAndQuery: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${host.url}/api/${pathAndQuery}`, { headers: { 'x-functions-key': host.keys.function } });
  return { status: res.status, body: (await res.json()) as T };
}

async function runIds(): Promise<string[]> {
  const page = await ops<{ runs: { runId: string }[] }>('ops/runs?model=bike-demand&pageSize=200');
  return page.body.runs.map((r) => r.runId);
}

describe('CI webhooks through the dev host', () => {
  let firstRunId: string;

  it('when GitHub pushes a change under the model path, then a run starts whose status URL shows the commit', async () => {
    const body = JSON.stringify(gitHubPush({ commits: [{ modified: ['models/bike-demand/train.py'] }] }));
    const answer = await post('webhooks/github', body, gitHubHeaders(body, randomUUID()));

    expect(answer.status).toBe(202);
    const run = (answer.body.runs as { runId: string; statusUrl: string; outcome: string }[])[0];
    expect(run?.outcome).toBe('started');
    firstRunId = run?.runId ?? '';
    expect(run?.statusUrl).toBe(`${host.url}/api/ops/runs/${firstRunId}`);

    const status = await ops<{ runId: string; model: string; trigger: { git?: { sha?: string; repository: string } } }>(
      `ops/runs/${firstRunId}`,
    );
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      runId: firstRunId,
      model: 'bike-demand',
      trigger: { git: { sha: HEAD_SHA, repository: 'contoso/bike-demand' } },
    });
  });

  it('when 20 copies of one delivery arrive at once, then exactly one trigger is accepted and all name it', async () => {
    const before = await runIds();
    const body = JSON.stringify(gitHubPush({ commits: [{ added: ['models/bike-demand/features.py'] }] }));
    const headers = gitHubHeaders(body, randomUUID());

    const answers = await Promise.all(Array.from({ length: 20 }, () => post('webhooks/github', body, headers)));

    expect(answers.map((a) => a.status).sort()).toEqual([...Array<number>(19).fill(200), 202].sort());
    const named = new Set(answers.flatMap((a) => a.body.runIds as string[]));
    expect(named.size).toBe(1);
    burstRunId = [...named][0] ?? '';
    // The model's first run is still in flight, so the new trigger waits as its follow-up (no second run yet).
    const accepted = answers.find((a) => a.status === 202);
    expect((accepted?.body.runs as { outcome: string }[])[0]?.outcome).toMatch(/^(queued|started)$/);
    expect(await unexplainedNewRuns(before)).toEqual([]);
  });

  it('when the same delivery is redelivered later, then 200 names the original run and nothing new starts', async () => {
    const delivery = randomUUID();
    const body = JSON.stringify(gitHubPush({ commits: [{ removed: ['models/bike-demand/old.py'] }] }));
    const first = await post('webhooks/github', body, gitHubHeaders(body, delivery));
    const before = await runIds();
    const again = await post('webhooks/github', body, gitHubHeaders(body, delivery));
    expect(again.status).toBe(200);
    expect(again.body.runIds).toEqual(first.body.runIds);
    expect(await unexplainedNewRuns(before)).toEqual([]);
  });

  it('when requests are unsigned, mis-signed, truncated, oversized, malformed or replayed, then 4xx and nothing starts', async () => {
    const before = await runIds();
    const body = JSON.stringify(gitHubPush());
    const wrong = await post('webhooks/github', body, gitHubHeaders(body, randomUUID(), 'not-the-secret'));
    const truncatedHeaders = gitHubHeaders(body, randomUUID());
    truncatedHeaders['x-hub-signature-256'] = truncatedHeaders['x-hub-signature-256']!.slice(0, 30);
    const truncated = await post('webhooks/github', body, truncatedHeaders);
    const big = JSON.stringify({ ...gitHubPush(), filler: 'z'.repeat(1024 * 1024) });
    const oversized = await post('webhooks/github', big, gitHubHeaders(big, randomUUID()));
    const malformed = await post('webhooks/github', '{"ref":', gitHubHeaders('{"ref":', randomUUID()));
    const generic = JSON.stringify({ models: ['bike-demand'] });
    const replayed = await post('webhooks/generic', generic, {
      'content-type': 'application/json',
      'x-mlops-delivery': 'jenkins-1',
      ...signGeneric(SECRETS.generic, generic, Date.now() / 1000 - 301),
    });
    const azdo = await post('webhooks/azure-devops', JSON.stringify(azureDevOpsPush()), {
      'content-type': 'application/json',
      authorization: basicAuthHeader({ username: SECRETS.azdoUser, password: 'wrong' }),
    });

    expect([wrong, truncated, oversized, malformed, replayed, azdo].map((a) => a.status)).toEqual([
      401, 401, 413, 400, 401, 401,
    ]);
    expect(malformed.body).toMatchObject({
      type: 'urn:mlops:problem:invalid-webhook-payload',
      errors: [{ field: 'body', message: expect.stringContaining('not valid JSON') as unknown }],
    });
    expect(await runIds()).toEqual(before);
  });

  it('when a generic webhook is signed and current, then the named model is accepted with its parameter overrides', async () => {
    const send = (body: string): Promise<Answer> =>
      post('webhooks/generic', body, {
        'content-type': 'application/json',
        'x-mlops-delivery': `jenkins-${randomUUID()}`,
        ...signGeneric(SECRETS.generic, body, Date.now() / 1000),
      });
    const before = await runIds();
    const undeclared = await send(JSON.stringify({ models: ['bike-demand'], parameters: { epochs: 3 } }));
    expect(undeclared).toMatchObject({
      status: 400,
      body: {
        type: 'urn:mlops:problem:invalid-webhook-payload',
        errors: [
          {
            field: 'body.parameters.epochs',
            message: 'not a training parameter of bike-demand (catalog training.parameters)',
          },
        ],
      },
    });
    expect(await runIds()).toEqual(before);

    const answer = await send(
      JSON.stringify({
        models: ['bike-demand'],
        git: { repository: 'contoso/bike-demand', sha: HEAD_SHA, ref: 'refs/heads/main' },
        parameters: { alpha: 0.25 },
        reason: 'Jenkins build 7',
      }),
    );
    expect(answer.status).toBe(202);
    const [runId] = answer.body.runIds as string[];
    const run = await ops<RunDetail>(`ops/runs/${runId}`);
    expect(run.body.trigger).toMatchObject({ parameters: { alpha: 0.25 }, git: { sha: HEAD_SHA } });
  });

  it('when the host has handled all this, then no secret, password or signature appears in its logs', () => {
    const text = logs.join('\n');
    expect(text.length).toBeGreaterThan(0);
    for (const secret of Object.values(SECRETS).filter((s) => s.length > 12)) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/sha256=[0-9a-f]{64}/);
    expect(text).not.toContain(basicAuthHeader({ username: SECRETS.azdoUser, password: SECRETS.azdoPassword }));
  });

  it('when a run in flight is canceled through the ops API, then it reads canceled and the model is free again', async () => {
    const key = { 'x-functions-key': host.keys.function, 'content-type': 'application/json' };
    const inFlight = async () =>
      (await ops<{ runs: unknown[] }>('ops/runs?model=bike-demand&status=running,awaitingApproval')).body.runs.length;
    // Earlier cases left runs in flight (and coalesced follow-ups behind them); letting each train and release would
    // take minutes on a loaded machine, so they are canceled through the same operation (a follow-up then starts and
    // is canceled in turn) until the model is idle.
    await waitFor(
      async () => {
        const running = (
          await ops<{ runs: { runId: string }[] }>('ops/runs?model=bike-demand&status=running,awaitingApproval')
        ).body.runs;
        for (const r of running) {
          // 409 when the run ended meanwhile: nothing to cancel.
          await fetch(`${host.url}/api/ops/runs/${r.runId}/cancel`, {
            method: 'POST',
            headers: key,
            body: JSON.stringify({ reason: 'e2e: clear the lane' }),
          });
        }
        return running.length === 0;
      },
      { timeoutMs: 120_000, intervalMs: 500, description: 'bike-demand to be idle' },
    );

    const started = await fetch(`${host.url}/api/ops/models/bike-demand/retrain`, {
      method: 'POST',
      headers: key,
      body: JSON.stringify({ requestId: `e2e-${randomUUID()}`, reason: 'to be canceled' }),
    });
    const run = (await started.json()) as { outcome: string; runId: string };
    expect(started.status).toBe(202);
    expect(run.outcome).toMatch(/^(started|queued)$/);
    // A queued trigger reads `queued` until the run before it ends and it starts.
    await waitFor(async () => (await ops<{ status: string }>(`ops/runs/${run.runId}`)).body.status !== 'queued', {
      timeoutMs: 60_000,
      description: 'the run to start',
    });

    const res = await fetch(`${host.url}/api/ops/runs/${run.runId}/cancel`, {
      method: 'POST',
      headers: key,
      body: JSON.stringify({ reason: 'e2e cancel' }),
    });
    const answer = (await res.json()) as { detail?: string };
    if (res.status === 409) {
      // The emulator finished the run before the cancel arrived; then nothing may change.
      expect((await ops<{ status: string }>(`ops/runs/${run.runId}`)).body.status).not.toBe('canceled');
      return;
    }
    expect(res.status).toBe(202);
    expect(answer.detail).toContain('terminated retrain-bike-demand');
    expect((await ops(`ops/runs/${run.runId}`)).body).toMatchObject({
      status: 'canceled',
      error: expect.stringContaining('e2e cancel') as unknown,
    });
    await waitFor(async () => (await inFlight()) === 0, { timeoutMs: 30_000, description: 'the lane to be free' });
    const again = await fetch(`${host.url}/api/ops/runs/${run.runId}/cancel`, { method: 'POST', headers: key });
    expect(again.status).toBe(409);
  });

  it('when the mlops CLI lists and shows runs against the host, then it prints the table and the timeline', async () => {
    await waitFor(async () => (await runIds()).includes(firstRunId), { timeoutMs: 10_000, description: 'the run' });
    const out: string[] = [];
    const err: string[] = [];
    const { run } = createProgram({
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      env: { url: host.url, key: host.keys.function },
      cwd: root,
    });
    expect(await run(['runs', '--model', 'bike-demand'])).toBe(0);
    expect(out.join('\n')).toMatch(new RegExp(`${firstRunId}\\s+bike-demand\\s+retrain`));
    expect(await run(['run', firstRunId])).toBe(0);
    expect(out.join('\n')).toContain(`Run ${firstRunId}  bike-demand  retrain`);
    // The 20 concurrent copies of one delivery: one trigger started, the others recorded as duplicates of it.
    out.length = 0;
    expect(await run(['triggers', '--model', 'bike-demand', '--fate', 'duplicate', '--limit', '200'])).toBe(0);
    expect(out.join('\n')).toMatch(/^TRIGGER\s+MODEL\s+SOURCE\s+FATE/);
    const duplicates = out
      .join('\n')
      .split('\n')
      .filter((l) => l.endsWith(` ${burstRunId}`));
    expect(duplicates).toHaveLength(19);
    expect(duplicates[0]).toMatch(/bike-demand\s+git\s+duplicate\s/);
    expect(await run(['--key', 'wrong-key', 'runs'])).toBe(4);
    expect(await run(['run', 'no-such-run'])).toBe(5);
    expect(err.join('\n')).toMatch(/Unauthorized[\s\S]*Not found/);
  });
});
