// The online scoring client against the Azure ML emulator's data plane (HTTPS, key auth, injected faults).
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';

import {
  RESOURCE_GROUP,
  type RunningAzureMlEmulator,
  startAzureMlEmulator,
  SUBSCRIPTION_ID,
  WORKSPACE,
} from '../../../dev/azureml-emulator';
import { ScoringHttpError, scoreOnline } from '../../../src/azureml/scoring-client';
import { staticCredential } from './batch-env';

jest.setTimeout(60_000);

let emulator: RunningAzureMlEmulator;
let scoringUri: string;
let key: string;
const faults = '/onlineEndpoints/bike-demand/deployments/bike-demand-v1/scoringFaults';
const control = (method: string, path: string, body?: unknown) =>
  fetch(`${emulator.url}/_emulator${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const body = {
  input_data: {
    columns: ['hour', 'temperature', 'humidity', 'windspeed', 'workingday'],
    data: [[8, 18.5, 0.6, 10.2, 1]],
  },
};

beforeAll(async () => {
  emulator = await startAzureMlEmulator({ port: 0, seedDemo: true, lroRetryAfterSeconds: 0 });
  const arm = new AzureMachineLearningWorkspaces(staticCredential, SUBSCRIPTION_ID, { endpoint: emulator.url });
  scoringUri = (await arm.onlineEndpoints.get(RESOURCE_GROUP, WORKSPACE, 'bike-demand')).properties.scoringUri ?? '';
  key = (await arm.onlineEndpoints.listKeys(RESOURCE_GROUP, WORKSPACE, 'bike-demand')).primaryKey ?? '';
});
afterAll(async () => {
  await emulator?.close();
});
afterEach(async () => {
  await control('DELETE', faults);
});

describe('scoreOnline', () => {
  it('when the endpoint scores, then the JSON body, status, latency and serving deployment come back', async () => {
    const result = await scoreOnline<unknown[]>({ scoringUri, auth: () => key, body, timeoutMs: 10_000 });
    expect(result).toMatchObject({ status: 200, attempts: 1, deployment: 'bike-demand-v1' });
    expect(Array.isArray(result.body) || typeof result.body === 'object').toBe(true);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('when every attempt is throttled, then retries stop at maxRetries with a ScoringHttpError 429', async () => {
    await control('PUT', faults, { throttle: { statusCode: 429, share: 1, retryAfterSeconds: 0 } });
    const waits: number[] = [];
    const attempt = scoreOnline({
      scoringUri,
      auth: () => key,
      body,
      timeoutMs: 10_000,
      maxRetries: 2,
      onRetry: (i) => waits.push(i.delayMs),
    });
    await expect(attempt).rejects.toMatchObject({
      name: 'ScoringHttpError',
      status: 429,
      attempts: 3,
      retryable: true,
    });
    expect(waits).toEqual([0, 0]);
  });

  it('when the key is wrong, then it fails at once with a non-retryable 401', async () => {
    const error = await scoreOnline({ scoringUri, auth: () => 'wrong', body, timeoutMs: 10_000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ScoringHttpError);
    expect(error).toMatchObject({ status: 401, attempts: 1, retryable: false });
  });

  it('when the model rejects the input, then the error carries the status and the model reason', async () => {
    const bad = { input_data: { columns: ['hour'], data: [[1]] } };
    await expect(scoreOnline({ scoringUri, auth: () => key, body: bad, timeoutMs: 10_000 })).rejects.toMatchObject({
      name: 'ScoringHttpError',
      retryable: false,
    });
  });
});
