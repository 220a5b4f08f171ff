// Failure classification of the retrain orchestration under Azure's semantics, end to end on the local Durable
// engine: the real durable-functions handler, activities that throw as the app's do (wrapped by withErrorType, as
// src/app/retrain.ts registers them), failures recorded by the engine as the host records them (legacy text without
// FailureDetails, or the structured shape). A permanent failure must not be retried and the run record must name
// the real type with a readable message.
import { EventType, type HistoryEvent, parseTime } from '../../../dev/host/durable/dtfx';
import type { FailureShape } from '../../../dev/host/durable/failures';
import { createRetrainActivities, type RetrainDeps } from '../../../src/activities/retrain-activities';
import { retrainOrchestrator } from '../../../src/orchestrations/retrain';
import { RetrainActivities, RetrainOrchestrations } from '../../../src/services/retrain/contracts';
import {
  AzureMlRequestError,
  AzureMlTransientError,
  MetricsUnavailableError,
  NoTrainingDataError,
} from '../../../src/services/retrain/errors';
import type { RetrainPlan } from '../../../src/services/retrain/plan';
import { withErrorType } from '../../../src/services/task-failure';
import { type Harness, startHarness, waitFor, waitForFinish } from '../../conformance/durable/harness';
import { catalog, planFor, runInput } from './retrain-app';

/** A dependency the activities under test must not touch: any use fails the test with its name. */
function untouchable<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: (_target, property) => {
      throw new Error(`${what}.${String(property)} was used, but this test provides no ${what}`);
    },
  });
}

/** The app's own activities over the repository catalog (no state, workspace or telemetry). */
const appActivities = createRetrainActivities({
  catalog,
  state: untouchable<RetrainDeps['state']>('state'),
  ws: untouchable<RetrainDeps['ws']>('ws'),
  telemetry: untouchable<RetrainDeps['telemetry']>('telemetry'),
}) as unknown as Record<string, (input: unknown) => Promise<unknown>>;

type Behaviour = (input: unknown) => Promise<unknown>;

// Code that wrongly retries a permanent failure still ends within this (its backoff is test-sized or cut short).
jest.setTimeout(30_000);

const TERMINAL = new Set(['Completed', 'Failed', 'Terminated']);

describe.each(['legacy', 'structured'] as const)('retrain failures in the %s shape (engine)', (shape: FailureShape) => {
  let h: Harness;
  /** What each activity does in the current test; an activity the test did not script fails it. */
  let behaviours: Partial<Record<string, Behaviour>> = {};
  /** Inputs each activity was called with, in order. */
  let calls: { name: string; input: unknown }[] = [];

  beforeAll(async () => {
    h = await startHarness(
      (functions) => {
        functions.registerOrchestration(RetrainOrchestrations.retrain, retrainOrchestrator);
        for (const name of Object.values(RetrainActivities)) {
          functions.registerActivity(
            name,
            withErrorType((input: unknown) => {
              calls.push({ name, input });
              const behaviour = behaviours[name];
              if (!behaviour) return Promise.reject(new Error(`activity ${name} is not scripted in this test`));
              return behaviour(input);
            }),
          );
        }
      },
      { failureShape: shape },
    );
  });
  afterAll(() => h.stop());

  /** Finishing activities that succeed: the run record and the lane hand-over. */
  const finishing = {
    [RetrainActivities.finishRun]: () => Promise.resolve(null),
    [RetrainActivities.completeLane]: () => Promise.resolve({ next: undefined }),
  };

  const timersIn = (history: readonly HistoryEvent[]) => history.filter((e) => e.EventType === EventType.TimerCreated);

  /**
   * Runs a retrain to its end. With `retries: false` the run is also stopped (terminated) as soon as it schedules a
   * retry timer, so code that wrongly retries fails on the timer at once instead of sleeping through its backoff.
   */
  async function runRetrain(
    id: string,
    model: string,
    scripted: Partial<Record<string, Behaviour>>,
    { retries }: { retries: boolean },
  ): Promise<{ history: readonly HistoryEvent[]; runtimeStatus: string }> {
    behaviours = { ...finishing, ...scripted };
    calls = [];
    await h.client.startNew(RetrainOrchestrations.retrain, { instanceId: id, input: runInput(model) });
    const ended = await waitFor(
      async () => {
        const status = await h.client.getStatus(id);
        if (TERMINAL.has(String(status.runtimeStatus))) return status;
        return !retries && timersIn(h.runtime.store.history(id)).length > 0 ? status : undefined;
      },
      `retrain ${id} to end${retries ? '' : ' or schedule a retry'}`,
    );
    let runtimeStatus = String(ended.runtimeStatus);
    if (!TERMINAL.has(runtimeStatus)) {
      await h.client.terminate(id, 'the test saw a retry');
      runtimeStatus = String((await waitForFinish(h.client, id)).runtimeStatus);
    }
    return { history: h.runtime.store.history(id), runtimeStatus };
  }
  const callsOf = (name: string): unknown[] => calls.filter((c) => c.name === name).map((c) => c.input);

  it('when the model is not in the catalog, then the real activity failure is not retried and the run record names ModelNotInCatalogError', async () => {
    const { history, runtimeStatus } = await runRetrain(
      `ghost-${shape}`,
      'ghost',
      { [RetrainActivities.loadPlan]: (input) => (appActivities[RetrainActivities.loadPlan] as Behaviour)(input) },
      { retries: false },
    );

    // The failure reached the orchestrator in the shape under test.
    const failed = history.filter((e) => e.EventType === EventType.TaskFailed);
    expect(failed.map((e) => e.FailureDetails ?? null)).toEqual([shape === 'legacy' ? null : expect.any(Object)]);
    expect(timersIn(history)).toEqual([]);
    expect(runtimeStatus).toBe('Completed');
    expect(callsOf(RetrainActivities.loadPlan)).toHaveLength(1);
    expect(callsOf(RetrainActivities.finishRun)).toEqual([
      expect.objectContaining({
        status: 'failed',
        failure: {
          stage: 'plan',
          errorType: 'ModelNotInCatalogError',
          message: "Model 'ghost' is not in the catalog.",
        },
      }),
    ]);
  });

  it.each([
    ['AzureMlRequestError', new AzureMlRequestError('The request is invalid: unknown compute.', 400)],
    ['NoTrainingDataError', new NoTrainingDataError('bike-demand', 'bike-demand-data')],
    ['MetricsUnavailableError', new MetricsUnavailableError('Training job job-1 logged no metrics.')],
  ])(
    'when submitting fails with %s, then it is not retried and the run record keeps type and message',
    async (type, thrown) => {
      const { history, runtimeStatus } = await runRetrain(
        `submit-${type}-${shape}`,
        'bike-demand',
        {
          [RetrainActivities.loadPlan]: () => Promise.resolve(planFor()),
          [RetrainActivities.submitTraining]: () => Promise.reject(thrown),
        },
        { retries: false },
      );

      expect(timersIn(history)).toEqual([]);
      expect(runtimeStatus).toBe('Completed');
      expect(callsOf(RetrainActivities.submitTraining)).toHaveLength(1);
      expect(callsOf(RetrainActivities.finishRun)).toEqual([
        expect.objectContaining({
          status: 'failed',
          failure: { stage: 'submit', errorType: type, message: thrown.message },
        }),
      ]);
    },
  );

  it('when submitting fails with AzureMlTransientError, then it is retried after the plan backoff', async () => {
    // The catalog's backoff shortened to test size; what is checked is that the retry waits exactly that long.
    const plan: RetrainPlan = planFor({ retry: { ...planFor().retry, firstDelaySeconds: 0.2 } });
    const failures = [
      new AzureMlTransientError('429 Too Many Requests'),
      new AzureMlRequestError('The request is invalid: unknown compute.', 400),
    ];
    const { history, runtimeStatus } = await runRetrain(
      `submit-transient-${shape}`,
      'bike-demand',
      {
        [RetrainActivities.loadPlan]: () => Promise.resolve(plan),
        [RetrainActivities.submitTraining]: () =>
          Promise.reject(failures.shift() ?? new Error('no further submit failure scripted')),
      },
      { retries: true },
    );

    // One timer, created in the episode that saw the transient failure, due one first delay after that episode.
    expect(runtimeStatus).toBe('Completed');
    const [timer, ...others] = timersIn(history);
    expect(others).toEqual([]);
    const episodeStart = history
      .slice(0, history.indexOf(timer as HistoryEvent))
      .filter((e) => e.EventType === EventType.OrchestratorStarted)
      .pop();
    expect(parseTime(timer?.FireAt ?? '') - parseTime(episodeStart?.Timestamp ?? '')).toBe(
      plan.retry.firstDelaySeconds * 1000,
    );
    const submits = history.filter(
      (e) => e.EventType === EventType.TaskScheduled && e.Name === RetrainActivities.submitTraining,
    );
    expect(submits.map((e) => e.EventId > (timer?.EventId ?? Infinity))).toEqual([false, true]);
    const [first, again] = callsOf(RetrainActivities.submitTraining);
    expect(again).toEqual(first);
    expect(callsOf(RetrainActivities.finishRun)).toEqual([
      expect.objectContaining({ failure: expect.objectContaining({ errorType: 'AzureMlRequestError' }) as unknown }),
    ]);
  });
});
