// A registry's files live in the registry's own storage: createOrGetStartPendingUpload hands out a SAS to a folder
// there (registries.json, stable 2025-12-01, example examples/Registry/ModelVersion/createOrGetStartPendingUpload.json),
// the client copies the files, then PUTs the version with modelUri = blobUri; a deployment in another workspace serves
// it. Sources: docs/azureml-emulator.md "Workspaces and registries".
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { BlockBlobClient, StorageSharedKeyCredential } from '@azure/storage-blob';

import { BIKE_DEMAND_SEED_JOB, DEMO_PROD_WORKSPACE, DEMO_REGISTRY } from '../../../dev/azureml-emulator';
import { type AzuriteBlob, DEVSTORE_ACCOUNT, DEVSTORE_KEY, startAzuriteBlob } from '../../support/azurite';
import { BIKE_FEATURES, fixedCredential, startTestEmulator, type TestEmulator, TOKEN, waitFor } from './support';

jest.setTimeout(60_000);

const PROD = DEMO_PROD_WORKSPACE;
const REGISTRY = `/subscriptions/${DEMO_REGISTRY.subscriptionId}/resourceGroups/${DEMO_REGISTRY.resourceGroup}/providers/Microsoft.MachineLearningServices/registries/${DEMO_REGISTRY.name}`;
const MODEL = {
  kind: 'linear',
  version: 1,
  featureColumns: BIKE_FEATURES,
  targetColumn: 'count',
  intercept: 10,
  coefficients: BIKE_FEATURES.map(() => 1),
  trainedRows: 100,
};

interface PendingUpload {
  blobReferenceForConsumption: {
    blobUri: string;
    storageAccountArmId: string;
    credential: { credentialType: string; sasUri: string };
  };
  pendingUploadId: string;
  pendingUploadType: string;
}

describe('Azure ML emulator: uploading a model version into a registry', () => {
  let azurite: AzuriteBlob;
  let env: TestEmulator;
  let prod: AzureMachineLearningWorkspaces;
  beforeAll(async () => {
    azurite = await startAzuriteBlob();
    env = await startTestEmulator({ seedDemo: true, azuriteConnectionString: azurite.connectionString });
    prod = new AzureMachineLearningWorkspaces(fixedCredential, PROD.subscriptionId, { endpoint: env.url });
  });
  afterAll(async () => {
    await env.emulator.close();
    await azurite.stop();
  });

  const armAt = (path: string, method = 'GET', body?: unknown) =>
    fetch(`${env.url}${REGISTRY}${path}?api-version=2025-12-01`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const startUpload = (version: string, body: unknown) =>
    armAt(`/models/bike-demand/versions/${version}/startPendingUpload`, 'POST', body);
  const fileAt = (upload: PendingUpload, file: string) => {
    const sas = new URL(upload.blobReferenceForConsumption.credential.sasUri);
    return new BlockBlobClient(`${sas.origin}${sas.pathname}/${file}${sas.search}`);
  };

  it('when a pending upload is started, then it answers the spec shape with a SAS into the registry storage, the same folder for the same id', async () => {
    const first = await startUpload('7', { pendingUploadId: 'promo-1', pendingUploadType: 'TemporaryBlobReference' });
    expect(first.status).toBe(200);
    const upload = (await first.json()) as PendingUpload;
    expect(upload).toMatchObject({
      pendingUploadId: 'promo-1',
      pendingUploadType: 'TemporaryBlobReference',
      blobReferenceForConsumption: { credential: { credentialType: 'SAS' } },
    });
    const { blobUri, credential, storageAccountArmId } = upload.blobReferenceForConsumption;
    expect(blobUri.startsWith(azurite.blobEndpoint)).toBe(true);
    expect(credential.sasUri.startsWith(`${blobUri}?`)).toBe(true);
    expect(credential.sasUri).toContain('sig=');
    expect(storageAccountArmId).toMatch(/\/providers\/Microsoft\.Storage\/storageAccounts\//);
    const again = (await (
      await startUpload('7', { pendingUploadId: 'promo-1', pendingUploadType: 'TemporaryBlobReference' })
    ).json()) as PendingUpload;
    expect(again.blobReferenceForConsumption.blobUri).toBe(blobUri);
    const other = (await (
      await startUpload('7', { pendingUploadType: 'TemporaryBlobReference' })
    ).json()) as PendingUpload;
    expect(other.pendingUploadId).not.toBe('promo-1');
    expect(other.blobReferenceForConsumption.blobUri).not.toBe(blobUri);
    // The SAS writes (and overwrites) files under the folder.
    await fileAt(upload, 'model.json').upload('{}', 2);
    await fileAt(upload, 'model.json').upload('{"a":1}', 7);
    expect((await fileAt(upload, 'model.json').downloadToBuffer()).toString()).toBe('{"a":1}');
  });

  it('when a pending upload has an unknown type, field or registry, then it is refused naming the field', async () => {
    const badType = await startUpload('7', { pendingUploadType: 'Folder' });
    expect(badType.status).toBe(400);
    expect(((await badType.json()) as { error: { target: string } }).error.target).toBe('pendingUploadType');
    const badField = await startUpload('7', { pendingUploadType: 'TemporaryBlobReference', path: 'x' });
    expect(badField.status).toBe(400);
    const noRegistry = await fetch(
      `${env.url}${REGISTRY.replace(DEMO_REGISTRY.name, 'nope')}/models/m/versions/1/startPendingUpload?api-version=2025-12-01`,
      { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{}' },
    );
    expect(noRegistry.status).toBe(404);
  });

  it('when the files are copied to the pending upload and the version PUT names its blobUri, then a prod deployment serves it by registry asset id', async () => {
    const upload = (await (
      await startUpload('8', { pendingUploadId: 'promo-8', pendingUploadType: 'TemporaryBlobReference' })
    ).json()) as PendingUpload;
    const text = JSON.stringify(MODEL);
    await fileAt(upload, 'model.json').upload(text, Buffer.byteLength(text));
    const accepted = await armAt('/models/bike-demand/versions/8', 'PUT', {
      properties: { modelUri: upload.blobReferenceForConsumption.blobUri, modelType: 'mlflow_model' },
    });
    expect(accepted.status).toBe(202);
    const location = accepted.headers.get('location') ?? '';
    await waitFor('the registry copy', async () => {
      const polled = await fetch(location, { headers: { authorization: `Bearer ${TOKEN}` } });
      return polled.status === 200 ? true : undefined;
    });
    const version = (await (await armAt('/models/bike-demand/versions/8')).json()) as {
      properties: { provisioningState: string; modelUri: string };
    };
    expect(version.properties).toMatchObject({
      provisioningState: 'Succeeded',
      modelUri: upload.blobReferenceForConsumption.blobUri,
    });

    await prod.onlineEndpoints.beginCreateOrUpdateAndWait(PROD.resourceGroup, PROD.workspace, 'bike-up', {
      location: 'local',
      kind: 'Managed',
      properties: { authMode: 'Key' },
    });
    const deployed = await prod.onlineDeployments.beginCreateOrUpdateAndWait(
      PROD.resourceGroup,
      PROD.workspace,
      'bike-up',
      'blue',
      {
        location: 'local',
        sku: { name: 'Default', capacity: 1 },
        properties: {
          endpointComputeType: 'Managed',
          model: 'azureml://registries/shared/models/bike-demand/versions/8',
          instanceType: 'Standard_DS3_v2',
        },
      },
    );
    expect(deployed.properties.provisioningState).toBe('Succeeded');
    await prod.onlineEndpoints.beginCreateOrUpdateAndWait(PROD.resourceGroup, PROD.workspace, 'bike-up', {
      location: 'local',
      kind: 'Managed',
      properties: { authMode: 'Key', traffic: { blue: 100 } },
    });
    const endpoint = await prod.onlineEndpoints.get(PROD.resourceGroup, PROD.workspace, 'bike-up');
    const keys = await prod.onlineEndpoints.listKeys(PROD.resourceGroup, PROD.workspace, 'bike-up');
    const scored = await fetch(endpoint.properties.scoringUri ?? '', {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.primaryKey ?? ''}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input_data: { columns: BIKE_FEATURES, data: [[1, 1, 1, 1, 1]] } }),
    });
    expect(scored.status).toBe(200);
    // intercept 10 + five features of 1 with coefficient 1: the uploaded file, not the seed model, is served.
    expect(await scored.json()).toEqual([15]);
  });

  it('when a registry version exists, then a re-PUT with the same modelUri is 200 and with another 409 naming properties.modelUri', async () => {
    const upload = (await (
      await startUpload('9', { pendingUploadId: 'promo-9', pendingUploadType: 'TemporaryBlobReference' })
    ).json()) as PendingUpload;
    const text = JSON.stringify(MODEL);
    await fileAt(upload, 'model.json').upload(text, Buffer.byteLength(text));
    const body = (modelUri: string) => ({ properties: { modelUri, modelType: 'mlflow_model' } });
    const { blobUri } = upload.blobReferenceForConsumption;
    expect((await armAt('/models/bike-demand/versions/9', 'PUT', body(blobUri))).status).toBe(202);
    expect((await armAt('/models/bike-demand/versions/9', 'PUT', body(blobUri))).status).toBe(200);
    const changed = await armAt('/models/bike-demand/versions/9', 'PUT', body(`${blobUri}-other`));
    expect(changed.status).toBe(409);
    expect(((await changed.json()) as { error: { target: string } }).error.target).toBe('properties.modelUri');
  });

  it("when a workspace's default datastore is read, then it names the Azurite container where the seed job's model output is", async () => {
    const ds = await env.arm('GET', '/datastores/workspaceblobstore');
    expect(ds.status).toBe(200);
    const datastore = (await ds.json()) as {
      properties: { datastoreType: string; accountName: string; containerName: string; isDefault: boolean };
    };
    expect(datastore.properties).toMatchObject({
      datastoreType: 'AzureBlob',
      accountName: 'devstoreaccount1',
      isDefault: true,
    });
    const blob = new BlockBlobClient(
      `${azurite.blobEndpoint}/${datastore.properties.containerName}/azureml/${BIKE_DEMAND_SEED_JOB}/model/model.json`,
      new StorageSharedKeyCredential(DEVSTORE_ACCOUNT, DEVSTORE_KEY),
    );
    const model = JSON.parse((await blob.downloadToBuffer()).toString()) as { kind: string; featureColumns: string[] };
    expect(model).toMatchObject({ kind: 'linear', featureColumns: BIKE_FEATURES });
    expect((await env.arm('GET', '/datastores/nope')).status).toBe(404);
  });
});
