/**
 * The Durable extension's side of an out-of-process episode: what `OutOfProcOrchestrationShim` and DTFx do with the
 * `OrchestratorState` a durable-functions 3.x orchestrator returned.
 *
 * The shim re-plays the cumulative action list through a .NET orchestration context on every episode
 * (`ProcessAsyncActionsV2`): each action calls the matching context API, and each call is awaited in order, so
 * nothing after the first incomplete action is scheduled. `WhenAny`/`WhenAll` invoke every child again, so a task
 * that JS had already yielded and puts into a new compound is scheduled a second time under a new DTFx sequence id
 * (durable-js #574). DTFx processes the history event by event: scheduling events are matched to the actions the
 * replay produced by sequence id (non-determinism otherwise), completions complete open tasks, and the .NET code
 * resumes after each. Only when every awaited action is complete does the shim apply `error` or `isDone`.
 *
 * This module simulates exactly that, as a pure function of (history, state). Sources, all read, none copied:
 * - Azure/azure-functions-durable-extension `Listener/OutOfProcOrchestrationShim.cs` (action re-play, custom status,
 *   failure text), `ContextImplementations/DurableOrchestrationContext.cs` (long timers, external events: a stack of
 *   waiters and a FIFO buffer, case-insensitive names; `NewGuid`; 16 KB custom status),
 *   `MessagePayloadDataConverter.cs` (size message), `RetryOptions.cs` / `RetryOptionsConverter.cs` (defaults),
 *   `DurableTaskExtension.cs` (unknown function message);
 * - Azure/durabletask `DurableTask.Core/TaskOrchestrationContext.cs` (sequence ids, non-determinism messages,
 *   duplicate completions ignored, canceled timers leave the open tasks, a sub-orchestration without an instance id
 *   is named `<executionId>:<sequence id>`, an activity's input is serialized as its parameter array),
 *   `TaskOrchestrationExecutor.cs` (`CurrentUtcDateTime` is each `OrchestratorStarted`'s timestamp in turn; the
 *   orchestration completes or fails only once no task is open) and `RetryInterceptor.cs` (retry loop and delays);
 * - the extension's `DurableActivityContext.cs` (the legacy "input wrapped in an array" an activity receives).
 *
 * Checked against the durable-functions golden vectors, episode by episode: test/conformance/durable-vectors
 * (engine-replay.test.ts, docs/durable-vectors.md).
 */
import { EventType, type HistoryEvent, newEvent, parseTime } from './dtfx';
import { type Action, ActionType, type OrchestratorState, type RetryOptionsJson } from './orchestrator-state';

export interface ReplaySettings {
  /** `MaximumDelayTime` of the provider (Azure Storage: 6 days). */
  maximumShortTimerMs: number;
  /** `LongRunningTimerIntervalLength` of the provider (Azure Storage: 3 days). */
  longTimerIntervalMs: number;
  /** The extension's `MaxOrchestrationActions` (default 100,000). */
  maxActions: number;
}

export const AZURE_STORAGE_TIMERS: ReplaySettings = {
  maximumShortTimerMs: 6 * 24 * 3600_000,
  longTimerIntervalMs: 3 * 24 * 3600_000,
  maxActions: 100_000,
};

export interface ReplayInput {
  orchestratorName: string;
  instanceId: string;
  parentInstanceId?: string;
  /** The current execution's history including this episode's new events (from its `OrchestratorStarted`). */
  history: readonly HistoryEvent[];
  /** What the handler returned (or the state recovered from its `$OutOfProcData$`). */
  state: OrchestratorState;
  settings: ReplaySettings;
  /** Whether an activity / orchestrator function of that name is registered (extension `ThrowIfFunctionDoesNotExist`). */
  functionExists(kind: 'activity' | 'orchestrator', name: string): boolean;
  /** Time stamped on the scheduling events this episode appends. */
  now: Date;
}

export type ReplayOutcome =
  | { kind: 'running' }
  | { kind: 'completed'; output: unknown }
  | { kind: 'continuedAsNew'; input: unknown }
  | { kind: 'failed'; reason: string; details: string };

export interface ReplayResult {
  /** New scheduling events (TaskScheduled, TimerCreated, SubOrchestrationInstanceCreated) in sequence-id order. */
  scheduled: HistoryEvent[];
  /** Set when the state carried a non-null custom status (JSON text). */
  customStatus?: string;
  outcome: ReplayOutcome;
  /** Host log lines (warnings the extension would trace). */
  warnings: string[];
}

/** A .NET task: completes once, successfully or not, and runs its continuations synchronously (as DTFx does). */
class NetTask {
  done = false;
  failed = false;
  private continuations: (() => void)[] = [];

  complete(failed: boolean): void {
    if (this.done) return;
    this.done = true;
    this.failed = failed;
    const run = this.continuations;
    this.continuations = [];
    for (const c of run) c();
  }

  then(continuation: () => void): void {
    if (this.done) continuation();
    else this.continuations.push(continuation);
  }

  static completed(failed = false): NetTask {
    const t = new NetTask();
    t.complete(failed);
    return t;
  }
}

type ScheduleKind = 'activity' | 'timer' | 'subOrchestration';

interface PendingAction {
  kind: ScheduleKind;
  event: HistoryEvent;
}

class NonDeterminism extends Error {}

const KIND_OF: Record<number, ScheduleKind> = {
  [EventType.TaskScheduled]: 'activity',
  [EventType.TimerCreated]: 'timer',
  [EventType.SubOrchestrationInstanceCreated]: 'subOrchestration',
};

const ACTION_CLASS: Record<ScheduleKind, string> = {
  activity: 'ScheduleTaskOrchestratorAction',
  timer: 'CreateTimerOrchestratorAction',
  subOrchestration: 'CreateSubOrchestrationAction',
};

/** .NET `DateTime.ToString("o")` of a UTC time. */
const roundTrip = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');

/** JSON text of an action input as DTFx stores it (the JToken serialized). */
const jsonText = (value: unknown): string | undefined => (value === undefined ? undefined : JSON.stringify(value));

/** The UTF-16 size check of `MessagePayloadDataConverter.Serialize(value, 16)`. */
function customStatusText(value: unknown): string {
  const text = JSON.stringify(value);
  const kb = Math.floor((text.length * 2) / 1024);
  if (kb > 16) {
    throw new Error(
      `The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is ${kb} KB.`,
    );
  }
  return text;
}

class Replay {
  private nextId = 0;
  /** The execution's id (ExecutionStarted's `OrchestrationInstance`), part of default sub-orchestration ids. */
  private executionId = '';
  private readonly open = new Map<number, NetTask>();
  private readonly pending = new Map<number, PendingAction>();
  /** Most recent waiter first, per event name (lower-cased: the extension compares OrdinalIgnoreCase). */
  private readonly waiters = new Map<string, NetTask[]>();
  private readonly buffered = new Map<string, number>();
  private nowMs: number;
  private readonly warnings: string[] = [];
  private actionCount = 0;

  constructor(private readonly input: ReplayInput) {
    const firstStart = input.history.find((e) => e.EventType === EventType.OrchestratorStarted);
    this.nowMs = firstStart ? parseTime(firstStart.Timestamp) : input.now.getTime();
  }

  run(): ReplayResult {
    const { state } = this.input;
    let customStatus: string | undefined;
    // The shim sets the custom status before re-playing; a failure here fails the orchestration like any throw.
    try {
      if (state.customStatus !== undefined && state.customStatus !== null) {
        customStatus = customStatusText(state.customStatus);
      }
    } catch (e) {
      return this.failed(`Orchestrator function '${this.input.orchestratorName}' failed: ${(e as Error).message}`);
    }

    const program = this.program(state);
    let finished = false;
    let started = false;
    const startProgram = (): void => {
      if (started) return;
      started = true;
      program(() => {
        finished = true;
      });
    };
    try {
      for (const e of this.input.history) {
        switch (e.EventType) {
          case EventType.OrchestratorStarted:
            // DTFx assigns it as is (TaskOrchestrationExecutor.ExecuteCore); unlike the JS side, it may go back.
            this.nowMs = parseTime(e.Timestamp);
            break;
          case EventType.ExecutionStarted:
            this.executionId = e.OrchestrationInstance?.ExecutionId ?? '';
            startProgram();
            break;
          case EventType.TaskScheduled:
          case EventType.TimerCreated:
          case EventType.SubOrchestrationInstanceCreated:
            this.match(e);
            break;
          case EventType.TaskCompleted:
          case EventType.SubOrchestrationInstanceCompleted:
            this.completeTask(e.TaskScheduledId, false, e);
            break;
          case EventType.TaskFailed:
          case EventType.SubOrchestrationInstanceFailed:
            this.completeTask(e.TaskScheduledId, true, e);
            break;
          case EventType.TimerFired:
            this.completeTask(e.TimerId, false, e);
            break;
          case EventType.EventRaised:
            this.raise(e.Name ?? '');
            break;
          default:
            break;
        }
      }
      startProgram();
    } catch (e) {
      if (e instanceof NonDeterminism) return this.failed(`Non-Deterministic workflow detected: ${e.message}`);
      throw e;
    }

    const scheduled = [...this.pending.entries()].sort(([a], [b]) => a - b).map(([, p]) => p.event);
    const base = { scheduled, warnings: this.warnings, ...(customStatus !== undefined ? { customStatus } : {}) };
    if (!finished) return { ...base, outcome: { kind: 'running' } };
    // DTFx completes or fails an orchestration only when no task is open (`!context.HasOpenTasks`): a Task.any loser
    // that was not canceled, or a task JS forgot, keeps the instance running until it completes.
    if (this.open.size > 0) return { ...base, outcome: { kind: 'running' } };
    if (state.error) {
      return {
        ...base,
        outcome: {
          kind: 'failed',
          reason: `Orchestrator function '${this.input.orchestratorName}' failed: ${state.error}`,
          details: `Message: ${state.error}, StackTrace: `,
        },
      };
    }
    if (!state.isDone) return { ...base, outcome: { kind: 'running' } };
    if (this.continueAsNew) return { ...base, outcome: { kind: 'continuedAsNew', input: this.continueAsNew.input } };
    return { ...base, outcome: { kind: 'completed', output: state.output } };
  }

  private continueAsNew: { input: unknown } | undefined;

  private failed(reason: string): ReplayResult {
    return { scheduled: [], warnings: this.warnings, outcome: { kind: 'failed', reason, details: reason } };
  }

  /** The shim's re-play loop as a continuation-passing program: V2/V3 await each action in turn; V1 each group. */
  private program(state: OrchestratorState): (done: () => void) => void {
    const schema = state.schemaVersion ?? 0;
    if (schema >= 1) {
      if (state.actions.length > 1) {
        throw new Error(
          `With OOProc schema ${schema}, expected actions array to be of length 1 in outer layer but got size: ${state.actions.length}`,
        );
      }
      const actions = state.actions[0] ?? [];
      return (done) => {
        const step = (i: number): void => {
          if (i >= actions.length) return done();
          const action = actions[i] as Action;
          this.invoke(action).then(() => step(i + 1));
        };
        step(0);
      };
    }
    // Original schema: every action of a group is invoked, then the group is awaited with WhenAny.
    return (done) => {
      const step = (i: number): void => {
        const group = state.actions[i];
        if (!group) return done();
        const tasks = group.map((a) => this.invoke(a));
        if (tasks.length === 0) return step(i + 1);
        this.whenAny(tasks).then(() => step(i + 1));
      };
      step(0);
    };
  }

  /** `InvokeAPIFromAction`: calls the .NET API for one action and returns its task. */
  private invoke(action: Action): NetTask {
    switch (action.actionType) {
      case ActionType.CallActivity:
        return this.callFunction('activity', action, undefined);
      case ActionType.CallActivityWithRetry:
        return this.callFunction('activity', action, action.retryOptions);
      case ActionType.CallSubOrchestrator:
        return this.callFunction('orchestrator', action, undefined);
      case ActionType.CallSubOrchestratorWithRetry:
        return this.callFunction('orchestrator', action, action.retryOptions);
      case ActionType.CreateTimer:
        return this.createTimer(parseTime(action.fireAt ?? ''), action.isCanceled === true);
      case ActionType.WaitForExternalEvent:
        return this.waitForEvent(action.externalEventName ?? '');
      case ActionType.ContinueAsNew:
        this.continueAsNew = { input: action.input };
        return NetTask.completed();
      case ActionType.WhenAll:
        return this.whenAll((action.compoundActions ?? []).map((a) => this.invoke(a)));
      case ActionType.WhenAny:
        return this.whenAny((action.compoundActions ?? []).map((a) => this.invoke(a)));
      case ActionType.CallEntity:
      case ActionType.SignalEntity:
      case ActionType.ScheduledSignalEntity:
        throw new UnsupportedAction('Durable entities are');
      case ActionType.CallHttp:
        throw new UnsupportedAction('callHttp is');
      default:
        throw new Error(
          `Received an unexpected action type from the out-of-proc function: '$${String(action.actionType)}'.`,
        );
    }
  }

  /** `CallDurableTaskFunctionAsync`: an async method, so its argument checks fault the task instead of throwing. */
  private callFunction(
    kind: 'activity' | 'orchestrator',
    action: Action,
    retry: RetryOptionsJson | undefined,
  ): NetTask {
    const name = action.functionName ?? '';
    if (!this.input.functionExists(kind, name)) {
      this.warnings.push(
        `The function '${name}' doesn't exist, is disabled, or is not an ${kind === 'activity' ? 'activity' : 'orchestrator'} function.`,
      );
      return NetTask.completed(true);
    }
    if (kind === 'orchestrator') {
      const id = action.instanceId;
      const sameAsParent =
        id !== undefined &&
        (id.toLowerCase() === this.input.instanceId.toLowerCase() ||
          (this.input.parentInstanceId !== undefined &&
            id.toLowerCase() === this.input.parentInstanceId.toLowerCase()));
      if (sameAsParent) {
        this.warnings.push(
          'The instance ID of a sub-orchestration must be different than the instance ID of a parent orchestration.',
        );
        return NetTask.completed(true);
      }
    }
    if (++this.actionCount > this.input.settings.maxActions) {
      this.warnings.push(`Maximum number of orchestration actions (${this.input.settings.maxActions}) exceeded.`);
      return NetTask.completed(true);
    }
    const attempt = (): NetTask =>
      kind === 'activity'
        ? this.schedule('activity', { Name: name, Input: activityInputText(action.input) })
        : this.schedule('subOrchestration', (id) => ({
            Name: name,
            // DTFx `CreateSubOrchestrationInstanceCore`: no id given (null or empty) means "<executionId>:<sequence id>".
            InstanceId: action.instanceId ? action.instanceId : `${this.executionId}:${id}`,
            // DTFx serializes the input object itself; no input is a JSON null.
            Input: jsonText(action.input) ?? 'null',
          }));
    return retry ? this.withRetry(attempt, retry) : attempt();
  }

  /** DTFx `RetryInterceptor.Invoke`: attempt; on failure compute the delay; a zero delay ends; else wait and retry. */
  private withRetry(attempt: () => NetTask, options: RetryOptionsJson): NetTask {
    const result = new NetTask();
    const firstAttemptMs = this.nowMs;
    const maxAttempts = options.maxNumberOfAttempts;
    const loop = (retryCount: number): void => {
      if (retryCount >= maxAttempts) return result.complete(true);
      const task = attempt();
      task.then(() => {
        if (!task.failed) return result.complete(false);
        const delay = this.nextRetryDelay(options, retryCount, firstAttemptMs);
        if (delay <= 0) return result.complete(true);
        this.createTimer(this.nowMs + delay, false).then(() => loop(retryCount + 1));
      });
    };
    loop(0);
    return result;
  }

  private nextRetryDelay(options: RetryOptionsJson, attempt: number, firstAttemptMs: number): number {
    const timeout = options.retryTimeoutInMilliseconds;
    if (timeout !== undefined && this.nowMs >= firstAttemptMs + timeout) return 0;
    const maxInterval = options.maxRetryIntervalInMilliseconds ?? 6 * 24 * 3600_000; // extension default: 6 days
    const delay = options.firstRetryIntervalInMilliseconds * Math.pow(options.backoffCoefficient ?? 1, attempt);
    return delay < maxInterval ? delay : maxInterval;
  }

  /** `IDurableOrchestrationContext.CreateTimer`: a long timer becomes a chain of interval timers. */
  private createTimer(fireAtMs: number, canceled: boolean): NetTask {
    const { maximumShortTimerMs, longTimerIntervalMs } = this.input.settings;
    if (fireAtMs - this.nowMs <= maximumShortTimerMs) {
      const task = this.schedule('timer', { FireAt: roundTrip(fireAtMs) });
      if (canceled) this.cancel(task);
      return task;
    }
    const result = new NetTask();
    if (canceled) {
      // The first interval timer is created before the shim cancels the token; its cancellation ends the chain.
      this.cancel(this.schedule('timer', { FireAt: roundTrip(this.nowMs + longTimerIntervalMs) }));
      result.complete(true);
      return result;
    }
    const next = (intervalFireAt: number): void => {
      this.schedule('timer', { FireAt: roundTrip(intervalFireAt) }).then(() => {
        const remaining = fireAtMs - this.nowMs;
        if (remaining <= 0) return result.complete(false);
        next(this.nowMs + Math.min(remaining, longTimerIntervalMs));
      });
    };
    next(this.nowMs + longTimerIntervalMs);
    return result;
  }

  /** Allocates the next DTFx sequence id for a scheduling action. */
  private schedule(
    kind: ScheduleKind,
    fields: Partial<HistoryEvent> | ((id: number) => Partial<HistoryEvent>),
  ): NetTask {
    const id = this.nextId++;
    const type =
      kind === 'activity'
        ? EventType.TaskScheduled
        : kind === 'timer'
          ? EventType.TimerCreated
          : EventType.SubOrchestrationInstanceCreated;
    const own = typeof fields === 'function' ? fields(id) : fields;
    const event = newEvent(type, this.input.now, { ...own, EventId: id });
    this.pending.set(id, { kind, event });
    const task = new NetTask();
    this.open.set(id, task);
    return task;
  }

  /** A canceled timer: DTFx's cancellation callback faults the task and removes it from the open tasks. */
  private cancel(task: NetTask): void {
    for (const [id, open] of this.open) {
      if (open === task) this.open.delete(id);
    }
    task.complete(true);
  }

  /** A scheduling event of the history must match the action the replay produced with that id (DTFx). */
  private match(e: HistoryEvent): void {
    const id = e.EventId;
    const expected = KIND_OF[e.EventType] as ScheduleKind;
    const action = this.pending.get(id);
    if (!action) {
      throw new NonDeterminism(
        expected === 'timer'
          ? `A previous execution of this orchestration scheduled a timer task with sequence number ${id} but the current replay execution hasn't (yet?) scheduled this task. Was a change made to the orchestrator code after this instance had already started running?`
          : expected === 'activity'
            ? `A previous execution of this orchestration scheduled an activity task with sequence ID ${id} and name '${e.Name ?? ''}' (version ''), but the current replay execution hasn't (yet?) scheduled this task. Was a change made to the orchestrator code after this instance had already started running?`
            : `A previous execution of this orchestration scheduled a sub-orchestration task with sequence ID ${id} and name '${e.Name ?? ''}' (version '', instance ID '${e.InstanceId ?? ''}'), but the current replay execution hasn't (yet?) scheduled this task. Was a change made to the orchestrator code after this instance had already started running?`,
      );
    }
    if (action.kind !== expected) {
      throw new NonDeterminism(
        `A previous execution of this orchestration scheduled a ${expected === 'activity' ? 'activity' : expected === 'timer' ? 'timer' : 'sub-orchestration'} task with sequence number ${id} named '${e.Name ?? ''}', but the current orchestration replay instead produced a ${ACTION_CLASS[action.kind]} action with this sequence number. Was a change made to the orchestrator code after this instance had already started running?`,
      );
    }
    if (expected !== 'timer' && (action.event.Name ?? '').toLowerCase() !== (e.Name ?? '').toLowerCase()) {
      throw new NonDeterminism(
        `A previous execution of this orchestration scheduled an ${expected === 'activity' ? 'activity' : 'sub-orchestration'} task with sequence number ${id} named '${e.Name ?? ''}', but the current orchestration replay instead scheduled an ${expected === 'activity' ? 'activity' : 'sub-orchestration'} task named '${action.event.Name ?? ''}' with this sequence number.  Was a change made to the orchestrator code after this instance had already started running?`,
      );
    }
    this.pending.delete(id);
  }

  private completeTask(id: number | undefined, failed: boolean, e: HistoryEvent): void {
    const task = id === undefined ? undefined : this.open.get(id);
    if (!task) {
      this.warnings.push(`Duplicate ${EventType[e.EventType]} Event: ${String(id)}`);
      return;
    }
    this.open.delete(id as number);
    task.complete(failed);
  }

  /** `WaitForExternalEvent`: push a waiter; a buffered event completes it at once. */
  private waitForEvent(name: string): NetTask {
    const key = name.toLowerCase();
    const task = new NetTask();
    const stack = this.waiters.get(key) ?? [];
    stack.unshift(task);
    this.waiters.set(key, stack);
    const buffered = this.buffered.get(key) ?? 0;
    if (buffered > 0) {
      if (buffered === 1) this.buffered.delete(key);
      else this.buffered.set(key, buffered - 1);
      this.raise(name);
    }
    return task;
  }

  /** `RaiseEvent`: the most recent waiter gets the event; without one it is buffered. */
  private raise(name: string): void {
    const key = name.toLowerCase();
    const stack = this.waiters.get(key);
    const waiter = stack?.shift();
    if (stack && stack.length === 0) this.waiters.delete(key);
    if (waiter) waiter.complete(false);
    else this.buffered.set(key, (this.buffered.get(key) ?? 0) + 1);
  }

  private whenAll(tasks: NetTask[]): NetTask {
    const result = new NetTask();
    let left = tasks.length;
    if (left === 0) result.complete(false);
    for (const t of tasks) {
      t.then(() => {
        if (--left === 0) result.complete(tasks.some((x) => x.failed));
      });
    }
    return result;
  }

  private whenAny(tasks: NetTask[]): NetTask {
    const result = new NetTask();
    for (const t of tasks) t.then(() => result.complete(false));
    return result;
  }
}

/** An action this engine does not emulate; the episode fails with a message naming the feature. */
export class UnsupportedAction extends Error {
  constructor(feature: string) {
    super(`${feature} not supported by the local durable engine (docs/durable-engine.md).`);
  }
}

/**
 * DTFx `ScheduleTaskInternal` serializes the activity's parameter array, so `Input` is the JSON of `[input]` (no
 * input: `[null]`); the extension unwraps that one element for the activity (`DurableActivityContext.GetInputAsJson`,
 * "inputs are arrays"). durable-functions has already JSON-encoded a string input once more (`Utils.processInput`).
 */
function activityInputText(input: unknown): string {
  return JSON.stringify([input ?? null]);
}

/** The value an activity function receives for a scheduled `Input` (the worker parses the binding data). */
export function activityInputValue(inputText: string | undefined): unknown {
  if (inputText === undefined) return undefined;
  const parsed = JSON.parse(inputText) as unknown;
  // The parameter array of one element (see activityInputText).
  const token = Array.isArray(parsed) && parsed.length === 1 ? (parsed[0] as unknown) : parsed;
  // A string token is the library's extra encoding of a string input: the function sees the inner value.
  if (typeof token === 'string') {
    try {
      return JSON.parse(token) as unknown;
    } catch {
      return token;
    }
  }
  return token;
}

export function replayEpisode(input: ReplayInput): ReplayResult {
  try {
    return new Replay(input).run();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return {
      scheduled: [],
      warnings: [],
      outcome: {
        kind: 'failed',
        reason: `Orchestrator function '${input.orchestratorName}' failed: ${message}`,
        details: message,
      },
    };
  }
}
