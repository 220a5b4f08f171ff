import type { OnlineDeployment, OnlineEndpoint } from '@azure/arm-machinelearning';
import { BIKE_FEATURES, modelVersionId, RG, startTestEmulator, type TestEmulator, waitFor, WS } from './support';

const ENDPOINT: OnlineEndpoint = { location: 'local', kind: 'Managed', properties: { authMode: 'Key' } };
const deployment = (model = modelVersionId('bike-demand', '1')): OnlineDeployment => ({
  location: 'local',
  sku: { name: 'Default', capacity: 1 },
  properties: {
    endpointComputeType: 'Managed',
    model,
    instanceType: 'Standard_DS3_v2',
  },
});
const SAMPLE = { input_data: { columns: BIKE_FEATURES, data: [[8, 20, 0.5, 10, 1]] } };

describe('Azure ML emulator: managed online endpoints and deployments (real client, LROs)', () => {
  let env: TestEmulator;
  beforeAll(async () => {
    env = await startTestEmulator({ seedDemo: true });
  });
  afterAll(async () => {
    await env.emulator.close();
  });
  afterEach(async () => {
    await env.emulator.reset();
  });

  const score = (uri: string, key: string, body: unknown = SAMPLE, headers: Record<string, string> = {}) =>
    fetch(uri, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const createBlueGreen = async (): Promise<void> => {
    await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep', ENDPOINT);
    await env.client.onlineDeployments.beginCreateOrUpdateAndWait(RG, WS, 'ep', 'blue', deployment());
    await env.client.onlineDeployments.beginCreateOrUpdateAndWait(RG, WS, 'ep', 'green', deployment());
  };

  it('when an endpoint and a deployment are created, then the SDK LROs complete with Succeeded and a scoringUri on the emulator host', async () => {
    const endpoint = await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep', ENDPOINT);
    const created = await env.client.onlineDeployments.beginCreateOrUpdateAndWait(RG, WS, 'ep', 'blue', deployment());
    expect(endpoint.properties).toMatchObject({
      provisioningState: 'Succeeded',
      authMode: 'Key',
      scoringUri: `${env.url}/onlineEndpoints/ep/score`,
    });
    expect(endpoint.properties.keys).toBeFalsy();
    expect(created.properties).toMatchObject({
      provisioningState: 'Succeeded',
      model: modelVersionId('bike-demand', '1'),
    });
    const listed: string[] = [];
    for await (const item of env.client.onlineDeployments.list(RG, WS, 'ep')) listed.push(item.name ?? '');
    expect(listed).toEqual(['blue']);
  });

  it('when provisioning takes time, then PUT answers 201 with an absolute Azure-AsyncOperation and the state moves Creating → Succeeded', async () => {
    await env.control('POST', '/clock', { paused: true });
    await env.control('PUT', '/steps', { provisioningMs: 60_000 });
    const response = await env.arm('PUT', '/onlineEndpoints/slow', ENDPOINT);
    expect(response.status).toBe(201);
    const operation = response.headers.get('azure-asyncoperation') ?? '';
    expect(operation).toMatch(
      new RegExp(`^${env.url.replace(/\./g, '\\.')}/subscriptions/.*/locations/local/mfeOperationsStatus/oe:`),
    );
    expect(
      ((await response.json()) as { properties: { provisioningState: string } }).properties.provisioningState,
    ).toBe('Creating');
    const poll = async () =>
      (await (await fetch(operation, { headers: { authorization: 'Bearer t' } })).json()) as { status: string };
    expect((await poll()).status).toBe('InProgress');
    const busy = await env.arm('PUT', '/onlineEndpoints/slow', ENDPOINT);
    expect(busy.status).toBe(409);
    await env.control('POST', '/clock/advance', { ms: 60_000 });
    expect((await poll()).status).toBe('Succeeded');
    expect((await env.client.onlineEndpoints.get(RG, WS, 'slow')).properties.provisioningState).toBe('Succeeded');
  });

  it("when a deployment names another workspace's model version by ARM id, then 400 names properties.model and nothing is created", async () => {
    await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep', ENDPOINT);
    const otherWorkspace = modelVersionId('bike-demand', '1').replace(/\/workspaces\/[^/]+\//, '/workspaces/mlw-prod/');
    const refused = await env.client.onlineDeployments
      .beginCreateOrUpdateAndWait(RG, WS, 'ep', 'blue', deployment(otherWorkspace))
      .then(
        () => undefined,
        (error: unknown) => error as { statusCode?: number; message?: string },
      );
    expect(refused?.statusCode).toBe(400);
    expect(refused?.message).toContain('belongs to another workspace');
    const listed = [];
    for await (const d of env.client.onlineDeployments.list(RG, WS, 'ep')) listed.push(d);
    expect(listed).toEqual([]);
    // The same id in this workspace (any letter case, as ARM ids compare) deploys.
    const own = await env.client.onlineDeployments.beginCreateOrUpdateAndWait(
      RG,
      WS,
      'ep',
      'blue',
      deployment(modelVersionId('bike-demand', '1').replace('/resourceGroups/', '/resourcegroups/')),
    );
    expect(own.properties.provisioningState).toBe('Succeeded');
  });

  it('when traffic does not sum to 100, names a missing deployment, or mirrors over 50 %, then 400 names the field', async () => {
    await createBlueGreen();
    const put = (properties: Record<string, unknown>) =>
      env.arm('PUT', '/onlineEndpoints/ep', { location: 'local', properties: { authMode: 'Key', ...properties } });
    const bad = [
      [{ traffic: { blue: 60, green: 30 } }, 'properties.traffic'],
      [{ traffic: { ghost: 100 } }, 'properties.traffic'],
      [{ traffic: { blue: 100 }, mirrorTraffic: { green: 60 } }, 'properties.mirrorTraffic'],
    ] as const;
    for (const [properties, target] of bad) {
      const response = await put(properties);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'UserError', target } });
    }
    await expect(
      env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep', {
        ...ENDPOINT,
        properties: { authMode: 'Key', traffic: { ghost: 100 } },
      }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });

  it('when traffic is shifted with PUT, then GET shows the new split and mirror traffic set by raw PUT is kept', async () => {
    await createBlueGreen();
    await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep', {
      ...ENDPOINT,
      properties: { authMode: 'Key', traffic: { blue: 90, green: 10 } },
    });
    expect((await env.client.onlineEndpoints.get(RG, WS, 'ep')).properties.traffic).toEqual({ blue: 90, green: 10 });
    const mirrored = await env.arm('PUT', '/onlineEndpoints/ep', {
      location: 'local',
      properties: { authMode: 'Key', traffic: { blue: 100 }, mirrorTraffic: { green: 20 } },
    });
    expect(mirrored.status).toBe(200);
    const got = (await env.client.onlineEndpoints.get(RG, WS, 'ep')) as OnlineEndpoint & {
      properties: { mirrorTraffic?: unknown };
    };
    expect(got.properties.mirrorTraffic).toEqual({ green: 20 });
  });

  it('when a deployment that still has traffic is deleted, then 409; with 0 % it is deleted through the LRO and leaves the traffic map', async () => {
    await createBlueGreen();
    await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep', {
      ...ENDPOINT,
      properties: { authMode: 'Key', traffic: { blue: 100, green: 0 } },
    });
    await expect(env.client.onlineDeployments.beginDeleteAndWait(RG, WS, 'ep', 'blue')).rejects.toMatchObject({
      statusCode: 409,
    });
    await env.client.onlineDeployments.beginDeleteAndWait(RG, WS, 'ep', 'green');
    await expect(env.client.onlineDeployments.get(RG, WS, 'ep', 'green')).rejects.toMatchObject({ statusCode: 404 });
    // The endpoint no longer names it, so a PUT of the endpoint as read stays valid.
    const endpoint = await env.client.onlineEndpoints.get(RG, WS, 'ep');
    expect(endpoint.properties.traffic).toEqual({ blue: 100 });
    await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep', endpoint);
  });

  it('when keys are listed and the primary is regenerated, then the old key stops scoring and the new one works', async () => {
    const uri = (await env.client.onlineEndpoints.get(RG, WS, 'bike-demand')).properties.scoringUri ?? '';
    const before = await env.client.onlineEndpoints.listKeys(RG, WS, 'bike-demand');
    expect(before.primaryKey).toBeTruthy();
    expect(before.secondaryKey).toBeTruthy();
    await env.client.onlineEndpoints.beginRegenerateKeysAndWait(RG, WS, 'bike-demand', { keyType: 'Primary' });
    const after = await env.client.onlineEndpoints.listKeys(RG, WS, 'bike-demand');
    expect(after.primaryKey).not.toBe(before.primaryKey);
    expect(after.secondaryKey).toBe(before.secondaryKey);
    expect((await score(uri, before.primaryKey ?? '')).status).toBe(401);
    expect((await score(uri, after.primaryKey ?? '')).status).toBe(200);
    expect((await score(uri, after.secondaryKey ?? '')).status).toBe(200);
  });

  it('when an AMLToken endpoint issues a token, then it scores until it expires on the emulator clock', async () => {
    await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'tok', {
      ...ENDPOINT,
      properties: { authMode: 'AMLToken' },
    });
    await env.client.onlineDeployments.beginCreateOrUpdateAndWait(RG, WS, 'tok', 'blue', deployment());
    await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'tok', {
      ...ENDPOINT,
      properties: { authMode: 'AMLToken', traffic: { blue: 100 } },
    });
    const token = await env.client.onlineEndpoints.getToken(RG, WS, 'tok');
    expect(token.tokenType).toBe('Bearer');
    expect(token.accessToken).toBeTruthy();
    expect(token.expiryTimeUtc).toBeGreaterThan(token.refreshAfterTimeUtc ?? 0);
    await expect(env.client.onlineEndpoints.listKeys(RG, WS, 'tok')).rejects.toMatchObject({ statusCode: 400 });
    const uri = `${env.url}/onlineEndpoints/tok/score`;
    expect((await score(uri, token.accessToken ?? '')).status).toBe(200);
    await env.control('POST', '/clock/advance', { ms: 2 * 3_600_000 });
    expect((await score(uri, token.accessToken ?? '')).status).toBe(401);
  });

  it('when logs are requested, then they hold the container start, the model load and scoring errors, honouring tail', async () => {
    await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep', ENDPOINT);
    await env.client.onlineDeployments.beginCreateOrUpdateAndWait(RG, WS, 'ep', 'blue', deployment());
    const keys = await env.client.onlineEndpoints.listKeys(RG, WS, 'ep');
    await score(
      `${env.url}/onlineEndpoints/ep/score`,
      keys.primaryKey ?? '',
      { input_data: { columns: ['hour'], data: [[1]] } },
      { 'azureml-model-deployment': 'blue' },
    );
    const logs = await env.client.onlineDeployments.getLogs(RG, WS, 'ep', 'blue', { containerType: 'InferenceServer' });
    expect(logs.content).toMatch(/Starting inference server container/);
    expect(logs.content).toMatch(/Loaded model bike-demand:1/);
    expect(logs.content).toMatch(/ERROR \| Scoring request failed \(400\)/);
    const tail = await env.client.onlineDeployments.getLogs(RG, WS, 'ep', 'blue', {
      containerType: 'InferenceServer',
      tail: 1,
    });
    expect(tail.content?.trim().split('\n')).toHaveLength(1);
    const init = await env.client.onlineDeployments.getLogs(RG, WS, 'ep', 'blue', {
      containerType: 'StorageInitializer',
    });
    expect(init.content).toMatch(/Downloading model bike-demand:1/);
  });

  it('when a deployment is made to fail provisioning, then the LRO rejects with the message and the deployment is Failed', async () => {
    await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep', ENDPOINT);
    await env.control('POST', '/onlineEndpoints/ep/deployments/bad/failProvisioning', {
      message: 'Container crashed during startup.',
    });
    await expect(
      env.client.onlineDeployments.beginCreateOrUpdateAndWait(RG, WS, 'ep', 'bad', deployment()),
    ).rejects.toThrow(/DeploymentFailed.*Container crashed during startup/);
    expect((await env.client.onlineDeployments.get(RG, WS, 'ep', 'bad')).properties.provisioningState).toBe('Failed');
    const logs = await env.client.onlineDeployments.getLogs(RG, WS, 'ep', 'bad', {});
    expect(logs.content).toMatch(/Deployment provisioning failed: Container crashed during startup/);
  });

  it('when a deployment names a model version that does not exist, then 400 names properties.model', async () => {
    await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep', ENDPOINT);
    const response = await env.arm(
      'PUT',
      '/onlineEndpoints/ep/deployments/x',
      deployment(modelVersionId('bike-demand', '99')),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { target: 'properties.model' } });
  });

  it('when a deployment succeeds, then a ModelDeployed event names the endpoint and the model id', async () => {
    await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep', ENDPOINT);
    await env.client.onlineDeployments.beginCreateOrUpdateAndWait(RG, WS, 'ep', 'blue', deployment());
    const events = await waitFor('ModelDeployed', async () => {
      const { value } = (await env.control(
        'GET',
        '/events?eventType=Microsoft.MachineLearningServices.ModelDeployed',
      )) as { value: { subject: string; data: unknown }[] };
      return value.length > 0 ? value : undefined;
    });
    expect(events[0]).toMatchObject({
      subject: 'endpoints/ep',
      data: { ServiceName: 'ep', ServiceComputeType: 'Managed', ModelIds: 'bike-demand:1' },
    });
  });

  it('when an endpoint is deleted, then the delete LRO completes and the endpoint and its deployments are gone', async () => {
    await createBlueGreen();
    await env.client.onlineEndpoints.beginDeleteAndWait(RG, WS, 'ep');
    await expect(env.client.onlineEndpoints.get(RG, WS, 'ep')).rejects.toMatchObject({ statusCode: 404 });
    const response = await env.arm('GET', '/onlineEndpoints/ep/deployments/blue');
    expect(response.status).toBe(404);
  });

  it('when PATCH tries to change traffic, then 400 says traffic changes go through PUT', async () => {
    await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep', ENDPOINT);
    const response = await env.arm('PATCH', '/onlineEndpoints/ep', { properties: { traffic: {} } });
    expect(response.status).toBe(400);
    await env.client.onlineEndpoints.beginUpdateAndWait(RG, WS, 'ep', { tags: { owner: 'ml' } });
    expect((await env.client.onlineEndpoints.get(RG, WS, 'ep')).tags).toEqual({ owner: 'ml' });
  });

  it('when a deployment is scaled with PATCH sku, then it shows Scaling until the LRO completes with the new capacity', async () => {
    await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep', ENDPOINT);
    await env.client.onlineDeployments.beginCreateOrUpdateAndWait(RG, WS, 'ep', 'blue', deployment());
    await env.control('POST', '/clock', { paused: true });
    await env.control('PUT', '/steps', { provisioningMs: 1000 });
    const patched = await env.arm('PATCH', '/onlineEndpoints/ep/deployments/blue', { sku: { capacity: 3 } });
    expect(patched.status).toBe(202);
    expect(patched.headers.get('location')).toContain('/mfeOperationResults/');
    expect((await env.client.onlineDeployments.get(RG, WS, 'ep', 'blue')).properties.provisioningState).toBe('Scaling');
    await env.control('POST', '/clock/advance', { ms: 1000 });
    const scaled = await env.client.onlineDeployments.get(RG, WS, 'ep', 'blue');
    expect(scaled.properties.provisioningState).toBe('Succeeded');
    expect(scaled.sku?.capacity).toBe(3);
  });

  it('when an endpoint has a system-assigned identity, then ARM fills principalId and tenantId and keeps them across updates', async () => {
    const created = await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep-id', {
      ...ENDPOINT,
      identity: { type: 'SystemAssigned' },
    });
    expect(created.identity).toMatchObject({
      type: 'SystemAssigned',
      principalId: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
      tenantId: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
    });
    const updated = await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep-id', {
      ...ENDPOINT,
      identity: { type: 'SystemAssigned' },
      tags: { changed: 'yes' },
    });
    expect(updated.identity?.principalId).toBe(created.identity?.principalId);
  });

  it.each([
    [
      'the MLflow artifacts of a pipeline job',
      'azureml://jobs/bike-demand-seed-training/outputs/artifacts/paths/model/',
      /no MLflow artifacts of its own/,
    ],
    [
      'an output the job does not have',
      'azureml://jobs/bike-demand-seed-training/outputs/weights/paths/',
      /no model output named 'weights'/,
    ],
  ])(
    'when a model version points at %s, then the deployment fails provisioning (nothing to download)',
    async (_what, modelUri, reason) => {
      await env.client.modelVersions.createOrUpdate(RG, WS, 'bike-demand', '90', {
        properties: { modelUri, modelType: 'mlflow_model', jobName: 'bike-demand-seed-training' },
      });
      await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep', ENDPOINT);
      await expect(
        env.client.onlineDeployments.beginCreateOrUpdateAndWait(
          RG,
          WS,
          'ep',
          'bad',
          deployment(modelVersionId('bike-demand', '90')),
        ),
      ).rejects.toThrow(reason);
    },
  );

  describe('how a deployment serves its model (no-code MLflow vs. environment + scoring script)', () => {
    const ws =
      '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.MachineLearningServices/workspaces/local';
    const ENV = `${ws}/environments/sklearn-inference/versions/3`;
    const CODE = { codeId: `${ws}/codes/bike-score/versions/1`, scoringScript: 'score.py' };
    const customVersion = async (version: string, modelType = 'custom_model'): Promise<string> => {
      await env.client.modelVersions.createOrUpdate(RG, WS, 'bike-demand', version, {
        properties: { modelUri: 'azureml://jobs/bike-demand-seed-training/outputs/model/paths/', modelType },
      });
      return modelVersionId('bike-demand', version);
    };
    const put = (name: string, properties: Record<string, unknown>) =>
      env.arm('PUT', `/onlineEndpoints/ep/deployments/${name}`, {
        location: 'local',
        sku: { name: 'Default', capacity: 1 },
        properties: { endpointComputeType: 'Managed', instanceType: 'Standard_DS3_v2', ...properties },
      });
    beforeEach(async () => {
      await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep', ENDPOINT);
    });

    it('when a custom_model is deployed without an environment or without a scoring script, then 400 names the missing field (ArgumentNullOrEmpty)', async () => {
      const model = await customVersion('70');
      const noEnvironment = await put('custom-no-env', { model });
      expect(noEnvironment.status).toBe(400);
      expect(await noEnvironment.json()).toMatchObject({
        error: {
          code: 'UserError',
          target: 'properties.environmentId',
          details: [{ code: 'ArgumentNullOrEmpty', message: "'Environment Id' must not be empty." }],
        },
      });
      const noCode = await put('custom-no-code', { model, environmentId: ENV });
      expect(noCode.status).toBe(400);
      expect(await noCode.json()).toMatchObject({ error: { target: 'properties.codeConfiguration' } });
      const shortEnvironment = await put('custom-short-env', {
        model,
        environmentId: 'azureml:sklearn:3',
        codeConfiguration: CODE,
      });
      expect(await shortEnvironment.json()).toMatchObject({ error: { target: 'properties.environmentId' } });
    });

    it('when a custom_model comes with an environment and a scoring script, then it provisions and its script takes {data: [...]}', async () => {
      const model = await customVersion('71');
      const created = await put('custom-ok', { model, environmentId: ENV, codeConfiguration: CODE });
      expect(created.status).toBe(201);
      const deployment = await waitFor('custom deployment provisioned', async () => {
        const d = await env.client.onlineDeployments.get(RG, WS, 'ep', 'custom-ok');
        return d.properties.provisioningState === 'Succeeded' ? d : undefined;
      });
      expect(deployment.properties).toMatchObject({ environmentId: ENV, codeConfiguration: CODE });
      const { primaryKey } = await env.client.onlineEndpoints.listKeys(RG, WS, 'ep');
      const scored = await score(
        `${env.url}/onlineEndpoints/ep/score`,
        primaryKey ?? '',
        { data: [{ hour: 8, temperature: 20, humidity: 0.5, windspeed: 10, workingday: 1 }] },
        { 'azureml-model-deployment': 'custom-ok' },
      );
      expect(scored.status).toBe(200);
      // The stand-in score.py returns json.dumps(predictions): a JSON string whose text is the list.
      const answer = await scored.json();
      expect(typeof answer).toBe('string');
      expect(JSON.parse(answer as string)).toEqual([expect.any(Number)]);
    });

    it('when a version registered as mlflow_model points at a custom_model output, then provisioning fails: no MLmodel file', async () => {
      const job = await env.arm('PUT', '/jobs/custom-output-job', {
        properties: { jobType: 'Pipeline', outputs: { model: { jobOutputType: 'custom_model', mode: 'Upload' } } },
      });
      expect(job.status).toBe(201);
      await env.client.modelVersions.createOrUpdate(RG, WS, 'bike-demand', '72', {
        properties: { modelUri: 'azureml://jobs/custom-output-job/outputs/model/paths/', modelType: 'mlflow_model' },
      });
      await expect(
        env.client.onlineDeployments.beginCreateOrUpdateAndWait(
          RG,
          WS,
          'ep',
          'mismatch',
          deployment(modelVersionId('bike-demand', '72')),
        ),
      ).rejects.toThrow(/no MLmodel file/);
    });
  });

  it('when the azure latency profile is on, then LROs answer Retry-After 10 and an endpoint update takes a minute on the emulator clock', async () => {
    await env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'ep', ENDPOINT);
    await env.control('POST', '/clock', { paused: true });
    await env.control('PUT', '/latencyProfile', { profile: 'azure' });
    const update = await env.arm('PUT', '/onlineEndpoints/ep', { ...ENDPOINT, tags: { slow: 'yes' } });
    expect(update.status).toBe(200);
    expect(update.headers.get('retry-after')).toBe('10');
    const state = async () => (await env.client.onlineEndpoints.get(RG, WS, 'ep')).properties.provisioningState;
    await env.control('POST', '/clock/advance', { ms: 59_000 });
    expect(await state()).toBe('Updating');
    await env.control('POST', '/clock/advance', { ms: 1_000 });
    expect(await state()).toBe('Succeeded');
    expect(await env.control('GET', '/latencyProfile')).toMatchObject({ profile: 'azure', retryAfterSeconds: 10 });
  });
});
