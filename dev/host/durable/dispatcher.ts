import {
  ActivityExecutor,
  ActivityWorkItem,
  InMemoryOrchestrationBackend,
  NoOpLogger,
  OrchestrationExecutor,
  OrchestrationInstance,
  Registry,
  pb,
  pbh,
} from './core';
import {
  dropStaleTimerFirings,
  forceFail,
  isTerminalStatus,
  openEpisode,
  replaceFinishedChildren,
  restoreSubOrchestrationFailureTypes,
} from './episode-fixups';

export interface DispatcherOptions {
  maxConcurrentActivities: number;
  log: (line: string) => void;
}

/** Counters for benchmarks and tests (monotonic since construction). */
export interface DispatcherStats {
  /** Orchestration episodes executed (replays), including discarded ones. */
  episodes: number;
  activitiesStarted: number;
  activitiesCompleted: number;
  /** Loop iterations; stays constant while the loop is parked. */
  rounds: number;
  /** True while the loop sleeps waiting for work. */
  parked: boolean;
  /** Results and timer firings dropped because they belong to an earlier execution of the instance. */
  staleEventsDropped: number;
  activitiesInFlight: number;
}

interface ActivityOutcome {
  item: ActivityWorkItem;
  /** The execution that scheduled the activity; results for any other execution are stale. */
  executionId: string;
  output?: string;
  error?: Error;
}

/** The execution a batch of scheduled activities belongs to, and how many of them have not started yet. */
interface ScheduledBatch {
  executionId: string;
  unstarted: number;
}

const S = pb.OrchestrationStatus;

/** Episodes cheaper than this run as soon as work arrives; dearer ones are spaced out (see `runEpisode`). */
const CHEAP_EPISODE_MS = 2;

const toError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/**
 * Drives the in-memory backend in place of durabletask-js' TestOrchestrationWorker, whose loop runs one activity at a
 * time, replays the orchestration after every single result and spins on setImmediate when idle. Here:
 * - activities run concurrently, up to `maxConcurrentActivities`;
 * - their results are buffered and applied between episodes, so one replay absorbs a batch of results;
 * - an orchestration whose replay is expensive (a large history) is not replayed again before as much time has
 *   passed as the last replay took, so a 10,000-activity fan-in costs a bounded number of replays;
 * - when nothing is due the loop parks on a promise that completions, timers and new work resolve;
 * - every episode and every backend call is fenced, so no failure can end the loop.
 * Orchestrator code runs only inside the core executor (with a NoOpLogger: no per-event console chatter).
 */
export class Dispatcher {
  private readonly completions: ActivityOutcome[] = [];
  private readonly ready = new Set<string>();
  private readonly notBefore = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly logger = new NoOpLogger();
  private wakeUp: (() => void) | undefined;
  private wakePending = false;
  private stopped = true;
  private loop: Promise<void> | undefined;
  private readonly notifiesOnEnqueue: boolean;
  private readonly counters = {
    episodes: 0,
    activitiesStarted: 0,
    activitiesCompleted: 0,
    rounds: 0,
    parked: false,
    staleEventsDropped: 0,
  };
  /** Keyed by the completion token the backend stamps on the activity work items of one commit. */
  private readonly scheduled = new Map<number, ScheduledBatch>();

  constructor(
    private readonly backend: InMemoryOrchestrationBackend,
    private readonly registry: Registry,
    private readonly options: DispatcherOptions,
  ) {
    // Backend timers and sub-orchestration completions enqueue work from inside the backend; its private enqueue is
    // the one place all of them pass through, so waking there lets the loop sleep without polling.
    const internals = backend as unknown as { enqueueOrchestration?: (instanceId: string) => void };
    const enqueue = internals.enqueueOrchestration;
    this.notifiesOnEnqueue = typeof enqueue === 'function';
    if (typeof enqueue === 'function') {
      internals.enqueueOrchestration = (instanceId: string) => {
        enqueue.call(backend, instanceId);
        this.wake();
      };
    }
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
    this.loop = undefined;
    // Give running activities a moment to settle so their handlers do not outlive the host by much.
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 2000);
      timer.unref();
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
    if (timer) clearTimeout(timer);
  }

  /** Call after changing backend state from outside the loop (start, raise, terminate ...). */
  wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    if (wakeUp) wakeUp();
    else this.wakePending = true;
  }

  stats(): DispatcherStats {
    return { ...this.counters, activitiesInFlight: this.inFlight.size };
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.counters.rounds++;
      let progressed = false;
      try {
        progressed = this.applyCompletions() || progressed;
        progressed = (await this.runEpisodes()) || progressed;
        progressed = this.startActivities() || progressed;
      } catch (e) {
        this.options.log(`durable dispatcher: ${toError(e).stack ?? String(e)}`);
      }
      if (this.stopped) break;
      if (progressed) {
        // Let I/O (HTTP API calls, activity promises) in between rounds.
        await new Promise<void>((resolve) => setImmediate(resolve));
      } else {
        this.counters.parked = true;
        await this.park();
        this.counters.parked = false;
      }
    }
  }

  private park(): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      const done = (): void => {
        for (const t of timers) clearTimeout(t);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      this.wakeUp = done;
      const now = Date.now();
      let due = Infinity;
      for (const id of this.ready) due = Math.min(due, this.notBefore.get(id) ?? now);
      if (due !== Infinity) timers.push(setTimeout(done, Math.max(0, due - now)));
      // Fallback if a future backend no longer routes work through enqueueOrchestration.
      if (!this.notifiesOnEnqueue) timers.push(setTimeout(done, 25));
      for (const t of timers) t.unref();
    });
  }

  private applyCompletions(): boolean {
    if (this.completions.length === 0) return false;
    const batch = this.completions.splice(0);
    for (const { item, executionId, output, error } of batch) {
      this.counters.activitiesCompleted++;
      // The backend matches results by task id only; after continue-as-new or an id reuse the new execution may
      // have a task with the same id, which a late result from the old execution would complete.
      if (this.backend.getInstance(item.instanceId)?.executionId !== executionId) {
        this.counters.staleEventsDropped++;
        continue;
      }
      try {
        this.backend.completeActivity(item.instanceId, item.taskId, output, error);
      } catch (e) {
        this.options.log(`durable dispatcher: dropping result of ${item.name}#${item.taskId}: ${toError(e).message}`);
      }
    }
    return true;
  }

  private startActivities(): boolean {
    let started = false;
    while (this.inFlight.size < this.options.maxConcurrentActivities) {
      const item = this.backend.getNextActivityWorkItem();
      if (!item) break;
      const instance = this.backend.getInstance(item.instanceId);
      const executionId = this.takeScheduled(item.completionToken) ?? instance?.executionId;
      // Work for an instance that has ended (terminated, purged) or moved on to a new execution is dropped.
      if (!instance || isTerminalStatus(instance.status) || instance.executionId !== executionId) continue;
      started = true;
      this.counters.activitiesStarted++;
      const executor = new ActivityExecutor(this.registry, this.logger);
      const run = executor
        .execute(item.instanceId, item.name, item.taskId, item.input)
        .then(
          (output) => void this.completions.push({ item, executionId, output }),
          (e: unknown) => void this.completions.push({ item, executionId, error: toError(e) }),
        )
        .finally(() => {
          this.inFlight.delete(run);
          this.wake();
        });
      this.inFlight.add(run);
    }
    return started;
  }

  private async runEpisodes(): Promise<boolean> {
    for (
      let item = this.backend.getNextOrchestrationWorkItem();
      item;
      item = this.backend.getNextOrchestrationWorkItem()
    ) {
      this.ready.add(item.instanceId);
    }
    let progressed = false;
    const now = Date.now();
    for (const instanceId of [...this.ready]) {
      if ((this.notBefore.get(instanceId) ?? 0) > now) continue;
      this.ready.delete(instanceId);
      progressed = (await this.runEpisode(instanceId)) || progressed;
    }
    return progressed;
  }

  private async runEpisode(instanceId: string): Promise<boolean> {
    const instance = this.backend.getInstance(instanceId);
    if (!instance) {
      this.notBefore.delete(instanceId);
      return false;
    }
    if (instance.pendingEvents.length === 0) return false;
    if (isTerminalStatus(instance.status)) {
      this.notBefore.delete(instanceId);
      // Late events for a finished instance (e.g. a canceled timer firing) have nothing to act on.
      instance.pendingEvents = [];
      return false;
    }
    this.counters.staleEventsDropped += dropStaleTimerFirings(instance);
    if (instance.pendingEvents.length === 0) return false;
    openEpisode(instance);
    const token = instance.completionToken;
    const events = instance.pendingEvents.slice();
    restoreSubOrchestrationFailureTypes(this.backend, instance, events);
    const started = Date.now();
    this.counters.episodes++;
    let actions: pb.OrchestratorAction[];
    let customStatus: string | undefined;
    try {
      const executor = new OrchestrationExecutor(this.registry, this.logger);
      const result = await executor.execute(instanceId, instance.history, events, instance.executionId);
      actions = result.actions;
      customStatus = result.customStatus;
    } catch (e) {
      actions = [failAction(e)];
    }
    const elapsed = Date.now() - started;
    if (elapsed > CHEAP_EPISODE_MS) this.notBefore.set(instanceId, Date.now() + elapsed);
    else this.notBefore.delete(instanceId);
    // Events that landed while the executor ran (from microtasks) were not in its snapshot; committing now would
    // move them into history unprocessed. Drop this result: whoever added them re-queued the instance.
    if (
      this.backend.getInstance(instanceId) !== instance ||
      instance.completionToken !== token ||
      instance.pendingEvents.length !== events.length
    ) {
      this.ready.add(instanceId);
      return true;
    }
    replaceFinishedChildren(this.backend, actions);
    this.commit(instance, token, actions, customStatus);
    return true;
  }

  private commit(
    instance: OrchestrationInstance,
    token: number,
    actions: pb.OrchestratorAction[],
    customStatus: string | undefined,
  ): void {
    const executionId = instance.executionId;
    try {
      this.backend.completeOrchestration(instance.instanceId, token, actions, customStatus);
      const activities = actions.filter((a) => a.hasScheduletask()).length;
      if (activities > 0) this.scheduled.set(token, { executionId, unstarted: activities });
      return;
    } catch (e) {
      this.options.log(
        `durable dispatcher: instance ${instance.instanceId} could not be committed: ${toError(e).message}`,
      );
      try {
        this.backend.completeOrchestration(instance.instanceId, token, [failAction(e)]);
        return;
      } catch (again) {
        forceFail(this.backend, instance, toError(again));
      }
    }
  }

  private takeScheduled(token: number): string | undefined {
    const batch = this.scheduled.get(token);
    if (!batch) return undefined;
    if (--batch.unstarted <= 0) this.scheduled.delete(token);
    return batch.executionId;
  }
}

function failAction(e: unknown): pb.OrchestratorAction {
  return pbh.newCompleteOrchestrationAction(
    -1,
    S.ORCHESTRATION_STATUS_FAILED,
    undefined,
    pbh.newFailureDetails(toError(e)),
  );
}
