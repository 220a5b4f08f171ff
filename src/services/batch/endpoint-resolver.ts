/**
 * Finds how to score through a managed online endpoint: scoring URI, which model version each deployment serves,
 * and the endpoint key.
 *
 * @remarks A small resolver over `@azure/arm-machinelearning` for batch scoring. The key never leaves the activity
 * process: the plan activity returns the URI and versions (they enter orchestration history); the mini-batch
 * activity asks for the key itself, cached per endpoint for a few minutes.
 */
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';

export interface EndpointInfo {
  readonly scoringUri: string;
  /** deployment name → `<model name>:<version>` (or the raw model reference when it is not an ARM id). */
  readonly modelVersions: Record<string, string>;
  readonly traffic: Record<string, number>;
}

export interface EndpointResolver {
  describe(endpoint: string): Promise<EndpointInfo>;
  key(endpoint: string): Promise<string>;
  /** Drops a cached key (after a 401: the key may have been regenerated). */
  forgetKey?(endpoint: string): void;
}

export class EndpointNotReadyError extends Error {
  override readonly name = 'EndpointNotReadyError';
  constructor(endpoint: string, detail: string) {
    super(`online endpoint ${endpoint} cannot score: ${detail}`);
  }
}

/** `.../models/<name>/versions/<v>` or `azureml:<name>:<v>` → `<name>:<v>`. */
export function modelVersionOf(reference: string | undefined): string | undefined {
  if (!reference) return undefined;
  const arm = /\/models\/([^/]+)\/versions\/([^/]+)$/i.exec(reference);
  if (arm) return `${arm[1]}:${arm[2]}`;
  const uri = /^azureml:(?:\/\/.*\/)?([^:/]+):([^:/]+)$/i.exec(reference);
  if (uri) return `${uri[1]}:${uri[2]}`;
  return reference;
}

export function armEndpointResolver(
  client: AzureMachineLearningWorkspaces,
  workspace: { readonly resourceGroup: string; readonly workspace: string },
  options: { keyTtlMs?: number; now?: () => number } = {},
): EndpointResolver {
  const ttl = options.keyTtlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const keys = new Map<string, { value: Promise<string>; expires: number }>();
  const { resourceGroup, workspace: ws } = workspace;
  return {
    async describe(endpoint) {
      const ep = await client.onlineEndpoints.get(resourceGroup, ws, endpoint);
      const scoringUri = ep.properties.scoringUri;
      if (!scoringUri) throw new EndpointNotReadyError(endpoint, 'it has no scoringUri yet');
      const traffic = ep.properties.traffic ?? {};
      const modelVersions: Record<string, string> = {};
      for await (const d of client.onlineDeployments.list(resourceGroup, ws, endpoint)) {
        const version = modelVersionOf(d.properties.model);
        if (d.name && version) modelVersions[d.name] = version;
      }
      return { scoringUri, modelVersions, traffic };
    },
    key(endpoint) {
      const cached = keys.get(endpoint);
      if (cached && cached.expires > now()) return cached.value;
      const value = client.onlineEndpoints.listKeys(resourceGroup, ws, endpoint).then((k) => {
        if (!k.primaryKey) throw new EndpointNotReadyError(endpoint, 'it has no key (authMode is not Key)');
        return k.primaryKey;
      });
      keys.set(endpoint, { value, expires: now() + ttl });
      value.catch(() => keys.delete(endpoint));
      return value;
    },
    forgetKey(endpoint) {
      keys.delete(endpoint);
    },
  };
}
