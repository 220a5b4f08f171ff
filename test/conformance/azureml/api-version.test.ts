import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';

import { PINNED_AZUREML_API_VERSION } from '../../../src/config';
import { fixedCredential, RG, startTestEmulator, SUBSCRIPTION_ID, type TestEmulator, TOKEN, WS } from './support';

/** ARM checks the api-version before any resource provider sees the request (Learn: resource provider errors). */
describe('Azure ML emulator: api-version (ARM)', () => {
  let env: TestEmulator;
  beforeAll(async () => {
    env = await startTestEmulator({ seedDemo: true });
  });
  afterAll(async () => {
    await env.emulator.close();
  });

  const get = (query: string) =>
    fetch(`${env.workspaceUrl}/onlineEndpoints${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });

  it('when the api-version is unknown, then 400 NoRegisteredProviderFound lists the supported versions', async () => {
    const response = await get('?api-version=2025-13-01');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('NoRegisteredProviderFound');
    expect(body.error.message).toContain("API version '2025-13-01'");
    expect(body.error.message).toContain('2025-12-01');
  });

  it('when the api-version is missing, then 400 MissingApiVersionParameter', async () => {
    const response = await get('');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('MissingApiVersionParameter');
  });

  it('when the SDK client uses an api-version ARM does not serve, then the call fails with 400 (a typo never passes locally)', async () => {
    const client = new AzureMachineLearningWorkspaces(fixedCredential, SUBSCRIPTION_ID, {
      endpoint: env.url,
      apiVersion: '2025-12-31',
    });
    await expect(client.onlineEndpoints.get(RG, WS, 'bike-demand')).rejects.toMatchObject({
      statusCode: 400,
      code: 'NoRegisteredProviderFound',
    });
  });

  it("when the app's pinned api-version is used, then the emulator serves it; data planes take none", async () => {
    expect(PINNED_AZUREML_API_VERSION).toBe('2025-12-01');
    expect((await get(`?api-version=${PINNED_AZUREML_API_VERSION}`)).status).toBe(200);
    const mlflow = await fetch(
      `${env.url}/mlflow/v1.0/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WS}/api/2.0/mlflow/runs/get?run_id=bike-demand-seed-training`,
      { headers: { authorization: `Bearer ${TOKEN}` } },
    );
    expect(mlflow.status).toBe(200);
  });
});
