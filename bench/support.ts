// Shared by the benchmarks: Azurite and the dev host in child processes, the emulator beside them, percentiles.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';

import {
  type AzureMlEmulatorOptions,
  type RunningAzureMlEmulator,
  startAzureMlEmulator,
} from '../dev/azureml-emulator';
import { ensureLocalCertificates } from '../dev/certs/local-ca';
import { generateBikeDemandCsv } from '../dev/demo/bike-data';
import { type DevHost, startDevHost } from '../dev/host/dev-host';

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

/**
 * Re-runs this script with the local CA trusted when it is not yet: the emulator's certificate is signed by it, and
 * Node reads extra CAs only at start. Resolves false when this process already trusts it (go on); otherwise exits with
 * the child's status.
 */
export async function trustLocalCa(script: string, argv: readonly string[]): Promise<false> {
  const { caCertPath } = await ensureLocalCertificates();
  if (process.env.NODE_EXTRA_CA_CERTS === caCertPath) return false;
  const result = spawnSync(process.execPath, [script, ...argv], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caCertPath },
  });
  process.exit(result.status ?? 1);
}

export interface BenchPlatform {
  /** Throw-away directory (Azurite's data and whatever the bench keeps there), removed by `stop`. */
  readonly dir: string;
  readonly azurite: AzuriteProcess;
  readonly emulator: RunningAzureMlEmulator;
  /** The `lake` container, created. */
  readonly lake: ContainerClient;
  stop(): Promise<void>;
}

/** Azurite (child process) and the seeded Azure ML emulator (this process) for one benchmark. */
export async function startBenchPlatform(
  name: string,
  emulatorOptions: Partial<AzureMlEmulatorOptions> = {},
): Promise<BenchPlatform> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${name}-`));
  const azurite = await startAzurite(path.join(dir, 'azurite'));
  const emulator = await startAzureMlEmulator({
    port: 0,
    azuriteConnectionString: azurite.connectionString,
    seedDemo: true,
    lroRetryAfterSeconds: 0,
    ...emulatorOptions,
  });
  const lake = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('lake');
  await lake.createIfNotExists();
  return {
    dir,
    azurite,
    emulator,
    lake,
    stop: async () => {
      await emulator.close();
      await azurite.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes `files` generated bike-demand CSV files of `rowsPerFile` rows under `<prefix>date=<date>/`. */
export async function seedBikeDemandDay(
  lake: ContainerClient,
  prefix: string,
  date: string,
  files: number,
  rowsPerFile: number,
): Promise<void> {
  for (let i = 0; i < files; i++) {
    const text = generateBikeDemandCsv({ rows: rowsPerFile, seed: i + 1 });
    await lake
      .getBlockBlobClient(`${prefix}date=${date}/part-${String(i).padStart(3, '0')}.csv`)
      .upload(text, Buffer.byteLength(text));
  }
}

/**
 * The compiled app in the dev host in this process, wired to the platform as `npm start` wires it: its storage and
 * lake on Azurite, Azure ML on the emulator, whose run events reach the app's Event Grid function. `catalog` is
 * written to the platform's directory and used as the app's catalog.
 */
export async function startAppHost(platform: BenchPlatform, catalog: unknown): Promise<DevHost> {
  const catalogPath = path.join(platform.dir, 'catalog.json');
  fs.writeFileSync(catalogPath, JSON.stringify(catalog));
  const host = await startDevHost({
    appEntry: root,
    projectDir: root,
    port: 0,
    timers: false,
    stateDir: path.join(platform.dir, 'host'),
    log: () => undefined,
    appSettings: {
      AzureWebJobsStorage: platform.azurite.connectionString,
      LAKE_STORAGE: platform.azurite.connectionString,
      AZUREML_ARM_ENDPOINT: platform.emulator.url,
      AZUREML_DATAPLANE_ENDPOINT: platform.emulator.url,
      MLOPS_CATALOG_PATH: catalogPath,
      APPLICATIONINSIGHTS_CONNECTION_STRING: '',
    },
  });
  const eventGrid = `${host.url}/runtime/webhooks/eventgrid?functionName=azuremlRunEvents&code=${encodeURIComponent(host.keys.system['eventgrid_extension'] ?? '')}`;
  const subscribed = await fetch(`${platform.emulator.url}/_emulator/eventSubscribers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: eventGrid }),
  });
  if (!subscribed.ok) throw new Error(`subscribing the dev host to the emulator's events: ${subscribed.status}`);
  return host;
}
