import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';

import type { DevHost } from '../../../dev/host/dev-host';
import { EventGridDelivery, startStorageEvents, type StorageEvents } from '../../../dev/host/blob-watcher';
import { type AzuriteBlob, startAzuriteBlob } from '../../support/azurite';
import { freePorts } from '../../support/free-port';
import { waitFor } from '../../support/wait-for';
import { startFixtureHost } from './fixture-host';

interface RecordedEvent {
  event: { id: string; subject: string; eventType: string; topic: string; data: Record<string, unknown> };
}

jest.setTimeout(20_000);

/** A local subscriptions file (dev/launcher/event-subscriptions.json's shape) in `dir`; returns its path. */
function writeSubscriptions(dir: string, subscriptions: unknown[]): string {
  const file = path.join(dir, 'subscriptions.json');
  const storageAccount = { subscriptionId: 'sub-1', resourceGroup: 'rg-1', name: 'devstoreaccount1' };
  fs.writeFileSync(file, JSON.stringify({ storageAccount, subscriptions }));
  return file;
}

describe('dev host: blob watcher → Event Grid', () => {
  let azurite: AzuriteBlob;
  let host: DevHost;
  let events: StorageEvents | undefined;
  let container: ContainerClient;
  const lines: string[] = [];

  beforeAll(async () => {
    azurite = await startAzuriteBlob();
    ({ host } = await startFixtureHost('basic', { appSettings: { TICK_SCHEDULE: '0 */5 * * * *' }, timers: false }));
    container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('datasets');
    await container.create();
    await container.getBlockBlobClient('before/existing.csv').upload('a,b\n', 4);
  }, 60_000);
  afterAll(async () => {
    await events?.stop();
    await host.close();
    await azurite.stop();
  });

  const recorded = async (): Promise<RecordedEvent[]> =>
    ((await (await fetch(`${host.url}/api/records`)).json()) as { events: RecordedEvent[] }).events;
  const bySubject = async (suffix: string): Promise<RecordedEvent[]> =>
    (await recorded()).filter((e) => e.event.subject.endsWith(suffix));
  const someBySubject = async (suffix: string): Promise<RecordedEvent[] | undefined> => {
    const found = await bySubject(suffix);
    return found.length > 0 ? found : undefined;
  };

  it('when the watcher starts, then existing blobs are a baseline and new uploads arrive as BlobCreated within 2 s', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-watcher-'));
    const subscriptionsFile = writeSubscriptions(dir, [
      {
        name: 'csv-only',
        functionName: 'onEvent',
        source: 'storage',
        filter: { includedEventTypes: ['Microsoft.Storage.BlobCreated'], subjectEndsWith: '.csv' },
      },
      { name: 'ml', functionName: 'onEvent', source: 'azureml' },
    ]);
    events = await startStorageEvents({
      subscriptionsFile,
      storageConnectionString: azurite.connectionString,
      hostUrl: host.url,
      eventGridKey: host.keys.system.eventgrid_extension ?? '',
      stateFile: path.join(dir, 'state.json'),
      pollIntervalMs: 200,
      log: (l) => lines.push(l),
    });
    expect(lines.some((l) => l.includes('csv-only') && l.includes('validated'))).toBe(true);

    const started = Date.now();
    await container
      .getBlockBlobClient('incoming/train.csv')
      .upload('x,y\n1,2\n', 8, { blobHTTPHeaders: { blobContentType: 'text/csv' } });
    const [created] = await waitFor(() => someBySubject('/incoming/train.csv'), { timeoutMs: 2000 });
    expect(Date.now() - started).toBeLessThan(2000);
    const props = await container.getBlockBlobClient('incoming/train.csv').getProperties();
    expect(created?.event).toMatchObject({
      eventType: 'Microsoft.Storage.BlobCreated',
      subject: '/blobServices/default/containers/datasets/blobs/incoming/train.csv',
      topic: '/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Storage/storageAccounts/devstoreaccount1',
      data: {
        api: 'PutBlob',
        eTag: props.etag?.replace(/"/g, ''),
        contentType: 'text/csv',
        contentLength: 8,
        blobType: 'BlockBlob',
        url: `${azurite.blobEndpoint}/datasets/incoming/train.csv`,
      },
    });
    expect(created?.event.data.sequencer).toMatch(/^[0-9a-f]{32}$/);
    expect(await bySubject('/before/existing.csv')).toEqual([]);
  });

  it('when a blob is overwritten, then a new event with the new ETag follows; unchanged blobs fire nothing', async () => {
    await container.getBlockBlobClient('incoming/train.csv').upload('x,y\n3,4\n', 8);
    const both = await waitFor(async () => {
      const found = await bySubject('/incoming/train.csv');
      return found.length === 2 ? found : undefined;
    });
    expect(both[1]?.event.data.eTag).not.toBe(both[0]?.event.data.eTag);
    await events?.pollNow();
    await events?.pollNow();
    expect(await bySubject('/incoming/train.csv')).toHaveLength(2);
  });

  it("when a blob does not match the subscription's filter, then it is not delivered", async () => {
    await container.getBlockBlobClient('incoming/readme.txt').upload('hi', 2);
    await container.getBlockBlobClient('incoming/marker.csv').upload('', 0);
    // The zero-length .csv is delivered (Event Grid reports empty blobs too); the .txt, written first, never is.
    await waitFor(() => someBySubject('/incoming/marker.csv'), { timeoutMs: 5000 });
    await events?.pollNow();
    expect(await bySubject('/incoming/readme.txt')).toEqual([]);
  });

  it('when the watcher stops before an event was delivered, then it delivers the event at its next start (as Event Grid retries while a subscriber is down)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-watcher-'));
    // Only .tsv blobs: the watcher of the tests above (still running, .csv only) never delivers these.
    const subscriptionsFile = writeSubscriptions(dir, [
      { name: 'tsv-only', functionName: 'onEvent', source: 'storage', filter: { subjectEndsWith: '.tsv' } },
    ]);
    const stateFile = path.join(dir, 'state.json');
    const common = {
      subscriptionsFile,
      storageConnectionString: azurite.connectionString,
      eventGridKey: host.keys.system.eventgrid_extension ?? '',
      stateFile,
      pollIntervalMs: 100,
      log: (l: string) => lines.push(l),
    };
    // The host is down: the first watcher notices the upload and is still retrying its delivery when it stops.
    const [downPort] = await freePorts(1);
    const first = await startStorageEvents({
      ...common,
      hostUrl: `http://127.0.0.1:${downPort}`,
      retryDelaysMs: [60_000],
    });
    try {
      await container.getBlockBlobClient('incoming/while-down.tsv').upload('a\tb\n', 4);
      await waitFor(() => fs.existsSync(stateFile) && fs.readFileSync(stateFile, 'utf8').includes('while-down.tsv'), {
        description: 'the first watcher to notice the upload',
      });
    } finally {
      await first.stop();
    }

    const second = await startStorageEvents({ ...common, hostUrl: host.url });
    try {
      const delivered = await waitFor(() => someBySubject('/incoming/while-down.tsv'), { timeoutMs: 5000 });
      expect(delivered).toHaveLength(1);
      // Delivered: no longer pending, so a third start sends nothing again.
      await waitFor(() => !fs.readFileSync(stateFile, 'utf8').includes('"pending":[{'), {
        description: 'the event to leave the pending list',
      });
    } finally {
      await second.stop();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('when the function keeps failing, then delivery retries on the schedule and gives up', async () => {
    const delivery = new EventGridDelivery({
      hostUrl: host.url,
      systemKey: host.keys.system.eventgrid_extension ?? '',
      retryDelaysMs: [5, 5],
      log: () => undefined,
    });
    const outcome = await delivery.deliver({ name: 'failing', functionName: 'onEvent', source: 'storage' }, [
      {
        id: 'retry-1',
        topic: 't',
        subject: 's',
        eventType: 'X',
        eventTime: new Date().toISOString(),
        data: { fail: true },
        dataVersion: '',
        metadataVersion: '1',
      },
    ]);
    expect(outcome).toEqual({ delivered: false, attempts: 3, lastStatus: 500 });
    expect((await recorded()).filter((e) => e.event.id === 'retry-1')).toHaveLength(3);
  });
});
