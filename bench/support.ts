// Shared by the benchmarks: Azurite and the dev host in child processes, percentiles.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const root = path.resolve(__dirname, '..', '..');

export interface AzuriteProcess {
  readonly connectionString: string;
  stop(): Promise<void>;
}

/** Azurite's blob service on a free loopback port, data on disk under `dir` (large files stay out of its heap). */
export async function startAzurite(dir: string): Promise<AzuriteProcess> {
  const bin = require.resolve('azurite/dist/src/blob/main.js', { paths: [root] });
  const child: ChildProcess = spawn(
    process.execPath,
    [
      bin,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--location',
      dir,
      '--skipApiVersionCheck',
      '--loose',
      '--disableTelemetry',
      '--silent',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m?.[1]) resolve(Number(m[1]));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`azurite exited ${String(code)}: ${out}`)));
  });
  const endpoint = `http://127.0.0.1:${port}/devstoreaccount1`;
  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=${endpoint};`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

export interface HostProcess {
  readonly url: string;
  /** The host's keys: `function` (default function key), `system.eventgrid_extension`, `system.durabletask_extension`. */
  readonly keys: { readonly function: string; readonly system: Readonly<Record<string, string>> };
  stop(): Promise<void>;
}

/**
 * Starts the dev host with the compiled app in a child process (as under `npm start`, so this process's own work does
 * not share its event loop) and resolves with its loopback URL and keys.
 */
export async function startHostProcess(
  options: { appSettings?: Record<string, string>; stateDir?: string } = {},
): Promise<HostProcess> {
  const hostOptions = {
    appEntry: root,
    projectDir: root,
    port: 0,
    timers: false,
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    appSettings: { APPLICATIONINSIGHTS_CONNECTION_STRING: '', ...options.appSettings },
  };
  const script = `
    const { startDevHost } = require(${JSON.stringify(path.join(root, 'dist', 'dev', 'host', 'dev-host.js'))});
    startDevHost({ ...${JSON.stringify(hostOptions)}, log: () => {} }).then((host) => {
      process.stdout.write('READY ' + host.url + ' ' + JSON.stringify(host.keys) + '\\n');
      process.on('SIGTERM', () => host.close().then(() => process.exit(0)));
    }, (err) => { console.error(err); process.exit(1); });`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ready = await new Promise<{ url: string; keys: HostProcess['keys'] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev host did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /READY (http:\/\/127\.0\.0\.1:\d+) (\{.*\})\n/.exec(output);
      if (match?.[1] && match[2]) {
        clearTimeout(timer);
        resolve({ url: match[1], keys: JSON.parse(match[2]) as HostProcess['keys'] });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dev host exited with ${String(code)}:\n${output}`));
    });
  });
  child.stdout?.resume();
  child.stderr?.resume();
  if (new URL(ready.url).hostname !== '127.0.0.1') throw new Error(`refusing a non-loopback host: ${ready.url}`);
  return {
    ...ready,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
