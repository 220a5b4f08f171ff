/**
 * The platform for the crash tests: `npm start`'s launcher (real app, Azurite, Azure ML emulator, blob watcher) on
 * free ports with a catalog of the test's own, killed with SIGKILL and started again on the same state. Every probe
 * goes through a public interface: the host's HTTP API (ops API, Durable status), the emulator's ARM, scoring and
 * control APIs, and the lake in Azurite.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';

import { RESOURCE_GROUP, SUBSCRIPTION_ID, WORKSPACE } from '../../../dev/azureml-emulator';
import { ensureLocalCertificates } from '../../../dev/certs/local-ca';
import { connectionStringFor } from '../../support/azurite';
import { type LaunchedPlatform, launchPlatform } from '../../support/launcher';
import { waitFor } from '../../support/wait-for';

const root = path.resolve(__dirname, '..', '..', '..');
const FUNCTION_KEY = 'local-function-key';
/** The api-version the app pins for Azure ML. */
const API_VERSION = '2025-12-01';

export interface CrashPlatform {
  readonly current: LaunchedPlatform;
  /** SIGKILL the launcher (its children exit with it), then start it again on the same state dir and ports. */
  crashAndRestart(): Promise<void>;
  stop(): Promise<void>;
  /** `waitFor` that names the condition and shows the tail of the platform's output when it times out. */
  until<T>(description: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<NonNullable<T>>;
  /** GET on the host with the function key (ops API) or the master key (Durable API); JSON body. */
  host<T>(pathAndQuery: string, key?: 'function' | 'master'): Promise<T>;
  durableStatus(instanceId: string): Promise<DurableStatus>;
  /** Azure ML management plane (ARM) of the emulator's workspace: `path` after `/workspaces/local`. */
  arm<T>(method: string, pathAndQuery: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** The emulator's control API (`/_emulator/...`). */
  control(method: string, pathAndQuery: string, body?: unknown): Promise<void>;
  emulatorUrl(): string;
  container(name: string): ContainerClient;
}

export interface DurableStatus {
  runtimeStatus: string;
  customStatus: unknown;
  output: unknown;
}

/** Launches the platform with `catalog` (written to the state dir) as the app's `MLOPS_CATALOG_PATH`. */
export async function startCrashPlatform(name: string, catalog: unknown): Promise<CrashPlatform> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  // The launcher keeps its CA under <state dir>/certs; seed it with the CA this process trusts (run-jest's
  // NODE_EXTRA_CA_CERTS), so the test can talk to the launched emulator over HTTPS.
  const certs = await ensureLocalCertificates();
  fs.cpSync(path.dirname(certs.caCertPath), path.join(stateDir, 'certs'), { recursive: true });
  const catalogPath = path.join(stateDir, 'crash-catalog.json');
  fs.writeFileSync(catalogPath, JSON.stringify(catalog, null, 2));
  const env = { MLOPS_CATALOG_PATH: catalogPath };
  let current = await launchPlatform({ stateDir, env });
  const earlierOutput: string[] = [];

  // The whole output goes to a file next to the state; the tail skips the test's own polling requests.
  const tail = (): string => {
    const lines = [...earlierOutput, ...current.output].join('').split('\n');
    const file = path.join(os.tmpdir(), `${path.basename(stateDir)}-output.log`);
    fs.writeFileSync(file, lines.join('\n'));
    const interesting = lines.filter((l) => !/Executed '(ops\w+|DurableHttpApi)'|GET \/runtime\/webhooks/.test(l));
    return `${interesting.slice(-120).join('\n')}\n(full output: ${file})`;
  };

  const workspacePath = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE}`;
  const emulatorUrl = (): string => `https://127.0.0.1:${current.ports.azureml}`;

  const platform: CrashPlatform = {
    get current() {
      return current;
    },
    async crashAndRestart() {
      await current.kill();
      earlierOutput.push(...current.output, '\n[crash test] ---- SIGKILL, restart on the same state ----\n');
      current = await launchPlatform({ resume: current, env });
    },
    async stop() {
      await current.stop();
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
    async until(description, probe, timeoutMs = 120_000) {
      try {
        return await waitFor(probe, { timeoutMs, intervalMs: 100, description });
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- platform output (tail) ---\n${tail()}`);
      }
    },
    async host<T>(pathAndQuery: string, key: 'function' | 'master' = 'function'): Promise<T> {
      const res = await fetch(`${current.hostUrl}${pathAndQuery}`, {
        headers: { 'x-functions-key': key === 'master' ? current.masterKey : FUNCTION_KEY },
      });
      const text = await res.text();
      if (!res.ok && res.status !== 202) throw new Error(`GET ${pathAndQuery} -> ${res.status}: ${text}`);
      return JSON.parse(text) as T;
    },
    durableStatus(instanceId: string) {
      return platform.host<DurableStatus>(
        `/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}?code=${encodeURIComponent(current.masterKey)}`,
        'master',
      );
    },
    async arm<T>(method: string, pathAndQuery: string, body?: unknown) {
      const separator = pathAndQuery.includes('?') ? '&' : '?';
      const res = await fetch(`${emulatorUrl()}${workspacePath}${pathAndQuery}${separator}api-version=${API_VERSION}`, {
        method,
        headers: { authorization: 'Bearer crash-test', 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    async control(method: string, pathAndQuery: string, body?: unknown) {
      const res = await fetch(`${emulatorUrl()}/_emulator${pathAndQuery}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      if (!res.ok) throw new Error(`control ${method} ${pathAndQuery} -> ${res.status}: ${await res.text()}`);
    },
    emulatorUrl,
    container(name: string) {
      return BlobServiceClient.fromConnectionString(
        connectionStringFor(`http://127.0.0.1:${current.ports.blob}/devstoreaccount1`),
      ).getContainerClient(name);
    },
  };
  return platform;
}

/** The demo catalog (catalog.json) with `edit` applied: the crash tests change only what makes a crash window. */
export function demoCatalogWith(edit: (model: Record<string, Record<string, unknown>>) => void): unknown {
  const catalog = JSON.parse(fs.readFileSync(path.join(root, 'catalog.json'), 'utf8')) as {
    models: Record<string, Record<string, unknown>>[];
  };
  for (const model of catalog.models) edit(model);
  return catalog;
}
