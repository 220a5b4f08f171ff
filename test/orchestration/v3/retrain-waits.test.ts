// The retrain orchestration's waits under Azure's semantics (the real durable-functions handler, episodes applied by
// the engine's emulation of the extension): the approval wait never puts its timer into a second Task.any
// (durable-js #574) and cancels the one it leaves; the training wait loses no run-status or supersede event, also
// when one reaches a waiter of an earlier round.
import type { DeployResult } from '../../../src/services/retrain/contracts';
import { RetrainActivities, RetrainEvents } from '../../../src/services/retrain/contracts';
import type { RetrainPlan } from '../../../src/services/retrain/plan';
import type { RealOrchestrationApp } from '../../support/durable/real-handler';
import {
  reyieldedActions,
  type ScriptedEpisode,
  type ScriptedOrchestration,
  timerActions,
} from '../../support/durable/scripted-orchestration';
import {
  only,
  planFor,
  registerRetrainOrchestrator,
  respond,
  runInput,
  running,
  scriptedRetrain,
  toTrainingWait,
} from './retrain-app';

let app: RealOrchestrationApp;
beforeAll(async () => {
  app = await registerRetrainOrchestrator();
});
afterAll(() => app.release());

/** The episode ran without a failure and the handler yielded no task into a second compound. */
function expectNoReyield(result: ScriptedEpisode | undefined): void {
  expect(result?.threw).toBe(false);
  expect(result?.outcome.kind).not.toBe('failed');
  expect(reyieldedActions(result?.raw)).toEqual([]);
}

/** Runs episodes until the approval wait: training completes at once, the gate accepts, version 3 is registered. */
async function toApprovalWait(retrain: ScriptedOrchestration, plan: RetrainPlan): Promise<void> {
  await retrain.episode();
  await respond(retrain, RetrainActivities.loadPlan, plan);
  await respond(retrain, RetrainActivities.submitTraining, { jobName: 'job-1', status: 'Queued', reused: false });
  await respond(retrain, RetrainActivities.checkTraining, {
    phase: 'completed',
    status: 'Completed',
    at: retrain.now.toISOString(),
    modelUri: 'azureml://jobs/job-1/outputs/model',
  });
  await respond(retrain, RetrainActivities.record, null);
  await respond(retrain, RetrainActivities.getMetrics, { candidate: { rmse: 100, r2: 0.8 } });
  await respond(retrain, RetrainActivities.record, null);
  await respond(retrain, RetrainActivities.registerModel, {
    name: 'bike-demand',
    version: '3',
    id: 'models/bike-demand/3',
  });
  await respond(retrain, RetrainActivities.record, null);
}

describe('approval wait on the engine', () => {
  const plan = planFor({ approval: { required: true, timeoutSeconds: 3600 } });

  it('when a decision for another run arrives first, then a fresh timer waits for the remaining time, the old one is cancelled, and the run goes on when its own approval comes', async () => {
    const retrain = scriptedRetrain(app, runInput());
    await toApprovalWait(retrain, plan);
    const waitStarted = retrain.now.getTime();
    const [first, ...others] = retrain.pendingTimers();
    expect(others).toEqual([]);
    expect(new Date(first?.fireAt ?? 0).getTime()).toBe(waitStarted + 3600_000);

    retrain.advanceTo(new Date(waitStarted + 600_000));
    retrain.raise(RetrainEvents.approval, { runId: 'another-run', approved: true });
    expectNoReyield(await retrain.episode());
    // Two timers in all, both for the original deadline: the first one cancelled, a fresh one waiting.
    expect(retrain.scheduled('timer').map((t) => [t.id, t.fireAt])).toEqual([
      [first?.id, first?.fireAt],
      [expect.any(Number) as unknown, first?.fireAt],
    ]);
    expect(timerActions(retrain.last?.state)).toEqual([
      { fireAt: first?.fireAt, isCanceled: true },
      { fireAt: first?.fireAt, isCanceled: false },
    ]);

    retrain.raise(RetrainEvents.approval, { runId: 'run-1', approved: true, by: 'alice' });
    expectNoReyield(await retrain.episode());
    expect(only(retrain, RetrainActivities.record).input).toMatchObject({
      approval: { status: 'approved', by: 'alice' },
    });
    await respond(retrain, RetrainActivities.record, null);
    await respond(retrain, RetrainActivities.tagModel, null);
    const deployed: DeployResult = {
      outcome: 'succeeded',
      endpoint: 'bike-demand',
      deployment: 'bike-demand-v3',
      previous: undefined,
      checks: ['smoke'],
      deleted: [],
    };
    await respond(retrain, 'retrainDeployOrchestrator', deployed);
    expect(only(retrain, RetrainActivities.finishRun).input).toMatchObject({ status: 'succeeded', modelVersion: '3' });
    await respond(retrain, RetrainActivities.finishRun, null);
    await respond(retrain, RetrainActivities.completeLane, { next: undefined });
    expectNoReyield(retrain.last);
    expect(retrain.last?.outcome).toEqual({
      kind: 'completed',
      output: expect.objectContaining({ status: 'succeeded', modelVersion: '3' }) as unknown,
    });
  });

  it('when only other runs decide before the timeout, then the approval times out at the original deadline', async () => {
    const retrain = scriptedRetrain(app, runInput());
    await toApprovalWait(retrain, plan);
    const deadline = retrain.pendingTimers()[0]?.fireAt;
    retrain.raise(RetrainEvents.approval, { runId: 'another-run', approved: false });
    expectNoReyield(await retrain.episode());
    // Both timers fire at the deadline: the cancelled one (Azure still delivers it) and the fresh one.
    for (const timer of retrain.pendingTimers()) retrain.fireTimer(timer.id);
    expectNoReyield(await retrain.episode());
    expect(retrain.now.toISOString()).toBe(deadline);
    expect(only(retrain, RetrainActivities.record).input).toMatchObject({ approval: { status: 'timedOut' } });
  });
});

describe('training wait on the engine', () => {
  const checks = (retrain: ScriptedOrchestration) =>
    retrain
      .scheduled('activity')
      .filter((s) => s.name === RetrainActivities.checkTraining)
      .map((s) => (s.input as { via: string }).via);

  it('when two run events arrive in one batch after a round the timer won, then the second one wakes another check instead of being swallowed', async () => {
    const retrain = scriptedRetrain(app, runInput());
    await toTrainingWait(retrain, planFor());
    const [poll] = retrain.pendingTimers();
    retrain.fireTimer(poll?.id ?? -1);
    expectNoReyield(await retrain.episode());
    await respond(retrain, RetrainActivities.checkTraining, running(retrain));
    expect(checks(retrain)).toEqual(['submit', 'poll']);

    retrain.raise(RetrainEvents.runStatus, { jobName: 'job-1', status: 'Running' });
    retrain.raise(RetrainEvents.runStatus, { jobName: 'job-1', status: 'Completed' });
    expectNoReyield(await retrain.episode());
    expect(checks(retrain)).toEqual(['submit', 'poll', 'event']);
    await respond(retrain, RetrainActivities.checkTraining, running(retrain));

    // The second event reached the first round's waiter: it is read now, and checked at once.
    expect(checks(retrain)).toEqual(['submit', 'poll', 'event', 'event']);
    await respond(retrain, RetrainActivities.checkTraining, {
      phase: 'completed',
      status: 'Completed',
      at: retrain.now.toISOString(),
      modelUri: 'azureml://jobs/job-1/outputs/model',
    });
    expectNoReyield(retrain.last);
    expect(only(retrain, RetrainActivities.record).input).toMatchObject({
      stage: { name: 'training', status: 'succeeded' },
    });
  });

  it('when a supersede event arrives while a check is running, then the cancel policy still cancels the job', async () => {
    const retrain = scriptedRetrain(app, runInput());
    await toTrainingWait(retrain, planFor({ onSupersede: 'cancel' }));
    const [poll] = retrain.pendingTimers();
    retrain.fireTimer(poll?.id ?? -1);
    expectNoReyield(await retrain.episode());
    const check = only(retrain, RetrainActivities.checkTraining);
    retrain.raise(RetrainEvents.supersede, { runId: 'run-1', byTriggerId: 'trg-run-2' });
    retrain.complete(check.id, running(retrain));
    expectNoReyield(await retrain.episode());

    expect(only(retrain, RetrainActivities.cancelTraining).input).toMatchObject({ jobName: 'job-1' });
    await respond(retrain, RetrainActivities.cancelTraining, null);
    expect(only(retrain, RetrainActivities.finishRun).input).toMatchObject({ status: 'superseded' });
  });

  it('when a run event for another job arrives, then the job is checked once and polling keeps its backoff', async () => {
    const retrain = scriptedRetrain(app, runInput());
    const plan = planFor();
    await toTrainingWait(retrain, plan);
    const firstPoll = retrain.pendingTimers()[0];
    const waitFrom = retrain.now.getTime();
    expect(new Date(firstPoll?.fireAt ?? 0).getTime() - waitFrom).toBe(plan.polling.initialIntervalSeconds * 1000);
    retrain.raise(RetrainEvents.runStatus, { jobName: 'job-0', status: 'Completed' });
    expectNoReyield(await retrain.episode());
    const checkedAt = retrain.now.getTime();
    await respond(retrain, RetrainActivities.checkTraining, running(retrain));
    expect(checks(retrain)).toEqual(['submit', 'event']);
    // The poll timer the event beat is cancelled; the one waiting now is the first interval again.
    const timers = timerActions(retrain.last?.state);
    expect(timers.map((t) => t.isCanceled)).toEqual([true, false]);
    expect(timers.filter((t) => !t.isCanceled).map((t) => new Date(t.fireAt).getTime() - checkedAt)).toEqual([
      plan.polling.initialIntervalSeconds * 1000,
    ]);
    expect(retrain.last?.scheduled.map((t) => [t.kind, t.fireAt])).toEqual([['timer', timers[1]?.fireAt]]);
  });
});
