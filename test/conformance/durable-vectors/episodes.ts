/**
 * A golden vector's history as a script for driving an engine (use (b) of the vectors): per episode, the outcomes
 * to deliver at its start, its clock, and the scheduling events the engine's extension emulator must append in it;
 * for the open last episode, the outstanding scheduling events derived from the expected action list.
 *
 * @remarks Pure functions over the case data; nothing here runs an orchestrator. The model is the one the vectors'
 * README states for the legacy out-of-process protocol: the extension re-plays the cumulative action list in order
 * and schedules every child of every compound (already-scheduled ones included), numbering scheduling events
 * 0..n-1. Where the extension expands an action into extra events (retries, `callHttp` polling, long timers) the
 * outstanding events are not derived: the script says so and why, and only the recorded episodes are a reference.
 */
import type { ExpectedState, HistoryEvent, VectorCase } from './cases';

/** DTFx `EventType` numbers (the vectors' convention). */
export const EventType = {
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
  EventSent: 14,
  EventRaised: 15,
} as const;

/** durable-functions `ActionType` numbers. */
export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  ScheduledSignalEntity: 10,
  WhenAny: 11,
  WhenAll: 12,
} as const;

const SCHEDULING_TYPES: ReadonlySet<number> = new Set([
  EventType.TaskScheduled,
  EventType.SubOrchestrationInstanceCreated,
  EventType.TimerCreated,
  EventType.EventSent,
]);

/** DTFx names entity request messages "op" (`EntityMessageEventNames.RequestMessageEventName`). */
export const ENTITY_REQUEST_EVENT_NAME = 'op';
/** The activity the extension runs for `callHttp`. */
export const HTTP_ACTIVITY_NAME = 'BuiltIn::HttpActivity';

export function isSchedulingEvent(event: HistoryEvent): boolean {
  return SCHEDULING_TYPES.has(event.EventType);
}

/** A scripted outcome: what the engine must deliver at the start of an episode (the raw event keeps everything). */
export type Outcome =
  | { kind: 'taskCompleted'; taskScheduledId: number; result: string | undefined; event: HistoryEvent }
  | {
      kind: 'taskFailed';
      taskScheduledId: number;
      reason: string | undefined;
      details: string | undefined;
      /** `null` or absent on the legacy path; a PascalCase `FailureDetails` object on the structured path. */
      failureDetails: unknown;
      event: HistoryEvent;
    }
  | { kind: 'subOrchestrationCompleted'; taskScheduledId: number; result: string | undefined; event: HistoryEvent }
  | {
      kind: 'subOrchestrationFailed';
      taskScheduledId: number;
      reason: string | undefined;
      details: string | undefined;
      failureDetails: unknown;
      event: HistoryEvent;
    }
  | { kind: 'timerFired'; timerId: number; fireAt: string | undefined; event: HistoryEvent }
  | { kind: 'eventRaised'; name: string; input: string | undefined; event: HistoryEvent };

/** The fields of a scheduling event an emulator is compared on (DTFx names). */
export interface SchedulingEvent {
  EventType: number;
  EventId: number;
  Name?: string;
  Input?: string;
  InstanceId?: string;
  FireAt?: string;
}

export type SchedulingField = keyof SchedulingEvent;

/** One scheduling event the engine must append in an episode. */
export interface ExpectedScheduling {
  /** The event as the history has it, or as derived from the expected actions (`from`). */
  readonly event: SchedulingEvent;
  /** The fields an emulator must reproduce exactly (see `pickCompared`). */
  readonly compare: readonly SchedulingField[];
  readonly from: 'history' | 'actions';
}

export interface StartedExecution {
  name: string | undefined;
  /** JSON text, as ExecutionStarted carries it. */
  input: string | undefined;
}

export interface Episode {
  /** 1-based. Events before the first OrchestratorStarted (an ExecutionStarted some builders put first) belong to
   * episode 1; the vectors' `historySummary` counts them as an episode of their own. */
  readonly number: number;
  /** The OrchestratorStarted `Timestamp`: the episode's `currentUtcDateTime`. */
  readonly clock: string;
  /** Present in the episode that starts the execution. */
  readonly started?: StartedExecution;
  readonly outcomes: readonly Outcome[];
  readonly scheduled: readonly ExpectedScheduling[];
  /** False for the open last episode (no OrchestratorCompleted yet). */
  readonly closed: boolean;
  /** The episode's history events, in order, as recorded. */
  readonly events: readonly HistoryEvent[];
}

/** What the open last episode must still append, beyond the history. */
export type Outstanding =
  | { readonly derivable: true; readonly events: readonly ExpectedScheduling[] }
  | { readonly derivable: false; readonly reason: string };

/** The final state the driven engine must reach (from the V3 expected state, which a current extension gets). */
export interface FinalExpectation {
  isDone: boolean;
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

export interface EpisodeScript {
  readonly caseId: string;
  readonly episodes: readonly Episode[];
  readonly outstanding: Outstanding;
  readonly final: FinalExpectation;
  /** Whether `Input` of scheduling events is compared (only where the history JSON-encodes it). */
  readonly compareInput: boolean;
  /** Problems that make the history unfit as a script (the case's `engineReplay.structuralIssues` and the like). */
  readonly issues: readonly string[];
  /** Harmless oddities, e.g. recorded inputs that are not the orchestrator's (then `compareInput` is false). */
  readonly warnings: readonly string[];
}

/** An action of the expected list that makes the extension append a scheduling event. */
export interface PlannedScheduling {
  /** Without `EventId`: ids follow the position in the plan. */
  readonly event: Omit<SchedulingEvent, 'EventId'>;
  /** Set when the extension turns this action into more than one event, or into a different one. */
  readonly expands?: string;
  /** Whether the orchestrator chose the instance id (sub-orchestrations), so the emulator must use it. */
  readonly explicitInstanceId: boolean;
}

interface RawAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  fireAt?: string;
  compoundActions?: RawAction[];
}

// ---------------------------------------------------------------------------------------------------------------
// Episodes

export interface SplitHistory {
  readonly episodes: readonly Omit<Episode, 'scheduled'>[];
  readonly issues: readonly string[];
}

function outcomeOf(event: HistoryEvent): Outcome | undefined {
  const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  switch (event.EventType) {
    case EventType.TaskCompleted:
      return {
        kind: 'taskCompleted',
        taskScheduledId: Number(event.TaskScheduledId),
        result: str(event.Result),
        event,
      };
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceFailed:
      return {
        kind: event.EventType === EventType.TaskFailed ? 'taskFailed' : 'subOrchestrationFailed',
        taskScheduledId: Number(event.TaskScheduledId),
        reason: str(event.Reason),
        details: str(event.Details),
        failureDetails: event.FailureDetails,
        event,
      };
    case EventType.SubOrchestrationInstanceCompleted:
      return {
        kind: 'subOrchestrationCompleted',
        taskScheduledId: Number(event.TaskScheduledId),
        result: str(event.Result),
        event,
      };
    case EventType.TimerFired:
      return { kind: 'timerFired', timerId: Number(event.TimerId), fireAt: str(event.FireAt), event };
    case EventType.EventRaised:
      return { kind: 'eventRaised', name: String(event.Name), input: str(event.Input), event };
    default:
      return undefined;
  }
}

/**
 * Splits a history into episodes: each starts at an OrchestratorStarted and ends at the next OrchestratorCompleted
 * (the last one may stay open). Problems are reported, not thrown: an OrchestratorStarted while an episode is open
 * starts a new episode and leaves the previous one unclosed.
 */
export function splitEpisodes(history: readonly HistoryEvent[]): SplitHistory {
  const issues: string[] = [];
  const groups: { events: HistoryEvent[]; closed: boolean; clock: string }[] = [];
  // Events seen outside an episode; they join the next one (builders may put ExecutionStarted first).
  let pending: HistoryEvent[] = [];
  history.forEach((event, index) => {
    const current = groups.at(-1);
    if (event.EventType === EventType.OrchestratorStarted) {
      if (current && !current.closed) {
        issues.push(
          `OrchestratorStarted at index ${index} opens episode ${groups.length + 1} before episode ${groups.length} closed`,
        );
      }
      groups.push({ events: [...pending, event], closed: false, clock: event.Timestamp });
      pending = [];
    } else if (!current || current.closed) {
      if (current) issues.push(`${eventTypeName(event)} at index ${index} lies between episodes`);
      pending.push(event);
    } else {
      current.events.push(event);
      if (event.EventType === EventType.OrchestratorCompleted) current.closed = true;
    }
  });
  if (pending.length > 0) {
    const last = groups.at(-1);
    if (last) last.events.push(...pending);
    else issues.push('the history has no OrchestratorStarted');
  }
  const starts = history.filter((e) => e.EventType === EventType.ExecutionStarted).length;
  if (starts !== 1) issues.push(`${starts} ExecutionStarted events (expected 1)`);

  const episodes = groups.map((group, i) => {
    const startedEvent = group.events.find((e) => e.EventType === EventType.ExecutionStarted);
    const outcomes = group.events.map(outcomeOf).filter((o): o is Outcome => o !== undefined);
    return {
      number: i + 1,
      clock: group.clock,
      ...(startedEvent ? { started: { name: startedEvent.Name, input: startedEvent.Input } } : {}),
      outcomes,
      closed: group.closed,
      events: group.events,
    };
  });
  return { episodes, issues };
}

function eventTypeName(event: HistoryEvent): string {
  const name = Object.entries(EventType).find(([, n]) => n === event.EventType)?.[0];
  return name ?? `EventType ${event.EventType}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Scheduling plan from the expected actions

/** A .NET TimeSpan text (`d.hh:mm:ss[.fffffff]` or `hh:mm:ss`) in milliseconds. */
export function timeSpanMs(text: string): number {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(text);
  if (!m) throw new Error(`Not a TimeSpan: '${text}'`);
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = ''] = m;
  const fractionMs = fraction ? Number(`0.${fraction}`) * 1000 : 0;
  return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000 + fractionMs;
}

/** Activity inputs are JSON-encoded once more by the library when they are strings; this is the value passed. */
function activityValue(input: unknown): unknown {
  return typeof input === 'string' ? (JSON.parse(input) as unknown) : input;
}

function withInput(event: Omit<SchedulingEvent, 'EventId'>, value: unknown): Omit<SchedulingEvent, 'EventId'> {
  const encoded = JSON.stringify(value);
  return encoded === undefined ? event : { ...event, Input: encoded };
}

export interface TimerWindow {
  /** Earliest and latest clock at which an action of the list may have been scheduled. */
  earliestClock: string;
  latestClock: string;
  maximumShortTimerMs: number;
}

/**
 * The scheduling events the extension appends when it re-plays `actions` (a V2/V3 cumulative list, or V1 groups)
 * from the start, in order: depth first through compound actions, every child every time.
 */
export function schedulingPlan(actions: readonly unknown[][], timers?: TimerWindow): PlannedScheduling[] {
  const plan: PlannedScheduling[] = [];
  const visit = (action: RawAction): void => {
    switch (action.actionType) {
      case ActionType.WhenAny:
      case ActionType.WhenAll:
        for (const child of action.compoundActions ?? []) visit(child);
        return;
      case ActionType.CallActivity:
      case ActionType.CallActivityWithRetry:
        plan.push({
          event: withInput(
            { EventType: EventType.TaskScheduled, Name: action.functionName },
            activityValue(action.input),
          ),
          explicitInstanceId: false,
          ...(action.actionType === ActionType.CallActivityWithRetry
            ? { expands: 'retry: the extension adds retry timers and further attempts' }
            : {}),
        });
        return;
      case ActionType.CallSubOrchestrator:
      case ActionType.CallSubOrchestratorWithRetry: {
        const explicit = typeof action.instanceId === 'string' && action.instanceId !== '';
        plan.push({
          event: withInput(
            {
              EventType: EventType.SubOrchestrationInstanceCreated,
              Name: action.functionName,
              ...(explicit ? { InstanceId: action.instanceId } : {}),
            },
            action.input,
          ),
          explicitInstanceId: explicit,
          ...(action.actionType === ActionType.CallSubOrchestratorWithRetry
            ? { expands: 'retry: the extension adds retry timers and further attempts' }
            : {}),
        });
        return;
      }
      case ActionType.CreateTimer:
        plan.push({
          event: { EventType: EventType.TimerCreated, FireAt: action.fireAt },
          explicitInstanceId: false,
          ...timerExpansion(action.fireAt, timers),
        });
        return;
      case ActionType.CallEntity:
      case ActionType.SignalEntity:
      case ActionType.ScheduledSignalEntity:
        // The request message carries generated ids and a timestamp: its Input cannot be derived.
        plan.push({
          event: { EventType: EventType.EventSent, Name: ENTITY_REQUEST_EVENT_NAME, InstanceId: action.instanceId },
          explicitInstanceId: true,
        });
        return;
      case ActionType.CallHttp:
        plan.push({
          event: { EventType: EventType.TaskScheduled, Name: HTTP_ACTIVITY_NAME },
          explicitInstanceId: false,
          expands: 'callHttp: the extension polls with timers and repeated requests',
        });
        return;
      case ActionType.ContinueAsNew:
      case ActionType.WaitForExternalEvent:
        return;
      default:
        throw new Error(`Action type ${action.actionType} is not part of the vectors' model`);
    }
  };
  for (const group of actions) for (const action of group) visit(action as RawAction);
  return plan;
}

function timerExpansion(fireAt: string | undefined, window: TimerWindow | undefined): { expands?: string } {
  if (!window || fireAt === undefined) return {};
  const at = Date.parse(fireAt);
  if (at - Date.parse(window.earliestClock) <= window.maximumShortTimerMs) return {};
  if (at - Date.parse(window.latestClock) > window.maximumShortTimerMs) {
    return { expands: 'long timer: the extension splits it into sub-timers' };
  }
  return { expands: 'possibly a long timer (depends on the episode that created it)' };
}

// ---------------------------------------------------------------------------------------------------------------
// The script

/** The expected state a current extension gets (upperSchemaVersionNew 2): the V3 rerun when the case has one. */
export function expectedAtV3(c: VectorCase): ExpectedState {
  return c.atSchemaV3?.expected ?? c.expected;
}

function comparedFields(event: SchedulingEvent, compareInput: boolean, explicitInstanceId: boolean): SchedulingField[] {
  const fields: SchedulingField[] = ['EventType', 'EventId'];
  if (event.EventType === EventType.TimerCreated) fields.push('FireAt');
  else fields.push('Name');
  const inputFrom =
    event.EventType === EventType.TaskScheduled || event.EventType === EventType.SubOrchestrationInstanceCreated;
  if (compareInput && inputFrom) fields.push('Input');
  if (
    event.EventType === EventType.EventSent ||
    (event.EventType === EventType.SubOrchestrationInstanceCreated && explicitInstanceId)
  ) {
    fields.push('InstanceId');
  }
  return fields;
}

function schedulingOf(event: HistoryEvent): SchedulingEvent {
  const out: SchedulingEvent = { EventType: event.EventType, EventId: event.EventId };
  for (const key of ['Name', 'Input', 'InstanceId', 'FireAt'] as const) {
    const value = event[key];
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}

/**
 * Where the recorded scheduling events differ from the plan: on the structural fields (`issues`, the plan does not
 * explain the history) and, separately, on `Input` alone (`inputs`).
 */
function planDifferences(
  recorded: readonly SchedulingEvent[],
  plan: readonly PlannedScheduling[],
  explicitAt: (eventId: number) => boolean,
): { issues: string[]; inputs: string[] } {
  const issues: string[] = [];
  const inputs: string[] = [];
  recorded.forEach((event, i) => {
    const planned = plan[i];
    if (!planned) return;
    const fields = comparedFields(event, false, explicitAt(i));
    const fromHistory = pickCompared(event, fields);
    const fromPlan = pickCompared({ ...planned.event, EventId: i }, fields);
    if (JSON.stringify(fromHistory) !== JSON.stringify(fromPlan)) {
      issues.push(`scheduling event ${i}: history ${JSON.stringify(fromHistory)}, actions ${JSON.stringify(fromPlan)}`);
    } else if (comparedFields(event, true, false).includes('Input') && event.Input !== planned.event.Input) {
      inputs.push(`scheduling event ${i}: history Input ${event.Input}, orchestrator's ${planned.event.Input}`);
    }
  });
  return { issues, inputs };
}

/** The fields of `event` named by `compare`, for comparing an appended event with an expected one. */
export function pickCompared(event: SchedulingEvent, compare: readonly SchedulingField[]): Partial<SchedulingEvent> {
  const out: Partial<SchedulingEvent> = {};
  for (const field of compare) {
    if (event[field] !== undefined) (out as Record<string, unknown>)[field] = event[field];
  }
  return out;
}

/**
 * The whole script for a case: episodes with their outcomes and expected scheduling events, the outstanding events
 * of the open last episode, and the final state to reach.
 */
export function episodeScript(c: VectorCase): EpisodeScript {
  const split = splitEpisodes(c.history);
  const issues = [...split.issues];
  const warnings: string[] = [];
  const expected = expectedAtV3(c);
  const clocks = split.episodes.map((e) => e.clock);
  const plan = schedulingPlan(expected.actions, {
    earliestClock: clocks[0] ?? '',
    latestClock: clocks[clocks.length - 1] ?? '',
    maximumShortTimerMs: timeSpanMs(String(c.trigger.maximumShortTimerDuration)),
  });
  const expansion = plan.find((p) => p.expands !== undefined)?.expands;
  // While the plan maps one to one onto the history, it says which sub-orchestration ids the orchestrator chose.
  const explicitAt = (eventId: number): boolean =>
    expansion === undefined && (plan[eventId]?.explicitInstanceId ?? false);

  const recordedPerEpisode = split.episodes.map((e) => e.events.filter(isSchedulingEvent).map(schedulingOf));
  const recorded = recordedPerEpisode.flat();
  const encoding = c.engineReplay.scheduledInputEncoding;
  let compareInput = encoding.length === 1 && encoding[0] === 'json';
  if (expansion === undefined) {
    const differences = planDifferences(recorded, plan, explicitAt);
    issues.push(...differences.issues);
    if (compareInput && differences.inputs.length > 0) {
      // Some upstream builders reuse another orchestrator's history; the library never reads these inputs.
      compareInput = false;
      warnings.push(...differences.inputs.map((d) => `${d}; Input not compared`));
    }
  }

  const episodes: Episode[] = split.episodes.map((episode, i) => ({
    ...episode,
    scheduled: (recordedPerEpisode[i] ?? []).map((event) => ({
      event,
      compare: comparedFields(event, compareInput, explicitAt(event.EventId)),
      from: 'history' as const,
    })),
  }));

  let outstanding: Outstanding;
  if (expansion !== undefined) {
    outstanding = { derivable: false, reason: expansion };
  } else if (plan.length < recorded.length) {
    outstanding = {
      derivable: false,
      reason: `the history holds ${recorded.length} scheduling events, the actions only ${plan.length}`,
    };
  } else {
    const events = plan.slice(recorded.length).map((p, i): ExpectedScheduling => {
      const event: SchedulingEvent = { ...p.event, EventId: recorded.length + i };
      return { event, compare: comparedFields(event, compareInput, p.explicitInstanceId), from: 'actions' };
    });
    outstanding = { derivable: true, events };
    const last = episodes[episodes.length - 1];
    if (events.length > 0 && (!last || last.closed)) {
      issues.push(`${events.length} scheduling event(s) outstanding but the last episode is closed`);
    } else if (last && events.length > 0) {
      episodes[episodes.length - 1] = { ...last, scheduled: [...last.scheduled, ...events] };
    }
  }

  const final: FinalExpectation = { isDone: expected.isDone };
  if ('output' in expected) final.output = expected.output;
  if ('error' in expected) final.error = expected.error;
  if ('customStatus' in expected) final.customStatus = expected.customStatus;
  return { caseId: c.id, episodes, outstanding, final, compareInput, issues, warnings };
}
