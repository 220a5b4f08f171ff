// Failure classification of the retrain orchestration under Azure's semantics: the real durable-functions handler,
// failures delivered as the host sends them (legacy text without FailureDetails, or the structured wrapped shape).
// A permanent failure must not be retried and the run record must name the real type with a readable message.
import { RetrainActivities } from '../../../src/services/retrain/contracts';
import {
  AzureMlRequestError,
  AzureMlTransientError,
  MetricsUnavailableError,
  NoTrainingDataError,
} from '../../../src/services/retrain/errors';
import { markErrorType } from '../../../src/services/task-failure';
import { only, planFor, registerRetrainApp, respond, retrainDriver, runActivity, runInput } from './retrain-app';

const registrations = registerRetrainApp();

describe.each(['legacy', 'structured'] as const)('retrain failures in the %s shape (real v3 handler)', (shape) => {
  it('when the model is not in the catalog, then the real activity failure is not retried and the run record names ModelNotInCatalogError', async () => {
    const driver = retrainDriver(registrations, runInput('ghost'));
    await driver.episode();
    const load = only(driver, RetrainActivities.loadPlan);
    const error = await runActivity(registrations, RetrainActivities.loadPlan, load.input).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    driver.fail(load.id, error as Error, shape);
    await driver.episode();

    expect(driver.pendingTimers()).toEqual([]);
    expect(driver.scheduled.filter((s) => s.name === RetrainActivities.loadPlan)).toHaveLength(1);
    expect(only(driver, RetrainActivities.finishRun).input).toMatchObject({
      status: 'failed',
      failure: { stage: 'plan', errorType: 'ModelNotInCatalogError', message: "Model 'ghost' is not in the catalog." },
    });
  });

  it.each([
    ['AzureMlRequestError', new AzureMlRequestError('The request is invalid: unknown compute.', 400)],
    ['NoTrainingDataError', new NoTrainingDataError('bike-demand', 'bike-demand-data')],
    ['MetricsUnavailableError', new MetricsUnavailableError('Training job job-1 logged no metrics.')],
  ])(
    'when submitting fails with %s, then it is not retried and the run record keeps type and message',
    async (type, thrown) => {
      const driver = retrainDriver(registrations, runInput());
      await driver.episode();
      await respond(driver, RetrainActivities.loadPlan, planFor());
      const submit = only(driver, RetrainActivities.submitTraining);
      driver.fail(submit.id, markErrorType(thrown), shape);
      await driver.episode();

      expect(driver.pendingTimers()).toEqual([]);
      expect(only(driver, RetrainActivities.finishRun).input).toMatchObject({
        status: 'failed',
        failure: { stage: 'submit', errorType: type, message: thrown.message },
      });
    },
  );

  it('when submitting fails with AzureMlTransientError, then it is retried after the plan backoff', async () => {
    const driver = retrainDriver(registrations, runInput());
    await driver.episode();
    await respond(driver, RetrainActivities.loadPlan, planFor());
    const submit = only(driver, RetrainActivities.submitTraining);
    const failedAt = driver.now.getTime();
    driver.fail(submit.id, markErrorType(new AzureMlTransientError('429 Too Many Requests')), shape);
    await driver.episode();

    const [timer, ...others] = driver.pendingTimers();
    expect(others).toEqual([]);
    expect(new Date(timer?.fireAt ?? 0).getTime() - failedAt).toBe(planFor().retry.firstDelaySeconds * 1000);
    driver.fireTimer(timer?.id ?? -1);
    await driver.episode();
    const again = only(driver, RetrainActivities.submitTraining);
    expect(again.id).toBeGreaterThan(submit.id);
    expect(again.input).toEqual(submit.input);
  });
});
