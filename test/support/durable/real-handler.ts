/**
 * The handler `durable-functions` really registers for an orchestrator, obtained the way the Functions worker sees
 * it, and invoked the way the dev host invokes any function.
 *
 * @remarks `df.app.orchestration(name, fn)` calls `app.generic(name, { trigger, handler })` of `@azure/functions`,
 * which hands `(metadata, handler)` to `@azure/functions-core`. The dev host captures that contract
 * (`dev/host/functions-core.ts`) into a `FunctionRegistry`; this helper opens the same capture around the
 * registrations, so the handler under test is the library's own wrapper (`createOrchestrator(fn)`, its v3 replay
 * engine included), not the raw generator.
 *
 * Both libraries are loaded through Node's own `require` (not jest's registry): only there does
 * `require('@azure/functions-core')` reach the capture, and the copy is the one an app loaded by the dev host uses.
 * Orchestrators must therefore build library objects (`RetryOptions`, `EntityId`, ...) from the `df` they are given:
 * the library checks some of them with `instanceof`.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';

import type { InvocationContext } from '@azure/functions';
import type * as DurableFunctions from 'durable-functions';

import type { FunctionsLibrary } from '../../../dev/host/app-loader';
import { releaseCoreRegistrar, withCoreRegistrar, type CoreRegistrar } from '../../../dev/host/functions-core';
import { Invoker, type InvokeOptions } from '../../../dev/host/invoker';
import type { HostLogger } from '../../../dev/host/log';
import { NativeModule } from '../../../dev/host/native-module';
import { FunctionRegistry, toRegisteredFunction, type RegisteredFunction } from '../../../dev/host/registry';

export type DurableFunctionsLibrary = typeof DurableFunctions;
export type OrchestrationHandler = DurableFunctions.OrchestrationHandler;
export type OrchestrationContext = DurableFunctions.OrchestrationContext;

/** Marker the library puts between the failure text and the state JSON (`OrchestrationFailureError`). */
export const OUT_OF_PROC_DATA_MARKER = '\n\n$OutOfProcData$:';

/** The trigger type `durable-functions` registers orchestrators with. */
export const ORCHESTRATION_TRIGGER = 'orchestrationTrigger';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface RealLibraries {
  readonly durableFunctions: DurableFunctionsLibrary;
  /** The `@azure/functions` copy `durable-functions` registers through (its `InvocationContext` class). */
  readonly functionsLibrary: FunctionsLibrary;
}

/** `durable-functions` and `@azure/functions` as Node (not jest) resolves them from `fromDir` (default: the repo). */
export function loadRealLibraries(fromDir: string = REPO_ROOT): RealLibraries {
  const nativeRequire = NativeModule.createRequire(path.join(fromDir, 'package.json'));
  const durableFunctions = nativeRequire('durable-functions') as DurableFunctionsLibrary;
  // Resolved from durable-functions' own location, so it is the copy the library calls `app.generic` on.
  const fromDurable = NativeModule.createRequire(nativeRequire.resolve('durable-functions'));
  const functionsLibrary = fromDurable('@azure/functions') as FunctionsLibrary;
  return { durableFunctions, functionsLibrary };
}

/** What one invocation of a registered orchestration handler gave back. */
export type OrchestrationRun =
  | {
      readonly outcome: 'returned';
      /** The handler's return value (an `OrchestratorState` instance). */
      readonly state: unknown;
      readonly context: OrchestrationContext;
    }
  | {
      readonly outcome: 'threw';
      readonly error: unknown;
      /** The error's message up to the `$OutOfProcData$` marker (the whole message when there is none). */
      readonly messageBeforeOutOfProcData: string;
      /** The state parsed from after the marker; undefined when the message carries none. */
      readonly state: unknown;
      readonly context: OrchestrationContext;
    };

export interface RealOrchestrationApp extends RealLibraries {
  /** Everything registered, as the dev host holds it (usable with its `Invoker`). */
  readonly registry: FunctionRegistry;
  /** The registered orchestration function (trigger binding plus the library's handler); throws if unknown. */
  orchestration(name: string): RegisteredFunction;
  /**
   * Invokes the registered handler of `name` with `triggerInput` through the dev host's `Invoker` (fresh
   * `InvocationContext`, pre/postInvocation hooks), and reports a return or a throw.
   */
  run(name: string, triggerInput: unknown, options?: InvokeOptions): Promise<OrchestrationRun>;
  /** Host log lines the invocations produced (`Executed ...`, user logs). */
  readonly logs: readonly string[];
  /** Stops routing library system logs to this app. */
  release(): void;
}

/** Splits an orchestration failure message at the `$OutOfProcData$` marker. */
export function splitOutOfProcData(message: string): { before: string; state: unknown } | undefined {
  const at = message.indexOf(OUT_OF_PROC_DATA_MARKER);
  if (at < 0) return undefined;
  return {
    before: message.slice(0, at),
    state: JSON.parse(message.slice(at + OUT_OF_PROC_DATA_MARKER.length)) as unknown,
  };
}

function messageOf(error: unknown): string {
  // Duck-typed: the library throws from Node's realm, whose Error is not jest's.
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/**
 * Registers orchestrators with the real `durable-functions` (`df.app.orchestration`) under the dev host's
 * `@azure/functions-core` capture, and returns what was registered with a way to invoke it.
 *
 * @param define gets the native `durable-functions` module (and its `@azure/functions`) and returns the orchestrators
 *   by name; it may also register activities (`df.app.activity`) or hooks (`functions.app.hook.*`), which land in
 *   the same registry and, for hooks, run around every invocation.
 */
export async function registerRealOrchestrations(
  define: (df: DurableFunctionsLibrary, functions: FunctionsLibrary) => Readonly<Record<string, OrchestrationHandler>>,
  options: { fromDir?: string } = {},
): Promise<RealOrchestrationApp> {
  const libraries = loadRealLibraries(options.fromDir);
  const registry = new FunctionRegistry();
  const logs: string[] = [];
  const registrar: CoreRegistrar = {
    registerFunction: (metadata, callback) => registry.addFunction(toRegisteredFunction(metadata, callback)),
    registerHook: (name, callback) => registry.addHook({ name, callback }),
    log: (level, category, message) => logs.push(`[${level}] [${category}] ${message}`),
  };
  await withCoreRegistrar(registrar, () => {
    const df = libraries.durableFunctions;
    const orchestrators = define(df, libraries.functionsLibrary);
    for (const [name, handler] of Object.entries(orchestrators)) df.app.orchestration(name, handler);
  });

  const logger: HostLogger = {
    info: (m) => logs.push(`[info] ${m}`),
    warn: (m) => logs.push(`[warn] ${m}`),
    error: (m) => logs.push(`[error] ${m}`),
  };
  const invoker = new Invoker(registry, libraries.functionsLibrary, logger, {});

  const orchestration = (name: string): RegisteredFunction => {
    const fn = registry.get(name);
    if (!fn || fn.trigger.type !== ORCHESTRATION_TRIGGER) {
      throw new Error(`No orchestration named '${name}' was registered through durable-functions`);
    }
    return fn;
  };

  const run = async (name: string, triggerInput: unknown, invokeOptions?: InvokeOptions): Promise<OrchestrationRun> => {
    const fn = orchestration(name);
    const invocationId = invokeOptions?.invocationId ?? randomUUID();
    // The Invoker builds the context and only hands it back on success; a postInvocation hook (matched by
    // invocation id, so overlapping runs do not mix) keeps it to read `context.df` after a throw as well.
    let context: InvocationContext | undefined;
    const capture = registry.addHook({
      name: 'postInvocation',
      callback: (hookContext) => {
        const candidate = (hookContext as { invocationContext: InvocationContext }).invocationContext;
        if (candidate.invocationId === invocationId) context = candidate;
      },
    });
    try {
      const { result } = await invoker.invoke(fn, triggerInput, { ...invokeOptions, invocationId });
      return { outcome: 'returned', state: result, context: context as OrchestrationContext };
    } catch (error) {
      const message = messageOf(error);
      const split = splitOutOfProcData(message);
      return {
        outcome: 'threw',
        error,
        messageBeforeOutOfProcData: split?.before ?? message,
        state: split?.state,
        context: context as OrchestrationContext,
      };
    } finally {
      capture.dispose();
    }
  };

  return {
    ...libraries,
    registry,
    orchestration,
    run,
    logs,
    release: () => releaseCoreRegistrar(registrar),
  };
}

export type { RegisteredFunction };
