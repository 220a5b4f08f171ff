import { RG, startTestEmulator, type TestEmulator, TOKEN, WS } from './support';

const PIPELINE_DEPLOYMENT = {
  location: 'local',
  properties: {
    deploymentConfiguration: {
      deploymentConfigurationType: 'PipelineComponent',
      componentId: { referenceType: 'Id', assetId: 'azureml:train-linear-regression:1' },
      settings: { target_column: 'count', default_compute: 'cpu-cluster' },
    },
  },
};

describe('Azure ML emulator: batch endpoints and deployments', () => {
  let env: TestEmulator;
  beforeAll(async () => {
    env = await startTestEmulator({});
  });
  afterAll(async () => {
    await env.emulator.close();
  });
  afterEach(async () => {
    await env.emulator.reset();
  });

  const invoke = (endpoint: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${env.url}/batchEndpoints/${endpoint}/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('when a batch endpoint is created through the SDK LRO, then it is Succeeded with a scoringUri on the emulator host', async () => {
    const endpoint = await env.client.batchEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'trainer', {
      location: 'local',
      properties: { authMode: 'AADToken' },
    });
    expect(endpoint.properties).toMatchObject({
      provisioningState: 'Succeeded',
      scoringUri: `${env.url}/batchEndpoints/trainer/jobs`,
    });
    const keyMode = await env.arm('PUT', '/batchEndpoints/keyed', {
      location: 'local',
      properties: { authMode: 'Key' },
    });
    expect(keyMode.status).toBe(400);
  });

  it('when a pipeline-component deployment is PUT raw and invoked by header, then a Pipeline job is created with the inputs', async () => {
    await env.client.batchEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'trainer', {
      location: 'local',
      properties: { authMode: 'AADToken' },
    });
    const put = await env.arm('PUT', '/batchEndpoints/trainer/deployments/pipeline', PIPELINE_DEPLOYMENT);
    expect(put.status).toBe(201);
    expect(put.headers.get('azure-asyncoperation')).toContain('/mfeOperationsStatus/');
    const deployment = await env.client.batchDeployments.get(RG, WS, 'trainer', 'pipeline');
    expect(deployment.properties.provisioningState).toBe('Succeeded');

    const noDefault = await invoke('trainer', { properties: { InputData: {} } });
    expect(noDefault.status).toBe(400);
    const response = await invoke(
      'trainer',
      {
        properties: {
          InputData: { training_data: { JobInputType: 'UriFolder', Uri: 'azureml://datastores/landing/paths/bikes/' } },
        },
      },
      { 'azureml-model-deployment': 'pipeline' },
    );
    expect(response.status).toBe(200);
    const job = (await response.json()) as { name: string };
    const stored = (await (await env.arm('GET', `/jobs/${job.name}`)).json()) as {
      properties: Record<string, unknown>;
    };
    expect(stored.properties).toMatchObject({
      jobType: 'Pipeline',
      experimentName: 'trainer',
      inputs: {
        training_data: { jobInputType: 'uri_folder', uri: 'azureml://datastores/landing/paths/bikes/' },
        target_column: { jobInputType: 'literal', value: 'count' },
      },
      properties: { 'azureml.batchrun': 'true', 'azureml.deploymentname': 'pipeline' },
    });
  });

  it('when a datastore URI lacks /paths/ or the deployment is a model deployment, then invoke is refused', async () => {
    await env.client.batchEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'trainer', {
      location: 'local',
      properties: { authMode: 'AADToken' },
    });
    await env.arm('PUT', '/batchEndpoints/trainer/deployments/pipeline', PIPELINE_DEPLOYMENT);
    const badUri = await invoke(
      'trainer',
      { properties: { InputData: { data: { JobInputType: 'UriFile', Uri: 'azureml://datastores/landing/x.csv' } } } },
      { 'azureml-model-deployment': 'pipeline' },
    );
    expect(badUri.status).toBe(400);
    await env.arm('PUT', '/batchEndpoints/trainer/deployments/scorer', {
      location: 'local',
      properties: { model: { referenceType: 'Id', assetId: 'azureml:bike-demand:1' } },
    });
    const model = await invoke('trainer', { properties: {} }, { 'azureml-model-deployment': 'scorer' });
    expect(model.status).toBe(501);
    expect(await model.json()).toMatchObject({ error: { code: 'NotSupportedByEmulator' } });
  });

  it('when the default deployment is deleted, then 409; other deployments delete through the LRO', async () => {
    await env.client.batchEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'trainer', {
      location: 'local',
      properties: { authMode: 'AADToken' },
    });
    await env.arm('PUT', '/batchEndpoints/trainer/deployments/pipeline', PIPELINE_DEPLOYMENT);
    await env.arm('PUT', '/batchEndpoints/trainer/deployments/other', PIPELINE_DEPLOYMENT);
    await env.client.batchEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'trainer', {
      location: 'local',
      properties: { authMode: 'AADToken', defaults: { deploymentName: 'pipeline' } },
    });
    await expect(env.client.batchDeployments.beginDeleteAndWait(RG, WS, 'trainer', 'pipeline')).rejects.toMatchObject({
      statusCode: 409,
    });
    await env.client.batchDeployments.beginDeleteAndWait(RG, WS, 'trainer', 'other');
    await expect(env.client.batchDeployments.get(RG, WS, 'trainer', 'other')).rejects.toMatchObject({
      statusCode: 404,
    });
  });
});
