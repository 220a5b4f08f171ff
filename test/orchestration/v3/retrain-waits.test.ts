// The retrain orchestration's waits under Azure's semantics (real durable-functions handler, extension driver):
// the approval wait never puts its timer into a second Task.any (durable-js #574) and cancels the one it leaves;
// the training wait loses no run-status or supersede event, also when one reaches a waiter of an earlier round.
import type { DeployResult } from '../../../src/services/retrain/contracts';
import { RetrainActivities, RetrainEvents } from '../../../src/services/retrain/contracts';
import type { RetrainPlan } from '../../../src/services/retrain/plan';
import { actionsYieldedTwice, type EpisodeResult, type ExtensionDriver } from '../../support/real-v3-handler';
import {
  only,
  planFor,
  registerRetrainApp,
  respond,
  retrainDriver,
  runInput,
  running,
  toTrainingWait,
} from './retrain-app';

const registrations = registerRetrainApp();

function expectNoReyield(result: EpisodeResult | undefined): void {
  expect(result?.threw).toBe(false);
  expect(actionsYieldedTwice(result?.raw ?? { actions: [] })).toEqual([]);
}

/** Runs episodes until the approval wait: training completes at once, the gate accepts, version 3 is registered. */
async function toApprovalWait(driver: ExtensionDriver, plan: RetrainPlan): Promise<void> {
  await driver.episode();
  await respond(driver, RetrainActivities.loadPlan, plan);
  await respond(driver, RetrainActivities.submitTraining, { jobName: 'job-1', status: 'Queued', reused: false });
  await respond(driver, RetrainActivities.checkTraining, {
    phase: 'completed',
    status: 'Completed',
    at: driver.now.toISOString(),
    modelUri: 'azureml://jobs/job-1/outputs/model',
  });
  await respond(driver, RetrainActivities.record, null);
  await respond(driver, RetrainActivities.getMetrics, { candidate: { rmse: 100, r2: 0.8 } });
  await respond(driver, RetrainActivities.record, null);
  await respond(driver, RetrainActivities.registerModel, {
    name: 'bike-demand',
    version: '3',
    id: 'models/bike-demand/3',
  });
  await respond(driver, RetrainActivities.record, null);
}

describe('approval wait on the real v3 handler', () => {
  const plan = planFor({ approval: { required: true, timeoutSeconds: 3600 } });

  it('when a decision for another run arrives first, then a fresh timer waits for the remaining time, the old one is cancelled, and the run goes on when its own approval comes', async () => {
    const driver = retrainDriver(registrations, runInput());
    await toApprovalWait(driver, plan);
    const waitStarted = driver.now.getTime();
    const [first, ...others] = driver.pendingTimers();
    expect(others).toEqual([]);
    expect(new Date(first?.fireAt ?? 0).getTime()).toBe(waitStarted + 3600_000);

    driver.advanceTo(new Date(waitStarted + 600_000));
    driver.raise(RetrainEvents.approval, { runId: 'another-run', approved: true });
    expectNoReyield(await driver.episode());
    const timers = driver.scheduled.filter((s) => s.kind === 'timer');
    expect(timers.map((t) => [t.id, t.fireAt, t.canceled])).toEqual([
      [first?.id, first?.fireAt, true],
      [expect.any(Number) as unknown, first?.fireAt, false],
    ]);

    driver.raise(RetrainEvents.approval, { runId: 'run-1', approved: true, by: 'alice' });
    expectNoReyield(await driver.episode());
    expect(only(driver, RetrainActivities.record).input).toMatchObject({
      approval: { status: 'approved', by: 'alice' },
    });
    await respond(driver, RetrainActivities.record, null);
    await respond(driver, RetrainActivities.tagModel, null);
    const deployed: DeployResult = {
      outcome: 'succeeded',
      endpoint: 'bike-demand',
      deployment: 'bike-demand-v3',
      previous: undefined,
      checks: ['smoke'],
      deleted: [],
    };
    await respond(driver, 'retrainDeployOrchestrator', deployed);
    expect(only(driver, RetrainActivities.finishRun).input).toMatchObject({ status: 'succeeded', modelVersion: '3' });
    await respond(driver, RetrainActivities.finishRun, null);
    await respond(driver, RetrainActivities.completeLane, { next: undefined });
    expectNoReyield(driver.last);
    expect(driver.last?.state).toMatchObject({ isDone: true, output: { status: 'succeeded', modelVersion: '3' } });
  });

  it('when only other runs decide before the timeout, then the approval times out at the original deadline', async () => {
    const driver = retrainDriver(registrations, runInput());
    await toApprovalWait(driver, plan);
    const deadline = driver.pendingTimers()[0]?.fireAt;
    driver.raise(RetrainEvents.approval, { runId: 'another-run', approved: false });
    expectNoReyield(await driver.episode());
    // Both timers fire at the deadline: the cancelled one (Azure still delivers it) and the fresh one.
    for (const timer of driver.pendingTimers()) driver.fireTimer(timer.id);
    expectNoReyield(await driver.episode());
    expect(driver.now.toISOString()).toBe(deadline);
    expect(only(driver, RetrainActivities.record).input).toMatchObject({ approval: { status: 'timedOut' } });
  });
});

describe('training wait on the real v3 handler', () => {
  const checks = (driver: ExtensionDriver) =>
    driver.scheduled
      .filter((s) => s.name === RetrainActivities.checkTraining)
      .map((s) => (s.input as { via: string }).via);

  it('when two run events arrive in one batch after a round the timer won, then the second one wakes another check instead of being swallowed', async () => {
    const driver = retrainDriver(registrations, runInput());
    await toTrainingWait(driver, planFor());
    const [poll] = driver.pendingTimers();
    driver.fireTimer(poll?.id ?? -1);
    expectNoReyield(await driver.episode());
    await respond(driver, RetrainActivities.checkTraining, running(driver));
    expect(checks(driver)).toEqual(['submit', 'poll']);

    driver.raise(RetrainEvents.runStatus, { jobName: 'job-1', status: 'Running' });
    driver.raise(RetrainEvents.runStatus, { jobName: 'job-1', status: 'Completed' });
    expectNoReyield(await driver.episode());
    expect(checks(driver)).toEqual(['submit', 'poll', 'event']);
    await respond(driver, RetrainActivities.checkTraining, running(driver));

    // The second event reached the first round's waiter: it is read now, and checked at once.
    expect(checks(driver)).toEqual(['submit', 'poll', 'event', 'event']);
    await respond(driver, RetrainActivities.checkTraining, {
      phase: 'completed',
      status: 'Completed',
      at: driver.now.toISOString(),
      modelUri: 'azureml://jobs/job-1/outputs/model',
    });
    expectNoReyield(driver.last);
    expect(only(driver, RetrainActivities.record).input).toMatchObject({
      stage: { name: 'training', status: 'succeeded' },
    });
  });

  it('when a supersede event arrives while a check is running, then the cancel policy still cancels the job', async () => {
    const driver = retrainDriver(registrations, runInput());
    await toTrainingWait(driver, planFor({ onSupersede: 'cancel' }));
    const [poll] = driver.pendingTimers();
    driver.fireTimer(poll?.id ?? -1);
    expectNoReyield(await driver.episode());
    const check = only(driver, RetrainActivities.checkTraining);
    driver.raise(RetrainEvents.supersede, { runId: 'run-1', byTriggerId: 'trg-run-2' });
    driver.complete(check.id, running(driver));
    expectNoReyield(await driver.episode());

    expect(only(driver, RetrainActivities.cancelTraining).input).toMatchObject({ jobName: 'job-1' });
    await respond(driver, RetrainActivities.cancelTraining, null);
    expect(only(driver, RetrainActivities.finishRun).input).toMatchObject({ status: 'superseded' });
  });

  it('when a run event for another job arrives, then the job is checked once and polling keeps its backoff', async () => {
    const driver = retrainDriver(registrations, runInput());
    const plan = planFor();
    await toTrainingWait(driver, plan);
    const firstPoll = driver.pendingTimers()[0];
    const waitFrom = driver.now.getTime();
    expect(new Date(firstPoll?.fireAt ?? 0).getTime() - waitFrom).toBe(plan.polling.initialIntervalSeconds * 1000);
    driver.raise(RetrainEvents.runStatus, { jobName: 'job-0', status: 'Completed' });
    expectNoReyield(await driver.episode());
    const checkedAt = driver.now.getTime();
    await respond(driver, RetrainActivities.checkTraining, running(driver));
    expect(checks(driver)).toEqual(['submit', 'event']);
    const next = driver.pendingTimers().filter((t) => !t.canceled);
    expect(next.map((t) => new Date(t.fireAt ?? 0).getTime() - checkedAt)).toEqual([
      plan.polling.initialIntervalSeconds * 1000,
    ]);
  });
});
