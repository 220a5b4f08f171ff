/**
 * The dispatch loop of the local Durable engine: it plays the Durable extension for the app's real handlers.
 *
 * For each instance with visible inbox events it runs one episode: it builds the extension's orchestration trigger
 * payload (DTFx JSON history, input, instance id, schema versions, the Azure Storage provider's timer settings),
 * invokes the app's registered `orchestrationTrigger` function, applies the returned state as the extension does
 * (extension-replay.ts) and commits the episode once. Activities run through their registered `activityTrigger`
 * functions; their results come back as inbox events. See docs/durable-engine.md.
 */
import { randomUUID } from 'node:crypto';

import { EventType, type HistoryEvent, newEvent, OrchestrationStatus, parseTime } from './dtfx';
import { activityInputValue, AZURE_STORAGE_TIMERS, replayEpisode, type ReplaySettings } from './extension-replay';
import { activityFailure, type FailureShape, subOrchestrationFailure } from './failures';
import { asOrchestratorState, type OrchestratorState, stateFromThrown } from './orchestrator-state';
import {
  type EpisodeCommit,
  type InboxMessage,
  type InstanceRow,
  isTerminal,
  type StateStore,
  type WorkItem,
} from './state-store';

export interface InvocationMeta {
  instanceId: string;
}

/** Invokes a registered orchestrationTrigger function with the trigger payload; returns its state or throws. */
export type OrchestrationFunction = (payload: Record<string, unknown>, meta: InvocationMeta) => Promise<unknown>;
/** Invokes a registered activityTrigger function with its input. */
export type ActivityFunction = (input: unknown, meta: InvocationMeta) => Promise<unknown>;

export interface EngineOptions {
  store: StateStore;
  maxConcurrentActivityFunctions: number;
  failureShape: FailureShape;
  log: (line: string) => void;
  settings?: ReplaySettings;
  /** Epoch ms; tests may drive it. */
  clock?: () => number;
}

export interface EngineStats {
  episodes: number;
  activitiesStarted: number;
  activitiesCompleted: number;
  /** Dispatch loop rounds (a parked loop does not advance it). */
  rounds: number;
  /** Whether the loop is parked (no visible work). */
  parked: boolean;
  /** Messages for an earlier execution of their instance (continue-as-new), dropped as DTFx does. */
  staleEventsDropped: number;
}

/** .NET TimeSpan text for the trigger payload. */
function timeSpan(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  const rest = new Date(ms % 86_400_000).toISOString().slice(11, 19);
  return `${days}.${rest}`;
}

/**
 * The orchestration trigger payload the extension builds (`OrchestrationTriggerAttributeBindingProvider
 * .OrchestrationContextToString`): the current execution's history, input, ids, schema versions and the provider's
 * timer settings.
 */
export function orchestrationTriggerPayload(options: {
  history: HistoryEvent[];
  input: unknown;
  instanceId: string;
  parentInstanceId?: string;
  isReplaying: boolean;
  settings?: ReplaySettings;
}): Record<string, unknown> {
  const settings = options.settings ?? AZURE_STORAGE_TIMERS;
  return {
    history: options.history,
    input: options.input,
    instanceId: options.instanceId,
    isReplaying: options.isReplaying,
    parentInstanceId: options.parentInstanceId ?? null,
    upperSchemaVersion: 1,
    upperSchemaVersionNew: 2,
    longRunningTimerIntervalDuration: timeSpan(settings.longTimerIntervalMs),
    maximumShortTimerDuration: timeSpan(settings.maximumShortTimerMs),
    defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
  };
}

const parseJson = (text: string | undefined): unknown =>
  text === undefined ? undefined : (JSON.parse(text) as unknown);

export class DurableEngine {
  private readonly orchestrators = new Map<string, { name: string; fn: OrchestrationFunction }>();
  private readonly activities = new Map<string, { name: string; fn: ActivityFunction }>();
  private readonly running = new Set<string>();
  /** An instance whose last episode took T ms is not replayed again for T ms, so replays absorb result bursts. */
  private readonly notBefore = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private readonly counters: EngineStats = {
    episodes: 0,
    activitiesStarted: 0,
    activitiesCompleted: 0,
    rounds: 0,
    parked: false,
    staleEventsDropped: 0,
  };
  private activeActivities = 0;
  private stopped = true;
  private loopPromise: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly settings: ReplaySettings;
  private readonly clock: () => number;

  constructor(private readonly options: EngineOptions) {
    this.settings = options.settings ?? AZURE_STORAGE_TIMERS;
    this.clock = options.clock ?? Date.now;
  }

  registerOrchestration(name: string, fn: OrchestrationFunction): void {
    this.orchestrators.set(name.toLowerCase(), { name, fn });
  }

  registerActivity(name: string, fn: ActivityFunction): void {
    this.activities.set(name.toLowerCase(), { name, fn });
  }

  /** The registered orchestrator name matching `name` case-insensitively (function names are, in Azure). */
  canonicalOrchestrator(name: string): string | undefined {
    return this.orchestrators.get(name.toLowerCase())?.name;
  }

  stats(): EngineStats {
    return { ...this.counters };
  }

  /** Called after every committed change (the HTTP API's wait-for-completion listens). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loopPromise = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loopPromise;
    if (this.timer) clearTimeout(this.timer);
    // Activities in flight finish on their own; their results are committed (or, after a crash, re-run).
    await this.options.store.flushed();
  }

  /** Set by wake(); a loop round that started before the wake-up must not park on it (no lost wake-ups). */
  private woken = false;

  wake(): void {
    this.woken = true;
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.woken = false;
      this.counters.rounds++;
      const now = this.clock();
      let nextDue = Number.POSITIVE_INFINITY;
      const due = new Map<string, InboxMessage[]>();
      for (const m of this.options.store.messages()) {
        if (m.visibleAt > now) {
          nextDue = Math.min(nextDue, m.visibleAt);
          continue;
        }
        const gate = this.notBefore.get(m.instanceId) ?? 0;
        if (gate > now) {
          nextDue = Math.min(nextDue, gate);
          continue;
        }
        const list = due.get(m.instanceId) ?? [];
        list.push(m);
        due.set(m.instanceId, list);
      }
      let progressed = false;
      for (const [instanceId, messages] of due) {
        if (this.stopped) break;
        if (this.running.has(instanceId)) continue;
        progressed = (await this.runEpisode(instanceId, messages)) || progressed;
      }
      this.startActivities();
      if (progressed || this.stopped) continue;
      await this.park(nextDue - this.clock());
    }
  }

  private park(delayMs: number): Promise<void> {
    if (this.woken) return Promise.resolve();
    this.counters.parked = true;
    return new Promise((resolve) => {
      this.wakeUp = () => {
        this.counters.parked = false;
        resolve();
      };
      if (this.timer) clearTimeout(this.timer);
      if (Number.isFinite(delayMs)) {
        this.timer = setTimeout(() => this.wake(), Math.max(0, Math.min(delayMs, 2 ** 31 - 1)));
        this.timer.unref?.();
      }
    });
  }

  private startActivities(): void {
    for (const w of this.options.store.workItems()) {
      if (this.activeActivities >= this.options.maxConcurrentActivityFunctions) return;
      if (this.running.has(w.id)) continue;
      this.running.add(w.id);
      this.activeActivities++;
      this.counters.activitiesStarted++;
      void this.runActivity(w).finally(() => {
        this.running.delete(w.id);
        this.activeActivities--;
        this.counters.activitiesCompleted++;
        this.wake();
      });
    }
  }

  private async runActivity(w: WorkItem): Promise<void> {
    const registered = this.activities.get(w.name.toLowerCase());
    let event: HistoryEvent;
    const at = new Date(this.clock());
    try {
      if (!registered)
        throw new Error(`The function '${w.name}' doesn't exist, is disabled, or is not an activity function.`);
      const result = await registered.fn(activityInputValue(w.input), { instanceId: w.instanceId });
      event = newEvent(EventType.TaskCompleted, at, {
        TaskScheduledId: w.taskScheduledId,
        // The worker returns no data for undefined; the extension then records a null result.
        Result: JSON.stringify(result ?? null),
      });
    } catch (error) {
      event = newEvent(EventType.TaskFailed, at, {
        TaskScheduledId: w.taskScheduledId,
        ...activityFailure(registered?.name ?? w.name, error, this.options.failureShape),
      });
    }
    // After stop() nothing more is committed: an unfinished activity runs again on the next start (at-least-once).
    if (this.stopped) return;
    await this.options.store.completeWork(w.id, {
      id: `${w.id}|result`,
      instanceId: w.instanceId,
      executionId: w.executionId,
      event,
      visibleAt: this.clock(),
    });
  }

  /** Runs one episode; false when the messages could only be dropped or must wait. */
  private async runEpisode(instanceId: string, messages: InboxMessage[]): Promise<boolean> {
    const store = this.options.store;
    const row = store.get(instanceId);
    const drop = async (ids: string[]): Promise<boolean> => {
      if (ids.length === 0) return false;
      const current = store.get(instanceId);
      if (!current) {
        // Nothing to commit to: the messages are for an instance that does not exist (purged); forget them.
        await store.dropMessages(instanceId, ids);
        return false;
      }
      await store.commitEpisode({
        instance: current,
        appended: [],
        consumed: ids,
        messages: [],
        workItems: [],
        created: [],
      });
      return true;
    };
    if (!row || isTerminal(row.runtimeStatus)) {
      // DTFx discards messages for instances that no longer run.
      return drop(messages.map((m) => m.id));
    }
    const stale = messages.filter((m) => m.executionId !== undefined && m.executionId !== row.executionId);
    const live = messages.filter((m) => !stale.includes(m));
    this.counters.staleEventsDropped += stale.length;
    if (live.length === 0) return drop(stale.map((m) => m.id));

    const terminate = live.find((m) => m.event.EventType === EventType.ExecutionTerminated);
    if (terminate) return this.terminate(row, terminate, messages);
    const suspend = live.filter(
      (m) => m.event.EventType === EventType.ExecutionSuspended || m.event.EventType === EventType.ExecutionResumed,
    );
    let status = row.runtimeStatus;
    for (const s of suspend) status = s.event.EventType === EventType.ExecutionSuspended ? 'Suspended' : 'Running';
    const events = live.filter((m) => !suspend.includes(m));
    if (status === 'Suspended') {
      if (suspend.length === 0) return false; // events wait in the inbox until the instance is resumed
      await store.commitEpisode({
        instance: { ...row, runtimeStatus: 'Suspended', lastUpdatedTime: new Date(this.clock()) },
        appended: [],
        consumed: [...suspend, ...stale].map((m) => m.id),
        messages: [],
        workItems: [],
        created: [],
      });
      this.changed();
      return true;
    }
    if (events.length === 0) {
      await store.commitEpisode({
        instance: {
          ...row,
          runtimeStatus: status === 'Pending' ? 'Pending' : 'Running',
          lastUpdatedTime: new Date(this.clock()),
        },
        appended: [],
        consumed: [...suspend, ...stale].map((m) => m.id),
        messages: [],
        workItems: [],
        created: [],
      });
      this.changed();
      return true;
    }

    this.running.add(instanceId);
    const began = Date.now();
    try {
      await this.episode(
        row,
        events,
        [...suspend, ...stale].map((m) => m.id),
      );
    } finally {
      this.running.delete(instanceId);
      const took = Date.now() - began;
      if (took > 2) this.notBefore.set(instanceId, this.clock() + took);
      else this.notBefore.delete(instanceId);
    }
    this.counters.episodes++;
    this.changed();
    return true;
  }

  private async terminate(row: InstanceRow, message: InboxMessage, all: InboxMessage[]): Promise<boolean> {
    const at = new Date(this.clock());
    const reason = message.event.Input;
    await this.options.store.commitEpisode({
      instance: { ...row, runtimeStatus: 'Terminated', output: reason, lastUpdatedTime: at },
      appended: [
        newEvent(EventType.OrchestratorStarted, at),
        { ...message.event, IsPlayed: false },
        newEvent(EventType.ExecutionCompleted, at, {
          OrchestrationStatus: OrchestrationStatus.Terminated,
          Result: reason,
        }),
        newEvent(EventType.OrchestratorCompleted, at),
      ],
      consumed: all.map((m) => m.id),
      messages: this.parentNotice(
        row,
        { kind: 'failed', reason: `Orchestration terminated: ${reason ?? ''}`, details: reason ?? '' },
        at,
      ),
      workItems: [],
      created: [],
    });
    this.changed();
    return true;
  }

  private async episode(row: InstanceRow, messages: InboxMessage[], alsoConsumed: string[]): Promise<void> {
    const store = this.options.store;
    const at = new Date(this.clock());
    const past = store.history(row.instanceId);
    // ExecutionStarted always directly follows the first OrchestratorStarted, as in DTFx.
    const ordered = [...messages].sort(
      (a, b) =>
        Number(b.event.EventType === EventType.ExecutionStarted) -
        Number(a.event.EventType === EventType.ExecutionStarted),
    );
    const fresh: HistoryEvent[] = [
      newEvent(EventType.OrchestratorStarted, at),
      ...ordered.map((m) => ({ ...m.event, IsPlayed: false })),
    ];
    const history = [...past.map((e) => ({ ...e, IsPlayed: true })), ...fresh];
    const registered = this.orchestrators.get(row.name.toLowerCase());

    let state: OrchestratorState | undefined;
    let thrown: string | undefined;
    if (!registered) {
      thrown = `The function '${row.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
    } else {
      const payload = orchestrationTriggerPayload({
        history,
        input: parseJson(row.input),
        instanceId: row.instanceId,
        isReplaying: past.length > 0,
        ...(row.parent ? { parentInstanceId: row.parent.instanceId } : {}),
        settings: this.settings,
      });
      try {
        // The worker hands the handler a parsed copy of the binding data, as here.
        state = asOrchestratorState(
          await registered.fn(JSON.parse(JSON.stringify(payload)) as Record<string, unknown>, {
            instanceId: row.instanceId,
          }),
        );
      } catch (e) {
        const recovered = stateFromThrown(e);
        state = recovered.state;
        if (!state) thrown = recovered.message;
      }
    }

    const result = state
      ? replayEpisode({
          orchestratorName: row.name,
          instanceId: row.instanceId,
          parentInstanceId: row.parent?.instanceId,
          history,
          state,
          settings: this.settings,
          functionExists: (kind, name) =>
            kind === 'activity' ? this.activities.has(name.toLowerCase()) : this.orchestrators.has(name.toLowerCase()),
          now: at,
        })
      : {
          scheduled: [],
          warnings: [],
          outcome: {
            kind: 'failed' as const,
            reason: `Orchestrator function '${row.name}' failed: ${thrown ?? 'unknown error'}`,
            details: thrown ?? '',
          },
        };
    for (const w of result.warnings) this.options.log(`[${row.name} ${row.instanceId}] ${w}`);

    const commit: EpisodeCommit = {
      instance: {
        ...row,
        runtimeStatus: 'Running',
        lastUpdatedTime: at,
        ...(result.customStatus !== undefined ? { customStatus: result.customStatus } : {}),
      },
      appended: [...fresh.map((e) => ({ ...e, IsPlayed: true })), ...result.scheduled],
      consumed: [...messages.map((m) => m.id), ...alsoConsumed],
      messages: [],
      workItems: [],
      created: [],
    };
    this.schedule(row, result.scheduled, commit, at);
    const outcome = result.outcome;
    if (outcome.kind === 'completed') {
      const output = outcome.output === undefined ? undefined : JSON.stringify(outcome.output);
      commit.instance = { ...commit.instance, runtimeStatus: 'Completed', output };
      commit.appended.push(
        newEvent(EventType.ExecutionCompleted, at, {
          OrchestrationStatus: OrchestrationStatus.Completed,
          ...(output === undefined ? {} : { Result: output }),
        }),
      );
      commit.messages.push(...this.parentNotice(row, { kind: 'completed', output }, at));
    } else if (outcome.kind === 'failed') {
      commit.instance = {
        ...commit.instance,
        runtimeStatus: 'Failed',
        output: JSON.stringify(outcome.reason),
        failure: { reason: outcome.reason, details: outcome.details },
      };
      commit.appended.push(
        newEvent(EventType.ExecutionCompleted, at, {
          OrchestrationStatus: OrchestrationStatus.Failed,
          Result: outcome.details,
        }),
      );
      commit.messages.push(...this.parentNotice(row, outcome, at));
    } else if (outcome.kind === 'continuedAsNew') {
      // A new execution: empty history, fresh execution id, events not yet processed are not carried over.
      const executionId = randomUUID().replace(/-/g, '');
      const input = outcome.input === undefined ? undefined : JSON.stringify(outcome.input);
      commit.instance = { ...commit.instance, runtimeStatus: 'Running', executionId, input, output: undefined };
      commit.appended = [];
      commit.resetHistory = true;
      commit.workItems = [];
      commit.created = [];
      commit.messages = [this.startMessage(row.instanceId, row.name, executionId, input, at, row.parent)];
    }
    commit.appended.push(newEvent(EventType.OrchestratorCompleted, at));
    if (outcome.kind === 'continuedAsNew') commit.appended = [];
    await store.commitEpisode(commit);
  }

  /** Turns the episode's new scheduling events into work: activities, timer messages, sub-orchestration starts. */
  private schedule(row: InstanceRow, scheduled: HistoryEvent[], commit: EpisodeCommit, at: Date): void {
    const key = `${row.instanceId}|${row.executionId}`;
    for (const e of scheduled) {
      if (e.EventType === EventType.TaskScheduled) {
        commit.workItems.push({
          id: `${key}|${e.EventId}`,
          instanceId: row.instanceId,
          executionId: row.executionId,
          taskScheduledId: e.EventId,
          name: e.Name ?? '',
          ...(e.Input === undefined ? {} : { input: e.Input }),
        });
      } else if (e.EventType === EventType.TimerCreated) {
        const fireAt = e.FireAt ?? e.Timestamp;
        commit.messages.push({
          id: `${key}|timer|${e.EventId}`,
          instanceId: row.instanceId,
          executionId: row.executionId,
          event: newEvent(EventType.TimerFired, new Date(parseTime(fireAt)), { TimerId: e.EventId, FireAt: fireAt }),
          visibleAt: parseTime(fireAt),
        });
      } else if (e.EventType === EventType.SubOrchestrationInstanceCreated) {
        this.createChild(row, e, commit, at);
      }
    }
  }

  private createChild(row: InstanceRow, e: HistoryEvent, commit: EpisodeCommit, at: Date): void {
    const childId = e.InstanceId ?? '';
    const existing = this.options.store.get(childId);
    const parent = { instanceId: row.instanceId, executionId: row.executionId, taskScheduledId: e.EventId };
    if (existing && !isTerminal(existing.runtimeStatus)) {
      const reason = `An Orchestration instance with the status ${existing.runtimeStatus} already exists.`;
      commit.messages.push({
        id: `${row.instanceId}|${row.executionId}|sub|${e.EventId}`,
        instanceId: row.instanceId,
        executionId: row.executionId,
        event: newEvent(EventType.SubOrchestrationInstanceFailed, at, {
          TaskScheduledId: e.EventId,
          Reason: reason,
          Details: reason,
          FailureDetails: null,
        }),
        visibleAt: at.getTime(),
      });
      return;
    }
    const executionId = randomUUID().replace(/-/g, '');
    commit.created.push({
      instanceId: childId,
      name: this.canonicalOrchestrator(e.Name ?? '') ?? e.Name ?? '',
      executionId,
      runtimeStatus: 'Pending',
      ...(e.Input === undefined ? {} : { input: e.Input }),
      createdTime: at,
      lastUpdatedTime: at,
      parent,
      historyLength: 0,
    });
    commit.messages.push(this.startMessage(childId, e.Name ?? '', executionId, e.Input, at, parent));
  }

  startMessage(
    instanceId: string,
    name: string,
    executionId: string,
    input: string | undefined,
    at: Date,
    parent?: InstanceRow['parent'],
  ): InboxMessage {
    return {
      id: `${instanceId}|${executionId}|start`,
      instanceId,
      executionId,
      event: newEvent(EventType.ExecutionStarted, at, {
        Name: name,
        ...(input === undefined ? {} : { Input: input }),
        OrchestrationInstance: { InstanceId: instanceId, ExecutionId: executionId },
        ParentInstance: parent
          ? {
              Name: this.options.store.get(parent.instanceId)?.name ?? '',
              TaskScheduleId: parent.taskScheduledId,
              OrchestrationInstance: { InstanceId: parent.instanceId, ExecutionId: parent.executionId },
            }
          : null,
      }),
      visibleAt: at.getTime(),
    };
  }

  /** The completion message a sub-orchestration sends its parent. */
  private parentNotice(
    row: InstanceRow,
    outcome: { kind: 'completed'; output: string | undefined } | { kind: 'failed'; reason: string; details: string },
    at: Date,
  ): InboxMessage[] {
    const parent = row.parent;
    if (!parent) return [];
    const event =
      outcome.kind === 'completed'
        ? newEvent(EventType.SubOrchestrationInstanceCompleted, at, {
            TaskScheduledId: parent.taskScheduledId,
            Result: outcome.output ?? 'null',
          })
        : newEvent(EventType.SubOrchestrationInstanceFailed, at, {
            TaskScheduledId: parent.taskScheduledId,
            ...subOrchestrationFailure(
              row.name,
              errorText(outcome.reason, row.name),
              outcome.details,
              this.options.failureShape,
            ),
          });
    return [
      {
        id: `${parent.instanceId}|${parent.executionId}|sub|${parent.taskScheduledId}`,
        instanceId: parent.instanceId,
        executionId: parent.executionId,
        event,
        visibleAt: at.getTime(),
      },
    ];
  }
}

/** The child's own error text, without the extension's "Orchestrator function '<name>' failed: " prefix. */
function errorText(reason: string, name: string): string {
  const prefix = `Orchestrator function '${name}' failed: `;
  return reason.startsWith(prefix) ? reason.slice(prefix.length) : reason;
}
