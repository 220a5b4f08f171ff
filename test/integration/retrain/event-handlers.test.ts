import { BlobServiceClient } from '@azure/storage-blob';

import type { AzureMlWorkspace } from '../../../src/azureml/workspace';
import { LineageTags } from '../../../src/services/retrain/lineage';
import { createStateStores, type StateStores } from '../../../src/state';
import { handleDatasetUploaded } from '../../../src/triggers/dataset-upload';
import type { OrchestrationClient } from '../../../src/triggers/orchestration-client';
import { handleAzureMlRunEvent } from '../../../src/triggers/run-events';
import { type AzuriteBlob, startAzuriteBlob } from '../../support/azurite';
import { demoCatalog, RecordingTelemetry } from '../../orchestration/retrain/harness';

jest.setTimeout(60_000);

class FakeOrchestrations implements OrchestrationClient {
  readonly raised: { instanceId: string; name: string; data: unknown }[] = [];
  constructor(private readonly running: readonly string[]) {}
  startNew(): Promise<void> {
    return Promise.reject(new Error('not expected'));
  }
  info(instanceId: string) {
    return Promise.resolve(
      this.running.includes(instanceId) ? { state: 'running' as const } : { state: 'missing' as const },
    );
  }
  raiseEvent(instanceId: string, name: string, data: unknown): Promise<boolean> {
    if (!this.running.includes(instanceId)) return Promise.resolve(false);
    this.raised.push({ instanceId, name, data });
    return Promise.resolve(true);
  }
  purge(): Promise<void> {
    return Promise.resolve();
  }
}

const runEvent = (type: string, data: Record<string, unknown>) => ({
  id: 'e1',
  topic: '/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w',
  subject: 'experiments/x/runs/job-1',
  eventType: `Microsoft.MachineLearningServices.${type}`,
  eventTime: '2026-11-20T10:00:00Z',
  data,
  dataVersion: '',
  metadataVersion: '1',
});

describe('Event Grid handlers of the retrain flow', () => {
  let azurite: AzuriteBlob;
  let state: StateStores;

  beforeAll(async () => {
    azurite = await startAzuriteBlob();
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('events');
    await container.createIfNotExists();
    state = createStateStores(container);
  });

  afterAll(async () => {
    await azurite?.stop();
  });

  describe('azuremlRunEvents', () => {
    it('when the run carries the instance tag, then the status is raised on that instance', async () => {
      const fake = new FakeOrchestrations(['retrain-bike-demand']);
      const outcome = await handleAzureMlRunEvent(
        { state, orchestrations: fake },
        runEvent('RunStatusChanged', {
          runId: 'job-1',
          runStatus: 'Completed',
          runTags: { [LineageTags.instanceId]: 'retrain-bike-demand' },
        }),
      );
      expect(outcome).toEqual({
        delivered: true,
        instanceId: 'retrain-bike-demand',
        jobName: 'job-1',
        status: 'Completed',
      });
      expect(fake.raised).toEqual([
        {
          instanceId: 'retrain-bike-demand',
          name: 'AzureMlRunStatus',
          data: { jobName: 'job-1', status: 'Completed' },
        },
      ]);
    });

    it('when the run has no tag (batch job), then the submission index finds the instance', async () => {
      await state.submissions.put({
        key: 'k',
        model: 'bike-demand',
        runId: 'r',
        instanceId: 'retrain-bike-demand',
        kind: 'batchEndpoint',
        state: 'submitted',
        jobName: 'batchjob-9',
        at: 'now',
      });
      const fake = new FakeOrchestrations(['retrain-bike-demand']);
      const outcome = await handleAzureMlRunEvent(
        { state, orchestrations: fake },
        runEvent('RunCompleted', { runId: 'batchjob-9', runTags: {} }),
      );
      expect(outcome).toMatchObject({ delivered: true, status: 'Completed' });
    });

    it('when the run is unknown, the orchestration finished, or the event is another type, then it is acknowledged without effect', async () => {
      const fake = new FakeOrchestrations([]);
      await expect(
        handleAzureMlRunEvent({ state, orchestrations: fake }, runEvent('RunCompleted', { runId: 'foreign' })),
      ).resolves.toMatchObject({ delivered: false });
      await expect(
        handleAzureMlRunEvent({ state, orchestrations: fake }, runEvent('RunCompleted', { runId: 'batchjob-9' })),
      ).resolves.toEqual({ delivered: false, reason: 'orchestration retrain-bike-demand is not running' });
      await expect(
        handleAzureMlRunEvent({ state, orchestrations: fake }, runEvent('ModelRegistered', { runId: 'x' })),
      ).resolves.toMatchObject({ delivered: false });
      expect(fake.raised).toEqual([]);
    });
  });

  describe('datasetUploaded', () => {
    const noAzureMl = {} as AzureMlWorkspace; // ignored events must never reach Azure ML
    const blobCreated = (subject: string, data: Record<string, unknown> = {}) => ({
      id: 'b1',
      subject,
      eventType: 'Microsoft.Storage.BlobCreated',
      eventTime: '2026-11-20T10:00:00Z',
      data: {
        api: 'PutBlob',
        eTag: '0x1',
        contentLength: 10,
        url: `https://a.blob.core.windows.net${subject.replace('/blobServices/default/containers', '').replace('/blobs', '')}`,
        ...data,
      },
    });

    it.each([
      [
        'an intermediate block commit',
        blobCreated('/blobServices/default/containers/datasets/blobs/bike-demand/a.csv', { api: 'PutBlock' }),
      ],
      [
        'a zero-length blob',
        blobCreated('/blobServices/default/containers/datasets/blobs/bike-demand/a.csv', { contentLength: 0 }),
      ],
      ['a blob no model watches', blobCreated('/blobServices/default/containers/other/blobs/a.csv')],
      [
        'a blob with the wrong suffix',
        blobCreated('/blobServices/default/containers/datasets/blobs/bike-demand/a.parquet'),
      ],
    ])('when the event is %s, then it is acknowledged, counted and starts nothing', async (_what, event) => {
      const telemetry = new RecordingTelemetry();
      const fake = new FakeOrchestrations([]);
      const results = await handleDatasetUploaded(
        { catalog: demoCatalog(), state, orchestrations: fake, telemetry, ws: noAzureMl },
        event,
      );
      expect(results).toHaveLength(1);
      expect(results[0]).toHaveProperty('ignored');
      expect(telemetry.names()).toEqual(['TriggerIgnored']);
    });
  });
});
