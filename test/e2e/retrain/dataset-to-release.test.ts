import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { BlobServiceClient } from '@azure/storage-blob';

import { REGION, RESOURCE_GROUP, SUBSCRIPTION_ID, WORKSPACE } from '../../../dev/azureml-emulator';
import { ensureLocalCertificates } from '../../../dev/certs/local-ca';
import { generateBikeDemandCsv } from '../../../dev/demo/bike-data';
import { getEndpoint } from '../../../src/azureml/endpoints';
import { getModelVersion, listModelVersions } from '../../../src/azureml/registry';
import { createWorkspace } from '../../../src/azureml/workspace';
import { LineageTags } from '../../../src/services/retrain/lineage';
import { createStateStores } from '../../../src/state';
import { connectionStringFor } from '../../support/azurite';
import { type LaunchedPlatform, launchPlatform } from '../../support/launcher';
import { waitFor } from '../../support/wait-for';
import { testCredential } from '../../orchestration/retrain/harness';
import { PINNED_AZUREML_API_VERSION } from '../../../src/config';

jest.setTimeout(300_000);

/**
 * `npm start` end to end: a CSV dropped under datasets/bike-demand/ in Azurite → the blob watcher's BlobCreated →
 * datasetUploaded → retrain orchestration on the dev host → Azure ML emulator training, gate, registration,
 * blue/green release. Only public interfaces: Azurite, the host's HTTP endpoints, the emulator's ARM API.
 */
describe('dataset upload to release through the dev host', () => {
  let platform: LaunchedPlatform;
  let stateDir = '';

  beforeAll(async () => {
    // The launcher keeps its CA under <state dir>/certs; seed it with the CA this process trusts
    // (run-jest's NODE_EXTRA_CA_CERTS), so the real ARM client can talk to the launched emulator.
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retrain-e2e-'));
    const certs = await ensureLocalCertificates();
    fs.cpSync(path.dirname(certs.caCertPath), path.join(stateDir, 'certs'), { recursive: true });
    platform = await launchPlatform({ args: ['--state-dir', stateDir] });
  });

  afterAll(async () => {
    await platform?.stop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('when a CSV lands under datasets/bike-demand/, then a new version serves 100 % with lineage; a duplicate event changes nothing', async () => {
    const blobs = BlobServiceClient.fromConnectionString(
      connectionStringFor(`http://127.0.0.1:${platform.ports.blob}/devstoreaccount1`),
    );
    const ws = createWorkspace(
      {
        azureml: {
          subscriptionId: SUBSCRIPTION_ID,
          resourceGroup: RESOURCE_GROUP,
          workspace: WORKSPACE,
          region: REGION,
          armEndpoint: `https://127.0.0.1:${platform.ports.azureml}`,
          dataPlaneEndpoint: `https://127.0.0.1:${platform.ports.azureml}`,
          apiVersion: PINNED_AZUREML_API_VERSION,
        },
      },
      testCredential,
    );
    const versionsBefore = (await listModelVersions(ws, 'bike-demand')).map((v) => v.name);
    const datasets = blobs.getContainerClient('datasets');
    await datasets.createIfNotExists();
    const csv = generateBikeDemandCsv({ rows: 800, seed: 2026 });
    const blob = datasets.getBlockBlobClient('bike-demand/e2e-upload.csv');

    // Act: the upload is the only stimulus.
    await blob.upload(csv, Buffer.byteLength(csv));

    const live = await waitFor(
      async () => {
        const endpoint = await getEndpoint(ws, 'bike-demand');
        const full = endpoint?.full;
        return full && full !== 'bike-demand-v1' ? full : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 500, description: 'a new deployment at 100 % of bike-demand' },
    );
    const deployment = await ws.arm.onlineDeployments.get(RESOURCE_GROUP, WORKSPACE, 'bike-demand', live);
    const version = /versions\/([^/]+)$/.exec(deployment.properties.model ?? '')?.[1] ?? '';
    const tags = (await getModelVersion(ws, 'bike-demand', version))?.properties.tags ?? {};
    expect(tags).toMatchObject({
      [LineageTags.datasetUri]: blob.url,
      [LineageTags.gateDecision]: 'accepted',
      [LineageTags.instanceId]: 'retrain-bike-demand',
      [LineageTags.triggerSource]: 'dataset',
    });
    expect(tags[LineageTags.datasetETag]).toBeTruthy();
    expect(tags[LineageTags.job]).toBeTruthy();
    expect(tags[LineageTags.triggerId]).toMatch(/^t[0-9a-f]{24}$/);
    expect(tags[LineageTags.datasetAsset]).toMatch(/^bike-demand-data:\d{14}-[0-9a-f]{8}$/);

    // Telemetry reached the host's Application Insights sink through the real SDK.
    const succeeded = await waitFor(
      async () => {
        const res = await fetch(
          `${platform.hostUrl}/admin/telemetry?name=DeploymentSucceeded&type=event&code=${platform.masterKey}`,
        );
        const items = (await res.json()) as { data?: { baseData?: { properties?: Record<string, string> } } }[];
        const found = items.find((i) => i.data?.baseData?.properties?.deployment === live);
        // Reported when the wait times out, so a failure shows what the sink did hold.
        if (!found) throw new Error(`sink held ${JSON.stringify(items).slice(0, 2000)}`);
        return found;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: 'DeploymentSucceeded in the telemetry sink' },
    );
    expect(succeeded.data?.baseData?.properties).toMatchObject({
      model: 'bike-demand',
      instanceId: 'retrain-bike-demand',
      deployment: live,
      modelVersion: version,
    });

    // A duplicate delivery of the same BlobCreated: acknowledged, nothing new starts.
    const state = createStateStores(blobs.getContainerClient('mlops-state'));
    const [entry] = await state.ledger.list({ model: 'bike-demand', fate: 'started' });
    expect(entry?.trigger.dedupe).toMatchObject({ kind: 'blob' });
    const dedupe = entry!.trigger.dedupe as { url: string; eTag: string };
    const run = await waitFor(
      async () => {
        const r = await state.runs.get(entry!.triggerId);
        return r && r.status !== 'running' ? r : undefined;
      },
      { timeoutMs: 60_000, description: 'the run record to finish' },
    );
    expect(run.status).toBe('succeeded');
    const versionsAfterRun = (await listModelVersions(ws, 'bike-demand')).map((v) => v.name).sort();
    const response = await fetch(
      `${platform.hostUrl}/runtime/webhooks/eventgrid?functionName=datasetUploaded&code=${platform.masterKey}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
        body: JSON.stringify([
          {
            id: 'duplicate-delivery-1',
            topic:
              '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/devstoreaccount1',
            subject: '/blobServices/default/containers/datasets/blobs/bike-demand/e2e-upload.csv',
            eventType: 'Microsoft.Storage.BlobCreated',
            eventTime: new Date().toISOString(),
            data: {
              api: 'PutBlob',
              eTag: dedupe.eTag,
              contentLength: Buffer.byteLength(csv),
              url: dedupe.url,
              blobType: 'BlockBlob',
            },
            dataVersion: '',
            metadataVersion: '1',
          },
        ]),
      },
    );
    expect(response.status).toBeLessThan(300);
    const duplicates = await waitFor(
      async () => {
        const list = await state.ledger.list({ model: 'bike-demand', fate: 'duplicate' });
        return list.length > 0 ? list : undefined;
      },
      { timeoutMs: 30_000, description: 'the duplicate in the trigger ledger' },
    );
    expect(duplicates[0]?.relatedTriggerId).toBe(entry!.triggerId);
    expect((await listModelVersions(ws, 'bike-demand')).map((v) => v.name).sort()).toEqual(versionsAfterRun);
    expect((await state.runs.list({ model: 'bike-demand' })).map((r) => r.runId)).toEqual([entry!.triggerId]);
    expect(versionsAfterRun.length).toBe(versionsBefore.length + 1);
  });
});
