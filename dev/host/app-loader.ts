/**
 * Loads a compiled function app the way the Functions worker does: with `@azure/functions-core` provided, through
 * Node's own `require`, then runs its appStart hooks.
 */
import fs from 'node:fs';
import { NativeModule as Module } from './native-module';
import path from 'node:path';

import { type CoreRegistrar, releaseCoreRegistrar, withCoreRegistrar } from './functions-core';
import { FunctionRegistry, toRegisteredFunction } from './registry';

/** The runtime exports of the app's own copy of `@azure/functions` (so `instanceof` checks inside it hold). */
export type FunctionsLibrary = typeof import('@azure/functions');

export interface LoadedApp {
  readonly entry: string;
  readonly functionAppDirectory: string;
  readonly registry: FunctionRegistry;
  readonly functionsLibrary: FunctionsLibrary;
  /** `require` rooted at the app, resolving its dependencies as the app does. */
  readonly appRequire: NodeJS.Require;
  /** Stops routing the library's system logs to this app's host. */
  release(): void;
}

export interface LoadAppOptions {
  /** A .js file or a directory with a package.json `main`. */
  entry: string;
  /** The function app directory given to hooks; defaults to the nearest folder with host.json, else the entry's. */
  functionAppDirectory?: string;
  log: (level: string, category: string, message: string) => void;
}

export function resolveEntry(entry: string): string {
  const absolute = path.resolve(entry);
  if (fs.existsSync(absolute) && fs.statSync(absolute).isDirectory()) {
    const pkgFile = path.join(absolute, 'package.json');
    const main = fs.existsSync(pkgFile)
      ? (JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { main?: string }).main
      : undefined;
    return require.resolve(path.resolve(absolute, main ?? 'index.js'));
  }
  return absolute;
}

function findFunctionAppDirectory(entry: string): string {
  let dir = path.dirname(entry);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'host.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.dirname(entry);
    dir = parent;
  }
}

/**
 * Libraries that keep state derived from the worker's environment in module-level statics for the life of the
 * process. MSAL (under @azure/identity) picks the managed identity source — and with it IDENTITY_ENDPOINT and
 * IDENTITY_HEADER — once per process (`ManagedIdentityClient.identitySource`). That is right in Azure, where a worker
 * process serves one app with one endpoint for its whole life, and wrong for a second dev host in the same process,
 * whose app would keep asking the first (closed) host's endpoint for tokens.
 */
const PROCESS_SCOPED_PACKAGES = ['@azure/identity', '@azure/msal-node', '@azure/msal-common'].map(
  (name) => `${path.sep}node_modules${path.sep}${name.split('/').join(path.sep)}${path.sep}`,
);

/**
 * Forgets the app's own modules from Node's cache, so a second host in the same process (tests) registers the app
 * again instead of getting the already-evaluated modules, and the process-scoped libraries above, so it starts from
 * the state a fresh worker process has. Other dependencies under node_modules stay cached (loading them is slow and
 * they keep nothing host-specific).
 */
function forgetAppModules(root: string): void {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  // Node's own cache: inside jest, `require.cache` is jest's registry, not the one the app is loaded into.
  const cache = (Module as unknown as { _cache: Record<string, unknown> })._cache;
  for (const file of Object.keys(cache)) {
    const isDependency = file.includes(`${path.sep}node_modules${path.sep}`);
    if ((file.startsWith(prefix) && !isDependency) || PROCESS_SCOPED_PACKAGES.some((pkg) => file.includes(pkg))) {
      delete cache[file];
    }
  }
}

export async function loadApp(options: LoadAppOptions): Promise<LoadedApp> {
  const entry = resolveEntry(options.entry);
  const functionAppDirectory = options.functionAppDirectory ?? findFunctionAppDirectory(entry);
  // A native require: inside jest, the test's own `require` goes through jest's registry, which would bypass the
  // `@azure/functions-core` interception and give the app a second copy of its libraries.
  const appRequire = Module.createRequire(entry);
  const registry = new FunctionRegistry();
  const registrar: CoreRegistrar = {
    registerFunction: (metadata, callback) => registry.addFunction(toRegisteredFunction(metadata, callback)),
    registerHook: (name, callback) => registry.addHook({ name, callback }),
    log: options.log,
  };
  forgetAppModules(path.dirname(entry));
  const functionsLibrary = await withCoreRegistrar(registrar, () => {
    appRequire(entry);
    return appRequire('@azure/functions') as FunctionsLibrary;
  });
  return {
    entry,
    functionAppDirectory,
    registry,
    functionsLibrary,
    appRequire,
    release: () => releaseCoreRegistrar(registrar),
  };
}

/** Runs the app's appStart hooks once, in registration order, as the worker does after loading. */
export async function runAppStartHooks(app: LoadedApp, appHookData: Record<string, unknown>): Promise<void> {
  for (const hook of app.registry.hooksNamed('appStart')) {
    await hook.callback({ hookData: {}, appHookData, functionAppDirectory: app.functionAppDirectory });
  }
}

export async function runAppTerminateHooks(app: LoadedApp, appHookData: Record<string, unknown>): Promise<void> {
  for (const hook of app.registry.hooksNamed('appTerminate')) {
    await hook.callback({ hookData: {}, appHookData });
  }
}
