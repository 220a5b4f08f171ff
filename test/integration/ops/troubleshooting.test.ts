// The troubleshooting operations against the Azure ML emulator: a deployment's logs and one scoring request.
import { BlobServiceClient } from '@azure/storage-blob';

import { type RunningAzureMlEmulator, startAzureMlEmulator } from '../../../dev/azureml-emulator';
import type { AppContext } from '../../../src/app/context';
import { parseCatalog } from '../../../src/catalog';
import { deploymentLogsOf, scoreModel } from '../../../src/functions/ops/troubleshooting';
import { createStateStores } from '../../../src/state';
import { type AzuriteBlob, startAzuriteBlob } from '../../support/azurite';
import { emulatorWorkspace, seededModelEntry } from '../../support/emulator-workspace';

jest.setTimeout(60_000);

describe('troubleshooting operations against the emulator', () => {
  let azurite: AzuriteBlob;
  let emulator: RunningAzureMlEmulator;
  let context: AppContext;

  beforeAll(async () => {
    azurite = await startAzuriteBlob();
    emulator = await startAzureMlEmulator({ port: 0, seedDemo: true, lroRetryAfterSeconds: 0 });
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('ops-logs');
    await container.createIfNotExists();
    const catalog = parseCatalog({
      models: [
        {
          ...seededModelEntry(),
          deployment: {
            endpoint: 'bike-demand',
            smokeSample: {
              input_data: {
                columns: ['hour', 'temperature', 'humidity', 'windspeed', 'workingday'],
                data: [[8, 18.5, 0.6, 10.2, 1]],
              },
            },
          },
        },
      ],
    });
    context = {
      catalog,
      workspace: emulatorWorkspace(emulator.url),
      state: createStateStores(container),
    } as unknown as AppContext;
  });
  afterAll(async () => {
    await emulator?.close();
    await azurite?.stop();
  });

  it('when the logs of the serving deployment are asked for, then both containers come live from Azure ML', async () => {
    const logs = await deploymentLogsOf(context, 'bike-demand', { tail: 50 });
    expect(logs).toMatchObject({ deployment: 'bike-demand-v1', source: 'live' });
    expect(logs.logs.StorageInitializer).toContain('downloaded');
    expect(logs.logs.InferenceServer).toContain('Loaded model bike-demand:1');
  });

  it('when the deployment is gone, then the logs its failed release kept are returned with the run', async () => {
    const at = '2026-11-20T00:00:00.000Z';
    await context.state.runs.create({
      runId: 'r-failed',
      kind: 'retrain',
      model: 'bike-demand',
      triggerId: 'r-failed',
      source: 'manual',
      instanceId: 'retrain-bike-demand',
      status: 'rolledBack',
      startedAt: at,
      updatedAt: at,
      input: {},
      coalesced: [],
      stages: [],
      deployment: { endpoint: 'bike-demand', name: 'bike-demand-v7' },
      failure: {
        stage: 'provision',
        errorType: 'ReleaseCheckFailedError',
        message: 'provisioning ended Failed',
        deploymentLogs: '== StorageInitializer ==\nModel download failed',
      },
    });
    const logs = await deploymentLogsOf(context, 'bike-demand', { deployment: 'bike-demand-v7', tail: 50 });
    expect(logs).toEqual({
      model: 'bike-demand',
      endpoint: 'bike-demand',
      deployment: 'bike-demand-v7',
      source: 'failureReport',
      runId: 'r-failed',
      logs: { report: '== StorageInitializer ==\nModel download failed' },
    });
    await expect(deploymentLogsOf(context, 'bike-demand', { deployment: 'nope', tail: 5 })).rejects.toMatchObject({
      name: 'DeploymentNotFoundError',
    });
  });

  it("when a model is scored, then the catalog's smoke sample goes to the live endpoint and the prediction comes back", async () => {
    const result = await scoreModel(context, 'bike-demand', {});
    expect(result).toMatchObject({ status: 200, deployment: 'bike-demand-v1' });
    expect((result.body as number[])[0]).toEqual(expect.any(Number));
    const refused = await scoreModel(context, 'bike-demand', { body: { data: [{ hour: 1 }] } });
    expect(refused).toMatchObject({ status: 424 });
    expect(refused.error).toContain('input_data');
  });
});
