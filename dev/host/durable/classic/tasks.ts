import { whenAny } from '@microsoft/durabletask-js';
import { CompletableTask, CoreTimerTask, OrchestrationContext, Task } from '../core';
import { ChainedTimerTask, FailFastAllTask } from './composites';
import { encodeEventName } from './event-names';
import { toClassicTaskError } from './failures';
import { ClassicRetryOptions, toRetryPolicy } from './retry';

type CoreTask = Task<unknown>;

/** What a classic task needs to turn itself into a core task inside the current episode. */
export interface MaterializeScope {
  readonly ctx: OrchestrationContext;
  /** Longest single backend timer; longer waits become a chain (see ChainedTimerTask). */
  readonly maxTimerIntervalMs: number;
}

/**
 * A v3 task. Nothing is scheduled when it is created: like durable-functions 3.x, a task runs only once it is
 * yielded, or is a child of a yielded `Task.all`/`Task.any` (the core context schedules eagerly at call time, so the
 * core task is created lazily here). Getters follow v3: `isCompleted` means succeeded, `result` holds the value, or
 * the error once the task has failed.
 */
export abstract class ClassicTask {
  private core: CoreTask | undefined;
  private failure: Error | undefined;

  /** The core task, once this task has been scheduled. */
  get coreTask(): CoreTask | undefined {
    return this.core;
  }

  get isCompleted(): boolean {
    return this.core !== undefined && this.core.isComplete && !this.core.isFailed;
  }

  get isFaulted(): boolean {
    return this.core !== undefined && this.core.isFailed;
  }

  get result(): unknown {
    if (this.isFaulted) return this.error();
    return this.isCompleted ? this.value() : undefined;
  }

  materialize(scope: MaterializeScope): CoreTask {
    this.core ??= this.create(scope);
    return this.core;
  }

  /** The error v3 code sees for a failed task (durable-functions' `TaskFailedError` for failed activities). */
  error(): Error {
    this.failure ??= toClassicTaskError(this.core?._exception, this.taskName);
    return this.failure;
  }

  /** The value v3 code receives when it yields this task after success. */
  value(): unknown {
    return this.core?._result;
  }

  protected get taskName(): string | undefined {
    return undefined;
  }

  protected abstract create(scope: MaterializeScope): CoreTask;
}

export class ActivityTask extends ClassicTask {
  constructor(
    private readonly name: string,
    private readonly input: unknown,
    private readonly retry?: ClassicRetryOptions,
  ) {
    super();
  }

  protected override get taskName(): string {
    return this.name;
  }

  protected create({ ctx }: MaterializeScope): CoreTask {
    return ctx.callActivity<unknown, unknown>(
      this.name,
      this.input,
      this.retry ? { retry: toRetryPolicy(this.retry) } : undefined,
    );
  }
}

export class SubOrchestrationTask extends ClassicTask {
  constructor(
    private readonly name: string,
    private readonly input: unknown,
    private readonly instanceId: string | undefined,
    private readonly version: string | undefined,
    private readonly retry?: ClassicRetryOptions,
  ) {
    super();
  }

  protected override get taskName(): string {
    return this.name;
  }

  protected create({ ctx }: MaterializeScope): CoreTask {
    return ctx.callSubOrchestrator<unknown, unknown>(this.name, this.input, {
      ...(this.instanceId ? { instanceId: this.instanceId } : {}),
      ...(this.version ? { version: this.version } : {}),
      ...(this.retry ? { retry: toRetryPolicy(this.retry) } : {}),
    });
  }
}

export class ExternalEventTask extends ClassicTask {
  constructor(private readonly name: string) {
    super();
  }

  protected create({ ctx }: MaterializeScope): CoreTask {
    const name = encodeEventName(this.name);
    const task = ctx.waitForExternalEvent(name) as CoreTask;
    // With several waiters on one name, v3 hands an event to the most recent waiter; the core hands it to the oldest
    // (it shifts its per-name list). Moving the new waiter to the front gives v3's order, the same on every replay.
    const waiters = (ctx as unknown as { _pendingEvents?: Record<string, CoreTask[]> })._pendingEvents?.[name];
    if (waiters && waiters.length > 1 && waiters[waiters.length - 1] === task)
      waiters.unshift(waiters.pop() as CoreTask);
    return task;
  }
}

/** v3 `TimerTask`: `cancel()` throws once the timer has fired (the core ignores it). */
export class ClassicTimerTask extends ClassicTask {
  private canceledEarly = false;

  constructor(private readonly fireAt: Date) {
    super();
  }

  get isCanceled(): boolean {
    const core = this.coreTask as CoreTimerTask | ChainedTimerTask | undefined;
    return this.canceledEarly || (core?.isCanceled ?? false);
  }

  cancel(): void {
    if (this.isCompleted || this.isFaulted) throw new Error('Cannot cancel a completed task.');
    const core = this.coreTask as CoreTimerTask | ChainedTimerTask | undefined;
    if (core) core.cancel();
    else this.canceledEarly = true;
  }

  protected create({ ctx, maxTimerIntervalMs }: MaterializeScope): CoreTask {
    // A timer canceled before it was ever yielded is never scheduled (as in v3, whose canceled action is dropped).
    if (this.canceledEarly) return new CompletableTask<unknown>();
    if (this.fireAt.getTime() - ctx.currentUtcDateTime.getTime() > maxTimerIntervalMs) {
      return new ChainedTimerTask(ctx, this.fireAt, maxTimerIntervalMs);
    }
    return ctx.createTimer(this.fireAt);
  }
}

function requireChildren(tasks: unknown, api: string): ClassicTask[] {
  if (!Array.isArray(tasks) || !tasks.every((t) => t instanceof ClassicTask)) {
    throw new Error(`${api} received a non-valid input: expected an array of Tasks created by context.df.`);
  }
  if (tasks.length === 0) {
    // Same rule (and wording) as durable-functions 3.x CompoundTask.
    throw new Error(
      'When constructing a CompoundTask (such as Task.all() or Task.any()), you must specify at least one Task.',
    );
  }
  return tasks;
}

/** v3 `Task.all`: fail-fast with the first child's error; result = the children's results in order. */
export class AllTask extends ClassicTask {
  private readonly children: ClassicTask[];

  constructor(tasks: unknown) {
    super();
    this.children = requireChildren(tasks, 'Task.all');
  }

  override value(): unknown {
    return this.children.map((c) => c.result);
  }

  protected create(scope: MaterializeScope): CoreTask {
    return new FailFastAllTask(this.children.map((c) => c.materialize(scope)));
  }
}

/** v3 `Task.any`: completes with the first child to finish (success or failure); result = that child task itself. */
export class AnyTask extends ClassicTask {
  private readonly children: ClassicTask[];

  constructor(tasks: unknown) {
    super();
    this.children = requireChildren(tasks, 'Task.any');
  }

  override value(): unknown {
    const winner = this.coreTask?._result;
    return this.children.find((c) => c.coreTask === winner);
  }

  protected create(scope: MaterializeScope): CoreTask {
    return whenAny(this.children.map((c) => c.materialize(scope)));
  }
}
