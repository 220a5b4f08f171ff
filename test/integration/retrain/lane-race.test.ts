import { BlobServiceClient } from '@azure/storage-blob';

import { parseCatalog } from '../../../src/catalog';
import { createStateStores } from '../../../src/state';
import type { RetrainTrigger } from '../../../src/triggers/model';
import type { OrchestrationClient } from '../../../src/triggers/orchestration-client';
import { reconcileRetrainLanes } from '../../../src/triggers/reconcile';
import { completeLaneRun, submitRetrainTrigger } from '../../../src/triggers/submit';
import { type AzuriteBlob, startAzuriteBlob } from '../../support/azurite';
import { RecordingTelemetry } from '../../orchestration/retrain/harness';

jest.setTimeout(120_000);

/** Durable client stand-in: records starts; instances "run" until told otherwise. */
class FakeOrchestrations implements OrchestrationClient {
  readonly started: { instanceId: string; runId: string }[] = [];
  readonly running = new Map<string, string>();
  startNew(_name: string, instanceId: string, input: unknown): Promise<void> {
    const runId = (input as { runId: string }).runId;
    this.started.push({ instanceId, runId });
    this.running.set(instanceId, runId);
    return Promise.resolve();
  }
  info(instanceId: string) {
    const runId = this.running.get(instanceId);
    return Promise.resolve(runId ? { state: 'running' as const, input: { runId } } : { state: 'missing' as const });
  }
  raiseEvent(): Promise<boolean> {
    return Promise.resolve(true);
  }
  purge(): Promise<void> {
    return Promise.resolve();
  }
}

const catalog = parseCatalog({
  models: Array.from({ length: 12 }, (_, i) => ({
    name: `m${i}`,
    training: { kind: 'pipelineJob', componentId: 'azureml:c:1', experiment: 'e', datasetInput: 'd' },
    gate: { metrics: [{ name: 'rmse', goal: 'minimize' }] },
    registry: { modelName: `m${i}` },
    deployment: { endpoint: `m${i}-endpoint`, smokeSample: {} },
  })),
});

function trigger(model: string, n: number): RetrainTrigger {
  return {
    model,
    source: 'dataset',
    dedupe: { kind: 'blob', url: `https://a/c/${model}-${n}.csv`, eTag: `0x${n}` },
    occurredAt: `2026-11-20T10:0${n}:00Z`,
    dataset: { uri: `https://a/c/${model}-${n}.csv`, container: 'c', name: `${model}-${n}.csv`, eTag: `0x${n}` },
  };
}

describe('trigger arriving while the running orchestration finishes', () => {
  let azurite: AzuriteBlob;
  let blobs: BlobServiceClient;

  beforeAll(async () => {
    azurite = await startAzuriteBlob();
    blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  });

  afterAll(async () => {
    await azurite?.stop();
  });

  it('when completion and a new trigger race, then the trigger is started exactly once (follow-up or new run)', async () => {
    const container = blobs.getContainerClient('lane-race');
    await container.createIfNotExists();
    const state = createStateStores(container);
    for (const model of catalog.models.map((m) => m.name)) {
      const orchestrations = new FakeOrchestrations();
      const deps = { catalog, state, orchestrations, telemetry: new RecordingTelemetry() };
      const first = await submitRetrainTrigger(deps, trigger(model, 1));
      expect(first.outcome).toBe('started');
      // The orchestration is finishing: it no longer counts as "running the first run" for the starter.
      orchestrations.running.delete(first.instanceId);

      const [completion, second] = await Promise.all([
        completeLaneRun(state, model, first.runId, new Date().toISOString()),
        submitRetrainTrigger(deps, trigger(model, 2)),
      ]);

      const continued = completion.next?.runId === second.runId;
      const startedFresh = orchestrations.started.some((s) => s.runId === second.runId);
      expect(continued !== startedFresh).toBe(true); // exactly one of the two paths took it
      expect(second.outcome).toBe(continued ? 'queued' : 'started');
      expect((await state.lanes.get(model)).active?.runId).toBe(second.runId);
      expect((await state.ledger.get(second.triggerId))?.fate).toBe('started');
    }
  });

  it('when a lane names a run whose orchestration never started, then the reconciler starts it', async () => {
    const container = blobs.getContainerClient('lane-reconcile');
    await container.createIfNotExists();
    const state = createStateStores(container);
    const lost = new FakeOrchestrations();
    lost.startNew = () => Promise.reject(new Error('host crashed'));
    const deps = { catalog, state, orchestrations: lost, telemetry: new RecordingTelemetry() };
    await expect(submitRetrainTrigger(deps, trigger('m0', 1))).rejects.toThrow('host crashed');

    const healthy = new FakeOrchestrations();
    const report = await reconcileRetrainLanes({ ...deps, orchestrations: healthy, graceMs: 0 });

    expect(report.restarted).toHaveLength(1);
    expect(healthy.started).toEqual([{ instanceId: 'retrain-m0', runId: report.restarted[0] }]);
    // A second pass finds it running and changes nothing.
    expect(await reconcileRetrainLanes({ ...deps, orchestrations: healthy, graceMs: 0 })).toEqual({
      restarted: [],
      released: [],
      continued: [],
      resubmitted: [],
    });
  });

  it('when a trigger was recorded but its submission crashed before placing it, then the reconciler places it', async () => {
    const container = blobs.getContainerClient('lane-received');
    await container.createIfNotExists();
    const state = createStateStores(container);
    const t = trigger('m1', 1);
    await state.ledger.record({
      triggerId: 't-crashed',
      model: 'm1',
      dedupeKey: 'blob:https://a/c/m1-1.csv#0x1',
      receivedAt: '2026-11-20T10:00:00.000Z',
      trigger: t,
      fate: 'received',
    });
    const orchestrations = new FakeOrchestrations();

    const report = await reconcileRetrainLanes({
      catalog,
      state,
      orchestrations,
      telemetry: new RecordingTelemetry(),
      graceMs: 0,
    });

    expect(report.resubmitted).toEqual(['t-crashed']);
    expect(orchestrations.started).toEqual([{ instanceId: 'retrain-m1', runId: 't-crashed' }]);
    expect(await state.ledger.get('t-crashed')).toMatchObject({ fate: 'started', placed: true });
    expect(await state.ledger.isClaimed('m1', 'blob:https://a/c/m1-1.csv#0x1')).toBe('t-crashed');
  });
});
