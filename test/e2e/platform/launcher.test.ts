import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { freePorts } from '../../support/free-port';
import { waitFor } from '../../support/wait-for';

const root = path.resolve(__dirname, '..', '..', '..');
const launcher = path.join(root, 'dist', 'dev', 'launcher', 'main.js');

jest.setTimeout(120_000);

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
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

describe('npm start (the launcher)', () => {
  it('when the launcher runs, then the host reports Running, the app answers, and SIGTERM stops every process cleanly', async () => {
    expect(fs.existsSync(launcher)).toBe(true);
    const [hostPort, httpsPort, blobPort, queuePort, tablePort, mlPort] = (await freePorts(6)) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'launcher-e2e-'));
    const output: string[] = [];
    const child = spawn(
      process.execPath,
      [
        launcher,
        '--port',
        String(hostPort),
        '--https-port',
        String(httpsPort),
        '--blob-port',
        String(blobPort),
        '--queue-port',
        String(queuePort),
        '--table-port',
        String(tablePort),
        '--azureml-port',
        String(mlPort),
        '--state-dir',
        stateDir,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } },
    );
    child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
    const done = exited(child);
    try {
      const status = await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`launcher exited early:\n${output.join('')}`);
          const res = await fetch(`http://127.0.0.1:${hostPort}/admin/host/status`, {
            headers: { 'x-functions-key': 'local-master-key' },
          });
          const body = (await res.json()) as { state: string };
          return body.state === 'Running' ? body : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 250, description: 'the host to be Running' },
      );
      expect(status.state).toBe('Running');
      expect((await fetch(`http://127.0.0.1:${hostPort}/admin/host/status`)).status).toBe(401);
      const functions = (await (
        await fetch(`http://127.0.0.1:${hostPort}/admin/functions?code=local-master-key`)
      ).json()) as unknown[];
      expect(functions.length).toBeGreaterThan(0);
      expect(await portOpen(blobPort)).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    const { code } = await done;
    expect(code).toBe(0);
    expect(output.join('')).toContain('[launcher] stopped');
    for (const port of [hostPort, httpsPort, blobPort, queuePort, tablePort]) expect(await portOpen(port)).toBe(false);
  });
});
