/**
 * The app's orchestrators under the REAL durable-functions v3 handler, driven the way the Durable extension drives
 * it (reference/durable-fidelity.md §2): the handler `df.app.orchestration` registers is called with the extension's
 * payload (DTFx JSON history, §2.2/§2.3) once per episode, and the returned cumulative action list is applied the way
 * `OutOfProcOrchestrationShim` + DTFx apply it (§2.6): every action re-played in order, a DTFx sequence id for every
 * schedulable action — compound children and re-emitted duplicates included — and a stop at the first awaited action
 * that is not complete. Failures reach the orchestrator in the legacy shape current hosts send (§2.7).
 *
 * @remarks Independent of dev/host/durable on purpose: that engine hides the v3 behaviours these tests pin.
 * Not modelled (the driver throws rather than guess): retries run by the extension (`callActivityWithRetry` that
 * fails), long timers, entities, `callHttp`.
 */
import { app, type FunctionHandler, type GenericFunctionOptions, InvocationContext } from '@azure/functions';

// ---- registration ----

export interface Registration {
  readonly trigger: string;
  readonly handler: FunctionHandler;
}

/**
 * What `register` registers through `app.generic` (which `df.app.orchestration` and `df.app.activity` call), by
 * function name. `app.generic` is replaced only while `register` runs.
 */
export function captureRegistrations(register: () => void): Map<string, Registration> {
  const captured = new Map<string, Registration>();
  const target = app as { generic: typeof app.generic };
  const original = target.generic;
  target.generic = (name: string, options: GenericFunctionOptions) => {
    captured.set(name, { trigger: options.trigger.type, handler: options.handler });
  };
  try {
    register();
  } finally {
    target.generic = original;
  }
  return captured;
}

// ---- one episode ----

export interface ActionJson {
  readonly actionType: number;
  readonly functionName?: string;
  readonly input?: unknown;
  readonly instanceId?: string;
  readonly fireAt?: string;
  readonly isCanceled?: boolean;
  readonly externalEventName?: string;
  readonly compoundActions?: readonly ActionJson[];
  readonly retryOptions?: unknown;
}

export interface OrchestratorStateJson {
  readonly isDone: boolean;
  readonly actions: readonly (readonly ActionJson[])[];
  readonly output?: unknown;
  readonly error?: string;
  readonly customStatus?: unknown;
  readonly schemaVersion: number;
}

export interface EpisodeResult {
  /** The state as the worker sends it (JSON round trip). */
  readonly state: OrchestratorStateJson;
  /** The state object the handler returned (action objects by reference), when it did not throw. */
  readonly raw: { actions: unknown[][] } | undefined;
  /** The handler threw (orchestration failed); `state` is the part after `$OutOfProcData$:`. */
  readonly threw: boolean;
}

const OUT_OF_PROC_DATA = '$OutOfProcData$:';

/** Calls a registered orchestration handler with an extension payload, with a fresh `InvocationContext`. */
export async function invokeOrchestrator(
  name: string,
  handler: FunctionHandler,
  payload: Record<string, unknown>,
): Promise<EpisodeResult> {
  const context = new InvocationContext({ functionName: name, invocationId: `${name}-episode`, logHandler: () => {} });
  try {
    const raw = (await handler(payload, context)) as { actions: unknown[][] };
    return { state: JSON.parse(JSON.stringify(raw)) as OrchestratorStateJson, raw, threw: false };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = message.indexOf(OUT_OF_PROC_DATA);
    if (at < 0) throw error;
    const state = JSON.parse(message.slice(at + OUT_OF_PROC_DATA.length)) as OrchestratorStateJson;
    return { state, raw: undefined, threw: true };
  }
}

/** Action objects that appear more than once in the cumulative list: tasks yielded again inside a new compound. */
export function actionsYieldedTwice(raw: { actions: unknown[][] }): unknown[] {
  const seen = new Set<unknown>();
  const twice: unknown[] = [];
  const visit = (action: unknown): void => {
    if (seen.has(action)) twice.push(action);
    seen.add(action);
    for (const child of (action as { compoundActions?: unknown[] }).compoundActions ?? []) visit(child);
  };
  for (const action of raw.actions.flat()) visit(action);
  return twice;
}

// ---- the extension around it ----

const EventType = {
  ExecutionStarted: 0,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventRaised: 15,
} as const;

const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  WhenAny: 11,
  WhenAll: 12,
} as const;

type HistoryEvent = { EventType: number; EventId: number; IsPlayed: boolean; Timestamp: string } & Record<
  string,
  unknown
>;

/** One scheduling the extension made, by DTFx sequence id. */
export interface Scheduled {
  readonly id: number;
  readonly kind: 'activity' | 'timer' | 'subOrchestration';
  readonly name: string;
  /** The activity's or sub-orchestration's input as the extension passes it on (parsed). */
  readonly input: unknown;
  readonly instanceId?: string;
  readonly fireAt?: string;
  /** A timer the orchestrator cancelled (`isCanceled` on its action in the latest list). */
  readonly canceled: boolean;
  readonly withRetry: boolean;
}

type Node =
  | { readonly kind: 'task'; readonly id: number; readonly canceled: boolean }
  | { readonly kind: 'event'; readonly waiter: { delivered: boolean } }
  | { readonly kind: 'all' | 'any'; readonly children: readonly Node[] }
  | { readonly kind: 'done' };

const COMPLETIONS: readonly number[] = [
  EventType.TaskCompleted,
  EventType.TaskFailed,
  EventType.SubOrchestrationInstanceCompleted,
  EventType.SubOrchestrationInstanceFailed,
  EventType.TimerFired,
];

/** The extension's re-play of one cumulative action list against a history (OutOfProcOrchestrationShim + DTFx). */
class ShimReplay {
  readonly scheduled: Scheduled[] = [];
  private readonly completed = new Set<number>();
  private readonly waiters = new Map<string, { delivered: boolean }[]>();
  private readonly buffered = new Map<string, number>();
  private readonly nodes: Node[] = [];
  private next = 0;

  constructor(
    private readonly actions: readonly ActionJson[],
    private readonly history: readonly HistoryEvent[],
  ) {}

  run(): void {
    this.advance();
    for (const event of this.history) {
      if (COMPLETIONS.includes(event.EventType)) {
        this.completed.add((event.TaskScheduledId ?? event.TimerId) as number);
      } else if (event.EventType === EventType.EventRaised) {
        this.raise(String(event.Name));
      } else continue;
      this.advance();
    }
  }

  /** Invokes actions in order while each one is complete (the shim awaits them one by one). */
  private advance(): void {
    while (this.nodes.length < this.actions.length) {
      const last = this.nodes[this.nodes.length - 1];
      if (last && !this.isComplete(last)) return;
      this.nodes.push(this.invoke(this.actions[this.nodes.length] as ActionJson));
    }
  }

  private invoke(action: ActionJson): Node {
    switch (action.actionType) {
      case ActionType.CallActivity:
      case ActionType.CallActivityWithRetry:
        return this.schedule('activity', action);
      case ActionType.CallSubOrchestrator:
      case ActionType.CallSubOrchestratorWithRetry:
        return this.schedule('subOrchestration', action);
      case ActionType.CreateTimer:
        return this.schedule('timer', action);
      case ActionType.WaitForExternalEvent:
        return { kind: 'event', waiter: this.wait(String(action.externalEventName)) };
      case ActionType.WhenAll:
      case ActionType.WhenAny:
        return {
          kind: action.actionType === ActionType.WhenAll ? 'all' : 'any',
          children: (action.compoundActions ?? []).map((child) => this.invoke(child)),
        };
      case ActionType.ContinueAsNew:
        return { kind: 'done' };
      default:
        throw new Error(`action type ${action.actionType} is not modelled by this driver`);
    }
  }

  private schedule(kind: Scheduled['kind'], action: ActionJson): Node {
    const id = this.next++;
    const name = kind === 'timer' ? '' : String(action.functionName);
    const input =
      kind === 'activity' && typeof action.input === 'string' ? (JSON.parse(action.input) as unknown) : action.input;
    this.scheduled.push({
      id,
      kind,
      name,
      input,
      canceled: action.isCanceled === true,
      withRetry:
        action.actionType === ActionType.CallActivityWithRetry ||
        action.actionType === ActionType.CallSubOrchestratorWithRetry,
      ...(action.instanceId !== undefined ? { instanceId: action.instanceId } : {}),
      ...(action.fireAt !== undefined ? { fireAt: action.fireAt } : {}),
    });
    return { kind: 'task', id, canceled: action.isCanceled === true };
  }

  /** .NET keeps waiters of one name on a stack (the newest gets the event) and buffers events nobody waits for. */
  private wait(name: string): { delivered: boolean } {
    const waiter = { delivered: false };
    const key = name.toLowerCase();
    const buffered = this.buffered.get(key) ?? 0;
    if (buffered > 0) {
      this.buffered.set(key, buffered - 1);
      waiter.delivered = true;
    } else {
      this.waiters.set(key, [...(this.waiters.get(key) ?? []), waiter]);
    }
    return waiter;
  }

  private raise(name: string): void {
    const key = name.toLowerCase();
    const waiter = this.waiters.get(key)?.pop();
    if (waiter) waiter.delivered = true;
    else this.buffered.set(key, (this.buffered.get(key) ?? 0) + 1);
  }

  private isComplete(node: Node): boolean {
    switch (node.kind) {
      case 'task':
        return node.canceled || this.completed.has(node.id);
      case 'event':
        return node.waiter.delivered;
      case 'all':
        return node.children.every((c) => this.isComplete(c));
      case 'any':
        return node.children.some((c) => this.isComplete(c));
      case 'done':
        return true;
    }
  }
}

export interface DriverOptions {
  readonly name: string;
  readonly handler: FunctionHandler;
  readonly instanceId: string;
  readonly input: unknown;
  readonly startAt?: Date;
}

/**
 * Plays the Durable extension around one orchestration instance: keeps its DTFx history, runs episodes through the
 * real handler, and records what the extension schedules (by DTFx id). Tests deliver outcomes by id.
 */
export class ExtensionDriver {
  readonly history: HistoryEvent[] = [];
  /** Everything the extension scheduled so far, by DTFx sequence id. */
  scheduled: Scheduled[] = [];
  last: EpisodeResult | undefined;
  private readonly inbox: HistoryEvent[] = [];
  private readonly outcomes = new Set<number>();
  private clock: Date;

  constructor(private readonly options: DriverOptions) {
    this.clock = options.startAt ?? new Date('2026-03-01T09:00:00.000Z');
  }

  get now(): Date {
    return this.clock;
  }

  /** Moves the orchestration clock (the next episode's `OrchestratorStarted`) forward. */
  advanceTo(at: Date): void {
    if (at.getTime() > this.clock.getTime()) this.clock = at;
  }

  private event(type: number, fields: Record<string, unknown> = {}, eventId = -1): HistoryEvent {
    return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: this.clock.toISOString(), ...fields };
  }

  private byId(id: number): Scheduled {
    const s = this.scheduled.find((x) => x.id === id);
    if (!s) throw new Error(`nothing was scheduled with id ${id}`);
    if (this.outcomes.has(id)) throw new Error(`task ${id} already has an outcome`);
    this.outcomes.add(id);
    return s;
  }

  /** Scheduled activities and sub-orchestrations without an outcome yet (timers are fired with `fireTimer`). */
  pending(kind?: Scheduled['kind']): Scheduled[] {
    return this.scheduled.filter((s) => !this.outcomes.has(s.id) && s.kind !== 'timer' && (!kind || s.kind === kind));
  }

  pendingTimers(): Scheduled[] {
    return this.scheduled.filter((s) => !this.outcomes.has(s.id) && s.kind === 'timer');
  }

  complete(id: number, result: unknown): void {
    const s = this.byId(id);
    const type = s.kind === 'subOrchestration' ? EventType.SubOrchestrationInstanceCompleted : EventType.TaskCompleted;
    this.inbox.push(this.event(type, { TaskScheduledId: id, Result: JSON.stringify(result ?? null) }));
  }

  /**
   * Fails a task as the host reports it. `legacy` (what current hosts send, fidelity §2.7): `Reason` = "Activity
   * function '<name>' failed: <error.message>" (or "Sub orchestrator function …"), `Details` = the serialized .NET
   * exception, no `FailureDetails`; the activity's `error.message` is all the worker reports, its `name` is lost.
   * `structured` (newer extensions): the same plus `FailureDetails`, a `TaskFailedException` wrapping the original.
   */
  fail(id: number, error: Error, shape: 'legacy' | 'structured' = 'legacy'): void {
    const s = this.byId(id);
    if (s.withRetry) throw new Error(`task ${id} was scheduled with retry; the extension's retries are not modelled`);
    const details = JSON.stringify({
      $type: 'System.Exception, System.Private.CoreLib',
      ClassName: 'System.Exception',
      Message: error.message,
      StackTrace: null,
    });
    const reason =
      s.kind === 'subOrchestration'
        ? `Sub orchestrator function '${s.name}' failed: Orchestrator function '${s.name}' failed: ${error.message}`
        : `Activity function '${s.name}' failed:  ${error.message}`;
    const failureDetails =
      shape === 'legacy'
        ? null
        : {
            ErrorType: s.kind === 'subOrchestration' ? 'SubOrchestrationFailedException' : 'TaskFailedException',
            ErrorMessage: reason,
            IsNonRetriable: false,
            InnerFailure: { ErrorType: error.name, ErrorMessage: error.message, IsNonRetriable: false },
          };
    const type = s.kind === 'subOrchestration' ? EventType.SubOrchestrationInstanceFailed : EventType.TaskFailed;
    this.inbox.push(
      this.event(type, { TaskScheduledId: id, Reason: reason, Details: details, FailureDetails: failureDetails }),
    );
  }

  /** Fires timer `id`, moving the clock to its fire time. */
  fireTimer(id: number): void {
    const s = this.byId(id);
    if (s.kind !== 'timer' || !s.fireAt) throw new Error(`task ${id} is not a timer`);
    this.advanceTo(new Date(s.fireAt));
    this.inbox.push(this.event(EventType.TimerFired, { TimerId: id, FireAt: s.fireAt }));
  }

  raise(name: string, input: unknown): void {
    this.inbox.push(this.event(EventType.EventRaised, { Name: name, Input: JSON.stringify(input) }));
  }

  /** Runs one episode with everything delivered since the last one; applies the actions like the extension. */
  async episode(): Promise<EpisodeResult> {
    const first = this.history.length === 0;
    const started = this.event(EventType.OrchestratorStarted);
    const fresh = [
      started,
      ...(first
        ? [
            this.event(EventType.ExecutionStarted, {
              Name: this.options.name,
              Input: JSON.stringify(this.options.input),
            }),
          ]
        : []),
      ...this.inbox.splice(0),
    ];
    const past = this.history.map((e): HistoryEvent => ({ ...e, IsPlayed: true }));
    const history = [...past, ...fresh];
    const payload = {
      history: JSON.parse(JSON.stringify(history)) as unknown,
      input: this.options.input,
      instanceId: this.options.instanceId,
      isReplaying: false,
      parentInstanceId: '',
      upperSchemaVersion: 1,
      upperSchemaVersionNew: 2,
      longRunningTimerIntervalDuration: '3.00:00:00',
      maximumShortTimerDuration: '6.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    const result = await invokeOrchestrator(this.options.name, this.options.handler, payload);
    const replay = new ShimReplay(result.state.actions[0] ?? [], history);
    replay.run();
    const known = history.filter((e) => e.EventId >= 0);
    for (const s of replay.scheduled) {
      const previous = known.find((e) => e.EventId === s.id);
      if (previous) {
        const sameKind = previous.EventType === schedulingEventType(s.kind);
        if (!sameKind || (s.kind !== 'timer' && previous.Name !== s.name)) {
          throw new Error(`non-deterministic: id ${s.id} was ${JSON.stringify(previous)}, now ${JSON.stringify(s)}`);
        }
      } else {
        fresh.push(this.schedulingEvent(s));
      }
    }
    this.history.push(...fresh, this.event(EventType.OrchestratorCompleted));
    this.scheduled = replay.scheduled;
    this.last = result;
    return result;
  }

  private schedulingEvent(s: Scheduled): HistoryEvent {
    const fields: Record<string, unknown> =
      s.kind === 'timer'
        ? { FireAt: s.fireAt }
        : s.kind === 'subOrchestration'
          ? { Name: s.name, InstanceId: s.instanceId, Input: JSON.stringify(s.input) }
          : { Name: s.name, Input: JSON.stringify(s.input) };
    return this.event(schedulingEventType(s.kind), fields, s.id);
  }
}

function schedulingEventType(kind: Scheduled['kind']): number {
  return kind === 'timer'
    ? EventType.TimerCreated
    : kind === 'subOrchestration'
      ? EventType.SubOrchestrationInstanceCreated
      : EventType.TaskScheduled;
}
