import { CompositeTask, OrchestrationContext, Task, CoreTimerTask } from '../core';

type AnyTask = Task<unknown>;

function notifyParent(task: AnyTask): void {
  task._parent?.onChildCompleted(task);
}

/**
 * v3 `Task.all`: fails as soon as the first child fails, with that child's error (the core `whenAll` waits for every
 * child and throws an `AggregateError`). Succeeds with the children's results in order once all have succeeded.
 *
 * No own field initialisers: the base constructor calls `onChildCompleted` for children that are already complete,
 * before a subclass' fields would exist; only the base counters are used.
 */
export class FailFastAllTask extends CompositeTask<unknown[]> {
  constructor(children: AnyTask[]) {
    super(children);
  }

  override onChildCompleted(child: AnyTask): void {
    if (this._isComplete) return;
    if (child.isFailed) {
      this._exception = child._exception;
      this._isComplete = true;
      notifyParent(this);
      return;
    }
    this._completedTasks++;
    if (this._completedTasks === this._tasks.length) {
      this._result = this._tasks.map((t): unknown => t._result as unknown);
      this._isComplete = true;
      notifyParent(this);
    }
  }
}

/**
 * A durable timer longer than one backend timer may be: the in-memory backend arms one plain `setTimeout`, which
 * fires at once beyond 2^31-1 ms (~24.8 days). Like durable-functions' own LongTimerTask (schema V3) the wait is a
 * chain of shorter timers, each created when the previous one fires, so replay re-creates the same chain.
 */
export class ChainedTimerTask extends CompositeTask<undefined> {
  private ctx!: OrchestrationContext;
  private finalFireAt!: number;
  private intervalMs!: number;
  private current!: CoreTimerTask;
  private currentFireAt!: number;
  private canceled!: boolean;

  constructor(ctx: OrchestrationContext, fireAt: Date, intervalMs: number) {
    const firstFireAt = Math.min(fireAt.getTime(), ctx.currentUtcDateTime.getTime() + intervalMs);
    const first = ctx.createTimer(new Date(firstFireAt));
    super([first]);
    this.ctx = ctx;
    this.finalFireAt = fireAt.getTime();
    this.intervalMs = intervalMs;
    this.current = first;
    this.currentFireAt = firstFireAt;
    this.canceled = false;
  }

  get isCanceled(): boolean {
    return this.canceled;
  }

  cancel(): void {
    if (this._isComplete || this.canceled) return;
    this.canceled = true;
    this.current.cancel();
  }

  override onChildCompleted(child: AnyTask): void {
    if (this._isComplete || child !== this.current) return;
    if (this.currentFireAt >= this.finalFireAt) {
      this._isComplete = true;
      notifyParent(this);
      return;
    }
    const next = Math.min(this.finalFireAt, this.currentFireAt + this.intervalMs);
    const timer = this.ctx.createTimer(new Date(next));
    timer._parent = this;
    this._tasks.push(timer);
    this.current = timer;
    this.currentFireAt = next;
  }
}
