import { BIKE_FEATURES, modelVersionId, RG, startTestEmulator, type TestEmulator, WS } from './support';

const SAMPLE = { input_data: { columns: BIKE_FEATURES, data: [[8, 20, 0.5, 10, 1]] } };

interface Call {
  deployment: string | null;
  routedBy: string;
  status: number;
}

describe('Azure ML emulator: online scoring data plane', () => {
  let env: TestEmulator;
  let uri: string;
  let key: string;

  beforeAll(async () => {
    env = await startTestEmulator({ seedDemo: true, routingSeed: 7 });
  });
  afterAll(async () => {
    await env.emulator.close();
  });
  beforeEach(async () => {
    uri = (await env.client.onlineEndpoints.get(RG, WS, 'bike-demand')).properties.scoringUri ?? '';
    key = (await env.client.onlineEndpoints.listKeys(RG, WS, 'bike-demand')).primaryKey ?? '';
  });
  afterEach(async () => {
    await env.emulator.reset();
  });

  const score = (headers: Record<string, string> = {}, body: unknown = SAMPLE, auth: string | null = key) =>
    fetch(uri, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(auth !== null ? { authorization: `Bearer ${auth}` } : {}),
        ...headers,
      },
      body: JSON.stringify(body),
    });
  const addDeployment = async (
    name: string,
    requestSettings: Record<string, unknown> = {},
    capacity = 1,
  ): Promise<void> => {
    await env.client.onlineDeployments.beginCreateOrUpdateAndWait(RG, WS, 'bike-demand', name, {
      location: 'local',
      sku: { name: 'Default', capacity },
      properties: {
        endpointComputeType: 'Managed',
        model: modelVersionId('bike-demand', '1'),
        requestSettings,
      },
    });
  };
  const setTraffic = (traffic: Record<string, number>) =>
    env.client.onlineEndpoints.beginCreateOrUpdateAndWait(RG, WS, 'bike-demand', {
      location: 'local',
      properties: { authMode: 'Key', traffic },
    });
  const calls = async (deployment?: string): Promise<Call[]> =>
    (
      (await env.control(
        'GET',
        deployment
          ? `/onlineEndpoints/bike-demand/deployments/${deployment}/scoringCalls`
          : '/scoringCalls?endpoint=bike-demand',
      )) as { value: Call[] }
    ).value;

  it('when a valid request is scored, then the answer is a JSON array of predictions from the served model', async () => {
    const response = await score(
      {},
      {
        input_data: {
          columns: BIKE_FEATURES,
          data: [
            [8, 20, 0.5, 10, 1],
            [3, 5, 0.9, 30, 0],
          ],
        },
      },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('azureml-model-deployment')).toBe('bike-demand-v1');
    const predictions = (await response.json()) as number[];
    expect(predictions).toHaveLength(2);
    expect(predictions[0]).toBeGreaterThan(predictions[1] ?? Infinity);
    const records = await score(
      {},
      { input_data: [{ hour: 8, temperature: 20, humidity: 0.5, windspeed: 10, workingday: 1 }] },
    );
    expect(((await records.json()) as number[])[0]).toBeCloseTo(predictions[0] ?? 0, 6);
  });

  it('when an MLflow deployment (no-code) gets the scoring-script form {data: [...]}, then the model rejects it (424, model status 400)', async () => {
    const response = await score(
      {},
      { data: [{ hour: 8, temperature: 20, humidity: 0.5, windspeed: 10, workingday: 1 }] },
    );
    expect(response.status).toBe(424);
    expect(response.headers.get('ms-azureml-model-error-statuscode')).toBe('400');
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('input_data');
  });

  it('when the Authorization header is missing or the key is wrong, then 401', async () => {
    expect((await score({}, SAMPLE, null)).status).toBe(401);
    expect((await score({}, SAMPLE, 'not-a-key')).status).toBe(401);
  });

  it('when azureml-model-deployment names a 0 % deployment, then that deployment answers', async () => {
    await addDeployment('green');
    const response = await score({ 'azureml-model-deployment': 'green' });
    expect(response.status).toBe(200);
    expect(response.headers.get('azureml-model-deployment')).toBe('green');
    expect(await calls('green')).toEqual([expect.objectContaining({ routedBy: 'header', status: 200 })]);
    expect((await score({ 'azureml-model-deployment': 'nope' })).status).toBe(404);
  });

  it('when no deployment has positive traffic, then 404', async () => {
    await setTraffic({});
    const response = await score();
    expect(response.status).toBe(404);
    expect(await response.text()).toMatch(/No valid deployments to route to/);
  });

  it('when traffic is split 70/30, then requests are routed by weight, identically under the same seed', async () => {
    await addDeployment('green');
    await setTraffic({ 'bike-demand-v1': 70, green: 30 });
    const route = async (): Promise<string[]> => {
      const names: string[] = [];
      for (let i = 0; i < 100; i += 1) names.push((await score()).headers.get('azureml-model-deployment') ?? '');
      return names;
    };
    const first = await route();
    const greenShare = first.filter((name) => name === 'green').length / first.length;
    expect(greenShare).toBeGreaterThan(0.15);
    expect(greenShare).toBeLessThan(0.45);
    await env.emulator.reset();
    key = (await env.client.onlineEndpoints.listKeys(RG, WS, 'bike-demand')).primaryKey ?? '';
    await addDeployment('green');
    await setTraffic({ 'bike-demand-v1': 70, green: 30 });
    expect(await route()).toEqual(first);
  });

  it('when the input lacks a feature, then 424 carries the model error status and reason headers', async () => {
    const response = await score({}, { input_data: { columns: ['hour'], data: [[1]] } });
    expect(response.status).toBe(424);
    expect(response.headers.get('ms-azureml-model-error-statuscode')).toBe('400');
    expect(response.headers.get('ms-azureml-model-error-reason')).toBeTruthy();
  });

  it('when failures are injected for every call, then the injected status comes back (424 with model error headers)', async () => {
    await env.control('PUT', '/onlineEndpoints/bike-demand/deployments/bike-demand-v1/scoringFaults', {
      failures: { statusCode: 424, share: 1, message: 'model crashed' },
    });
    const response = await score();
    expect(response.status).toBe(424);
    expect(response.headers.get('ms-azureml-model-error-statuscode')).toBe('500');
    await env.control('PUT', '/onlineEndpoints/bike-demand/deployments/bike-demand-v1/scoringFaults', {
      failures: { statusCode: 500, share: 1 },
    });
    expect((await score()).status).toBe(500);
    await env.control('DELETE', '/onlineEndpoints/bike-demand/deployments/bike-demand-v1/scoringFaults');
    expect((await score()).status).toBe(200);
  });

  it('when half of the calls are set to fail, then some fail and some succeed', async () => {
    await env.control('PUT', '/onlineEndpoints/bike-demand/deployments/bike-demand-v1/scoringFaults', {
      failures: { statusCode: 503, share: 0.5 },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i += 1) statuses.push((await score()).status);
    expect(statuses.filter((status) => status === 503).length).toBeGreaterThan(8);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(8);
  });

  it('when throttling is injected, then 429 and 503 carry Retry-After', async () => {
    for (const statusCode of [429, 503]) {
      await env.control('PUT', '/onlineEndpoints/bike-demand/deployments/bike-demand-v1/scoringFaults', {
        throttle: { statusCode, share: 1, retryAfterSeconds: 2 },
      });
      const response = await score();
      expect(response.status).toBe(statusCode);
      expect(response.headers.get('retry-after')).toBe('2');
    }
  });

  it('when latency exceeds requestSettings.requestTimeout, then 408', async () => {
    await addDeployment('slow', { requestTimeout: 'PT0.1S' });
    await env.control('PUT', '/onlineEndpoints/bike-demand/deployments/slow/scoringFaults', { latencyMs: 10_000 });
    const started = Date.now();
    const response = await score({ 'azureml-model-deployment': 'slow' });
    expect(response.status).toBe(408);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('when more requests are in flight than 2 x maxConcurrentRequestsPerInstance x instances, then the excess gets 429', async () => {
    await addDeployment('narrow', { maxConcurrentRequestsPerInstance: 1 }, 1);
    await env.control('PUT', '/onlineEndpoints/bike-demand/deployments/narrow/scoringFaults', { latencyMs: 300 });
    const statuses = await Promise.all(
      [1, 2, 3].map(() => score({ 'azureml-model-deployment': 'narrow' }).then((r) => r.status)),
    );
    expect(statuses.sort()).toEqual([200, 200, 429]);
  });

  it('when mirror traffic is set, then a share of calls is also scored by the mirror deployment without changing the answer', async () => {
    await addDeployment('shadow');
    const response = await env.arm('PUT', '/onlineEndpoints/bike-demand', {
      location: 'local',
      properties: { authMode: 'Key', traffic: { 'bike-demand-v1': 100 }, mirrorTraffic: { shadow: 50 } },
    });
    expect(response.status).toBe(200);
    for (let i = 0; i < 20; i += 1)
      expect((await score()).headers.get('azureml-model-deployment')).toBe('bike-demand-v1');
    const mirrored = (await calls('shadow')).filter((call) => call.routedBy === 'mirror');
    expect(mirrored.length).toBeGreaterThan(3);
    expect(mirrored.length).toBeLessThan(17);
  });

  it('when calls are made, then the control API lists them per deployment with status and routing', async () => {
    await score();
    await score({}, SAMPLE, 'wrong');
    const recorded = await calls();
    expect(recorded).toEqual([
      expect.objectContaining({ deployment: 'bike-demand-v1', routedBy: 'traffic', status: 200 }),
      expect.objectContaining({ deployment: null, status: 401 }),
    ]);
  });
});
