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
import { setTraffic } from '../../../src/azureml/endpoints';
import { modelVersionId } from '../../../src/azureml/registry';
import type { AzureMlWorkspace } from '../../../src/azureml/workspace';
import { PINNED_AZUREML_API_VERSION } from '../../../src/config';
import { emulatorWorkspace } from '../../support/emulator-workspace';

jest.setTimeout(60_000);

/** ARM PUT replaces the resource: a traffic update must send back everything operators set on the endpoint. */
describe('online endpoint traffic update against the emulator', () => {
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

    const updated = await setTraffic(ws, BIKE_DEMAND_ONLINE_ENDPOINT, {
      [BIKE_DEMAND_ONLINE_DEPLOYMENT]: 50,
      green: 50,
    });

    expect(updated.traffic).toEqual({ [BIKE_DEMAND_ONLINE_DEPLOYMENT]: 50, green: 50 });
    const after = await arm('GET', endpointUrl);
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
});
