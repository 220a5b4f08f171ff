/**
 * The Azure ML emulator killed with SIGKILL (as it is when `npm start` is killed: it runs inside the launcher) and
 * started again on its state dir behaves like Azure, whose workspace does not go down with a client: what it
 * acknowledged is still there, and jobs went on running meanwhile.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

import { RESOURCE_GROUP, SUBSCRIPTION_ID, WORKSPACE } from '../../../dev/azureml-emulator';
import { generateBikeDemandCsv } from '../../../dev/demo/bike-data';
import { freePorts } from '../../support/free-port';
import { waitFor } from '../../support/wait-for';

jest.setTimeout(60_000);

const MAIN = path.resolve(__dirname, '..', '..', '..', 'dist', 'dev', 'azureml-emulator', 'main.js');
const WORKSPACE_PATH = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE}`;
const API = 'api-version=2025-12-01';

interface Emulator {
  readonly child: ChildProcess;
  /** SIGKILL; resolves once the process is gone. */
  kill(): Promise<void>;
}

let stateDir: string;
let port: number;
let running: Emulator | undefined;

async function start(extraArgs: string[] = []): Promise<Emulator> {
  const child = spawn(process.execPath, [MAIN, '--port', String(port), '--state-dir', stateDir, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      if (c.toString().includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`emulator exited (${String(code)}): ${output.join('')}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  running = {
    child,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
  return running;
}

/** A request whose answer's status line is the cue: `onResponse` runs before anything else reads the answer. */
function request(
  method: string,
  pathAndQuery: string,
  body?: unknown,
  onResponse?: () => void,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: pathAndQuery,
        headers: { authorization: 'Bearer crash-test', 'content-type': 'application/json' },
      },
      (res) => {
        onResponse?.();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const arm = (method: string, resource: string, body?: unknown, onResponse?: () => void) =>
  request(method, `${WORKSPACE_PATH}${resource}?${API}`, body, onResponse);
const control = (method: string, route: string, body?: unknown) => request(method, `/_emulator${route}`, body);

async function jobStatus(name: string): Promise<string> {
  const job = await arm('GET', `/jobs/${name}`);
  return String((job.body.properties as { status?: string } | undefined)?.status);
}

beforeEach(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'aml-crash-'));
  [port] = (await freePorts(1)) as [number];
});
afterEach(async () => {
  await running?.kill();
  running = undefined;
  await rm(stateDir, { recursive: true, force: true });
});

describe('Azure ML emulator: SIGKILL and restart on the same state', () => {
  it('when it is killed the moment it has answered a PUT, then the model version and the job are there after the restart', async () => {
    let emulator = await start();
    const version = await arm(
      'PUT',
      '/models/crash-model/versions/1',
      { properties: { modelUri: 'azureml://jobs/j/outputs/artifacts/paths/model/' } },
      () => emulator.child.kill('SIGKILL'),
    );
    expect(version.status).toBe(201);
    await emulator.kill();
    emulator = await start();
    const job = await arm(
      'PUT',
      '/jobs/crash-job',
      { properties: { jobType: 'Pipeline', experimentName: 'crash' } },
      () => emulator.child.kill('SIGKILL'),
    );
    expect(job.status).toBe(201);
    await emulator.kill();

    await start();
    expect((await arm('GET', '/models/crash-model/versions/1')).status).toBe(200);
    expect((await arm('GET', '/jobs/crash-job')).status).toBe(200);
  });

  it('when it is killed before an event was delivered, then it delivers the event after the restart (Event Grid keeps it while the subscriber is down)', async () => {
    // The subscriber is down at first: deliveries fail and are retried until the emulator is killed.
    const [subscriberPort] = (await freePorts(1)) as [number];
    const subscriber = ['--event-subscriber', `http://127.0.0.1:${subscriberPort}/events`];
    const emulator = await start(subscriber);
    const registered = await arm(
      'PUT',
      '/models/crash-events/versions/1',
      { properties: { modelUri: 'azureml://jobs/j/outputs/artifacts/paths/model/' } },
      () => emulator.child.kill('SIGKILL'),
    );
    expect(registered.status).toBe(201);
    await emulator.kill();

    const received: { eventType: string; subject: string }[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(...(JSON.parse(Buffer.concat(chunks).toString()) as { eventType: string; subject: string }[]));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(subscriberPort, '127.0.0.1', resolve));
    try {
      await start(subscriber);
      const event = await waitFor(() => received.find((e) => e.subject === 'models/crash-events:1'), {
        timeoutMs: 10_000,
        description: 'ModelRegistered to reach the subscriber after the restart',
      });
      expect(event.eventType).toBe('Microsoft.MachineLearningServices.ModelRegistered');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('when it is killed while a job trains, then the job trains and completes after the restart', async () => {
    const emulator = await start();
    const csv = path.join(stateDir, 'bikes.csv');
    await writeFile(csv, generateBikeDemandCsv({ rows: 400, seed: 11 }));
    await control('PUT', '/steps', { notStartedMs: 0, queuedMs: 0, runningMs: 1500 });
    const inputs = {
      training_data: { jobInputType: 'uri_file', uri: csv },
      target_column: { jobInputType: 'literal', value: 'count' },
    };
    expect((await arm('PUT', '/jobs/crash-train', { properties: { jobType: 'Pipeline', inputs } })).status).toBe(201);
    await waitFor(async () => (await jobStatus('crash-train')) === 'Running', { description: 'the job to run' });
    await emulator.kill();

    await start();
    const status = await waitFor(
      async () => {
        const s = await jobStatus('crash-train');
        return ['Completed', 'Failed', 'Canceled'].includes(s) ? s : undefined;
      },
      { timeoutMs: 20_000, description: 'the job to finish after the restart' },
    );
    expect(status).toBe('Completed');
    // It really trained (after the restart: the fit in flight died with the process).
    const details = await control('GET', '/jobs/crash-train');
    const training = details.body.training as { state: string; metrics?: { rmse: number } };
    expect(training.state).toBe('succeeded');
    expect(training.metrics?.rmse).toBeGreaterThan(0);
  });

  it('when its clock ran ahead of the wall clock, then after the restart time carries on from there and jobs are not frozen', async () => {
    const emulator = await start();
    // An hour ahead (as after clock/advance, or an hour at --speed 2): a restart on the wall clock would put the
    // running job's start an hour into the future.
    await control('POST', '/clock/advance', { ms: 3_600_000 });
    await control('PUT', '/steps', { notStartedMs: 0, queuedMs: 0, runningMs: 2000 });
    expect((await arm('PUT', '/jobs/crash-clock', { properties: { jobType: 'Pipeline' } })).status).toBe(201);
    await waitFor(async () => (await jobStatus('crash-clock')) === 'Running', { description: 'the job to run' });
    const before = Date.parse(String((await control('GET', '/clock')).body.now));
    await emulator.kill();

    await start();
    expect(Date.parse(String((await control('GET', '/clock')).body.now))).toBeGreaterThanOrEqual(before);
    await waitFor(async () => (await jobStatus('crash-clock')) === 'Completed', {
      timeoutMs: 15_000,
      description: 'the job to complete after the restart',
    });
  });
});
