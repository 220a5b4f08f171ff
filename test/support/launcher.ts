import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { anyPortInUse, freePorts } from './free-port';
import { waitFor } from './wait-for';

export interface LaunchedPlatform {
  readonly child: ChildProcess;
  /** Launcher output so far (all components, prefixed). */
  readonly output: string[];
  readonly stateDir: string;
  readonly ports: { host: number; https: number; blob: number; queue: number; table: number; azureml: number };
  /** `http://127.0.0.1:<host port>` */
  readonly hostUrl: string;
  /** The master key the launcher's settings use (DevHost.MasterKey, default local-master-key). */
  readonly masterKey: string;
  /** Resolves with the launcher's exit code. */
  readonly exit: Promise<number | null>;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
  /**
   * A crash: SIGKILL to the launcher and, at the same moment, to its dev host (so the app's host dies mid-work
   * instead of noticing its parent is gone and stopping); then waits until every port it used is free again.
   */
  kill(): Promise<void>;
}

/**
 * Runs `npm start`'s launcher (dist/dev/launcher/main.js; build first) as a child process on free ports with a
 * throw-away state directory, and resolves once it reports ready and the host answers Running.
 */
export async function launchPlatform(
  options: {
    args?: string[];
    env?: NodeJS.ProcessEnv;
    masterKey?: string;
    timeoutMs?: number;
    /** State directory to use (default: a new temporary one). */
    stateDir?: string;
    /**
     * Start again on an earlier launch's state (a restart after a crash), on its ports when given. Fresh ports avoid a
     * rare clash: right after a crash an outgoing connection may hold one of the old ports as its local port.
     */
    resume?: Pick<LaunchedPlatform, 'stateDir'> & Partial<Pick<LaunchedPlatform, 'ports'>>;
  } = {},
): Promise<LaunchedPlatform> {
  const root = path.resolve(__dirname, '..', '..');
  const fresh = options.resume?.ports ? undefined : await freePorts(6);
  const ports = options.resume?.ports ?? {
    host: fresh?.[0] as number,
    https: fresh?.[1] as number,
    blob: fresh?.[2] as number,
    queue: fresh?.[3] as number,
    table: fresh?.[4] as number,
    azureml: fresh?.[5] as number,
  };
  const { host, https: httpsPort, blob, queue, table, azureml } = ports;
  const stateDir = options.resume?.stateDir ?? options.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'launcher-'));
  const masterKey = options.masterKey ?? 'local-master-key';
  const args = [
    path.join(root, 'dist', 'dev', 'launcher', 'main.js'),
    ...['--port', host, '--https-port', httpsPort, '--blob-port', blob, '--queue-port', queue].map(String),
    ...['--table-port', table, '--azureml-port', azureml].map(String),
    ...['--state-dir', stateDir],
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  const output: string[] = [];
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const hostUrl = `http://127.0.0.1:${host}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`launcher exited early:\n${output.join('')}`);
        if (!output.join('').includes('[launcher] ready')) return false;
        const res = await fetch(`${hostUrl}/admin/host/status`, { headers: { 'x-functions-key': masterKey } });
        return ((await res.json()) as { state?: string }).state === 'Running';
      },
      { timeoutMs: options.timeoutMs ?? 90_000, intervalMs: 250, description: 'the launcher to be ready' },
    );
  } catch (error) {
    child.kill('SIGTERM');
    await exit;
    throw error;
  }
  return {
    child,
    output,
    stateDir,
    ports: { host, https: httpsPort, blob, queue, table, azureml },
    hostUrl,
    masterKey,
    exit,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exit;
    },
    kill: async () => {
      const devHostPid = /\[launcher\] launcher pid \d+, dev host pid (\d+)/.exec(output.join(''))?.[1];
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (devHostPid) killIfRunning(Number(devHostPid));
      await exit;
      // Its children notice the closed IPC channel and exit; the ports are free once they have.
      await waitFor(async () => !(await anyPortInUse([host, httpsPort, blob, queue, table, azureml])), {
        timeoutMs: 20_000,
        description: "the launcher's children to exit",
      });
    },
  };
}

function killIfRunning(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
