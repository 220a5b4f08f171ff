import type { AccessToken, TokenCredential } from '@azure/identity';

import { REGION, RESOURCE_GROUP, SUBSCRIPTION_ID, WORKSPACE, type WorkspaceRef } from '../../dev/azureml-emulator';
import { type AzureMlWorkspace, createWorkspace } from '../../src/azureml/workspace';
import { PINNED_AZUREML_API_VERSION } from '../../src/config';

/** Any bearer token passes the emulator's management plane and data planes. */
export const emulatorCredential: TokenCredential = {
  getToken: (): Promise<AccessToken> =>
    Promise.resolve({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

/** The app's workspace clients pointed at an emulator (its default workspace, or `workspace`; the pinned api-version). */
export function emulatorWorkspace(
  emulatorUrl: string,
  options: { lroIntervalMs?: number; credential?: TokenCredential; workspace?: WorkspaceRef } = {},
): AzureMlWorkspace {
  return createWorkspace(
    {
      azureml: {
        subscriptionId: options.workspace?.subscriptionId ?? SUBSCRIPTION_ID,
        resourceGroup: options.workspace?.resourceGroup ?? RESOURCE_GROUP,
        workspace: options.workspace?.workspace ?? WORKSPACE,
        region: REGION,
        armEndpoint: emulatorUrl,
        dataPlaneEndpoint: emulatorUrl,
        apiVersion: PINNED_AZUREML_API_VERSION,
      },
    },
    options.credential ?? emulatorCredential,
    { lroIntervalMs: options.lroIntervalMs ?? 50 },
  );
}

/** The catalog entry's training/gate/registry part for the emulator's seeded bike-demand model; add `deployment`. */
export function seededModelEntry(): Record<string, unknown> {
  return {
    name: 'bike-demand',
    training: { kind: 'batchEndpoint', endpoint: 'bike-demand-train', experiment: 'e', datasetInput: 'd' },
    gate: { metrics: [{ name: 'rmse', goal: 'minimize' }] },
    registry: { modelName: 'bike-demand' },
  };
}

/**
 * Creates (or updates) a batch endpoint with model deployments of the seeded `bike-demand:1`, appending rows, and
 * makes the first one named the default. `deployments` maps each deployment's name to its own settings.
 */
export async function createBatchModelEndpoint(
  ws: AzureMlWorkspace,
  endpoint: string,
  deployments: Record<string, Record<string, unknown>>,
): Promise<void> {
  const lro = { updateIntervalInMs: 20 };
  await ws.arm.batchEndpoints.beginCreateOrUpdateAndWait(
    ws.resourceGroup,
    ws.workspace,
    endpoint,
    { location: 'local', properties: { authMode: 'AADToken' } },
    lro,
  );
  for (const [name, properties] of Object.entries(deployments)) {
    await ws.arm.batchDeployments.beginCreateOrUpdateAndWait(
      ws.resourceGroup,
      ws.workspace,
      endpoint,
      name,
      {
        location: 'local',
        properties: {
          model: { referenceType: 'Id', assetId: 'azureml:bike-demand:1' },
          compute: 'cpu-cluster',
          outputAction: 'AppendRow',
          ...properties,
        },
      } as never,
      lro,
    );
  }
  const first = Object.keys(deployments)[0];
  await ws.arm.batchEndpoints.beginCreateOrUpdateAndWait(
    ws.resourceGroup,
    ws.workspace,
    endpoint,
    {
      location: 'local',
      properties: { authMode: 'AADToken', ...(first ? { defaults: { deploymentName: first } } : {}) },
    },
    lro,
  );
}
