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

  it('when a datastore URI lacks /paths/ or a model deployment gets no data input, then invoke is refused', async () => {
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
    const unknownModel = await env.arm('PUT', '/batchEndpoints/trainer/deployments/scorer', {
      location: 'local',
      properties: { model: { referenceType: 'Id', assetId: 'azureml:no-such-model:1' } },
    });
    expect(unknownModel.status).toBe(400);
    await env.client.modelContainers.createOrUpdate(RG, WS, 'scorer-model', { properties: {} });
    await env.client.modelVersions.createOrUpdate(RG, WS, 'scorer-model', '1', {
      properties: { modelType: 'mlflow_model', modelUri: 'azureml://datastores/models/paths/scorer/' },
    });
    const put = await env.arm('PUT', '/batchEndpoints/trainer/deployments/scorer', {
      location: 'local',
      properties: { model: { referenceType: 'Id', assetId: 'azureml:scorer-model:1' }, compute: 'cpu-cluster' },
    });
    expect(put.status).toBe(201);
    const model = await invoke('trainer', { properties: {} }, { 'azureml-model-deployment': 'scorer' });
    expect(model.status).toBe(400);
    expect(await model.json()).toMatchObject({ error: { target: 'properties.InputData' } });
    const literal = await invoke(
      'trainer',
      { properties: { InputData: { mode: { JobInputType: 'Literal', Value: 'x' } } } },
      { 'azureml-model-deployment': 'scorer' },
    );
    expect(literal.status).toBe(400);
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

  describe('model deployments (spec 2025-12-01 BatchDeploymentProperties)', () => {
    const registerModel = async (name: string, modelType: string) => {
      await env.client.modelContainers.createOrUpdate(RG, WS, name, { properties: {} });
      await env.client.modelVersions.createOrUpdate(RG, WS, name, '1', {
        properties: { modelType, modelUri: `azureml://datastores/models/paths/${name}/` },
      });
    };
    beforeEach(async () => {
      await env.client.batchEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'scorer', {
        location: 'local',
        properties: { authMode: 'AADToken' },
      });
    });

    it('when a model deployment is created with only a model, then Azure ML defaults are filled in', async () => {
      await registerModel('mlflow-one', 'mlflow_model');
      const put = await env.arm('PUT', '/batchEndpoints/scorer/deployments/mlflow', {
        location: 'local',
        properties: { model: { referenceType: 'Id', assetId: 'azureml:mlflow-one:1' }, compute: 'cpu-cluster' },
      });
      expect(put.status).toBe(201);
      const deployment = await env.client.batchDeployments.get(RG, WS, 'scorer', 'mlflow');
      expect(deployment.properties).toMatchObject({
        provisioningState: 'Succeeded',
        miniBatchSize: 10,
        errorThreshold: -1,
        maxConcurrencyPerInstance: 1,
        outputAction: 'AppendRow',
        outputFileName: 'predictions.csv',
        retrySettings: { maxRetries: 3, timeout: 'PT30S' },
        resources: { instanceCount: 1 },
      });
    });

    it('when a non-MLflow model has no environment and scoring script, or knobs are out of range, then 400 names the field', async () => {
      await registerModel('custom-one', 'custom_model');
      await registerModel('mlflow-two', 'mlflow_model');
      const put = (name: string, properties: Record<string, unknown>) =>
        env.arm('PUT', `/batchEndpoints/scorer/deployments/${name}`, { location: 'local', properties });
      const custom = await put('custom', { model: { referenceType: 'Id', assetId: 'azureml:custom-one:1' } });
      expect(custom.status).toBe(400);
      expect(await custom.json()).toMatchObject({ error: { target: 'properties.environmentId' } });
      const model = { referenceType: 'Id', assetId: 'azureml:mlflow-two:1' };
      for (const [field, value, target] of [
        ['errorThreshold', -2, 'properties.errorThreshold'],
        ['errorThreshold', 1.5, 'properties.errorThreshold'],
        ['miniBatchSize', 0, 'properties.miniBatchSize'],
        ['outputAction', 'Overwrite', 'properties.outputAction'],
        ['retrySettings', { maxRetries: -1 }, 'properties.retrySettings'],
      ] as const) {
        const response = await put('bad', { model, [field]: value });
        expect([field, response.status]).toEqual([field, 400]);
        expect(await response.json()).toMatchObject({ error: { target } });
      }
      // A refused PUT creates nothing.
      expect((await env.arm('GET', '/batchEndpoints/scorer/deployments/bad')).status).toBe(404);
    });
  });
});
