import {
  BIKE_DEMAND_DATA_ASSET,
  type RunningAzureMlEmulator,
  startAzureMlEmulator,
} from '../../../dev/azureml-emulator';
import { latestDataVersion, registerDataVersion } from '../../../src/azureml/registry';
import type { AzureMlWorkspace } from '../../../src/azureml/workspace';
import { type AzuriteBlob, startAzuriteBlob } from '../../support/azurite';
import { emulatorWorkspace } from '../../support/emulator-workspace';

jest.setTimeout(60_000);

// Retrains without a dataset of their own (manual, CI) train on the model's newest registered dataset.
describe('newest dataset of a model', () => {
  let azurite: AzuriteBlob;
  let emulator: RunningAzureMlEmulator;
  let ws: AzureMlWorkspace;

  beforeAll(async () => {
    azurite = await startAzuriteBlob();
    emulator = await startAzureMlEmulator({
      port: 0,
      azuriteConnectionString: azurite.connectionString,
      seedDemo: true,
      lroRetryAfterSeconds: 0,
    });
    ws = emulatorWorkspace(emulator.url);
  });

  afterAll(async () => {
    await emulator?.close();
    await azurite?.stop();
  });

  it('when the demo workspace is seeded, then the demo model has a dataset to train on', async () => {
    const seeded = await latestDataVersion(ws, BIKE_DEMAND_DATA_ASSET);
    expect(seeded?.name).toBe(BIKE_DEMAND_DATA_ASSET);
    expect(seeded?.version).toBe('1');
    expect(seeded?.dataUri).toContain('bike-demand');
  });

  it('when a newer version is registered, then it is the one a dataset-less retrain uses', async () => {
    const dataUri = `${azurite.blobEndpoint}/datasets/bike-demand/newer.csv`;
    await registerDataVersion(ws, {
      name: BIKE_DEMAND_DATA_ASSET,
      version: '20261122000000-abcdef01',
      dataUri,
      dataType: 'uri_file',
      description: 'newer upload',
      tags: {},
    });
    expect(await latestDataVersion(ws, BIKE_DEMAND_DATA_ASSET)).toEqual({
      name: BIKE_DEMAND_DATA_ASSET,
      version: '20261122000000-abcdef01',
      dataUri,
    });
  });

  it('when a model has never seen a dataset, then there is none (and the submit activity fails with NoTrainingDataError)', async () => {
    expect(await latestDataVersion(ws, 'never-uploaded-data')).toBeUndefined();
  });
});
