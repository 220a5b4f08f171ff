import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connect as tlsConnect, TLSSocket } from 'node:tls';

import { BlobServiceClient } from '@azure/storage-blob';

import { connectionStringFor } from '../../support/azurite';
import { launchPlatform } from '../../support/launcher';
import { waitFor } from '../../support/wait-for';

const root = path.resolve(__dirname, '..', '..', '..');
const MASTER_KEY = 'local-master-key';

jest.setTimeout(120_000);

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
    const launched = await launchPlatform();
    const { ports } = launched;
    try {
      const status = await fetch(`http://127.0.0.1:${ports.host}/admin/host/status`);
      expect(await status.json()).toMatchObject({ state: 'Running' });
      expect((await fetch(`http://127.0.0.1:${ports.host}/admin/functions`)).status).toBe(401);
      const functions = (await (
        await fetch(`http://127.0.0.1:${ports.host}/admin/functions?code=${MASTER_KEY}`)
      ).json()) as unknown[];
      expect(functions.length).toBeGreaterThan(0);
      expect(await portOpen(ports.blob)).toBe(true);
    } finally {
      await launched.stop();
    }
    expect(await launched.exit).toBe(0);
    expect(launched.output.join('')).toContain('[launcher] stopped');
    for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
  });

  it('when clients hold keep-alive connections and half-sent requests, then Ctrl-C (SIGINT) still stops the launcher at once', async () => {
    // The dev host keeps idle connections open for 130 s (longer than Azure's load balancer idle time); a stop that
    // waited for them would hang `npm start` after Ctrl-C for minutes.
    const launched = await launchPlatform();
    const { ports } = launched;
    const ca = fs.readFileSync(path.join(launched.stateDir, 'certs', 'local-ca.pem'));
    const plain = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const tls = new https.Agent({ keepAlive: true, maxSockets: 1, ca });
    const sockets: net.Socket[] = [];
    const get = (url: string, agent: http.Agent): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = (url.startsWith('https') ? https : http).get(url, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('socket', (socket: net.Socket) => sockets.push(socket));
        req.on('error', reject);
      });
    let exited = false;
    try {
      expect(await get(`${launched.hostUrl}/admin/host/status?code=${MASTER_KEY}`, plain)).toBe(200);
      expect(await get(`http://127.0.0.1:${ports.blob}/devstoreaccount1?comp=list`, plain)).toBeGreaterThan(0);
      expect(await get(`https://127.0.0.1:${ports.azureml}/_emulator/health`, tls)).toBeGreaterThan(0);
      // Each request left its connection open and idle in the agent's pool.
      expect(sockets.filter((s) => !s.destroyed).length).toBe(3);
      // And a request still arriving on each server (an upload in progress): a server close waits for these, so the
      // host and the emulator must cut them.
      const partial = 'POST /api/anything HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{"half":';
      const inFlight = [
        net.connect({ port: ports.host, host: '127.0.0.1' }),
        tlsConnect({ port: ports.azureml, host: '127.0.0.1', ca, servername: 'localhost' }),
      ];
      for (const socket of inFlight) {
        socket.on('error', () => undefined);
        socket.write(partial);
        sockets.push(socket);
      }
      await Promise.all(
        inFlight.map(
          (socket) =>
            new Promise<void>((resolve) =>
              socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', () => resolve()),
            ),
        ),
      );

      launched.child.kill('SIGINT');
      // Well under the 130 s keep-alive; a child that waited for its connections would also be killed after the
      // launcher's 10 s grace period, which its log reports ("did not stop cleanly").
      await waitFor(() => launched.child.exitCode !== null, {
        timeoutMs: 60_000,
        intervalMs: 50,
        description: 'the launcher to exit after SIGINT',
      });
      exited = true;
      expect(await launched.exit).toBe(0);
      expect(launched.output.join('')).toContain('[launcher] stopped');
      expect(launched.output.join('')).not.toContain('did not stop cleanly');
      for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
    } finally {
      plain.destroy();
      tls.destroy();
      for (const socket of sockets) socket.destroy();
      if (!exited) await launched.stop();
    }
  });

  it('when Azurite dies under a running platform, then the launcher says so, stops the rest and exits 1', async () => {
    // A dev host left running without its storage would answer every request with errors while looking alive.
    const launched = await launchPlatform();
    const { ports } = launched;
    let exited = false;
    try {
      const pid = /Azurite: .*\bpid (\d+)\)/.exec(launched.output.join(''))?.[1];
      expect(pid).toMatch(/^\d+$/);
      process.kill(Number(pid), 'SIGTERM');
      await waitFor(() => launched.child.exitCode !== null, {
        timeoutMs: 60_000,
        intervalMs: 50,
        description: 'the launcher to exit after Azurite died',
      });
      exited = true;
      expect(await launched.exit).toBe(1);
      const output = launched.output.join('');
      expect(output).toMatch(/\[launcher\] Azurite exited unexpectedly \((SIGTERM|code \d+)\); stopping everything/);
      expect(output).toContain('[launcher] stopped');
      for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
    } finally {
      if (!exited) await launched.stop();
    }
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
    const launched = await launchPlatform({
      args: [
        '--app',
        path.join(root, 'test', 'fixtures', 'apps', 'basic'),
        '--subscriptions',
        subscriptions,
        '--no-azureml',
        '--poll-interval',
        '200',
      ],
      env: { TICK_SCHEDULE: '0 0 0 1 1 *' },
    });
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
      await launched.stop();
    }
    expect(await launched.exit).toBe(0);
  });
});
