/**
 * Event Grid delivery to webhook subscribers, persistence across restarts, reset, and the local CA.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';

import { BIKE_DEMAND_DATASET_CONTAINER, BIKE_DEMAND_DATASET_PATH } from '../../../dev/azureml-emulator/seed';
import { ensureLocalCertificates } from '../../../dev/certs/local-ca';
import { startAzuriteBlob } from '../../support/azurite';
import { RG, startTestEmulator, waitFor, WS } from './support';

// Seeding writes blobs to Azurite; on a loaded 2-core machine that can take longer than jest's 5 s default.
jest.setTimeout(30_000);

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: {
    eventType: string;
    subject: string;
    data: Record<string, unknown>;
    dataVersion: string;
    metadataVersion: string;
  }[];
}

/** A webhook receiver on loopback that fails the first `failFirst` deliveries with 500. */
async function startReceiver(
  options: { failFirst?: number } = {},
): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  let failures = options.failFirst ?? 0;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (failures > 0) {
        failures -= 1;
        response.writeHead(500).end();
        return;
      }
      deliveries.push({
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Delivery['body'],
      });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/runtime/webhooks/eventgrid?functionName=azuremlRunEvents&code=test`,
    deliveries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const modelBody = { properties: { modelUri: 'azureml://jobs/j/outputs/artifacts/paths/model/' } };

describe('Azure ML emulator: Event Grid delivery', () => {
  it('when a subscriber is configured, then events arrive as Event Grid schema arrays with aeg-* headers', async () => {
    const receiver = await startReceiver();
    const env = await startTestEmulator({ eventSubscribers: [{ url: receiver.url, name: 'AZUREML-RUNS' }] });
    try {
      await env.client.modelVersions.createOrUpdate(RG, WS, 'evt', '1', modelBody);
      const delivery = await waitFor('a delivery', () => receiver.deliveries[0]);
      expect(delivery.headers).toMatchObject({
        'aeg-event-type': 'Notification',
        'aeg-subscription-name': 'AZUREML-RUNS',
        'aeg-delivery-count': '0',
        'aeg-metadata-version': '1',
        'aeg-data-version': '',
        'content-type': 'application/json',
      });
      expect(delivery.body).toEqual([
        expect.objectContaining({
          eventType: 'Microsoft.MachineLearningServices.ModelRegistered',
          subject: 'models/evt:1',
          dataVersion: '',
          metadataVersion: '1',
        }),
      ]);
    } finally {
      await env.emulator.close();
      await receiver.close();
    }
  });

  it('when a subscriber fails, then the event is retried with a growing delivery count', async () => {
    const receiver = await startReceiver({ failFirst: 2 });
    const env = await startTestEmulator({
      eventSubscribers: [{ url: receiver.url }],
      eventDelivery: { maxAttempts: 5, retryDelayInMs: 10 },
    });
    try {
      await env.client.modelVersions.createOrUpdate(RG, WS, 'retry', '1', modelBody);
      const delivery = await waitFor('the retried delivery', () => receiver.deliveries[0]);
      expect(delivery.headers['aeg-delivery-count']).toBe('2');
      const records = (await env.control('GET', '/events/deliveries')) as {
        value: { status: string; attempts: number }[];
      };
      expect(records.value).toEqual([expect.objectContaining({ status: 'delivered', attempts: 3 })]);
    } finally {
      await env.emulator.close();
      await receiver.close();
    }
  });

  it('when a subscriber is unreachable, then API calls still succeed and the delivery is recorded as failed', async () => {
    const receiver = await startReceiver();
    const deadUrl = receiver.url;
    await receiver.close();
    const env = await startTestEmulator({
      eventSubscribers: [{ url: deadUrl }],
      eventDelivery: { maxAttempts: 2, retryDelayInMs: 10 },
    });
    try {
      const created = await env.client.modelVersions.createOrUpdate(RG, WS, 'dead', '1', modelBody);
      expect(created.name).toBe('1');
      const failed = await waitFor('a failed delivery record', async () => {
        const records = (await env.control('GET', '/events/deliveries')) as {
          value: { status: string; lastError?: string }[];
        };
        return records.value.find((record) => record.status === 'failed');
      });
      expect(failed.lastError).toBeTruthy();
    } finally {
      await env.emulator.close();
    }
  });
});

describe('Azure ML emulator: state', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aml-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('when a state dir is given, then resources survive a restart and reset clears them and the file', async () => {
    const first = await startTestEmulator({ stateDir: dir });
    await first.client.modelVersions.createOrUpdate(RG, WS, 'kept', '1', modelBody);
    await first.emulator.close();
    const second = await startTestEmulator({ stateDir: dir });
    try {
      expect((await second.client.modelVersions.get(RG, WS, 'kept', '1')).name).toBe('1');
      await second.emulator.reset();
      await expect(second.client.modelVersions.get(RG, WS, 'kept', '1')).rejects.toMatchObject({ statusCode: 404 });
      await expect(stat(path.join(dir, 'state.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await second.emulator.close();
    }
  });

  it('when the demo is seeded twice, then the seed is idempotent and its dataset blob is not rewritten', async () => {
    const azurite = await startAzuriteBlob();
    const seedBlob = BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient(BIKE_DEMAND_DATASET_CONTAINER)
      .getBlobClient(BIKE_DEMAND_DATASET_PATH);
    try {
      const options = { stateDir: dir, seedDemo: true, azuriteConnectionString: azurite.connectionString };
      const env = await startTestEmulator(options);
      const key = (await env.client.onlineEndpoints.listKeys(RG, WS, 'bike-demand')).primaryKey;
      const eTag = (await seedBlob.getProperties()).etag;
      await env.emulator.close();
      const again = await startTestEmulator(options);
      try {
        expect((await again.client.onlineEndpoints.listKeys(RG, WS, 'bike-demand')).primaryKey).toBe(key);
        const versions: string[] = [];
        for await (const version of again.client.modelVersions.list(RG, WS, 'bike-demand'))
          versions.push(version.name ?? '');
        expect(versions).toEqual(['1']);
        // A rewrite would look like a new upload under datasets/bike-demand/ and start a retrain on every restart.
        expect((await seedBlob.getProperties()).etag).toBe(eTag);
      } finally {
        await again.emulator.close();
      }
    } finally {
      await azurite.stop();
    }
  });
});

describe('local CA', () => {
  it('when certificates are ensured twice, then the CA is reused; a missing server cert is re-issued by the same CA', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aml-certs-'));
    try {
      const first = await ensureLocalCertificates({ dir });
      const ca = await readFile(first.caCertPath, 'utf8');
      await rm(first.certPath);
      const second = await ensureLocalCertificates({ dir });
      expect(await readFile(second.caCertPath, 'utf8')).toBe(ca);
      const server = new X509Certificate(await readFile(second.certPath));
      expect(server.verify(new X509Certificate(ca).publicKey)).toBe(true);
      expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(server.checkHost('localhost')).toBe('localhost');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when several callers ensure certificates at once on an empty dir, then one consistent CA and server pair results', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aml-certs-'));
    try {
      const results = await Promise.all([1, 2, 3].map(() => ensureLocalCertificates({ dir })));
      const first = results[0];
      if (!first) throw new Error('no result');
      const ca = new X509Certificate(await readFile(first.caCertPath));
      const server = new X509Certificate(await readFile(first.certPath));
      expect(server.verify(ca.publicKey)).toBe(true);
      await expect(stat(path.join(dir, '.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
