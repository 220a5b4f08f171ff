/**
 * Shared setup for the Azure ML emulator conformance suite: an emulator on a free port driven by the real
 * `@azure/arm-machinelearning` client (trusting the local CA through NODE_EXTRA_CA_CERTS, set by run-jest) and
 * `fetch` for the data planes and the control API.
 */
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import {
  type AzureMlEmulatorOptions,
  RESOURCE_GROUP,
  type RunningAzureMlEmulator,
  startAzureMlEmulator,
  SUBSCRIPTION_ID,
  WORKSPACE,
} from '../../../dev/azureml-emulator';

export { RESOURCE_GROUP, SUBSCRIPTION_ID, WORKSPACE };
export const RG = RESOURCE_GROUP;
export const WS = WORKSPACE;
export const TOKEN = 'conformance-test-token';

/** Any token passes the emulator's management plane; a request without one gets 401. */
export const fixedCredential: TokenCredential = {
  getToken: (): Promise<AccessToken> => Promise.resolve({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }),
};

export interface TestEmulator {
  readonly emulator: RunningAzureMlEmulator;
  readonly url: string;
  readonly client: AzureMachineLearningWorkspaces;
  /** `https://host/subscriptions/.../workspaces/local` for raw ARM calls. */
  readonly workspaceUrl: string;
  control(method: string, path: string, body?: unknown): Promise<unknown>;
  arm(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
}

/** Instant progressions and LRO polling by default; tests that watch states pass a paused clock and real steps. */
export async function startTestEmulator(options: AzureMlEmulatorOptions = {}): Promise<TestEmulator> {
  const emulator = await startAzureMlEmulator({
    port: 0,
    lroRetryAfterSeconds: 0,
    steps: { notStartedMs: 0, queuedMs: 0, runningMs: 0, cancelMs: 0, provisioningMs: 0, ...options.steps },
    eventDelivery: { retryDelayInMs: 20, maxAttempts: 3, ...options.eventDelivery },
    ...Object.fromEntries(Object.entries(options).filter(([key]) => key !== 'steps' && key !== 'eventDelivery')),
  });
  const client = new AzureMachineLearningWorkspaces(fixedCredential, SUBSCRIPTION_ID, { endpoint: emulator.url });
  const workspaceUrl = `${emulator.url}/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WS}`;
  const control = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${emulator.url}/_emulator${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`control ${method} ${path} -> ${response.status}: ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  const arm = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${workspaceUrl}${path}${path.includes('?') ? '&' : '?'}api-version=2025-12-01`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  return { emulator, url: emulator.url, client, workspaceUrl, control, arm };
}

/** Polls `probe` until it returns a defined value, or fails after `timeoutMs` naming what was awaited. */
export async function waitFor<T>(
  description: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${description}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}

export const BIKE_FEATURES = ['hour', 'temperature', 'humidity', 'windspeed', 'workingday'];

export function modelVersionId(name: string, version: string): string {
  return `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WS}/models/${name}/versions/${version}`;
}
