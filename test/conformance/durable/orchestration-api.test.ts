// Conformance of the classic context.df layer: real durable-functions 3.x generator orchestrators, driven through
// the local engine and observed only through the real DurableClient.
import * as df from 'durable-functions';
import { OrchestrationContext } from 'durable-functions';
import { Harness, startHarness, waitFor, waitForFinish, waitForStatus } from './harness';

class ModelNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelNotFoundError';
  }
}

interface CaughtError {
  isTaskFailedError: boolean;
  name: string;
  message: string;
  errorType?: string;
  errorMessage?: string;
}

/**
 * Azure's legacy failure shape (current extension bundles): a plain Error whose message is the TaskFailed event's
 * `Reason \n Details` (durable-functions TaskOrchestrationExecutor; extension TaskActivityShim). docs/durable-engine.md.
 */
function describeError(e: unknown): CaughtError {
  const err = e as Error & { failureDetails?: { errorType: string; errorMessage: string } };
  return {
    isTaskFailedError: e instanceof df.TaskFailedError,
    name: err.name,
    message: err.message,
    errorType: err.failureDetails?.errorType,
    errorMessage: err.failureDetails?.errorMessage,
  };
}

const attempts = new Map<string, number>();
const executed: string[] = [];
const neverYielded: string[] = [];

describe('classic context.df on the local durable engine', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness((rt) => {
      rt.registerActivity('echo', (input) => input);
      rt.registerActivity('record', (input) => {
        executed.push(String(input));
        return input;
      });
      rt.registerActivity('neverYielded', (input) => {
        neverYielded.push(String(input));
        return input;
      });
      rt.registerActivity('missingModel', (input) => {
        throw new ModelNotFoundError(`model ${String(input)} is not registered`);
      });
      rt.registerActivity('flaky', (input) => {
        const key = String(input);
        const n = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, n);
        if (n < 3) throw new Error(`attempt ${n} failed`);
        return n;
      });
      rt.registerActivity('alwaysFails', (input) => {
        const key = String(input);
        attempts.set(key, (attempts.get(key) ?? 0) + 1);
        throw new RangeError('still broken');
      });
      rt.registerActivity('slowEcho', async (input) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return input;
      });

      rt.registerOrchestration('inputAndIds', function* (context: OrchestrationContext) {
        const input = context.df.getInput<{ n: number }>();
        const doubled: unknown = yield context.df.callActivity('echo', input.n * 2);
        return { doubled, instanceId: context.df.instanceId, parent: context.df.parentInstanceId ?? null };
      });

      rt.registerOrchestration('lazyScheduling', function* (context: OrchestrationContext) {
        const key = context.df.getInput<string>();
        context.df.callActivity('neverYielded', key); // created, never yielded: v3 never runs it
        const ran: unknown = yield context.df.callActivity('record', key);
        return ran;
      });

      rt.registerOrchestration('catchActivityFailure', function* (context: OrchestrationContext) {
        const task = context.df.callActivity('missingModel', 'resnet');
        const before = { isCompleted: task.isCompleted, isFaulted: task.isFaulted };
        try {
          yield task;
          return 'unexpected success';
        } catch (e) {
          return {
            error: describeError(e),
            before,
            after: {
              isCompleted: task.isCompleted,
              isFaulted: task.isFaulted,
              resultIsError: typeof (task.result as Error | undefined)?.message === 'string',
            },
          };
        }
      });

      rt.registerOrchestration('uncaughtActivityFailure', function* (context: OrchestrationContext) {
        yield context.df.callActivity('missingModel', 'bert');
        return 'unreachable';
      });

      rt.registerOrchestration('retrySucceeds', function* (context: OrchestrationContext) {
        const key = context.df.getInput<string>();
        const retry = new df.RetryOptions(10, 3);
        return (yield context.df.callActivityWithRetry('flaky', retry, key)) as unknown;
      });

      rt.registerOrchestration('retryExhausted', function* (context: OrchestrationContext) {
        const key = context.df.getInput<string>();
        const retry = new df.RetryOptions(5, 2);
        try {
          yield context.df.callActivityWithRetry('alwaysFails', retry, key);
          return 'unexpected success';
        } catch (e) {
          return describeError(e);
        }
      });

      rt.registerOrchestration('retryOptionsDtfxAccepts', function* (context: OrchestrationContext) {
        const key = context.df.getInput<string>();
        // Values the core RetryPolicy would reject but DTFx (and so Azure) accepts.
        const retry = new df.RetryOptions(50, 3);
        retry.backoffCoefficient = 0.5;
        retry.maxRetryIntervalInMilliseconds = 5;
        return (yield context.df.callActivityWithRetry('flaky', retry, key)) as unknown;
      });

      rt.registerOrchestration('child', function* (context: OrchestrationContext) {
        const input = context.df.getInput<{ fail?: boolean; value?: number }>();
        if (input.fail) throw new ModelNotFoundError('child could not find its model');
        const echoed: unknown = yield context.df.callActivity('echo', input.value);
        return { echoed, parent: context.df.parentInstanceId, self: context.df.instanceId };
      });

      rt.registerOrchestration('parentWithChild', function* (context: OrchestrationContext) {
        const childId = `${context.df.instanceId}-child`;
        return (yield context.df.callSubOrchestrator('child', { value: 7 }, childId)) as unknown;
      });

      rt.registerOrchestration('parentWithFailingChild', function* (context: OrchestrationContext) {
        try {
          yield context.df.callSubOrchestratorWithRetry(
            'child',
            new df.RetryOptions(5, 2),
            { fail: true },
            `${context.df.instanceId}-c`,
          );
          return 'unexpected success';
        } catch (e) {
          return describeError(e);
        }
      });

      rt.registerOrchestration('fanOutFanIn', function* (context: OrchestrationContext) {
        const tasks = [1, 2, 3, 4].map((n) => context.df.callActivity('slowEcho', n));
        const results = (yield context.df.Task.all(tasks)) as number[];
        return {
          results,
          getters: tasks.map((t) => ({ isCompleted: t.isCompleted, isFaulted: t.isFaulted, result: t.result })),
        };
      });

      rt.registerOrchestration('allFailsFast', function* (context: OrchestrationContext) {
        // The event never comes: v3 Task.all still fails as soon as the activity fails.
        const never = context.df.waitForExternalEvent('never');
        const failing = context.df.callActivity('missingModel', 'fast');
        try {
          yield context.df.Task.all([never, failing]);
          return 'unexpected success';
        } catch (e) {
          context.df.setCustomStatus('caught');
          return { error: describeError(e), neverCompleted: never.isCompleted };
        }
      });

      rt.registerOrchestration('allEmpty', function* (context: OrchestrationContext) {
        try {
          yield context.df.Task.all([]);
          return 'unexpected success';
        } catch (e) {
          return (e as Error).message;
        }

        yield context.df.callActivity('echo', 0);
      });

      rt.registerOrchestration('slidingWindow', function* (context: OrchestrationContext) {
        // Bounded parallelism as the batch-scoring orchestrator does it: keep 3 in flight, Task.any over the window,
        // then yield the winner again to read its value or its error.
        const items = [1, 2, 3, 4, 5, 6, 7];
        const running: { item: number; task: df.Task }[] = [];
        const done: number[] = [];
        const failed: string[] = [];
        let next = 0;
        while (next < items.length || running.length > 0) {
          while (running.length < 3 && next < items.length) {
            const item = items[next++] as number;
            const task =
              item === 5
                ? context.df.callActivityWithRetry('missingModel', new df.RetryOptions(5, 2), `item-${item}`)
                : context.df.callActivity('slowEcho', item);
            running.push({ item, task });
          }
          const winner = (yield context.df.Task.any(running.map((r) => r.task))) as df.Task;
          const [entry] = running.splice(
            running.findIndex((r) => r.task === winner),
            1,
          );
          if (!entry) throw new Error('winner not in the window');
          try {
            done.push((yield entry.task) as number);
          } catch (e) {
            failed.push((e as Error).name);
          }
          context.df.setCustomStatus({ done: done.length, failed: failed.length });
        }
        return { done: done.sort((x, y) => x - y), failed };
      });

      rt.registerOrchestration('caseInsensitiveNames', function* (context: OrchestrationContext) {
        const echoed: unknown = yield context.df.callActivity('ECHO', 'any case');
        const child: unknown = yield context.df.callSubOrchestrator(
          'Child',
          { value: 1 },
          `${context.df.instanceId}-c`,
        );
        return { echoed, child: (child as { echoed: unknown }).echoed };
      });

      rt.registerOrchestration('twoWaitersOneName', function* (context: OrchestrationContext) {
        const older = context.df.waitForExternalEvent('ping');
        const newer = context.df.waitForExternalEvent('ping');
        context.df.setCustomStatus('waiting');
        const winner: unknown = yield context.df.Task.any([older, newer]);
        return { newerWon: winner === newer, value: (winner as df.Task).result };
      });

      rt.registerOrchestration('anyWinner', function* (context: OrchestrationContext) {
        const slow = context.df.waitForExternalEvent('slow');
        const fast = context.df.callActivity('echo', 'fast');
        const winner: unknown = yield context.df.Task.any([slow, fast]);
        return {
          winnerIsFast: winner === fast,
          winnerResult: (winner as df.Task).result,
          slowCompleted: slow.isCompleted,
        };
      });

      rt.registerOrchestration('timerFires', function* (context: OrchestrationContext) {
        const start = context.df.currentUtcDateTime;
        const fireAt = new Date(start.getTime() + 50);
        const timer = context.df.createTimer(fireAt);
        yield timer;
        let cancelError = '';
        try {
          timer.cancel();
        } catch (e) {
          cancelError = (e as Error).message;
        }
        return {
          afterFireAt: context.df.currentUtcDateTime.getTime() >= fireAt.getTime(),
          timerCompleted: timer.isCompleted,
          cancelError,
        };
      });

      rt.registerOrchestration('timeoutVsEvent', function* (context: OrchestrationContext) {
        context.df.setCustomStatus({ stage: 'waiting for approval' });
        const timeout = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 60_000));
        const approval = context.df.waitForExternalEvent('Approval');
        const winner: unknown = yield context.df.Task.any([approval, timeout]);
        if (winner === approval) timeout.cancel();
        context.df.setCustomStatus({ stage: 'decided' });
        return { approved: approval.result, timerCanceled: timeout.isCanceled, statusGetter: context.df.customStatus };
      });

      rt.registerOrchestration('eventsBeforeAndAfter', function* (context: OrchestrationContext) {
        context.df.setCustomStatus('waiting for first');
        const first: unknown = yield context.df.waitForExternalEvent('first');
        // 'second' was raised while the orchestration still waited for 'first': it is buffered, not lost.
        const second: unknown = yield context.df.waitForExternalEvent('second');
        return [first, second];
      });

      rt.registerOrchestration('replayFlags', function* (context: OrchestrationContext) {
        const flags: boolean[] = [context.df.isReplaying];
        context.log('replay-safe line one');
        yield context.df.callActivity('echo', 1);
        flags.push(context.df.isReplaying);
        yield context.df.callActivity('echo', 2);
        flags.push(context.df.isReplaying);
        context.info('replay-safe line two');
        return flags;
      });

      rt.registerOrchestration('counterContinueAsNew', function* (context: OrchestrationContext) {
        const n = context.df.getInput<number>() ?? 0;
        yield context.df.callActivity('echo', n);
        if (n < 3) {
          context.df.continueAsNew(n + 1);
          return undefined;
        }
        return n;
      });

      rt.registerOrchestration('guids', function* (context: OrchestrationContext) {
        const first = context.df.newGuid(context.df.instanceId);
        const echoed: unknown = yield context.df.callActivity('echo', first);
        const second = context.df.newGuid(context.df.instanceId);
        return { first, echoed, second };
      });

      rt.registerOrchestration('unsupportedEntity', function* (context: OrchestrationContext) {
        return (yield context.df.callEntity(new df.EntityId('counter', 'a'), 'add', 1)) as unknown;
      });
      rt.registerOrchestration('unsupportedHttp', function* (context: OrchestrationContext) {
        return (yield context.df.callHttp({ method: 'GET', url: 'http://127.0.0.1/' })) as unknown;
      });
    });
  });
  afterAll(() => h.stop());

  async function run(name: string, input?: unknown): Promise<df.DurableOrchestrationStatus> {
    const id = await h.client.startNew(name, input === undefined ? undefined : { input });
    return waitForFinish(h.client, id);
  }

  it('when an orchestrator reads its input and ids, then getInput/instanceId/parentInstanceId match v3', async () => {
    const id = await h.client.startNew('inputAndIds', { input: { n: 21 } });
    const status = await waitForFinish(h.client, id);
    expect(status.output).toEqual({ doubled: 42, instanceId: id, parent: null });
  });

  it('when a task is created but never yielded, then its activity never runs (v3 lazy scheduling)', async () => {
    const status = await run('lazyScheduling', 'lazy-1');
    expect(status.output).toBe('lazy-1');
    expect(executed).toContain('lazy-1');
    expect(neverYielded).not.toContain('lazy-1');
  });

  it("when an activity throws, then the orchestrator catches Azure's plain Error with the activity's text", async () => {
    const status = await run('catchActivityFailure');
    const output = status.output as { error: CaughtError; before: unknown; after: unknown };
    expect(output.error).toMatchObject({ isTaskFailedError: false, name: 'Error' });
    expect(output.error.errorType).toBeUndefined();
    // Reason: the friendly text keeps the space that follows "Exception:" in the host's RpcException message.
    expect(
      output.error.message.startsWith("Activity function 'missingModel' failed:  model resnet is not registered \n {"),
    ).toBe(true);
    // Details: the serialized .NET exception chain, which carries the worker's stack (and so the error's name).
    expect(output.error.message).toContain('ModelNotFoundError: model resnet is not registered');
    expect(output.before).toEqual({ isCompleted: false, isFaulted: false });
    expect(output.after).toEqual({ isCompleted: false, isFaulted: true, resultIsError: true });
  });

  it('when an activity failure is not caught, then the instance is Failed and its output names the error', async () => {
    const status = await run('uncaughtActivityFailure');
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toContain('model bert is not registered');
  });

  it('when a flaky activity is called with retry, then it succeeds on the third attempt', async () => {
    const status = await run('retrySucceeds', 'flaky-1');
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(3);
    expect(attempts.get('flaky-1')).toBe(3);
  });

  it('when retries are exhausted, then the last failure surfaces with its text and stack', async () => {
    const status = await run('retryExhausted', 'broken-1');
    const error = status.output as CaughtError;
    expect(error.isTaskFailedError).toBe(false);
    expect(error.message).toMatch(/^Activity function 'alwaysFails' failed: {2}still broken \n /);
    expect(error.message).toContain('RangeError: still broken');
    expect(attempts.get('broken-1')).toBe(2);
  });

  it('when RetryOptions use values DTFx accepts but the core rejects, then the retry still works', async () => {
    const status = await run('retryOptionsDtfxAccepts', 'flaky-2');
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(3);
  });

  it('when a sub-orchestration has an explicit id, then it runs under that id with the parent recorded', async () => {
    const id = await h.client.startNew('parentWithChild');
    const status = await waitForFinish(h.client, id);
    expect(status.output).toEqual({ echoed: 7, parent: id, self: `${id}-child` });
    const child = await h.client.getStatus(`${id}-child`);
    expect(child.runtimeStatus).toBe('Completed');
    expect(child.name).toBe('child');
  });

  it('when a parent is re-run under its old id, then its explicitly named finished child is replaced', async () => {
    await h.client.startNew('parentWithChild', { instanceId: 'rerun-parent' });
    await waitForFinish(h.client, 'rerun-parent');
    await h.client.startNew('parentWithChild', { instanceId: 'rerun-parent' });
    const status = await waitFor(async () => {
      const s = await h.client.getStatus('rerun-parent');
      return ['Completed', 'Failed'].includes(String(s.runtimeStatus)) && s.output !== null ? s : undefined;
    }, 'the second run');
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ echoed: 7, parent: 'rerun-parent', self: 'rerun-parent-child' });
  });

  it('when a sub-orchestration fails (after retry), then the parent catches its failure text', async () => {
    const status = await run('parentWithFailingChild');
    const error = status.output as CaughtError;
    expect(error.isTaskFailedError).toBe(false);
    // The parent's SubOrchestrationInstanceFailed carries the child's own failure reason: the shim fails the child
    // with OrchestrationFailureException("Orchestrator function '<name>' failed: <error>", "Message: <error>, ...")
    // (extension OutOfProcOrchestrationShim.ScheduleDurableTaskEvents, rethrown by TaskOrchestrationShim), DTFx takes
    // its Message as the completion's Result (TaskOrchestrationContext.FailOrchestration) and sends that Result as the
    // event's Reason (TaskOrchestrationDispatcher.ProcessWorkflowCompletedTaskDecision). No "Sub orchestrator
    // function" text exists in either source.
    expect(error.message).toMatch(
      /^Orchestrator function 'child' failed: child could not find its model \n Message: child could not find its model, /,
    );
  });

  it('when Task.all completes, then results keep order and task getters follow v3', async () => {
    const status = await run('fanOutFanIn');
    expect(status.output).toEqual({
      results: [1, 2, 3, 4],
      getters: [1, 2, 3, 4].map((n) => ({ isCompleted: true, isFaulted: false, result: n })),
    });
  });

  it('when one child of Task.all fails, then JS fails fast but the extension waits for every child to finish', async () => {
    // durable-functions' WhenAllTask fails at the first error, so the orchestrator catches it and returns; the
    // extension re-plays the WhenAll action as .NET Task.WhenAll, which completes only when all children have
    // (OutOfProcOrchestrationShim.ProcessAsyncActionsV2), so the output is applied once 'never' arrives.
    const id = await h.client.startNew('allFailsFast');
    await waitForCustomStatus(id, 'caught');
    expect((await h.client.getStatus(id)).runtimeStatus).toBe('Running');
    await h.client.raiseEvent(id, 'never', true);
    const status = await waitForFinish(h.client, id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({
      error: expect.objectContaining({ isTaskFailedError: false, name: 'Error' }) as unknown,
      neverCompleted: false,
    });
  });

  it('when Task.all gets an empty array, then it throws as v3 does', async () => {
    const status = await run('allEmpty');
    expect(status.output).toMatch(/must specify at least one Task/);
  });

  it('when a sliding window re-yields pending tasks in a new Task.any, then the extension schedules them again (#574)', async () => {
    // Azure/azure-functions-durable-js#574: every child of a new WhenAny is scheduled again under a new sequence id,
    // so the JS and DTFx ids drift. The window cannot finish with each item scored once, as it would on an engine
    // that hides the bug; the app's batch orchestrators therefore never re-yield a task (docs/batch-scoring.md).
    const id = await h.client.startNew('slidingWindow');
    const outcome = await waitFor(async () => {
      const s = await h.client.getStatus(id, { showHistory: true });
      const scheduled = (s.history ?? []).filter((e) => (e as { EventType?: string }).EventType === 'TaskCompleted');
      return String(s.runtimeStatus) !== 'Running' || scheduled.length > 7 ? s : undefined;
    }, 'the window to diverge');
    const completions = (outcome.history ?? []).filter(
      (e) => (e as { EventType?: string }).EventType === 'TaskCompleted',
    );
    const correct =
      String(outcome.runtimeStatus) === 'Completed' &&
      JSON.stringify(outcome.output) === JSON.stringify({ done: [1, 2, 3, 4, 6, 7], failed: ['Error'] }) &&
      completions.length === 6;
    expect(correct).toBe(false);
    if (String(outcome.runtimeStatus) === 'Running') await h.client.terminate(id, 'diverged as in Azure');
  });

  it('when functions are named in another letter case, then they are found as Azure Functions finds them', async () => {
    const id = await h.client.startNew('CaseInsensitiveNames');
    const status = await waitForFinish(h.client, id);
    expect(status.name).toBe('caseInsensitiveNames');
    expect(status.output).toEqual({ echoed: 'any case', child: 1 });
  });

  it('when two tasks wait for the same event name, then one event completes the most recent (v3 order)', async () => {
    const id = await h.client.startNew('twoWaitersOneName');
    await waitForCustomStatus(id, 'waiting');
    await h.client.raiseEvent(id, 'ping', 'pong');
    const status = await waitForFinish(h.client, id);
    expect(status.output).toEqual({ newerWon: true, value: 'pong' });
  });

  it('when Task.any completes, then it yields the winning task object itself', async () => {
    const status = await run('anyWinner');
    expect(status.output).toEqual({ winnerIsFast: true, winnerResult: 'fast', slowCompleted: false });
  });

  it('when a timer fires, then time has advanced and cancelling it afterwards throws as in v3', async () => {
    const status = await run('timerFires');
    expect(status.output).toEqual({
      afterFireAt: true,
      timerCompleted: true,
      cancelError: 'Cannot cancel a completed task.',
    });
  });

  it('when an approval arrives before the timeout, then the timer is cancelled and custom status shows each stage', async () => {
    const id = await h.client.startNew('timeoutVsEvent');
    const waiting = await waitForStatus(h.client, id, 'Running');
    await waitForCustomStatus(id, { stage: 'waiting for approval' });
    expect(waiting.name).toBe('timeoutVsEvent');
    // v3 event names are case-sensitive: 'approval' must not satisfy a wait for 'Approval'.
    await h.client.raiseEvent(id, 'approval', 'wrong case');
    await h.client.raiseEvent(id, 'Approval', { by: 'alice' });
    const status = await waitForFinish(h.client, id);
    expect(status.output).toEqual({
      approved: { by: 'alice' },
      timerCanceled: true,
      statusGetter: { stage: 'decided' },
    });
    expect(status.customStatus).toEqual({ stage: 'decided' });
  });

  it('when an event is raised before the orchestrator waits for it, then it is buffered and delivered', async () => {
    const id = await h.client.startNew('eventsBeforeAndAfter');
    await waitForCustomStatus(id, 'waiting for first');
    await h.client.raiseEvent(id, 'second', 2);
    await h.client.raiseEvent(id, 'first', 1);
    const status = await waitForFinish(h.client, id);
    expect(status.output).toEqual([1, 2]);
  });

  it('when the orchestrator replays, then isReplaying is true for replayed steps and context.log repeats per episode', async () => {
    // Each episode is a function invocation; context.log is not replay-suppressed in durable-functions 3.x, so a
    // line before the first yield is written once per episode (three here), one after the last yield once.
    const id = await h.client.startNew('replayFlags', { input: 'replay-probe' });
    const status = await waitForFinish(h.client, id);
    expect(status.output).toEqual([true, true, false]);
    expect(h.logs.filter((l) => l.includes('replay-safe line one'))).toHaveLength(3);
    expect(h.logs.filter((l) => l.includes('replay-safe line two'))).toHaveLength(1);
  });

  it('when an orchestrator continues as new, then the same instance restarts with the new input', async () => {
    const id = await h.client.startNew('counterContinueAsNew', { input: 0 });
    const status = await waitForFinish(h.client, id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(3);
    expect(status.input).toBe(3);
  });

  it('when newGuid is called, then values are UUIDs that stay the same across replays', async () => {
    const status = await run('guids');
    const out = status.output as { first: string; echoed: string; second: string };
    expect(out.first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(out.echoed).toBe(out.first);
    expect(out.second).not.toBe(out.first);
  });

  it('when entities or callHttp are used, then the instance fails with a message naming the feature', async () => {
    const entity = await run('unsupportedEntity');
    expect(entity.runtimeStatus).toBe('Failed');
    expect(String(entity.output)).toMatch(/Durable entities are not supported by the local durable engine/);
    const http = await run('unsupportedHttp');
    expect(http.runtimeStatus).toBe('Failed');
    expect(String(http.output)).toMatch(/callHttp is not supported by the local durable engine/);
  });

  async function waitForCustomStatus(id: string, expected: unknown): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const s = await h.client.getStatus(id);
      if (JSON.stringify(s.customStatus) === JSON.stringify(expected)) return;
      if (Date.now() > deadline) throw new Error(`custom status never became ${JSON.stringify(expected)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
});
