/**
 * One orchestration instance run episode by episode the way the local Durable engine runs it — the real registered
 * durable-functions handler (`real-handler.ts`) invoked with the extension's trigger payload, and the state it
 * returns applied by the engine's emulation of the extension (`replayEpisode`, dev/host/durable/extension-replay.ts)
 * — while the test scripts what the engine would otherwise decide: which outcomes, events and timer firings share
 * an episode, what each activity or sub-orchestration returns, and the clock.
 *
 * @remarks Nothing here models the extension: scheduling ids, what gets scheduled, re-played compounds and the
 * episode's outcome all come from `replayEpisode`; failures are recorded with the engine's own `activityFailure` /
 * `subOrchestrationFailure` (dev/host/durable/failures.ts). Use `DurableRuntime` instead when a scenario needs no
 * scripting. The trigger payload mirrors the one `DurableEngine` builds (dev/host/durable/engine.ts).
 */
import { EventType, type HistoryEvent, newEvent, parseTime } from '../../../dev/host/durable/dtfx';
import { orchestrationTriggerPayload } from '../../../dev/host/durable/engine';
import {
  activityInputValue,
  AZURE_STORAGE_TIMERS,
  replayEpisode,
  type ReplayOutcome,
} from '../../../dev/host/durable/extension-replay';
import { activityFailure, type FailureShape, subOrchestrationFailure } from '../../../dev/host/durable/failures';
import {
  type Action,
  ActionType,
  asOrchestratorState,
  type OrchestratorState,
} from '../../../dev/host/durable/orchestrator-state';
import type { RealOrchestrationApp } from './real-handler';

/** Something the extension scheduled (a scheduling event of the history), by DTFx sequence id. */
export interface ScriptedTask {
  readonly id: number;
  readonly kind: 'activity' | 'timer' | 'subOrchestration';
  /** Activity or orchestrator name; '' for a timer. */
  readonly name: string;
  /** The input the activity or sub-orchestration receives (parsed). */
  readonly input: unknown;
  readonly instanceId?: string;
  /** A timer's fire time, ISO 8601 with milliseconds. */
  readonly fireAt?: string;
}

export interface ScriptedEpisode {
  /** The state as the worker sends it (JSON round trip; recovered from `$OutOfProcData$` when the handler threw). */
  readonly state: OrchestratorState;
  /** The state object the handler returned (action objects by reference); undefined when it threw. */
  readonly raw: unknown;
  readonly threw: boolean;
  /** What the extension makes of the episode. */
  readonly outcome: ReplayOutcome;
  /** What the extension scheduled in this episode. */
  readonly scheduled: readonly ScriptedTask[];
}

export interface ScriptedOrchestrationOptions {
  /** The registered orchestrator to run. */
  readonly name: string;
  readonly instanceId: string;
  readonly input: unknown;
  /** Clock of the first episode. */
  readonly startAt?: Date;
}

const KIND: Partial<Record<EventType, ScriptedTask['kind']>> = {
  [EventType.TaskScheduled]: 'activity',
  [EventType.TimerCreated]: 'timer',
  [EventType.SubOrchestrationInstanceCreated]: 'subOrchestration',
};

function taskOf(event: HistoryEvent): ScriptedTask | undefined {
  const kind = KIND[event.EventType];
  if (!kind) return undefined;
  const input =
    kind === 'activity'
      ? activityInputValue(event.Input)
      : event.Input === undefined
        ? undefined
        : (JSON.parse(event.Input) as unknown);
  return {
    id: event.EventId,
    kind,
    name: event.Name ?? '',
    input,
    ...(event.InstanceId !== undefined ? { instanceId: event.InstanceId } : {}),
    ...(event.FireAt !== undefined ? { fireAt: new Date(parseTime(event.FireAt)).toISOString() } : {}),
  };
}

/**
 * Plays the engine around one instance of a registered orchestrator, with outcomes the test delivers by DTFx id.
 * Everything delivered since the last episode reaches the orchestrator together in the next one (one batch).
 */
export class ScriptedOrchestration {
  readonly history: HistoryEvent[] = [];
  last: ScriptedEpisode | undefined;
  private readonly inbox: HistoryEvent[] = [];
  private readonly answered = new Set<number>();
  private clock: Date;

  constructor(
    private readonly app: RealOrchestrationApp,
    private readonly options: ScriptedOrchestrationOptions,
  ) {
    this.clock = options.startAt ?? new Date('2026-03-01T09:00:00.000Z');
  }

  /** The clock the next episode starts at (its `OrchestratorStarted`). */
  get now(): Date {
    return this.clock;
  }

  /** Moves the clock forward (never back). */
  advanceTo(at: Date): void {
    if (at.getTime() > this.clock.getTime()) this.clock = at;
  }

  /** Everything the extension scheduled so far, in id order (optionally of one kind). */
  scheduled(kind?: ScriptedTask['kind']): ScriptedTask[] {
    return this.history
      .map(taskOf)
      .filter((t): t is ScriptedTask => t !== undefined && (!kind || t.kind === kind))
      .sort((a, b) => a.id - b.id);
  }

  /** Scheduled activities and sub-orchestrations without an outcome yet. */
  pending(kind?: 'activity' | 'subOrchestration'): ScriptedTask[] {
    return this.scheduled(kind).filter((t) => t.kind !== 'timer' && !this.answered.has(t.id));
  }

  /** Timers that have not fired yet, cancelled ones included (Azure still fires those). */
  pendingTimers(): ScriptedTask[] {
    return this.scheduled('timer').filter((t) => !this.answered.has(t.id));
  }

  private take(id: number): ScriptedTask {
    const task = this.scheduled().find((t) => t.id === id);
    if (!task) throw new Error(`nothing was scheduled with id ${id}`);
    if (this.answered.has(id)) throw new Error(`task ${id} already has an outcome`);
    this.answered.add(id);
    return task;
  }

  private deliver(type: EventType, fields: Partial<HistoryEvent>): void {
    this.inbox.push(newEvent(type, this.clock, fields));
  }

  /** Completes activity or sub-orchestration `id` with `result`. */
  complete(id: number, result: unknown): void {
    const task = this.take(id);
    if (task.kind === 'timer') throw new Error(`task ${id} is a timer: use fireTimer`);
    const type = task.kind === 'activity' ? EventType.TaskCompleted : EventType.SubOrchestrationInstanceCompleted;
    this.deliver(type, { TaskScheduledId: id, Result: JSON.stringify(result ?? null) });
  }

  /**
   * Fails activity `id` as the engine records an activity that threw `error`, or sub-orchestration `id` as the
   * engine records a child whose orchestrator failed with `error.message`.
   */
  fail(id: number, error: Error, shape: FailureShape = 'legacy'): void {
    const task = this.take(id);
    if (task.kind === 'activity') {
      this.deliver(EventType.TaskFailed, { TaskScheduledId: id, ...activityFailure(task.name, error, shape) });
    } else if (task.kind === 'subOrchestration') {
      // The child's failure as the shim reports it (OutOfProcOrchestrationShim: `Message: <error>, StackTrace: `).
      const details = `Message: ${error.message}, StackTrace: `;
      this.deliver(EventType.SubOrchestrationInstanceFailed, {
        TaskScheduledId: id,
        ...subOrchestrationFailure(task.name, error.message, details, shape),
      });
    } else {
      throw new Error(`task ${id} is a timer: timers do not fail`);
    }
  }

  /** Fires timer `id`, moving the clock to its fire time. */
  fireTimer(id: number): void {
    const task = this.take(id);
    const created = this.history.find((e) => e.EventType === EventType.TimerCreated && e.EventId === id);
    if (task.kind !== 'timer' || created?.FireAt === undefined) throw new Error(`task ${id} is not a timer`);
    this.advanceTo(new Date(parseTime(created.FireAt)));
    this.deliver(EventType.TimerFired, { TimerId: id, FireAt: created.FireAt });
  }

  raise(name: string, input: unknown): void {
    this.deliver(EventType.EventRaised, { Name: name, Input: JSON.stringify(input) });
  }

  /** Runs one episode with everything delivered since the last one, as the engine runs it. */
  async episode(): Promise<ScriptedEpisode> {
    if (this.last && this.last.outcome.kind !== 'running') {
      throw new Error(`the orchestration is no longer running (${this.last.outcome.kind})`);
    }
    const { name, instanceId, input } = this.options;
    const at = this.clock;
    const fresh: HistoryEvent[] = [
      newEvent(EventType.OrchestratorStarted, at),
      ...(this.history.length === 0
        ? [
            newEvent(EventType.ExecutionStarted, at, {
              Name: name,
              Input: JSON.stringify(input),
              OrchestrationInstance: { InstanceId: instanceId, ExecutionId: `${instanceId}-execution` },
              ParentInstance: null,
            }),
          ]
        : []),
      ...this.inbox.splice(0),
    ];
    const history = [...this.history, ...fresh.map((e) => ({ ...e, IsPlayed: false }))];
    const payload = orchestrationTriggerPayload({ history, input, instanceId, isReplaying: this.history.length > 0 });
    // The worker hands the handler a parsed copy of the binding data.
    const run = await this.app.run(name, JSON.parse(JSON.stringify(payload)) as unknown);
    if (run.state === undefined) throw run.outcome === 'threw' ? (run.error as Error) : new Error('no state');
    const state = asOrchestratorState(JSON.parse(JSON.stringify(run.state)) as unknown);
    const result = replayEpisode({
      orchestratorName: name,
      instanceId,
      history,
      state,
      settings: AZURE_STORAGE_TIMERS,
      // Outcomes are scripted here: every function the orchestrator names counts as registered.
      functionExists: () => true,
      now: at,
    });
    this.history.push(
      ...fresh.map((e) => ({ ...e, IsPlayed: true })),
      ...result.scheduled,
      newEvent(EventType.OrchestratorCompleted, at),
    );
    this.last = {
      state,
      raw: run.outcome === 'returned' ? run.state : undefined,
      threw: run.outcome === 'threw',
      outcome: result.outcome,
      scheduled: result.scheduled.map(taskOf).filter((t): t is ScriptedTask => t !== undefined),
    };
    return this.last;
  }
}

/**
 * Action objects that occur more than once in the cumulative action list the handler returned: tasks the
 * orchestrator yielded again inside a new compound, which the extension schedules a second time (durable-js #574).
 */
export function reyieldedActions(raw: unknown): unknown[] {
  const seen = new Set<unknown>();
  const twice: unknown[] = [];
  const visit = (action: unknown): void => {
    if (seen.has(action)) twice.push(action);
    seen.add(action);
    for (const child of (action as { compoundActions?: unknown[] }).compoundActions ?? []) visit(child);
  };
  for (const action of ((raw as { actions?: unknown[][] } | undefined)?.actions ?? []).flat()) visit(action);
  return twice;
}

/** The `createTimer` actions of a state in the order the orchestrator created them: fire time and cancellation. */
export function timerActions(state: OrchestratorState | undefined): { fireAt: string; isCanceled: boolean }[] {
  const timers: { fireAt: string; isCanceled: boolean }[] = [];
  const visit = (action: Action): void => {
    if (action.actionType === ActionType.CreateTimer) {
      timers.push({ fireAt: new Date(action.fireAt ?? '').toISOString(), isCanceled: action.isCanceled === true });
    }
    for (const child of action.compoundActions ?? []) visit(child);
  };
  for (const action of state?.actions.flat() ?? []) visit(action);
  return timers;
}
