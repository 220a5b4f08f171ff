/**
 * Invokes a registered function the way the Node worker does: a fresh `InvocationContext` built from the
 * registration, preInvocation hooks (which may replace inputs or the handler), the handler with
 * `(...inputs, context)`, postInvocation hooks (which may replace the result or the error), and one log line.
 */
import { randomBytes, randomUUID } from 'node:crypto';

import type { InvocationContext } from '@azure/functions';

import type { FunctionsLibrary } from './app-loader';
import { errorMessage, type HostLogger } from './log';
import type { FunctionRegistry, RegisteredFunction } from './registry';

export interface InvokeOptions {
  triggerMetadata?: Record<string, unknown>;
  /** Values for extra input bindings, by binding type (e.g. `durableClient`). */
  extraInputsByType?: Record<string, unknown>;
  invocationId?: string;
  /** W3C `traceparent` of the caller (HTTP header); a new trace is started when absent. */
  traceParent?: string;
}

export interface InvocationResult {
  readonly result: unknown;
  readonly context: InvocationContext;
}

export interface InvocationRecord {
  readonly functionName: string;
  readonly trigger: string;
  readonly durationMs: number;
  readonly outcome: 'Succeeded' | 'Failed';
  readonly error?: string;
}

export class Invoker {
  constructor(
    private readonly registry: FunctionRegistry,
    private readonly library: FunctionsLibrary,
    private readonly logger: HostLogger,
    private readonly appHookData: Record<string, unknown>,
    private readonly onInvoked: (record: InvocationRecord) => void = () => undefined,
    /** Extra input values for invocations that do not bring their own (e.g. the durable client for non-HTTP triggers). */
    private readonly defaultExtraInputs: () => Record<string, unknown> = () => ({}),
  ) {}

  createContext(fn: RegisteredFunction, options: InvokeOptions = {}): InvocationContext {
    const context = new this.library.InvocationContext({
      invocationId: options.invocationId ?? randomUUID(),
      functionName: fn.name,
      triggerMetadata: options.triggerMetadata,
      // As the host does: the invocation joins the caller's trace, or starts one.
      traceContext: { traceParent: childTraceParent(options.traceParent), traceState: '', attributes: {} },
      options: {
        trigger: fn.trigger as unknown as InvocationContext['options']['trigger'],
        return: fn.returnBinding as unknown as InvocationContext['options']['return'],
        extraInputs: fn.extraInputs as unknown as InvocationContext['options']['extraInputs'],
        extraOutputs: fn.extraOutputs as unknown as InvocationContext['options']['extraOutputs'],
      },
      logHandler: (level, ...args) => this.userLog(fn.name, level, args, context),
    });
    const extraInputs = fn.extraInputs.length > 0 ? (options.extraInputsByType ?? this.defaultExtraInputs()) : {};
    for (const input of fn.extraInputs) {
      const value = extraInputs[input.type];
      if (value !== undefined) context.extraInputs.set(input.name, value);
    }
    return context;
  }

  /** Runs `fn` with `triggerInput`; rejects with the handler's (or a postInvocation hook's) error. */
  async invoke(fn: RegisteredFunction, triggerInput: unknown, options: InvokeOptions = {}): Promise<InvocationResult> {
    const context = this.createContext(fn, options);
    const started = process.hrtime.bigint();
    const hookData: Record<string, unknown> = {};
    let inputs: unknown[] = [triggerInput];
    let callback = fn.callback;
    let result: unknown;
    let error: unknown;
    let failed = false;
    try {
      const pre = {
        hookData,
        appHookData: this.appHookData,
        invocationContext: context,
        inputs,
        functionCallback: callback,
      };
      for (const hook of this.registry.hooksNamed('preInvocation')) await hook.callback(pre);
      inputs = pre.inputs;
      callback = pre.functionCallback;
      try {
        result = await callback(...inputs, context);
      } catch (e) {
        error = e;
        failed = true;
      }
      const post = { hookData, appHookData: this.appHookData, invocationContext: context, inputs, result, error };
      for (const hook of this.registry.hooksNamed('postInvocation')) await hook.callback(post);
      result = post.result;
      error = post.error;
      failed = post.error !== undefined && post.error !== null;
    } catch (hookError) {
      error = hookError;
      failed = true;
    }
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    const record: InvocationRecord = {
      functionName: fn.name,
      trigger: fn.trigger.type,
      durationMs,
      outcome: failed ? 'Failed' : 'Succeeded',
      ...(failed ? { error: errorMessage(error) } : {}),
    };
    const line = `Executed '${fn.name}' (${fn.trigger.type}, Id=${context.invocationId}, Duration=${durationMs.toFixed(0)}ms): ${record.outcome}`;
    if (failed) this.logger.error(`${line}: ${record.error ?? ''}`);
    else this.logger.info(line);
    this.onInvoked(record);
    if (failed) throw isErrorLike(error) ? error : new Error(errorMessage(error));
    return { result, context };
  }

  private userLog(functionName: string, logLevel: string, args: unknown[], context: InvocationContext): void {
    const formatted = args
      .map((a) => (typeof a === 'string' ? a : isErrorLike(a) ? (a.stack ?? a.message) : inspectValue(a)))
      .join(' ');
    // `log` hooks see (and may rewrite) every user log line before it is written, as in the worker.
    const hookContext = {
      hookData: {},
      level: logLevel,
      message: formatted,
      category: 'user',
      invocationContext: context,
    };
    for (const hook of this.registry.hooksNamed('log')) {
      try {
        void hook.callback(hookContext);
      } catch {
        // A failing log hook must not fail the invocation.
      }
    }
    const { level, message: text } = hookContext;
    if (level === 'none') return;
    const line = `[${functionName}] ${text}`;
    if (level === 'error' || level === 'critical') this.logger.error(line);
    else if (level === 'warning') this.logger.warn(line);
    else if (level !== 'trace' && level !== 'debug') this.logger.info(line);
  }
}

function inspectValue(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function isErrorLike(value: unknown): value is Error {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

const TRACE_PARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/;

/** A traceparent for a new span under `parent` (same trace id), or for a new sampled trace. */
function childTraceParent(parent: string | undefined): string {
  const m = parent ? TRACE_PARENT.exec(parent.trim()) : null;
  const traceId = m?.[1] ?? randomBytes(16).toString('hex');
  return `00-${traceId}-${randomBytes(8).toString('hex')}-${m?.[2] ?? '01'}`;
}
