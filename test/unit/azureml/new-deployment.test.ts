import { newDeploymentBody, putBodyOf } from '../../../src/azureml/endpoints';
import { parseCatalog } from '../../../src/catalog';

const ws = { region: 'westeurope', subscriptionId: 'sub', resourceGroup: 'rg', workspace: 'ws' };
const WS = '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';

function spec(deployment: Record<string, unknown> = {}, modelType = 'mlflow_model') {
  const model = parseCatalog({
    models: [
      {
        name: 'm',
        training: { kind: 'batchEndpoint', endpoint: 'train-ep', experiment: 'e', datasetInput: 'd' },
        gate: { metrics: [{ name: 'rmse', goal: 'minimize' }] },
        registry: { modelName: 'm', modelType },
        deployment: { endpoint: 'm-endpoint', smokeSample: {}, ...deployment },
      },
    ],
  }).models[0];
  if (!model?.deployment) throw new Error('no model');
  return model.deployment;
}

/** A live deployment as an operator left it (portal/CLI), in its GET shape. */
const live = {
  id: `${WS}/onlineEndpoints/m-endpoint/deployments/m-1`,
  name: 'm-1',
  type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments',
  location: 'westeurope',
  kind: 'Managed',
  identity: { type: 'SystemAssigned', principalId: 'p', tenantId: 't' },
  sku: { name: 'Default', capacity: 3 },
  tags: { team: 'forecasting', 'mlops.model.version': '1' },
  systemData: { createdAt: '2026-01-01T00:00:00Z' },
  properties: {
    endpointComputeType: 'Managed',
    model: `${WS}/models/m/versions/1`,
    description: 'release of m:1',
    properties: { AzureAsyncOperationUri: 'https://…' },
    instanceType: 'Standard_F4s_v2',
    environmentVariables: { WORKERS: '4' },
    livenessProbe: {
      initialDelay: 'PT60S',
      period: 'PT10S',
      timeout: 'PT2S',
      failureThreshold: 30,
      successThreshold: 1,
    },
    readinessProbe: {
      initialDelay: 'PT10S',
      period: 'PT10S',
      timeout: 'PT2S',
      failureThreshold: 30,
      successThreshold: 1,
    },
    startupProbe: { initialDelay: 'PT30S', period: 'PT10S', timeout: 'PT2S', failureThreshold: 3, successThreshold: 1 },
    requestSettings: { requestTimeout: 'PT30S', maxConcurrentRequestsPerInstance: 4, maxQueueWait: 'PT0.5S' },
    scaleSettings: { scaleType: 'Default' },
    appInsightsEnabled: true,
    egressPublicNetworkAccess: 'Disabled',
    provisioningState: 'Succeeded',
  },
};

const request = (deployment: ReturnType<typeof spec>) => ({
  endpoint: 'm-endpoint',
  name: 'm-2',
  modelId: `${WS}/models/m/versions/2`,
  spec: deployment,
  tags: { 'mlops.model.version': '2', 'mlops.managedBy': 'mlops-orchestrator' },
});

describe('a new deployment starts from the live one', () => {
  it('when the catalog sets nothing about the deployment, then everything operators configured is kept and only the model changes', () => {
    const body = newDeploymentBody(ws, live, request(spec()));
    expect(body.properties).toEqual({
      endpointComputeType: 'Managed',
      model: `${WS}/models/m/versions/2`,
      instanceType: 'Standard_F4s_v2',
      environmentVariables: { WORKERS: '4' },
      livenessProbe: live.properties.livenessProbe,
      readinessProbe: live.properties.readinessProbe,
      startupProbe: live.properties.startupProbe,
      requestSettings: live.properties.requestSettings,
      scaleSettings: { scaleType: 'Default' },
      appInsightsEnabled: true,
      egressPublicNetworkAccess: 'Disabled',
    });
    expect(body.sku).toEqual({ name: 'Default', capacity: 3 });
    expect(body.identity).toEqual({ type: 'SystemAssigned' });
    expect(body.tags).toEqual({
      team: 'forecasting',
      'mlops.model.version': '2',
      'mlops.managedBy': 'mlops-orchestrator',
    });
    expect(body).not.toHaveProperty('id');
    expect(body).not.toHaveProperty('systemData');
  });

  it('when the catalog sets instance type and count, timeout, concurrency and App Insights, then only those change', () => {
    const body = newDeploymentBody(
      ws,
      live,
      request(
        spec({
          instanceType: 'Standard_DS3_v2',
          instanceCount: 2,
          requestTimeoutMs: 1500,
          maxConcurrentRequestsPerInstance: 2,
          appInsightsEnabled: false,
        }),
      ),
    );
    expect(body.properties).toMatchObject({
      instanceType: 'Standard_DS3_v2',
      requestSettings: { requestTimeout: 'PT1.5S', maxConcurrentRequestsPerInstance: 2, maxQueueWait: 'PT0.5S' },
      appInsightsEnabled: false,
      environmentVariables: { WORKERS: '4' },
    });
    expect(body.sku).toEqual({ name: 'Default', capacity: 2 });
  });

  it('when the model kind changes, then environment and scoring script follow the catalog, never the old deployment', () => {
    const custom = newDeploymentBody(
      ws,
      live,
      request(
        spec(
          {
            environmentId: 'azureml:inference:2',
            codeConfiguration: { codeId: 'azureml:score:1', scoringScript: 'score.py' },
          },
          'custom_model',
        ),
      ),
    );
    expect(custom.properties).toMatchObject({
      environmentId: `${WS}/environments/inference/versions/2`,
      codeConfiguration: { codeId: `${WS}/codes/score/versions/1`, scoringScript: 'score.py' },
    });
    const liveCustom = { ...live, properties: { ...live.properties, environmentId: 'x', codeConfiguration: {} } };
    const mlflow = newDeploymentBody(ws, liveCustom, request(spec()));
    expect(mlflow.properties).not.toHaveProperty('environmentId');
    expect(mlflow.properties).not.toHaveProperty('codeConfiguration');
  });

  it('when there is no live deployment, then Azure defaults fill what the catalog leaves out', () => {
    const body = newDeploymentBody(ws, undefined, request(spec()));
    expect(body).toEqual({
      location: 'westeurope',
      kind: 'Managed',
      sku: { name: 'Default', capacity: 1 },
      tags: request(spec()).tags,
      properties: {
        endpointComputeType: 'Managed',
        model: `${WS}/models/m/versions/2`,
        instanceType: 'Standard_DS3_v2',
      },
    });
  });

  it('when a resource is read for a PUT, then read-only fields go and user-assigned identities keep only their ids', () => {
    expect(
      putBodyOf(
        {
          location: 'l',
          identity: { type: 'UserAssigned', userAssignedIdentities: { '/id/a': { principalId: 'p', clientId: 'c' } } },
          properties: { provisioningState: 'Succeeded', x: 1 },
        },
        ['provisioningState'],
      ),
    ).toEqual({
      location: 'l',
      identity: { type: 'UserAssigned', userAssignedIdentities: { '/id/a': {} } },
      properties: { x: 1 },
    });
  });
});
