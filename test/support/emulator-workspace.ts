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
