import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

import { waitFor } from './wait-for';

export interface RunningDashboard {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly output: string[];
  readonly child: ChildProcess;
  stop(): Promise<number | null>;
}

/**
 * `mlops dashboard --port 0 --no-open` as an operator runs it (dist/src/cli/main.js; build first), relaying to
 * `targetUrl` with the key the CLI resolves for it (for a loopback URL: the dev host's function key).
 */
export async function startDashboard(targetUrl: string, extraArgs: string[] = []): Promise<RunningDashboard> {
  const root = path.resolve(__dirname, '..', '..');
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'dist', 'src', 'cli', 'main.js'),
      'dashboard',
      '--port',
      '0',
      '--no-open',
      '--url',
      targetUrl,
      ...extraArgs,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`mlops dashboard exited:\n${output.join('')}`);
      return /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output.join(''))?.[1];
    },
    { timeoutMs: 20_000, intervalMs: 50, description: 'mlops dashboard to print its URL' },
  );
  return {
    url,
    output,
    child,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
}
