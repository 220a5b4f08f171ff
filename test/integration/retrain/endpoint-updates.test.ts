import {
  BIKE_DEMAND_ONLINE_DEPLOYMENT,
  BIKE_DEMAND_ONLINE_ENDPOINT,
  REGION,
  RESOURCE_GROUP,
  type RunningAzureMlEmulator,
  startAzureMlEmulator,
  SUBSCRIPTION_ID,
  WORKSPACE,
} from '../../../dev/azureml-emulator';
import { beginCreateDeployment, beginSetTraffic } from '../../../src/azureml/endpoints';
import { parseCatalog } from '../../../src/catalog';
import { modelVersionId } from '../../../src/azureml/registry';
import type { AzureMlWorkspace } from '../../../src/azureml/workspace';
import { PINNED_AZUREML_API_VERSION } from '../../../src/config';
import { emulatorWorkspace, seededModelEntry } from '../../support/emulator-workspace';

jest.setTimeout(60_000);

/** ARM PUT replaces the resource: a traffic update must send back everything operators set on the endpoint. */
describe('online endpoint updates against the emulator', () => {
  let emulator: RunningAzureMlEmulator;
  let ws: AzureMlWorkspace;
  let endpointUrl: string;

  const arm = async (method: string, url: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(url, {
      method,
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${url} -> ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  };
  const settled = async (): Promise<Record<string, unknown>> => {
    for (;;) {
      const endpoint = await arm('GET', endpointUrl);
      const state = (endpoint.properties as { provisioningState?: string }).provisioningState;
      if (state === 'Succeeded') return endpoint;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  beforeAll(async () => {
    emulator = await startAzureMlEmulator({
      port: 0,
      seedDemo: true,
      lroRetryAfterSeconds: 0,
      steps: { provisioningMs: 0 },
    });
    ws = emulatorWorkspace(emulator.url, { lroIntervalMs: 20 });
    endpointUrl = `${emulator.url}/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE}/onlineEndpoints/${BIKE_DEMAND_ONLINE_ENDPOINT}?api-version=${PINNED_AZUREML_API_VERSION}`;
    for (const name of ['green', 'shadow']) {
      await ws.arm.onlineDeployments.beginCreateOrUpdateAndWait(
        RESOURCE_GROUP,
        WORKSPACE,
        BIKE_DEMAND_ONLINE_ENDPOINT,
        name,
        {
          location: REGION,
          sku: { name: 'Default', capacity: 1 },
          properties: {
            endpointComputeType: 'Managed',
            model: modelVersionId(ws, 'bike-demand', '1'),
            instanceType: 'Standard_DS3_v2',
          },
        },
        { updateIntervalInMs: 20 },
      );
    }
  });

  afterAll(async () => {
    await emulator?.close();
  });

  it('when traffic moves, then publicNetworkAccess, mirrorTraffic, tags, description and the identity survive', async () => {
    const before = await arm('GET', endpointUrl);
    const identity = before.identity as { principalId?: string; tenantId?: string };
    expect(identity.principalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(identity.tenantId).toMatch(/^[0-9a-f-]{36}$/);
    // What an operator configured by hand (portal, CLI) after the app created the endpoint.
    await arm('PUT', endpointUrl, {
      location: before.location,
      kind: before.kind,
      identity: { type: 'SystemAssigned' },
      tags: { team: 'forecasting' },
      properties: {
        authMode: 'Key',
        description: 'private bike endpoint',
        publicNetworkAccess: 'Disabled',
        traffic: { [BIKE_DEMAND_ONLINE_DEPLOYMENT]: 100 },
        mirrorTraffic: { shadow: 10 },
      },
    });
    await settled();

    const updated = await beginSetTraffic(ws, BIKE_DEMAND_ONLINE_ENDPOINT, {
      [BIKE_DEMAND_ONLINE_DEPLOYMENT]: 50,
      green: 50,
    });

    // The change is started, not awaited: the caller polls provisioningState.
    expect(updated).toMatchObject({ provisioningState: 'Updating' });
    expect(updated.traffic).toEqual({ [BIKE_DEMAND_ONLINE_DEPLOYMENT]: 50, green: 50 });
    const after = await settled();
    expect(after.properties).toMatchObject({
      publicNetworkAccess: 'Disabled',
      mirrorTraffic: { shadow: 10 },
      description: 'private bike endpoint',
      authMode: 'Key',
      traffic: { [BIKE_DEMAND_ONLINE_DEPLOYMENT]: 50, green: 50 },
    });
    expect(after.tags).toEqual({ team: 'forecasting' });
    expect(after.identity).toEqual(before.identity);
  });

  it('when a release creates the next deployment, then it starts from the live one: operator settings survive, the catalog changes only what it sets', async () => {
    const deploymentUrl = (name: string) => endpointUrl.replace('?api-version', `/deployments/${name}?api-version`);
    const live = await arm('GET', deploymentUrl(BIKE_DEMAND_ONLINE_DEPLOYMENT));
    // An operator tuned the live deployment by hand.
    await arm('PUT', deploymentUrl(BIKE_DEMAND_ONLINE_DEPLOYMENT), {
      location: live.location,
      kind: 'Managed',
      sku: { name: 'Default', capacity: 2 },
      tags: { owner: 'ops' },
      properties: {
        ...(live.properties as Record<string, unknown>),
        provisioningState: undefined,
        environmentVariables: { WORKERS: '4' },
        livenessProbe: {
          initialDelay: 'PT60S',
          period: 'PT10S',
          timeout: 'PT2S',
          failureThreshold: 30,
          successThreshold: 1,
        },
        startupProbe: {
          initialDelay: 'PT30S',
          period: 'PT10S',
          timeout: 'PT2S',
          failureThreshold: 3,
          successThreshold: 1,
        },
        requestSettings: { requestTimeout: 'PT20S', maxConcurrentRequestsPerInstance: 4 },
        egressPublicNetworkAccess: 'Disabled',
      },
    });
    await waitForDeployment(BIKE_DEMAND_ONLINE_DEPLOYMENT);
    await ws.arm.modelVersions.createOrUpdate(RESOURCE_GROUP, WORKSPACE, 'bike-demand', '2', {
      properties: {
        modelUri: 'azureml://jobs/bike-demand-seed-training/outputs/model/paths/',
        modelType: 'mlflow_model',
      },
    });
    const catalog = parseCatalog({
      models: [
        {
          ...seededModelEntry(),
          deployment: { endpoint: BIKE_DEMAND_ONLINE_ENDPOINT, smokeSample: {}, appInsightsEnabled: true },
        },
      ],
    });

    const created = await beginCreateDeployment(ws, {
      endpoint: BIKE_DEMAND_ONLINE_ENDPOINT,
      name: 'bike-demand-v2',
      modelId: modelVersionId(ws, 'bike-demand', '2'),
      spec: catalog.models[0]!.deployment!,
      tags: { 'mlops.model.version': '2' },
    });

    expect(created.requestTimeoutMs).toBe(20_000);
    const next = await waitForDeployment('bike-demand-v2');
    expect(next.sku).toEqual({ name: 'Default', capacity: 2 });
    expect(next.tags).toEqual({ owner: 'ops', 'mlops.model.version': '2' });
    expect(next.properties).toMatchObject({
      model: modelVersionId(ws, 'bike-demand', '2'),
      environmentVariables: { WORKERS: '4' },
      livenessProbe: { initialDelay: 'PT60S' },
      startupProbe: { initialDelay: 'PT30S' },
      requestSettings: { requestTimeout: 'PT20S', maxConcurrentRequestsPerInstance: 4 },
      egressPublicNetworkAccess: 'Disabled',
      appInsightsEnabled: true,
      provisioningState: 'Succeeded',
    });

    async function waitForDeployment(name: string): Promise<Record<string, unknown>> {
      for (;;) {
        const deployment = await arm('GET', deploymentUrl(name));
        const state = (deployment.properties as { provisioningState?: string }).provisioningState;
        if (state === 'Succeeded') return deployment;
        if (state === 'Failed') throw new Error(`deployment ${name} failed`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  });
});
