/**
 * Use (b) of the golden vectors: a case's history driven, episode by episode, through the real durable-functions
 * handler and the engine's extension emulator (`dev/host/durable/extension-replay.ts`), as the dev host's engine
 * drives them (`engine.ts`: handler, then `replayEpisode` over the same history).
 *
 * @remarks For each episode the handler gets the history up to and including that episode's scripted outcomes (its
 * own scheduling events and `OrchestratorCompleted` left out: the extension has not written them yet), and the state
 * it returns goes to `replayEpisode` with that history. What the emulator appends is then set against what the
 * vector holds for the episode. The open last episode's events come from the expected actions (`episodes.ts`) or,
 * where the extension expands an action (retries, long timers), from a later case of the same scenario whose
 * history continues this one ("successor"). Everything here only reports; the test decides.
 */
import type { HistoryEvent as DtfxEvent } from '../../../dev/host/durable/dtfx';
import {
  activityInputValue,
  AZURE_STORAGE_TIMERS,
  replayEpisode,
  type ReplayResult,
  type ReplaySettings,
} from '../../../dev/host/durable/extension-replay';
import type { OrchestratorState } from '../../../dev/host/durable/orchestrator-state';
import type { RealOrchestrationApp } from '../../support/durable/real-handler';
import { loadCases, type ExpectedState, type HistoryEvent, type VectorCase } from './cases';
import {
  ActionType,
  episodeScript,
  EventType,
  isSchedulingEvent,
  pickCompared,
  splitEpisodes,
  timeSpanMs,
  type ExpectedScheduling,
  type SchedulingEvent,
  type SchedulingField,
} from './episodes';

/** Which trigger a run uses: the recorded one, or the schema-V3 rerun a current extension sends. */
export type Variant = 'recorded' | 'v3';

/** The final state as the extension reports it, in the vectors' terms. */
export interface FinalState {
  /** running / completed / continuedAsNew / failed. */
  kind: string;
  output?: unknown;
  /** The orchestration failure text without the extension's `Orchestrator function '<name>' failed: ` prefix. */
  error?: string;
  customStatus?: unknown;
}

export interface EpisodeReport {
  number: number;
  closed: boolean;
  /** Where the expected events come from: the history, the expected actions, a successor case, or nowhere. */
  source: 'history' | 'actions' | `successor ${string}` | 'unchecked';
  /** Compared projections (see `pickCompared`), in id order. */
  expected: Partial<SchedulingEvent>[];
  actual: Partial<SchedulingEvent>[];
  /** The emulator's outcome after this episode. */
  outcome: FinalState;
  warnings: string[];
}

export interface DriveReport {
  caseId: string;
  variant: Variant;
  episodes: EpisodeReport[];
  /** The final state the vector's expected `OrchestratorState` stands for, as the extension would report it. */
  expectedFinal: FinalState;
  /** The emulator's outcome for the whole recorded history. */
  actualFinal: FinalState;
  /**
   * Set when the handler finished but the emulator keeps the instance running because DTFx still holds open tasks:
   * the outcome after one more episode in which every open task completes (and how many new events it scheduled).
   */
  afterOpenTasks?: { completed: number; final: FinalState; scheduled: number };
}

const ORCHESTRATOR_FAILED = (name: string): string => `Orchestrator function '${name}' failed: `;

/** The vector's expected state as an extension outcome: error → failed; isDone → completed or continued as new. */
export function finalFromExpected(expected: ExpectedState): FinalState {
  const status = expected.customStatus === undefined ? {} : { customStatus: expected.customStatus };
  if (expected.error !== undefined) return { kind: 'failed', error: expected.error, ...status };
  if (!expected.isDone) return { kind: 'running', ...status };
  const continues = (expected.actions.flat() as { actionType?: number }[]).some(
    (a) => a.actionType === ActionType.ContinueAsNew,
  );
  if (continues) return { kind: 'continuedAsNew', ...status };
  return { kind: 'completed', ...('output' in expected ? { output: expected.output } : {}), ...status };
}

function finalFromResult(result: ReplayResult, orchestratorName: string): FinalState {
  const status = result.customStatus === undefined ? {} : { customStatus: JSON.parse(result.customStatus) as unknown };
  const outcome = result.outcome;
  switch (outcome.kind) {
    case 'failed': {
      const prefix = ORCHESTRATOR_FAILED(orchestratorName);
      const error = outcome.reason.startsWith(prefix) ? outcome.reason.slice(prefix.length) : outcome.reason;
      return { kind: 'failed', error, ...status };
    }
    case 'completed':
      return { kind: 'completed', ...(outcome.output === undefined ? {} : { output: outcome.output }), ...status };
    default:
      return { kind: outcome.kind, ...status };
  }
}

/**
 * The scheduled event as compared with a vector: `FireAt` as an instant (DTFx writes 7 fractional digits, the vectors
 * 3), and an activity's `Input` as the value the orchestrator passed, JSON-encoded once (the vectors' convention; DTFx
 * itself stores the parameter array, see docs/durable-vectors.md).
 */
export function comparable(event: DtfxEvent | SchedulingEvent): SchedulingEvent {
  const out: SchedulingEvent = { EventType: event.EventType, EventId: event.EventId };
  if (typeof event.Name === 'string') out.Name = event.Name;
  if (typeof event.InstanceId === 'string') out.InstanceId = event.InstanceId;
  if (typeof event.FireAt === 'string') out.FireAt = new Date(event.FireAt).toISOString();
  if (typeof event.Input === 'string') out.Input = event.Input;
  return out;
}

function emulatorComparable(event: DtfxEvent): SchedulingEvent {
  const out = comparable(event);
  if (Number(event.EventType) === EventType.TaskScheduled && event.Input !== undefined) {
    const value = activityInputValue(event.Input);
    const encoded = JSON.stringify(value);
    if (encoded === undefined) delete out.Input;
    else out.Input = encoded;
  }
  return out;
}

const DEFAULT_COMPARE: readonly SchedulingField[] = ['EventType', 'EventId', 'Name', 'FireAt'];

/** Events of an episode without what the extension writes in it (its scheduling events and OrchestratorCompleted). */
function inbound(events: readonly HistoryEvent[]): HistoryEvent[] {
  return events.filter((e) => !isSchedulingEvent(e) && e.EventType !== EventType.OrchestratorCompleted);
}

/** A multiset key of an episode's inbound events, for finding the same episode in another case's history. */
function episodeKey(events: readonly HistoryEvent[]): string {
  return inbound(events)
    .filter((e) => e.EventType !== EventType.OrchestratorStarted)
    .map((e) =>
      JSON.stringify([
        e.EventType,
        e.Name ?? null,
        e.TaskScheduledId ?? null,
        e.TimerId ?? null,
        // What the orchestrator sees; ExecutionStarted's Input is compared as the case input (builders encode it
        // differently).
        e.EventType === EventType.EventRaised ? e.Input : null,
        e.Result ?? null,
      ]),
    )
    .sort()
    .join('|');
}

/** Trigger fields that change what the extension schedules (instance ids differ per upstream test and do not). */
const TRIGGER_KEYS = ['maximumShortTimerDuration', 'longRunningTimerIntervalDuration', 'upperSchemaVersion'];

/** The structural fields of a scheduling event (Input left out: upstream builders record it inconsistently). */
function structural(events: readonly HistoryEvent[]): string {
  return JSON.stringify(
    events.filter(isSchedulingEvent).map((e) => [e.EventType, e.EventId, e.Name ?? null, comparable(e).FireAt ?? null]),
  );
}

/**
 * A later case of the same scenario whose history continues `c`'s: same orchestrator, input and timer settings, the
 * same episodes (new events, results and, where a timer follows, clocks), and then the events the extension appended
 * for `c`'s last episode: in the next episode's close when `c`'s last episode is open, or in a following episode with
 * no new event when the builder wrote them one episode late. Those events are the reference for what the emulator
 * appends in `c`'s last episode. Several successors must agree.
 */
export function successorReference(
  c: VectorCase,
): { caseId: string; events: readonly ExpectedScheduling[] } | { conflict: string } | undefined {
  const own = splitEpisodes(c.history).episodes;
  const last = own[own.length - 1];
  if (!last) return undefined;
  const compareInput = episodeScript(c).compareInput;
  const found: { caseId: string; events: readonly ExpectedScheduling[] }[] = [];
  for (const d of loadCases()) {
    if (d.id === c.id || d.orchestrator !== c.orchestrator) continue;
    if (JSON.stringify(d.input) !== JSON.stringify(c.input)) continue;
    if (TRIGGER_KEYS.some((k) => JSON.stringify(d.trigger[k]) !== JSON.stringify(c.trigger[k]))) continue;
    const theirs = episodeScript(d).episodes;
    const holder = last.closed ? theirs[own.length] : theirs[own.length - 1];
    if (!holder?.closed || (last.closed && !isLateScheduling(holder))) continue;
    // The same clocks too where a timer follows: the extension computes retry and sub-timer fire times from them.
    const timed = holder.events.some((e) => e.EventType === EventType.TimerCreated);
    const same = own.every((e, i) => {
      const t = theirs[i];
      if (!t || (timed && t.clock !== e.clock) || episodeKey(t.events) !== episodeKey(e.events)) return false;
      return !e.closed || structural(t.events) === structural(e.events);
    });
    if (!same) continue;
    // Input is compared only where this case's own script compares it.
    const events = holder.scheduled
      .filter((x) => x.from === 'history')
      .map((x) => ({ ...x, compare: x.compare.filter((f) => f !== 'Input' || compareInput) }));
    found.push({ caseId: d.id, events });
  }
  const [first, ...others] = found;
  if (!first) return undefined;
  const projection = (events: readonly ExpectedScheduling[]): string =>
    JSON.stringify(events.map((x) => pickCompared(comparable(x.event), x.compare)));
  const disagreeing = others.find((o) => projection(o.events) !== projection(first.events));
  if (disagreeing) return { conflict: `${first.caseId} and ${disagreeing.caseId} disagree` };
  return first;
}

/**
 * The provider's timer settings the extension runs with: the ones it sent in the trigger. Three upstream cases carry
 * an instance id in `longRunningTimerIntervalDuration` (a misplaced positional argument in the spec); they schedule
 * no timer, and get the Azure Storage value.
 */
export function replaySettingsOf(c: VectorCase): ReplaySettings {
  const span = (value: unknown, fallback: number): number => {
    try {
      return timeSpanMs(String(value));
    } catch {
      return fallback;
    }
  };
  return {
    maximumShortTimerMs: span(c.trigger.maximumShortTimerDuration, AZURE_STORAGE_TIMERS.maximumShortTimerMs),
    longTimerIntervalMs: span(c.trigger.longRunningTimerIntervalDuration, AZURE_STORAGE_TIMERS.longTimerIntervalMs),
    maxActions: AZURE_STORAGE_TIMERS.maxActions,
  };
}

/** One episode as the engine runs it: the real handler on `history`, then the emulator on the same history. */
async function runEpisode(
  app: RealOrchestrationApp,
  c: VectorCase,
  overrides: Record<string, unknown>,
  history: readonly HistoryEvent[],
  clock: string,
): Promise<ReplayResult> {
  // A JSON round trip per run, as the worker hands the payload over (the library rewrites Timestamps in place).
  const payload = JSON.parse(JSON.stringify({ ...c.trigger, ...overrides, history })) as Record<string, unknown>;
  const run = await app.run(c.orchestrator, payload);
  if (run.state === undefined || run.state === null) {
    throw new Error(`${c.id}: the handler ${run.outcome} without a state`);
  }
  const state = JSON.parse(JSON.stringify(run.state)) as OrchestratorState;
  const parent = c.trigger.parentInstanceId;
  return replayEpisode({
    orchestratorName: c.orchestrator,
    instanceId: String(c.trigger.instanceId),
    ...(typeof parent === 'string' && parent !== '' ? { parentInstanceId: parent } : {}),
    history: JSON.parse(JSON.stringify(history)) as DtfxEvent[],
    state,
    settings: replaySettingsOf(c),
    // The vectors' functions all exist (the library never checks; the extension would).
    functionExists: () => true,
    now: new Date(clock),
  });
}

/**
 * Whether the builder split one DTFx episode in two: an episode with no new event (nothing but its
 * `OrchestratorStarted`) that holds scheduling events. DTFx never runs an episode without a new message, so those
 * events are the previous episode's (the upstream fan-out, long-timer and callHttp builders write them one episode
 * late). The drive folds them back into the episode that caused them.
 */
function isLateScheduling(episode: { events: readonly HistoryEvent[]; closed: boolean }): boolean {
  const own = inbound(episode.events).filter((e) => e.EventType !== EventType.OrchestratorStarted);
  return episode.closed && own.length === 0 && episode.events.some(isSchedulingEvent);
}

/**
 * The tasks DTFx still holds open after `history` plus `appended`: scheduled (activity, sub-orchestration, timer) and
 * not completed. A completion for each, at the latest open timer's fire time, lets the extension finish.
 */
function drainEvents(history: readonly HistoryEvent[], appended: readonly DtfxEvent[], after: string): HistoryEvent[] {
  const open = new Map<number, HistoryEvent>();
  for (const e of [...history, ...(appended as unknown as HistoryEvent[])]) {
    if (
      e.EventType === EventType.TaskScheduled ||
      e.EventType === EventType.SubOrchestrationInstanceCreated ||
      e.EventType === EventType.TimerCreated
    ) {
      open.set(e.EventId, e);
    } else if (e.TaskScheduledId !== undefined) {
      open.delete(e.TaskScheduledId);
    } else if (e.EventType === EventType.TimerFired && e.TimerId !== undefined) {
      open.delete(e.TimerId);
    }
  }
  const fireTimes = [...open.values()].map((e) => (e.FireAt ? Date.parse(e.FireAt) : 0));
  const clock = new Date(Math.max(Date.parse(after) + 1000, ...fireTimes)).toISOString();
  const event = (fields: Partial<HistoryEvent> & { EventType: number }): HistoryEvent => ({
    EventId: -1,
    IsPlayed: false,
    Timestamp: clock,
    ...fields,
  });
  const completions = [...open.values()].map((e) => {
    switch (e.EventType) {
      case EventType.TimerCreated:
        return event({ EventType: EventType.TimerFired, TimerId: e.EventId, FireAt: e.FireAt ?? clock });
      case EventType.SubOrchestrationInstanceCreated:
        return event({
          EventType: EventType.SubOrchestrationInstanceCompleted,
          TaskScheduledId: e.EventId,
          Result: 'null',
        });
      default:
        return event({ EventType: EventType.TaskCompleted, TaskScheduledId: e.EventId, Result: 'null' });
    }
  });
  return [event({ EventType: EventType.OrchestratorStarted }), ...completions];
}

/** Drives every episode of `c` (in the given variant) and reports what the emulator appended against the vector. */
export async function driveCase(app: RealOrchestrationApp, c: VectorCase, variant: Variant): Promise<DriveReport> {
  const overrides = variant === 'v3' ? (c.atSchemaV3?.triggerOverrides ?? {}) : {};
  const expectedState = variant === 'v3' ? (c.atSchemaV3?.expected ?? c.expected) : c.expected;
  const script = episodeScript(c);
  const reports: EpisodeReport[] = [];
  const past: HistoryEvent[] = [];
  const episodes = script.episodes;
  for (let i = 0; i < episodes.length; i++) {
    const episode = episodes[i]!;
    const history = [...past, ...inbound(episode.events)];
    const result = await runEpisode(app, c, overrides, history, episode.clock);
    let expected: readonly ExpectedScheduling[] = episode.scheduled;
    let source: EpisodeReport['source'] = 'history';
    const notes: string[] = [];
    past.push(...episode.events);
    const late = episodes[i + 1];
    if (late && isLateScheduling(late)) {
      expected = [...expected, ...late.scheduled];
      notes.push(`E${late.number}'s scheduling events folded in (an episode with no new event)`);
      past.push(...late.events);
      i++;
    }
    const isLast = i === episodes.length - 1;
    const outstanding = script.outstanding;
    if (isLast && !episode.closed && outstanding.derivable) {
      // episodes.ts already put the events derived from the expected actions into this episode.
      source = outstanding.events.length > 0 ? 'actions' : 'history';
    } else if (isLast) {
      const successor = successorReference(c);
      if (successor && 'caseId' in successor) {
        expected = [...expected, ...successor.events];
        source = `successor ${successor.caseId}`;
      } else if (!episode.closed) {
        source = 'unchecked';
        const why = outstanding.derivable ? '' : ` (${outstanding.reason})`;
        notes.push(successor ? successor.conflict : `no successor case${why}`);
      }
    }
    const compareOf = (k: number): readonly SchedulingField[] => expected[k]?.compare ?? DEFAULT_COMPARE;
    reports.push({
      number: episode.number,
      closed: episode.closed,
      source,
      expected: expected.map((x) => pickCompared(comparable(x.event), x.compare)),
      actual: result.scheduled.map((e, k) => pickCompared(emulatorComparable(e), compareOf(k))),
      outcome: finalFromResult(result, c.orchestrator),
      warnings: [...notes, ...result.warnings],
    });
  }
  // The final state: the handler's answer to the whole history, as the vector recorded it.
  const lastClock = episodes[episodes.length - 1]?.clock ?? '';
  const last = await runEpisode(app, c, overrides, c.history, lastClock);
  const actualFinal = finalFromResult(last, c.orchestrator);
  const report: DriveReport = {
    caseId: c.id,
    variant,
    episodes: reports,
    expectedFinal: finalFromExpected(expectedState),
    actualFinal,
  };
  if (actualFinal.kind === 'running' && finalFromExpected(expectedState).kind !== 'running') {
    // JS is done but DTFx still holds open tasks; once they complete the extension applies the same state.
    const drain = drainEvents(c.history, last.scheduled, lastClock);
    const drained = await runEpisode(app, c, overrides, [...c.history, ...drain], drain[0]!.Timestamp);
    report.afterOpenTasks = {
      completed: drain.length - 1,
      final: finalFromResult(drained, c.orchestrator),
      scheduled: drained.scheduled.length,
    };
  }
  return report;
}

/** The episodes where the emulator appended something else than the vector holds (unchecked ones left out). */
export function schedulingMismatches(report: DriveReport): EpisodeReport[] {
  return report.episodes.filter(
    (e) => e.source !== 'unchecked' && JSON.stringify(e.actual) !== JSON.stringify(e.expected),
  );
}
