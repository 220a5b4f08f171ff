import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { TokenCredential } from '@azure/identity';

import type { AppConfig } from '../config';
import { AzureMlRequestError, AzureMlTransientError } from '../services/retrain/errors';

/**
 * One Azure ML workspace as the retrain flow sees it: the ARM client (management plane), the credential for the
 * data planes (MLflow, v1 pipelines, batch invoke) and the coordinates.
 */
export interface AzureMlWorkspace {
  readonly arm: AzureMachineLearningWorkspaces;
  readonly credential: TokenCredential;
  /** ARM endpoint (for the few raw management calls the 2.1.1 client cannot express). */
  readonly armEndpoint: string;
  /** api-version of every management call, SDK and raw (pinned in config). */
  readonly apiVersion: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspace: string;
  readonly region: string;
  /** `https://<region>.api.azureml.ms` (or the emulator): MLflow, run history, v1 pipelines. */
  readonly dataPlaneEndpoint: string;
  /** Interval between LRO polls when the service sends no Retry-After (ms). */
  readonly lroIntervalMs: number;
}

/** What names the workspace in ARM ids. */
export type WorkspaceCoordinates = Pick<AzureMlWorkspace, 'subscriptionId' | 'resourceGroup' | 'workspace'>;

export const ARM_SCOPE = 'https://management.azure.com/.default';
export const ML_SCOPE = 'https://ml.azure.com/.default';

/** The ARM client: shared credential, `endpoint` and the pinned api-version from config (not the SDK's 2022-10-01). */
export function createArmClient(
  config: Pick<AppConfig, 'azureml'>,
  credential: TokenCredential,
): AzureMachineLearningWorkspaces {
  return new AzureMachineLearningWorkspaces(credential, config.azureml.subscriptionId, {
    endpoint: config.azureml.armEndpoint,
    credentialScopes: [ARM_SCOPE],
    apiVersion: config.azureml.apiVersion,
  });
}

export function createWorkspace(
  config: Pick<AppConfig, 'azureml'>,
  credential: TokenCredential,
  options: { lroIntervalMs?: number; arm?: AzureMachineLearningWorkspaces } = {},
): AzureMlWorkspace {
  const arm = options.arm ?? createArmClient(config, credential);
  return {
    arm,
    credential,
    armEndpoint: config.azureml.armEndpoint,
    apiVersion: config.azureml.apiVersion,
    subscriptionId: config.azureml.subscriptionId,
    resourceGroup: config.azureml.resourceGroup,
    workspace: config.azureml.workspace,
    region: config.azureml.region,
    dataPlaneEndpoint: config.azureml.dataPlaneEndpoint,
    lroIntervalMs: options.lroIntervalMs ?? 2000,
  };
}

/** `/subscriptions/.../workspaces/<ws>` (the path segment data planes append). */
export function workspacePath(ws: WorkspaceCoordinates): string {
  return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ws.workspace}`;
}

export function statusCodeOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function isNotFound(error: unknown): boolean {
  return statusCodeOf(error) === 404;
}

/** Maps an SDK/fetch failure to the retrain error taxonomy (retryable or not), keeping the service's message. */
export function classifyAzureMlError(error: unknown, what: string): Error {
  if (error instanceof AzureMlTransientError || error instanceof AzureMlRequestError) return error;
  const status = statusCodeOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (status === undefined || status === 408 || status === 409 || status === 429 || status >= 500) {
    return new AzureMlTransientError(`${what} failed${status ? ` (HTTP ${status})` : ''}: ${detail}`, { cause: error });
  }
  return new AzureMlRequestError(`${what} failed (HTTP ${status}): ${detail}`, status, { cause: error });
}

/** Runs an Azure ML call and classifies its failure. */
export async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw classifyAzureMlError(error, what);
  }
}

/** Like `call`, but a 404 yields undefined. */
export async function callOptional<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw classifyAzureMlError(error, what);
  }
}

class HttpStatusError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpStatusError';
  }
}

/** JSON request to an Azure ML data plane with a bearer token for `scope`. */
export async function dataPlaneJson<T>(
  ws: AzureMlWorkspace,
  what: string,
  url: string,
  options: RawRequestOptions = {},
): Promise<T> {
  return (await rawRequest<T>(ws, what, url, options)).body;
}

export interface RawRequestOptions {
  readonly method?: string;
  readonly body?: unknown;
  readonly scope?: string;
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
}

/**
 * A raw JSON request (ARM or a data plane) that also hands back the status and headers: a long-running PUT answers
 * 202 with a `Location` to poll. Errors are classified like every Azure ML call (`call`).
 */
export async function rawRequest<T>(
  ws: AzureMlWorkspace,
  what: string,
  url: string,
  options: RawRequestOptions = {},
): Promise<{ status: number; headers: Headers; body: T }> {
  return call(what, async () => {
    const token = await ws.credential.getToken(options.scope ?? ARM_SCOPE);
    if (!token) throw new HttpStatusError(401, 'no token for the Azure ML data plane');
    const response = await fetch(url, {
      method: options.method ?? 'GET',
      headers: {
        authorization: `Bearer ${token.token}`,
        accept: 'application/json',
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.headers ?? {}),
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : null,
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
    });
    const text = await response.text();
    if (!response.ok) {
      let message = text.slice(0, 500);
      try {
        const parsed = JSON.parse(text) as { error?: { message?: string }; message?: string };
        message = parsed.error?.message ?? parsed.message ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw new HttpStatusError(response.status, message);
    }
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as T };
  });
}
