/**
 * The one workspace: `GET .../workspaces/{ws}` (read-only), so clients can discover the MLflow tracking URI.
 */
import { PROVIDER, REGION, WORKSPACE, WORKSPACE_ID, WS_ROUTE } from '../arm';
import type { EmulatorContext } from '../context';
import { notSupported } from '../errors';
import type { Router } from '../http';

export function registerWorkspaceRoutes(router: Router, context: EmulatorContext): void {
  router.add('GET', WS_ROUTE, () => {
    const host = new URL(context.baseUrl()).host;
    return {
      status: 200,
      body: {
        id: WORKSPACE_ID,
        name: WORKSPACE,
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
          mlFlowTrackingUri: `azureml://${host}/mlflow/v1.0${WORKSPACE_ID}`,
          workspaceId: '00000000-0000-0000-0000-00000000a001',
          publicNetworkAccess: 'Enabled',
        },
      },
    };
  });
  for (const method of ['PUT', 'PATCH', 'DELETE']) {
    router.add(method, WS_ROUTE, () => {
      throw notSupported(`${method} on the workspace (the emulator hosts exactly one fixed workspace)`);
    });
  }
}
