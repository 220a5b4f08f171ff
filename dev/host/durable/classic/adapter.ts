import { InvocationContext, LogHandler } from '@azure/functions';
import { format } from 'node:util';
import { OrchestrationContext, Task } from '../core';
import { ClassicDurableContext } from './context';

/** A classic durable-functions 3.x orchestrator: `function*(context) { ... context.df ... }`. */
export type ClassicOrchestrator = (context: unknown) => unknown;

export interface AdapterOptions {
  /** Longest single backend timer in ms; longer durable timers are chained. */
  maxTimerIntervalMs: number;
  /** Receives orchestrator `context.log/info/...` lines (not called while replaying). */
  log: (line: string) => void;
}

type CoreOrchestrator = (ctx: OrchestrationContext, input: unknown) => AsyncGenerator<Task<unknown>, unknown, unknown>;

function isGenerator(value: unknown): value is Generator<unknown, unknown, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Generator).next === 'function' &&
    typeof (value as Generator).throw === 'function'
  );
}

function orchestratorContext(name: string, df: ClassicDurableContext, log: (line: string) => void): InvocationContext {
  const logHandler: LogHandler = (level, ...args) => {
    // Orchestrator code re-runs on every replay; only the first run logs (replay-safe logging).
    if (!df.isReplaying) log(`[${name} ${df.instanceId}] ${level}: ${format(...args)}`);
  };
  const context = new InvocationContext({ invocationId: df.instanceId, functionName: name, logHandler });
  Object.defineProperty(context, 'df', { value: df, enumerable: true });
  return context;
}

/**
 * Wraps a classic generator as a core orchestrator. The core executor drives only async generators whose yields are
 * core tasks, so this async generator runs the user's sync generator step by step: it schedules each yielded classic
 * task (lazily, see ClassicTask), yields its core task, and hands the v3-shaped outcome back — the value, or the
 * converted error (durable-functions' TaskFailedError) thrown into the user's generator.
 */
export function adaptClassicOrchestrator(
  name: string,
  fn: ClassicOrchestrator,
  options: AdapterOptions,
): CoreOrchestrator {
  // The core executor drives only async generators; this one never awaits (orchestrator code is synchronous).
  // eslint-disable-next-line @typescript-eslint/require-await
  return async function* classicDriver(ctx: OrchestrationContext, input: unknown) {
    const df = new ClassicDurableContext(ctx, input, options.maxTimerIntervalMs);
    const produced = fn(orchestratorContext(name, df, options.log));
    if (!isGenerator(produced)) return produced;
    let outcome: { ok: true; value: unknown } | { ok: false; error: Error } = { ok: true, value: undefined };
    for (;;) {
      const step: IteratorResult<unknown, unknown> = outcome.ok
        ? produced.next(outcome.value)
        : produced.throw(outcome.error);
      if (step.done) return step.value;
      // After continueAsNew the execution is over; anything yielded later would only leak actions into the next one.
      if (df.continuedAsNew) return undefined;
      const task = df.resolveTask(step.value);
      if (!task) {
        throw new TypeError(
          `Orchestrator '${name}' yielded a value that is not a durable Task (${Object.prototype.toString.call(step.value)}).`,
        );
      }
      try {
        yield task.materialize(df.scope);
      } catch {
        // The core throws the raw failure into this generator; the classic task converts it below.
      }
      outcome = task.isFaulted ? { ok: false, error: task.error() } : { ok: true, value: task.value() };
    }
  };
}
