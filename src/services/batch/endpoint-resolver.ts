/**
 * Finds how to score through a managed online endpoint: scoring URI, which model version each deployment serves,
 * and the scoring secret (key, AML token or Entra token, per the endpoint's authMode).
 *
 * @remarks A small resolver over `@azure/arm-machinelearning` for batch scoring. The secret never leaves the activity
 * process: the plan activity returns the URI and versions (they enter orchestration history); the mini-batch
 * activity asks for the secret itself (`armScoringSecrets`: cached, renewed when due and after a 401).
 */
import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { TokenCredential } from '@azure/identity';

import { armScoringSecrets } from '../../azureml/scoring-auth';

export interface EndpointInfo {
  readonly scoringUri: string;
  /** deployment name → `<model name>:<version>` (or the raw model reference when it is not an ARM id). */
  readonly modelVersions: Record<string, string>;
  readonly traffic: Record<string, number>;
}

export interface EndpointResolver {
  describe(endpoint: string): Promise<EndpointInfo>;
  /** The secret scoring requests send (`Authorization: Bearer`), renewed when due. */
  secret(endpoint: string): Promise<string>;
  /** A request with `stale` got a 401 (key regenerated, token expired): the next `secret` renews it. */
  refresh?(endpoint: string, stale: string): void;
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

const NO_CREDENTIAL: TokenCredential = {
  getToken: () => Promise.reject(new Error('no credential was given for AADToken endpoints')),
};

export function armEndpointResolver(
  client: AzureMachineLearningWorkspaces,
  workspace: {
    readonly resourceGroup: string;
    readonly workspace: string;
    /** For endpoints with authMode AADToken (an Entra token for https://ml.azure.com). */
    readonly credential?: TokenCredential;
  },
  options: { keyTtlMs?: number; now?: () => number } = {},
): EndpointResolver {
  const { resourceGroup, workspace: ws } = workspace;
  const secrets = armScoringSecrets({
    arm: client,
    credential: workspace.credential ?? NO_CREDENTIAL,
    resourceGroup,
    workspace: ws,
    ...(options.keyTtlMs !== undefined ? { keyRefreshMs: options.keyTtlMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
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
    secret: (endpoint) => secrets.get(endpoint),
    refresh: (endpoint, stale) => secrets.refresh(endpoint, stale),
  };
}
