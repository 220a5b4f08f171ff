import { BlobServiceClient } from '@azure/storage-blob';

import {
  BIKE_DEMAND_SEED_JOB,
  DEMO_REGISTRY,
  type RunningAzureMlEmulator,
  startAzureMlEmulator,
} from '../../../dev/azureml-emulator';
import { pendingUploadIdFor } from '../../../src/activities/promotion-activities';
import { copyModelFolder, modelFolder } from '../../../src/azureml/model-files';
import { startRegistryPendingUpload } from '../../../src/azureml/registries';
import type { AzureMlWorkspace } from '../../../src/azureml/workspace';
import { storageAccountResolver } from '../../../src/storage/blob-service';
import { type AzuriteBlob, startAzuriteBlob } from '../../support/azurite';
import { emulatorWorkspace } from '../../support/emulator-workspace';
import { testCredential } from '../../orchestration/retrain/harness';

jest.setTimeout(60_000);

/**
 * The app's side of a registry share against the emulator and Azurite: a job-output modelUri resolves through the
 * job and the workspace's datastore to blobs, which are copied to the registry's pending upload; a retry asks for the
 * same upload (same folder) and overwrites the same files.
 */
describe('sharing model files into a registry', () => {
  let azurite: AzuriteBlob;
  let emulator: RunningAzureMlEmulator;
  let ws: AzureMlWorkspace;
  let blobs: BlobServiceClient;
  beforeAll(async () => {
    azurite = await startAzuriteBlob();
    emulator = await startAzureMlEmulator({
      port: 0,
      lroRetryAfterSeconds: 0,
      seedDemo: true,
      azuriteConnectionString: azurite.connectionString,
    });
    ws = emulatorWorkspace(emulator.url);
    blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  });
  afterAll(async () => {
    await emulator?.close();
    await azurite?.stop();
  });

  it('when the seed version is shared twice, then the same upload folder holds exactly its model file', async () => {
    const accounts = storageAccountResolver([blobs], testCredential);
    const folder = await modelFolder(ws, accounts, `azureml://jobs/${BIKE_DEMAND_SEED_JOB}/outputs/model/paths/`);
    expect(folder.prefix).toBe(`azureml/${BIKE_DEMAND_SEED_JOB}/model/`);
    const id = pendingUploadIdFor('/subscriptions/s/resourceGroups/rg/workspaces/w/models/bike-demand/versions/1');
    expect(id).toBe(
      pendingUploadIdFor('/SUBSCRIPTIONS/s/resourceGroups/rg/workspaces/w/models/bike-demand/versions/1'),
    );
    const first = await startRegistryPendingUpload(ws, DEMO_REGISTRY, 'bike-demand', '1', id);
    expect(await copyModelFolder(folder, first.sasUri)).toBe(1);
    const retry = await startRegistryPendingUpload(ws, DEMO_REGISTRY, 'bike-demand', '1', id);
    expect(retry.blobUri).toBe(first.blobUri);
    expect(await copyModelFolder(folder, retry.sasUri)).toBe(1);

    const registryContainer = blobs.getContainerClient(`azureml-registry-${DEMO_REGISTRY.name}`);
    const names: string[] = [];
    for await (const item of registryContainer.listBlobsFlat({ prefix: `bike-demand/1/${id}/` })) names.push(item.name);
    expect(names).toEqual([`bike-demand/1/${id}/model.json`]);
    const source = await folder.container.getBlobClient(`${folder.prefix}model.json`).downloadToBuffer();
    const copied = await registryContainer.getBlobClient(names[0] ?? '').downloadToBuffer();
    expect(copied.toString()).toBe(source.toString());
  });

  it('when a model URI names a job output that has no files, then the copy fails saying so', async () => {
    const accounts = storageAccountResolver([blobs], testCredential);
    const folder = await modelFolder(ws, accounts, `azureml://jobs/${BIKE_DEMAND_SEED_JOB}/outputs/missing/paths/`);
    const upload = await startRegistryPendingUpload(ws, DEMO_REGISTRY, 'bike-demand', '2', 'empty-1');
    await expect(copyModelFolder(folder, upload.sasUri)).rejects.toThrow(/no files under/);
  });
});
