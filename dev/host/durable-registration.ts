/**
 * Registers durable functions through the real libraries, without an app on disk: for tests and benchmarks that
 * compose orchestrators and activities in code but must run them exactly as the dev host runs an app's.
 *
 * @remarks `durable-functions` and `@azure/functions` are loaded with Node's own `require` (not jest's registry):
 * only there does `require('@azure/functions-core')` reach the dev host's registration capture, so the functions
 * registered are the library's own wrappers (`createOrchestrator(fn)`, `wrapActivityHandler(fn)`).
 */
import fs from 'node:fs';
import path from 'node:path';

import type * as DurableFunctions from 'durable-functions';

import type { FunctionsLibrary } from './app-loader';
import { type DurableRuntimeLike, serveDurableFunctions } from './durable-bridge';
import { type CoreRegistrar, releaseCoreRegistrar, withCoreRegistrar } from './functions-core';
import { Invoker } from './invoker';
import type { HostLogger } from './log';
import { NativeModule } from './native-module';
import { FunctionRegistry, toRegisteredFunction } from './registry';

export type DurableFunctionsLibrary = typeof DurableFunctions;

export interface RegisteredApp {
  readonly registry: FunctionRegistry;
  readonly functionsLibrary: FunctionsLibrary;
  readonly invoker: Invoker;
}

/** Runs `register(df)` with registrations captured into a registry, and an invoker over it. */
export async function registerDurableApp(
  register: (df: DurableFunctionsLibrary) => void,
  options: { logger?: HostLogger; fromDir?: string } = {},
): Promise<RegisteredApp> {
  const nativeRequire = NativeModule.createRequire(path.join(options.fromDir ?? findRoot(), 'package.json'));
  const df = nativeRequire('durable-functions') as DurableFunctionsLibrary;
  const functionsLibrary = NativeModule.createRequire(nativeRequire.resolve('durable-functions'))(
    '@azure/functions',
  ) as FunctionsLibrary;
  const registry = new FunctionRegistry();
  const logger: HostLogger = options.logger ?? { info: () => undefined, warn: () => undefined, error: () => undefined };
  const registrar: CoreRegistrar = {
    registerFunction: (metadata, callback) => registry.addFunction(toRegisteredFunction(metadata, callback)),
    registerHook: (name, callback) => registry.addHook({ name, callback }),
    log: () => undefined,
  };
  await withCoreRegistrar(registrar, () => register(df));
  releaseCoreRegistrar(registrar);
  return { registry, functionsLibrary, invoker: new Invoker(registry, functionsLibrary, logger, {}) };
}

/** The nearest folder with a package.json above this module (the repository, from the sources or the build). */
function findRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** Orchestrators and activities composed in code, registered by name as an app would with `df.app.*`. */
export interface DurableFunctionSet {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- generators typed with any context shape are accepted
  registerOrchestration(name: string, fn: (context: any) => Generator<unknown, unknown, any>): void;
  registerActivity(name: string, handler: (input: unknown, context: unknown) => unknown): void;
}

/**
 * Collects the functions `register` names, registers them through the real libraries (`df.app.orchestration`,
 * `df.app.activity`) and serves them with `runtime`, exactly as the dev host serves an app's.
 */
export async function serveDurableSet(
  runtime: Pick<DurableRuntimeLike, 'registerOrchestration' | 'registerActivity'>,
  register: (set: DurableFunctionSet) => void,
  logger?: HostLogger,
): Promise<RegisteredApp> {
  const orchestrations: [string, (context: never) => Generator][] = [];
  const activities: [string, (input: unknown, context: unknown) => unknown][] = [];
  register({
    registerOrchestration: (name, fn) => orchestrations.push([name, fn]),
    registerActivity: (name, handler) => activities.push([name, handler]),
  });
  const app = await registerDurableApp(
    (df) => {
      for (const [name, handler] of activities) df.app.activity(name, { handler: handler as never });
      for (const [name, fn] of orchestrations) df.app.orchestration(name, fn as never);
    },
    logger ? { logger } : {},
  );
  serveDurableFunctions(runtime, app.registry, app.invoker, logger ?? SILENT);
  return app;
}

const SILENT: HostLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
