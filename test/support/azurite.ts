import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

import { freePorts } from './free-port';

/** A throw-away Azurite blob service on a free loopback port, in memory. */
export interface AzuriteBlob {
  readonly port: number;
  /** Connection string for the well-known devstoreaccount1 on this port. */
  readonly connectionString: string;
  readonly blobEndpoint: string;
  stop(): Promise<void>;
}

export const DEVSTORE_ACCOUNT = 'devstoreaccount1';
export const DEVSTORE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function connectionStringFor(blobEndpoint: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${DEVSTORE_ACCOUNT};AccountKey=${DEVSTORE_KEY};BlobEndpoint=${blobEndpoint};`;
}

/**
 * Starts `azurite-blob` with port 0 and resolves once it reports the port it listens on.
 *
 * @remarks A child process, not an in-process server: Azurite is a separate service in every host we run on.
 */
export async function startAzuriteBlob(options: { timeoutMs?: number } = {}): Promise<AzuriteBlob> {
  const { port, child } = await startService('blob', options.timeoutMs);
  const blobEndpoint = `http://127.0.0.1:${port}/${DEVSTORE_ACCOUNT}`;
  return {
    port,
    blobEndpoint,
    connectionString: connectionStringFor(blobEndpoint),
    stop: () => stopChild(child),
  };
}

/** Azurite blob and table services on free ports, with one connection string naming both. */
export interface AzuriteStorage {
  readonly connectionString: string;
  readonly blobEndpoint: string;
  readonly tableEndpoint: string;
  stop(): Promise<void>;
}

export async function startAzuriteStorage(options: { timeoutMs?: number } = {}): Promise<AzuriteStorage> {
  const [blob, table] = await Promise.all([
    startService('blob', options.timeoutMs),
    // The table service reports the port it was given, so it gets a free one up front.
    freePorts(1).then(([port]) => startService('table', options.timeoutMs, port)),
  ]);
  const blobEndpoint = `http://127.0.0.1:${blob.port}/${DEVSTORE_ACCOUNT}`;
  const tableEndpoint = `http://127.0.0.1:${table.port}/${DEVSTORE_ACCOUNT}`;
  return {
    blobEndpoint,
    tableEndpoint,
    connectionString: `${connectionStringFor(blobEndpoint)}TableEndpoint=${tableEndpoint};`,
    stop: async () => {
      await Promise.all([stopChild(blob.child), stopChild(table.child)]);
    },
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill();
  });
}

async function startService(
  service: 'blob' | 'table',
  timeoutMs = 20000,
  requestedPort = 0,
): Promise<{ port: number; child: ChildProcess }> {
  const root = path.resolve(__dirname, '..', '..');
  const bin = require.resolve(`azurite/dist/src/${service}/main.js`, { paths: [root] });
  const child: ChildProcess = spawn(
    process.execPath,
    [
      bin,
      `--${service}Host`,
      '127.0.0.1',
      `--${service}Port`,
      String(requestedPort),
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--loose',
      '--disableTelemetry',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`Azurite did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      // Blob: "listens on http://127.0.0.1:<port>"; table: "successfully started on 127.0.0.1:<port>".
      const match = /(?:listens on http:\/\/|successfully started on )127\.0\.0\.1:(\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with code ${String(code)}:\n${output}`));
    });
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return { port, child };
}
