import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { BlobServiceClient } from '@azure/storage-blob';

import { connectionStringFor } from '../../support/azurite';
import { freePorts } from '../../support/free-port';
import { waitFor } from '../../support/wait-for';

const root = path.resolve(__dirname, '..', '..', '..');
const launcherScript = path.join(root, 'dist', 'dev', 'launcher', 'main.js');
const MASTER_KEY = 'local-master-key';

jest.setTimeout(120_000);

interface Launched {
  child: ChildProcess;
  output: string[];
  stateDir: string;
  ports: { host: number; https: number; blob: number; queue: number; table: number; azureml: number };
  exit: Promise<number | null>;
}

async function launch(extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Launched> {
  const [host, httpsPort, blob, queue, table, azureml] = (await freePorts(6)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'launcher-e2e-'));
  const args = [
    launcherScript,
    ...[
      '--port',
      host,
      '--https-port',
      httpsPort,
      '--blob-port',
      blob,
      '--queue-port',
      queue,
      '--table-port',
      table,
    ].map(String),
    ...['--azureml-port', String(azureml), '--state-dir', stateDir],
    ...extraArgs,
  ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const output: string[] = [];
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`launcher exited early:\n${output.join('')}`);
      const res = await fetch(`http://127.0.0.1:${host}/admin/host/status`, {
        headers: { 'x-functions-key': MASTER_KEY },
      });
      return ((await res.json()) as { state: string }).state === 'Running';
    },
    { timeoutMs: 90_000, intervalMs: 250, description: 'the dev host to report Running' },
  );
  // The launcher is ready once it says so (the blob watcher starts after the host).
  await waitFor(() => output.join('').includes('[launcher] ready'), {
    timeoutMs: 30_000,
    description: 'the launcher to be ready',
  });
  return { child, output, stateDir, ports: { host, https: httpsPort, blob, queue, table, azureml }, exit };
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** POST over TLS trusting only the launcher's own local CA. */
function postTls(url: string, ca: Buffer, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('npm start (the launcher)', () => {
  it('when the launcher runs the app, then the host reports Running and SIGTERM stops every process cleanly', async () => {
    const launched = await launch();
    const { ports } = launched;
    try {
      expect((await fetch(`http://127.0.0.1:${ports.host}/admin/host/status`)).status).toBe(401);
      const functions = (await (
        await fetch(`http://127.0.0.1:${ports.host}/admin/functions?code=${MASTER_KEY}`)
      ).json()) as unknown[];
      expect(functions.length).toBeGreaterThan(0);
      expect(await portOpen(ports.blob)).toBe(true);
    } finally {
      launched.child.kill('SIGTERM');
    }
    expect(await launched.exit).toBe(0);
    expect(launched.output.join('')).toContain('[launcher] stopped');
    for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
  });

  it('when a blob lands in Azurite, then the subscribed function receives BlobCreated, and the TLS ingestion sink accepts telemetry', async () => {
    const subscriptions = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'subs-')), 'subscriptions.json');
    fs.writeFileSync(
      subscriptions,
      JSON.stringify({
        storageAccount: { subscriptionId: 'sub-e2e', resourceGroup: 'rg', name: 'devstoreaccount1' },
        subscriptions: [
          {
            name: 'all-blobs',
            functionName: 'onEvent',
            source: 'storage',
            filter: { includedEventTypes: ['Microsoft.Storage.BlobCreated'] },
          },
        ],
      }),
    );
    const launched = await launch(
      [
        '--app',
        path.join(root, 'test', 'fixtures', 'apps', 'basic'),
        '--subscriptions',
        subscriptions,
        '--no-azureml',
        '--poll-interval',
        '200',
      ],
      { TICK_SCHEDULE: '0 0 0 1 1 *' },
    );
    const { ports } = launched;
    try {
      const blobs = BlobServiceClient.fromConnectionString(
        connectionStringFor(`http://127.0.0.1:${ports.blob}/devstoreaccount1`),
      );
      const container = blobs.getContainerClient('landing');
      await container.create();
      await container.getBlockBlobClient('drop/file.csv').upload('a,b\n', 4);
      const event = await waitFor(
        async () => {
          const records = (await (await fetch(`http://127.0.0.1:${ports.host}/api/records`)).json()) as {
            events: { event: { subject: string; topic: string } }[];
          };
          return records.events.find((e) => e.event.subject.endsWith('/landing/blobs/drop/file.csv'));
        },
        { timeoutMs: 5000, description: 'the BlobCreated event to reach the function' },
      );
      expect(event.event.topic).toBe(
        '/subscriptions/sub-e2e/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/devstoreaccount1',
      );

      const ca = fs.readFileSync(path.join(launched.stateDir, 'certs', 'local-ca.pem'));
      const envelope = {
        name: 'Microsoft.ApplicationInsights.Event',
        time: new Date().toISOString(),
        iKey: 'k',
        data: { baseType: 'EventData', baseData: { ver: 2, name: 'E2eProbe' } },
      };
      const posted = await postTls(`https://127.0.0.1:${ports.https}/v2.1/track`, ca, JSON.stringify([envelope]));
      expect(posted.status).toBe(200);
      const stored = (await (
        await fetch(`http://127.0.0.1:${ports.host}/admin/telemetry?name=E2eProbe&code=${MASTER_KEY}`)
      ).json()) as unknown[];
      expect(stored).toHaveLength(1);
    } finally {
      launched.child.kill('SIGTERM');
    }
    expect(await launched.exit).toBe(0);
  });
});
