/**
 * The orchestrators of the durable-functions golden vectors (`test/fixtures/durable-vectors/cases.json`), written
 * here from each case's `scenario` text, under the names the vectors use (`orchestrator`).
 *
 * @remarks A factory over the `durable-functions` module because the library checks some of its own objects
 * (`EntityId`, tasks) with `instanceof`: they must come from the copy that registers the handlers (see
 * `test/support/durable/real-handler.ts`). Several orchestrators deliberately misuse the API (yield a number, omit
 * retry options, re-yield finished tasks): the vectors record how the library answers that.
 */
// Several scenarios never yield (they return, throw or only record an action); they are generators all the same.
/* eslint-disable require-yield */
import type * as DurableFunctions from 'durable-functions';

type DF = typeof DurableFunctions;
type Ctx = DurableFunctions.OrchestrationContext;
type Task = DurableFunctions.Task;
type Handler = DurableFunctions.OrchestrationHandler;

/** For the scenarios that yield something that is not a task, to record the library's refusal. */
function notATask(value: unknown): Task {
  return value as Task;
}

function hasTruthyField(value: unknown, field: string): boolean {
  return typeof value === 'object' && value !== null && Boolean((value as Record<string, unknown>)[field]);
}

function inputObject(context: Ctx): Record<string, unknown> {
  const input = context.df.getInput<unknown>();
  return typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
}

function plusMs(context: Ctx, ms: number): Date {
  return new Date(context.df.currentUtcDateTime.getTime() + ms);
}

interface Probe {
  step: string;
  isReplaying: boolean;
  now: string;
}

interface FailureSummary {
  errorType: string;
  errorMessage: string;
  isNonRetriable: boolean;
  innerErrorType: string | null;
  properties: Record<string, unknown> | null;
}

/** What FailureShapeProbe reports about a caught error (duck-typed: the error comes from the library's realm). */
function describeCaught(error: unknown): Record<string, unknown> {
  const e = error as {
    name?: string;
    message?: string;
    taskName?: string;
    taskId?: number;
    failureDetails?: DurableFunctions.FailureDetails;
  };
  const details = e.failureDetails;
  const summary: FailureSummary | null = details
    ? {
        errorType: details.errorType,
        errorMessage: details.errorMessage,
        isNonRetriable: details.isNonRetriable,
        innerErrorType: details.innerFailure?.errorType ?? null,
        properties: details.properties ?? null,
      }
    : null;
  return {
    name: e.name,
    message: e.message,
    isTaskFailedError: e.name === 'TaskFailedError',
    taskName: e.taskName ?? null,
    taskId: e.taskId ?? null,
    failureDetails: summary,
  };
}

/** Every orchestrator the vectors use, by the name in the cases' `orchestrator` field. */
export function vectorOrchestrators(df: DF): Record<string, Handler> {
  const retryEvery = (firstIntervalMs: number, maxAttempts: number): DurableFunctions.RetryOptions =>
    new df.RetryOptions(firstIntervalMs, maxAttempts);
  const childIdOf = (context: Ctx): string => `${context.df.instanceId}:0`;
  /** Sends the one-way signal the signalEntity scenarios describe; returns what `signalEntity` returns. */
  const signalFromInput = (context: Ctx): void => {
    const input = inputObject(context) as {
      id: string;
      entityName: string;
      operationName: string;
      operationArgument: unknown;
    };
    const entity = new df.EntityId(input.entityName, input.id);
    return context.df.signalEntity(entity, input.operationName, input.operationArgument);
  };

  const orchestrators: Record<string, Handler> = {
    // Named upstream for never yielding; still a generator function (the library calls `next()` on what it returns).
    NotGenerator: function* () {
      return 'Hello';
    },

    YieldInteger: function* () {
      yield notATask(4);
    },

    SayHelloInline: function* (context) {
      return `Hello, ${String(context.df.getInput())}!`;
    },

    PassThrough: function* (context) {
      return context.df.getInput();
    },

    SayHelloSequence: function* (context) {
      const results: unknown[] = [];
      for (const city of ['Tokyo', 'Seattle', 'London']) results.push(yield context.df.callActivity('Hello', city));
      return results;
    },

    TimestampExhaustion: function* (context) {
      const delaySecs = inputObject(context).delayMergeUntilSecs;
      yield context.df.callActivity('Merge');
      if (delaySecs) yield context.df.createTimer(plusMs(context, Number(delaySecs) * 1000));
      for (let attempt = 0; attempt < 10; attempt++) {
        const merged: unknown = yield context.df.callActivity('CheckIfMerged');
        if (hasTruthyField(merged, 'output')) return 'Merge successful';
        yield context.df.waitForExternalEvent('CheckPrForMerge');
      }
      return undefined;
    },

    ThrowsExceptionInline: function* () {
      throw new Error('Exception from Orchestrator');
    },

    ThrowsExceptionFromActivity: function* (context) {
      yield context.df.callActivity('ThrowsErrorActivity');
    },

    ThrowsExceptionFromActivityWithCatch: function* (context) {
      try {
        yield context.df.callActivity('ThrowsErrorActivity');
      } catch {
        return (yield context.df.callActivity('Hello', context.df.getInput())) as unknown;
      }
      return undefined;
    },

    SayHelloWithActivity: function* (context) {
      return (yield context.df.callActivity('Hello', context.df.getInput())) as unknown;
    },

    CallActivityNoInput: function* (context) {
      return (yield context.df.callActivity('ReturnsFour')) as unknown;
    },

    SayHelloWithActivityYieldTwice: function* (context) {
      const hello = context.df.callActivity('Hello', context.df.getInput());
      yield hello;
      yield hello;
      return (yield hello) as unknown;
    },

    SayHelloWithActivityRetryNoOptions: function* (context) {
      const missing = undefined as unknown as DurableFunctions.RetryOptions;
      yield context.df.callActivityWithRetry('Hello', missing, 'World');
    },

    SayHelloWithActivityRetry: function* (context) {
      return (yield context.df.callActivityWithRetry('Hello', retryEvery(10000, 2), context.df.getInput())) as unknown;
    },

    SayHelloWithActivityRetryFanout: function* (context) {
      const options = retryEvery(100, 5);
      const calls = ['Tokyo', 'Seattle'].map((city) => context.df.callActivityWithRetry('Hello', options, city));
      return (yield context.df.Task.all(calls)) as unknown;
    },

    SayHelloWithActivityRetryAndReturnTimestamps: function* (context) {
      const before = context.df.currentUtcDateTime;
      try {
        yield context.df.callActivityWithRetry('Hello', retryEvery(10000, 2), context.df.getInput());
      } catch {
        // The scenario ignores the failure; only the clock before and after matters.
      }
      return [before, context.df.currentUtcDateTime];
    },

    SendHttpRequest: function* (context) {
      const request = inputObject(context) as {
        method: string;
        uri: string;
        content?: string;
        headers?: Record<string, string>;
        tokenSource?: DurableFunctions.TokenSource;
        asynchronousPatternEnabled?: boolean;
      };
      return (yield context.df.callHttp({
        method: request.method,
        url: request.uri,
        body: request.content,
        headers: request.headers,
        tokenSource: request.tokenSource,
        enablePolling: request.asynchronousPatternEnabled,
      })) as unknown;
    },

    CallEntitySet: function* (context) {
      const { name, key } = inputObject(context) as { name: string; key: string };
      yield context.df.callEntity(new df.EntityId(name, key), 'set', 'testString');
      return 'OK';
    },

    signalEntity: function* (context) {
      signalFromInput(context);
    },

    signalEntityYield: function* (context) {
      // signalEntity returns nothing; yielding that is what the scenario records.
      yield notATask(signalFromInput(context));
    },

    SayHelloWithSubOrchestrator: function* (context) {
      const input = context.df.getInput();
      return (yield context.df.callSubOrchestrator('SayHelloWithActivity', input, childIdOf(context))) as unknown;
    },

    SayHelloWithSubOrchestratorNoSubId: function* (context) {
      return (yield context.df.callSubOrchestrator('SayHelloWithActivity', context.df.getInput())) as unknown;
    },

    MultipleSubOrchestratorNoSubId: function* (context) {
      const prefix = String(context.df.getInput());
      const children = ['SayHelloWithActivity', 'SayHelloInline', 'SayHelloWithActivity', 'SayHelloInline'];
      const calls = children.map((name, i) => context.df.callSubOrchestrator(name, `${prefix}_${name}_${i}`));
      return (yield context.df.Task.all(calls)) as unknown;
    },

    SayHelloWithSubOrchestratorRetryNoOptions: function* (context) {
      const missing = undefined as unknown as DurableFunctions.RetryOptions;
      yield context.df.callSubOrchestratorWithRetry('SayHelloInline', missing, 'World', childIdOf(context));
    },

    SayHelloWithSubOrchestratorRetry: function* (context) {
      const input = context.df.getInput();
      const options = retryEvery(10000, 2);
      return (yield context.df.callSubOrchestratorWithRetry(
        'SayHelloInline',
        options,
        input,
        childIdOf(context),
      )) as unknown;
    },

    SayHelloWithSubOrchestratorRetryFanout: function* (context) {
      const options = retryEvery(100, 5);
      const calls = ['Tokyo', 'Seattle'].map((city) =>
        context.df.callSubOrchestratorWithRetry('SayHelloInline', options, city),
      );
      return (yield context.df.Task.all(calls)) as unknown;
    },

    ContinueAsNewCounter: function* (context) {
      const next = Number(inputObject(context).value || 0) + 1;
      context.df.continueAsNew({ value: next });
      return next;
    },

    WaitOnTimer: function* (context) {
      yield context.df.createTimer(new Date(String(context.df.getInput())));
      return 'Timer fired!';
    },

    GuidGenerator: function* (context) {
      // Typed as taking the instance id; the scenario calls it with no argument at all.
      const guidSource = context.df as unknown as { newGuid(): string };
      return [guidSource.newGuid(), guidSource.newGuid(), guidSource.newGuid()];
    },

    SayHelloWithCustomStatus: function* (context) {
      const results: unknown[] = [];
      for (const city of ['Tokyo', 'Seattle', 'London']) {
        results.push(yield context.df.callActivity('Hello', city));
        context.df.setCustomStatus(city);
      }
      return results;
    },

    WaitForExternalEvent: function* (context) {
      const payload: unknown = yield context.df.waitForExternalEvent('start');
      return (yield context.df.callActivity('Hello', payload)) as unknown;
    },

    FanOutFanInDiskUsage: function* (context) {
      const files = (yield context.df.callActivity('GetFileList', context.df.getInput())) as string[];
      const sizes = (yield context.df.Task.all(
        files.map((file) => context.df.callActivity('GetFileSize', file)),
      )) as number[];
      return sizes.reduce((sum, size) => sum + size, 0);
    },

    AnyAOrB: function* (context) {
      const input = context.df.getInput();
      const first = (yield context.df.Task.any([
        context.df.callActivity('TaskA', input),
        context.df.callActivity('TaskB', input),
      ])) as Task;
      return first.result;
    },

    AnyWithTaskSet: function* (context) {
      const timeout = context.df.createTimer(plusMs(context, 300000));
      const events = context.df.Task.all([
        context.df.waitForExternalEvent('firstRequiredEvent'),
        context.df.waitForExternalEvent('secondRequiredEvent'),
      ]);
      const winner = (yield context.df.Task.any([events, timeout])) as Task;
      if (winner === timeout) return ['timeout'];
      const hello: unknown = yield context.df.callActivity('Hello', 'Tokyo');
      timeout.cancel();
      return [hello];
    },

    AnyAOrBYieldATwice: function* (context) {
      const input = context.df.getInput();
      const taskA = context.df.callActivity('TaskA', input);
      const winner = (yield context.df.Task.any([taskA, context.df.callActivity('TaskB', input)])) as Task;
      yield taskA;
      return winner.result;
    },

    TimerActivityRace: function* (context) {
      const timer = context.df.createTimer(plusMs(context, 1000));
      const taskA = context.df.callActivity('TaskA');
      const winner = (yield context.df.Task.any([timer, taskA])) as Task;
      if (winner === taskA) {
        yield context.df.callActivity('TaskB');
        return taskA.result;
      }
      return 'Timer finished';
    },

    TaskAllWithNoChildren: function* (context) {
      yield context.df.Task.all([]);
    },

    TaskAnyWithNoChildren: function* (context) {
      yield context.df.Task.any([]);
    },

    ReplayProbe: function* (context) {
      const probes: Probe[] = [];
      const probe = (step: string): void => {
        probes.push({
          step,
          isReplaying: context.df.isReplaying,
          now: context.df.currentUtcDateTime.toISOString(),
        });
        context.df.setCustomStatus(probes);
      };
      probe('start');
      yield context.df.callActivity('Hello', 'Tokyo');
      probe('after-first');
      yield context.df.callActivity('Hello', 'Seattle');
      probe('after-second');
      return probes;
    },

    AnyOverCompletedTask: function* (context) {
      const taskA = context.df.callActivity('TaskA');
      yield taskA;
      const timer = context.df.createTimer(plusMs(context, 60000));
      const winner = (yield context.df.Task.any([taskA, timer])) as Task;
      return winner === taskA ? 'a' : 'timer';
    },

    AllOverCompletedTask: function* (context) {
      const taskA = context.df.callActivity('TaskA');
      yield taskA;
      const taskB = context.df.callActivity('TaskB');
      return (yield context.df.Task.all([taskA, taskB])) as unknown;
    },

    SlidingWindowReyield: function* (context) {
      const work0 = context.df.callActivity('Work', 0);
      const work1 = context.df.callActivity('Work', 1);
      const first = (yield context.df.Task.any([work0, work1])) as Task;
      const work2 = context.df.callActivity('Work', 2);
      const second = (yield context.df.Task.any([work1, work2])) as Task;
      return [first.result, second.result];
    },

    EventBeforeWait: function* (context) {
      yield context.df.callActivity('Prepare');
      return (yield context.df.waitForExternalEvent('Approval')) as unknown;
    },

    TwoWaitersSameEvent: function* (context) {
      const first = context.df.waitForExternalEvent('Go');
      const second = context.df.waitForExternalEvent('Go');
      const winner = (yield context.df.Task.any([first, second])) as Task;
      return winner === second ? 'second' : 'first';
    },

    ApprovalWithTimeout: function* (context) {
      const timer = context.df.createTimer(plusMs(context, 3600000));
      const approval = context.df.waitForExternalEvent('Approve');
      const winner = (yield context.df.Task.any([approval, timer])) as Task;
      if (winner === approval) {
        timer.cancel();
        return { approved: approval.result };
      }
      return 'timeout';
    },

    CustomStatusFromInput: function* (context) {
      context.df.setCustomStatus(context.df.getInput());
      return 'done';
    },

    ContinueAsNewThenYield: function* (context) {
      const n = Number(inputObject(context).n ?? 0);
      context.df.continueAsNew({ n: n + 1 });
      yield context.df.callActivity('After');
      return 'unreachable';
    },

    ContinueAsNewAfterActivity: function* (context) {
      const n = Number(inputObject(context).n);
      const result: unknown = yield context.df.callActivity('Step', n);
      context.df.continueAsNew({ n: n + 1 });
      return result;
    },

    FailureShapeProbe: function* (context) {
      try {
        yield context.df.callActivity('Failing', 'x');
        return 'no error';
      } catch (error) {
        return describeCaught(error);
      }
    },

    GuidWithInstanceId: function* (context) {
      const id = context.df.instanceId;
      const guids = [context.df.newGuid(id), context.df.newGuid(id)];
      yield context.df.callActivity('Hello', 'Tokyo');
      guids.push(context.df.newGuid(id));
      return guids;
    },
  };
  return orchestrators;
}
