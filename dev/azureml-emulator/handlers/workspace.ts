/**
 * Each hosted workspace: `GET .../workspaces/{ws}` (read-only), so clients can discover the MLflow tracking URI.
 */
import { currentWorkspaceId, PROVIDER, REGION, WS_ROUTE } from '../arm';
import { currentWorkspace } from '../workspaces';
import type { EmulatorContext } from '../context';
import { notFound, notSupported } from '../errors';
import { param, type Router } from '../http';
import { WORKSPACE_ARTIFACT_STORE, WORKSPACE_BLOB_STORE } from '../runtime/job-output-files';

export function registerWorkspaceRoutes(router: Router, context: EmulatorContext): void {
  router.add('GET', WS_ROUTE, () => {
    const host = new URL(context.baseUrl()).host;
    const id = currentWorkspaceId();
    return {
      status: 200,
      body: {
        id,
        name: currentWorkspace().workspace,
        type: `${PROVIDER}/workspaces`,
        location: REGION,
        kind: 'Default',
        identity: { type: 'SystemAssigned' },
        sku: { name: 'Basic', tier: 'Basic' },
        tags: {},
        properties: {
          friendlyName: 'Local Azure ML emulator workspace',
          provisioningState: 'Succeeded',
          discoveryUrl: `${context.baseUrl()}/discovery`,
          mlFlowTrackingUri: `azureml://${host}/mlflow/v1.0${id}`,
          workspaceId: '00000000-0000-0000-0000-00000000a001',
          publicNetworkAccess: 'Enabled',
        },
      },
    };
  });
  // The two datastores Azure creates with a workspace (Learn, "Create datastores"), read-only; bodies as
  // examples/Datastore/get.json (stable 2025-12-01). Identity-based (credentialsType None) on the Azurite account.
  router.add('GET', `${WS_ROUTE}/datastores/{name}`, (request) => {
    const name = param(request, 'name');
    if (name !== WORKSPACE_BLOB_STORE && name !== WORKSPACE_ARTIFACT_STORE) throw notFound('Datastore', name);
    if (!context.dataAccess.hasBlobStorage()) throw notSupported('Datastores without Azurite');
    return {
      status: 200,
      body: {
        id: `${currentWorkspaceId()}/datastores/${name}`,
        name,
        type: `${PROVIDER}/workspaces/datastores`,
        properties: {
          description: name === WORKSPACE_BLOB_STORE ? 'The default datastore' : 'Job artifacts',
          tags: {},
          isDefault: name === WORKSPACE_BLOB_STORE,
          credentials: { credentialsType: 'None' },
          datastoreType: 'AzureBlob',
          accountName: context.dataAccess.accountName() ?? '',
          containerName: context.dataAccess.datastoreContainer(name),
          endpoint: 'core.windows.net',
          protocol: 'https',
          serviceDataAccessAuthIdentity: 'WorkspaceSystemAssignedIdentity',
        },
      },
    };
  });
  for (const method of ['PUT', 'PATCH', 'DELETE']) {
    router.add(method, WS_ROUTE, () => {
      throw notSupported(
        `${method} on the workspace (the emulator's workspaces are fixed by its options and the demo seed)`,
      );
    });
  }
}
