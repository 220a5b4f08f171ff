import { OrchestrationContext } from '../core';
import { TaskResolver } from './builder-tasks';
import { deterministicGuid } from './guid';
import { readRetryOptions } from './retry';
import {
  ActivityTask,
  AllTask,
  AnyTask,
  ClassicTask,
  ClassicTimerTask,
  ExternalEventTask,
  MaterializeScope,
  SubOrchestrationTask,
} from './tasks';

/** Thrown for durable-functions features the local engine does not provide. */
export class UnsupportedDurableFeatureError extends Error {
  constructor(readonly feature: string) {
    super(
      `${feature} is not supported by the local durable engine (durabletask-js 0.4.0 in-memory backend); ` +
        'see docs/durable-engine.md.',
    );
    this.name = 'UnsupportedDurableFeatureError';
  }
}

function requireName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`${what}: Expected a non-empty string`);
  return value;
}

/**
 * `context.df` for classic durable-functions 3.x generators, backed by one core `OrchestrationContext` (one per
 * episode: the executor replays from history every time). Properties are getters over the core context, so
 * `isReplaying` and `currentUtcDateTime` follow the replay as it advances.
 */
export class ClassicDurableContext {
  readonly Task = {
    all: (tasks: unknown[]): ClassicTask => new AllTask(this.resolveAll(tasks)),
    any: (tasks: unknown[]): ClassicTask => new AnyTask(this.resolveAll(tasks)),
  };
  private readonly resolver = new TaskResolver();
  readonly scope: MaterializeScope;
  private status: unknown = undefined;
  private guidCounter = 0;
  private continued = false;

  constructor(
    private readonly ctx: OrchestrationContext,
    private readonly input: unknown,
    maxTimerIntervalMs: number,
  ) {
    this.scope = { ctx, maxTimerIntervalMs };
  }

  get instanceId(): string {
    return this.ctx.instanceId;
  }
  get parentInstanceId(): string | undefined {
    return this.ctx.parent?.instanceId;
  }
  get version(): string | undefined {
    return this.ctx.version || undefined;
  }
  get isReplaying(): boolean {
    return this.ctx.isReplaying;
  }
  get currentUtcDateTime(): Date {
    return new Date(this.ctx.currentUtcDateTime.getTime());
  }
  get customStatus(): unknown {
    return this.status;
  }
  /** True once `continueAsNew` was called: the driver stops scheduling further work. */
  get continuedAsNew(): boolean {
    return this.continued;
  }

  /** The classic task behind a yielded value (context.df tasks and durable-functions builder tasks), if any. */
  resolveTask(value: unknown): ClassicTask | undefined {
    return this.resolver.resolve(value);
  }

  private resolveAll(tasks: unknown): unknown {
    return Array.isArray(tasks) ? tasks.map((t: unknown) => this.resolver.resolve(t) ?? t) : tasks;
  }

  getInput<T = unknown>(): T {
    return this.input as T;
  }

  callActivity(name: string, input?: unknown): ClassicTask {
    return new ActivityTask(requireName(name, 'functionName'), input);
  }

  callActivityWithRetry(name: string, retryOptions: unknown, input?: unknown): ClassicTask {
    return new ActivityTask(requireName(name, 'functionName'), input, readRetryOptions(retryOptions));
  }

  callSubOrchestrator(name: string, input?: unknown, instanceId?: string, version?: string): ClassicTask {
    if (!name) {
      throw new Error(
        'A sub-orchestration function name must be provided when attempting to create a suborchestration',
      );
    }
    return new SubOrchestrationTask(name, input, instanceId, version);
  }

  callSubOrchestratorWithRetry(
    name: string,
    retryOptions: unknown,
    input?: unknown,
    instanceId?: string,
    version?: string,
  ): ClassicTask {
    if (!name) {
      throw new Error(
        'A sub-orchestration function name must be provided when attempting to create a suborchestration',
      );
    }
    return new SubOrchestrationTask(name, input, instanceId, version, readRetryOptions(retryOptions));
  }

  createTimer(fireAt: Date): ClassicTimerTask {
    // A Date made in another realm (the app loaded natively, the host inside a jest vm context) fails
    // `instanceof Date`, so recognise dates by their internal tag.
    if (Object.prototype.toString.call(fireAt) !== '[object Date]' || Number.isNaN(fireAt.getTime())) {
      throw new Error('createTimer: fireAt must be a valid Date');
    }
    return new ClassicTimerTask(new Date(fireAt.getTime()));
  }

  waitForExternalEvent(name: string): ClassicTask {
    return new ExternalEventTask(requireName(name, 'name'));
  }

  setCustomStatus(customStatusObject: unknown): void {
    // The core serialises eagerly, so a non-JSON value fails here, inside the orchestrator, as it should.
    this.ctx.setCustomStatus(customStatusObject);
    this.status = customStatusObject;
    if (customStatusObject === null || customStatusObject === undefined) {
      // The core forgets the value, and its backend then keeps the previous one; Azure clears it. Record JSON null.
      const internals = this.ctx as unknown as { _customStatus?: string };
      if ('_customStatus' in internals) internals._customStatus = 'null';
    }
  }

  continueAsNew(input: unknown): void {
    // The real extension calls ContinueAsNew(input) with preserveUnprocessedEvents = false.
    this.ctx.continueAsNew(input, false);
    this.continued = true;
  }

  newGuid(instanceId: string): string {
    const name = `${requireName(instanceId, 'instanceId')}_${this.ctx.currentUtcDateTime.valueOf()}_${this.guidCounter}`;
    this.guidCounter++;
    return deterministicGuid(name);
  }

  callEntity(): never {
    throw new UnsupportedDurableFeatureError('Durable entities (context.df.callEntity)');
  }
  signalEntity(): never {
    throw new UnsupportedDurableFeatureError('Durable entities (context.df.signalEntity)');
  }
  lock(): never {
    throw new UnsupportedDurableFeatureError('Durable entities (context.df.lock)');
  }
  isLocked(): never {
    throw new UnsupportedDurableFeatureError('Durable entities (context.df.isLocked)');
  }
  callHttp(): never {
    throw new UnsupportedDurableFeatureError('Durable HTTP (context.df.callHttp)');
  }
}
