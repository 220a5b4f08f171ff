/**
 * Each hosted workspace: `GET .../workspaces/{ws}` (read-only), so clients can discover the MLflow tracking URI.
 */
import { currentWorkspaceId, PROVIDER, REGION, WS_ROUTE } from '../arm';
import { currentWorkspace } from '../workspaces';
import type { EmulatorContext } from '../context';
import { notSupported } from '../errors';
import type { Router } from '../http';

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
  for (const method of ['PUT', 'PATCH', 'DELETE']) {
    router.add(method, WS_ROUTE, () => {
      throw notSupported(
        `${method} on the workspace (the emulator's workspaces are fixed by its options and the demo seed)`,
      );
    });
  }
}
