// Several workspaces and a registry on one emulator: each workspace keeps its own assets and endpoints, ARM refuses
// what it does not host, a registry model version's files must be in the registry's own storage (the upload and the
// deployment by registry asset id: registry-uploads.test.ts), and a deployment may not use another workspace's model
// by ARM id. Sources: docs/azureml-emulator.md "Workspaces and registries".
import { AzureMachineLearningWorkspaces, type OnlineDeployment } from '@azure/arm-machinelearning';

import { BIKE_DEMAND_SEED_JOB, DEMO_PROD_WORKSPACE, DEMO_REGISTRY } from '../../../dev/azureml-emulator';
import {
  fixedCredential,
  modelVersionId,
  RG,
  startTestEmulator,
  SUBSCRIPTION_ID,
  type TestEmulator,
  TOKEN,
  WS,
} from './support';

const PROD = DEMO_PROD_WORKSPACE;
const deployment = (model: string): OnlineDeployment => ({
  location: 'local',
  sku: { name: 'Default', capacity: 1 },
  properties: { endpointComputeType: 'Managed', model, instanceType: 'Standard_DS3_v2' },
});
const LONG_FORM_SEED_OUTPUT = `azureml://subscriptions/${SUBSCRIPTION_ID}/resourcegroups/${RG}/workspaces/${WS}/jobs/${BIKE_DEMAND_SEED_JOB}/outputs/model/paths/`;

describe('Azure ML emulator: several workspaces and a registry', () => {
  let env: TestEmulator;
  let prod: AzureMachineLearningWorkspaces;
  beforeAll(async () => {
    env = await startTestEmulator({ seedDemo: true });
    prod = new AzureMachineLearningWorkspaces(fixedCredential, PROD.subscriptionId, { endpoint: env.url });
  });
  afterAll(async () => {
    await env.emulator.close();
  });
  afterEach(async () => {
    await env.emulator.reset();
  });

  const armAt = (path: string, method = 'GET', body?: unknown) =>
    fetch(`${env.url}${path}${path.includes('?') ? '&' : '?'}api-version=2025-12-01`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const registryPath = `/subscriptions/${DEMO_REGISTRY.subscriptionId}/resourceGroups/${DEMO_REGISTRY.resourceGroup}/providers/Microsoft.MachineLearningServices/registries/${DEMO_REGISTRY.name}`;
  const putRegistryVersion = (modelUri: string, version = '1') =>
    armAt(`${registryPath}/models/bike-demand/versions/${version}`, 'PUT', {
      properties: { modelUri, modelType: 'mlflow_model', tags: { 'mlops.runId': 'r1' } },
    });
  const errorOf = async (response: Response) =>
    ((await response.json()) as { error: { code: string; message: string; target?: string } }).error;

  it('when the prod workspace is read, then it is its own workspace in its own subscription and resource group, with none of local’s models', async () => {
    const ws = await armAt(
      `/subscriptions/${PROD.subscriptionId}/resourceGroups/${PROD.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${PROD.workspace}`,
    );
    expect(ws.status).toBe(200);
    expect(((await ws.json()) as { id: string }).id).toBe(
      `/subscriptions/${PROD.subscriptionId}/resourceGroups/${PROD.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${PROD.workspace}`,
    );
    const prodModels = [];
    for await (const m of prod.modelContainers.list(PROD.resourceGroup, PROD.workspace)) prodModels.push(m.name);
    expect(prodModels).toEqual([]);
    const localModels = [];
    for await (const m of env.client.modelContainers.list(RG, WS)) localModels.push(m.name);
    expect(localModels).toContain('bike-demand');
  });

  it('when a route names a subscription, resource group or workspace the emulator does not host, then ARM answers 404 with its code', async () => {
    const base = (sub: string, rg: string, ws: string) =>
      `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/workspaces/${ws}/models`;
    const codes = async (path: string) => [(await armAt(path)).status, (await errorOf(await armAt(path))).code];
    expect(await codes(base('11111111-1111-1111-1111-111111111111', RG, WS))).toEqual([404, 'SubscriptionNotFound']);
    expect(await codes(base(PROD.subscriptionId, RG, WS))).toEqual([404, 'ResourceGroupNotFound']);
    expect(await codes(base(PROD.subscriptionId, PROD.resourceGroup, 'staging'))).toEqual([404, 'ResourceNotFound']);
  });

  it("when a registry version names a workspace job's output (short or long form) or any storage outside the registry's, then it is refused naming properties.modelUri and nothing is created", async () => {
    for (const uri of [
      `azureml://jobs/${BIKE_DEMAND_SEED_JOB}/outputs/model/paths/`,
      LONG_FORM_SEED_OUTPUT,
      'https://example.blob.core.windows.net/models/bike/',
    ]) {
      const refused = await putRegistryVersion(uri);
      expect(refused.status).toBe(400);
      const error = await errorOf(refused);
      expect(error).toMatchObject({ target: 'properties.modelUri' });
      expect(error.message).toContain('startPendingUpload');
    }
    expect((await armAt(`${registryPath}/models/bike-demand/versions/1`)).status).toBe(404);
  });

  it("when a prod deployment names local's model by ARM id or a registry version that does not exist, then 400 names properties.model and nothing is created", async () => {
    await prod.onlineEndpoints.beginCreateOrUpdateAndWait(PROD.resourceGroup, PROD.workspace, 'bike-prod', {
      location: 'local',
      kind: 'Managed',
      properties: { authMode: 'Key' },
    });
    for (const model of [
      modelVersionId('bike-demand', '1'),
      'azureml://registries/shared/models/bike-demand/versions/9',
    ]) {
      const refused = await prod.onlineDeployments
        .beginCreateOrUpdateAndWait(PROD.resourceGroup, PROD.workspace, 'bike-prod', 'blue', deployment(model))
        .then(
          () => undefined,
          (error: unknown) => error as { statusCode?: number; message?: string },
        );
      expect(refused?.statusCode).toBe(400);
    }
    const listed = [];
    for await (const d of prod.onlineDeployments.list(PROD.resourceGroup, PROD.workspace, 'bike-prod')) listed.push(d);
    expect(listed).toEqual([]);
  });
});
