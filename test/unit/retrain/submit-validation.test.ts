import { parseCatalog } from '../../../src/catalog';
import type { StateStores } from '../../../src/state';
import type { Telemetry } from '../../../src/telemetry';
import type { OrchestrationClient } from '../../../src/triggers/orchestration-client';
import { submitRetrainTrigger } from '../../../src/triggers/submit';

// Validation happens before any I/O: these dependencies must never be touched.
const untouchable = new Proxy(
  {},
  {
    get: () => {
      throw new Error('no I/O expected');
    },
  },
);

const catalog = parseCatalog({
  models: [
    {
      name: 'm',
      training: {
        kind: 'pipelineJob',
        componentId: 'azureml:c:1',
        experiment: 'e',
        datasetInput: 'data',
        parameters: { alpha: 1 },
      },
      gate: { metrics: [{ name: 'rmse', goal: 'minimize' }] },
      registry: { modelName: 'm' },
      deployment: { endpoint: 'm-endpoint', smokeSample: {} },
    },
  ],
});

const deps = {
  catalog,
  state: untouchable as StateStores,
  orchestrations: untouchable as OrchestrationClient,
  telemetry: untouchable as Telemetry,
};

const trigger = (parameters: Record<string, string | number | boolean>, model = 'm') => ({
  model,
  source: 'manual' as const,
  dedupe: { kind: 'manual' as const, requestId: 'r' },
  occurredAt: '2026-11-20T10:00:00Z',
  parameters,
});

describe('trigger validation', () => {
  it('when a parameter the catalog does not declare is overridden, then InvalidTriggerError names it', async () => {
    await expect(submitRetrainTrigger(deps, trigger({ beta: 2 }))).rejects.toMatchObject({
      name: 'InvalidTriggerError',
      problems: ['parameters.beta: not a training parameter of m (catalog training.parameters)'],
    });
  });

  it('when the dataset input is overridden, then it is refused', async () => {
    await expect(submitRetrainTrigger(deps, trigger({ data: 'x' }))).rejects.toMatchObject({
      problems: ['parameters.data: the dataset input cannot be overridden (m)'],
    });
  });

  it('when the model is not in the catalog, then ModelNotInCatalogError', async () => {
    await expect(submitRetrainTrigger(deps, trigger({}, 'ghost'))).rejects.toMatchObject({
      name: 'ModelNotInCatalogError',
    });
  });
});
