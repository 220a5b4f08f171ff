// Several workspaces and a registry on one emulator: each workspace keeps its own assets and endpoints, ARM refuses
// what it does not host, a registry model version is a long-running PUT whose files must come from a workspace job
// named in full, and a deployment in any workspace may use it by registry asset id — but not another workspace's
// model by ARM id. Sources: docs/azureml-emulator.md "Workspaces and registries".
import { AzureMachineLearningWorkspaces, type OnlineDeployment } from '@azure/arm-machinelearning';

import { BIKE_DEMAND_SEED_JOB, DEMO_PROD_WORKSPACE, DEMO_REGISTRY } from '../../../dev/azureml-emulator';
import {
  BIKE_FEATURES,
  fixedCredential,
  modelVersionId,
  RG,
  startTestEmulator,
  SUBSCRIPTION_ID,
  type TestEmulator,
  TOKEN,
  waitFor,
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

  it('when a registry version is created from the long form of a workspace job output, then the PUT is an LRO and a prod deployment serves it by registry asset id', async () => {
    const accepted = await putRegistryVersion(LONG_FORM_SEED_OUTPUT);
    expect(accepted.status).toBe(202);
    const location = accepted.headers.get('location') ?? '';
    expect(location).toContain('/mfeOperationResults/');
    await waitFor('the registry copy', async () => {
      const polled = await fetch(location, { headers: { authorization: `Bearer ${TOKEN}` } });
      return polled.status === 200 ? true : undefined;
    });
    const version = (await (await armAt(`${registryPath}/models/bike-demand/versions/1`)).json()) as {
      id: string;
      properties: { provisioningState: string; tags: Record<string, string> };
    };
    expect(version.id).toBe(`${registryPath}/models/bike-demand/versions/1`);
    expect(version.properties).toMatchObject({ provisioningState: 'Succeeded', tags: { 'mlops.runId': 'r1' } });

    await prod.onlineEndpoints.beginCreateOrUpdateAndWait(PROD.resourceGroup, PROD.workspace, 'bike-prod', {
      location: 'local',
      kind: 'Managed',
      properties: { authMode: 'Key' },
    });
    const deployed = await prod.onlineDeployments.beginCreateOrUpdateAndWait(
      PROD.resourceGroup,
      PROD.workspace,
      'bike-prod',
      'blue',
      deployment('azureml://registries/shared/models/bike-demand/versions/1'),
    );
    expect(deployed.properties.provisioningState).toBe('Succeeded');
    await prod.onlineEndpoints.beginCreateOrUpdateAndWait(PROD.resourceGroup, PROD.workspace, 'bike-prod', {
      location: 'local',
      kind: 'Managed',
      properties: { authMode: 'Key', traffic: { blue: 100 } },
    });
    const endpoint = await prod.onlineEndpoints.get(PROD.resourceGroup, PROD.workspace, 'bike-prod');
    const keys = await prod.onlineEndpoints.listKeys(PROD.resourceGroup, PROD.workspace, 'bike-prod');
    const scored = await fetch(endpoint.properties.scoringUri ?? '', {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.primaryKey ?? ''}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input_data: { columns: BIKE_FEATURES, data: [[8, 20, 0.5, 10, 1]] } }),
    });
    expect(scored.status).toBe(200);
    // The endpoint lives in prod only.
    const inLocal = await env.arm('GET', '/onlineEndpoints/bike-prod');
    expect(inLocal.status).toBe(404);
  });

  it('when a registry version names a job by the short form, an unknown job, or changes its files, then it is refused naming properties.modelUri', async () => {
    const short = await putRegistryVersion(`azureml://jobs/${BIKE_DEMAND_SEED_JOB}/outputs/model/paths/`);
    expect(short.status).toBe(400);
    expect(await errorOf(short)).toMatchObject({ target: 'properties.modelUri' });
    const unknown = await putRegistryVersion(LONG_FORM_SEED_OUTPUT.replace(BIKE_DEMAND_SEED_JOB, 'no-such-job'));
    expect(unknown.status).toBe(400);
    expect((await errorOf(unknown)).message).toContain('does not exist');
    expect((await armAt(`${registryPath}/models/bike-demand/versions/1`)).status).toBe(404);
    expect((await putRegistryVersion(LONG_FORM_SEED_OUTPUT)).status).toBe(202);
    const changed = await putRegistryVersion(LONG_FORM_SEED_OUTPUT.replace('/paths/', '/paths/other/'));
    expect(changed.status).toBe(409);
    expect(await errorOf(changed)).toMatchObject({ target: 'properties.modelUri' });
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
