// The test driver of the Durable extension (test/support/real-v3-handler.ts) against scenarios of the upstream-derived
// vectors (reference/durable-vectors/cases.json; orchestrators re-authored here from their descriptions): it must
// schedule what the extension schedules, ids included, before the app tests that use it mean anything.
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';

import { actionsYieldedTwice, captureRegistrations, ExtensionDriver } from '../../support/real-v3-handler';

function* slidingWindowReyield(context: OrchestrationContext): Generator<df.Task, unknown[], unknown> {
  const first = context.df.callActivity('Work', 0);
  const second = context.df.callActivity('Work', 1);
  const winner = (yield context.df.Task.any([first, second])) as df.Task;
  const third = context.df.callActivity('Work', 2);
  const next = (yield context.df.Task.any([second, third])) as df.Task;
  return [winner.result, next.result];
}

function* failureShape(context: OrchestrationContext): Generator<df.Task, unknown, unknown> {
  try {
    yield context.df.callActivity('Failing', 'x');
    return 'no error';
  } catch (error) {
    const e = error as Error & { failureDetails?: { errorType: string; innerFailure?: { errorType: string } } };
    return {
      name: e.name,
      message: e.message,
      errorType: e.failureDetails?.errorType ?? null,
      innerErrorType: e.failureDetails?.innerFailure?.errorType ?? null,
    };
  }
}

function* twoWaitersSameEvent(context: OrchestrationContext): Generator<df.Task, string, unknown> {
  const first = context.df.waitForExternalEvent('Go');
  const second = context.df.waitForExternalEvent('Go');
  const winner = (yield context.df.Task.any([first, second])) as df.Task;
  return winner === second ? 'second' : 'first';
}

const registrations = captureRegistrations(() => {
  df.app.orchestration('SlidingWindowReyield', slidingWindowReyield);
  df.app.orchestration('FailureShape', failureShape);
  df.app.orchestration('TwoWaitersSameEvent', twoWaitersSameEvent);
});

function driverFor(name: string): ExtensionDriver {
  const registration = registrations.get(name);
  if (registration?.trigger !== 'orchestrationTrigger') throw new Error(`${name} is not registered`);
  return new ExtensionDriver({ name, handler: registration.handler, instanceId: `${name}-1`, input: null });
}

describe('extension driver (vectors sliding-window-reyield*, failure-shape-*, event-two-waiters-same-name)', () => {
  it('when a pending task is yielded into a new Task.any, then it is scheduled again under a new id and its duplicate result lands on the new task', async () => {
    const driver = driverFor('SlidingWindowReyield');
    await driver.episode();
    expect(driver.scheduled.map((s) => [s.id, s.name, s.input])).toEqual([
      [0, 'Work', 0],
      [1, 'Work', 1],
    ]);
    driver.complete(0, 'w0');
    const second = await driver.episode();
    expect(actionsYieldedTwice(second.raw ?? { actions: [] })).toHaveLength(1);
    expect(driver.scheduled.map((s) => [s.id, s.name, s.input])).toEqual([
      [0, 'Work', 0],
      [1, 'Work', 1],
      [2, 'Work', 1],
      [3, 'Work', 2],
    ]);
    driver.complete(2, 'w1-second-copy');
    const third = await driver.episode();
    expect(third.state).toMatchObject({ isDone: true, output: ['w0', 'w1-second-copy'] });
  });

  it('when an activity fails in the legacy shape, then the orchestrator gets a plain Error with the host text', async () => {
    const driver = driverFor('FailureShape');
    await driver.episode();
    driver.fail(0, new Error('Something broke.'));
    const { state } = await driver.episode();
    const output = state.output as { name: string; message: string; errorType: string | null };
    expect(output.name).toBe('Error');
    expect(output.errorType).toBeNull();
    expect(output.message).toMatch(
      /^Activity function 'Failing' failed: {2}Something broke\. \n \{"\$type":"System\.Exception/,
    );
  });

  it('when an activity fails in the structured shape, then the orchestrator gets a TaskFailedError wrapping the original type', async () => {
    const driver = driverFor('FailureShape');
    await driver.episode();
    driver.fail(0, Object.assign(new Error('Something broke.'), { name: 'ModelNotFoundError' }), 'structured');
    const { state } = await driver.episode();
    expect(state.output).toEqual({
      name: 'TaskFailedError',
      message: "TaskFailedException: Activity function 'Failing' failed:  Something broke.",
      errorType: 'TaskFailedException',
      innerErrorType: 'ModelNotFoundError',
    });
  });

  it('when one event reaches two waiters of its name, then the most recent waiter gets it', async () => {
    const driver = driverFor('TwoWaitersSameEvent');
    await driver.episode();
    driver.raise('Go', 1);
    const { state } = await driver.episode();
    expect(state).toMatchObject({ isDone: true, output: 'second' });
  });
});
