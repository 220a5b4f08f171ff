/**
 * The `@azure/functions-core` module, as the Functions worker provides it to `@azure/functions`.
 *
 * @remarks The library requires this id lazily and caches the answer for the life of the process, and it sets its
 * programming model only once. Several dev hosts can live in one process (tests), so a single shim object is
 * installed per process and forwards every call to the host that is currently loading an app.
 */
import { NativeModule as Module } from './native-module';

export const CORE_MODULE_ID = '@azure/functions-core';

/** A binding as the library describes it in function metadata (options plus type/direction/name). */
export interface CoreBinding {
  type: string;
  /** 'in' or 'out'. */
  direction: string;
  name?: string;
  [option: string]: unknown;
}

export interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, CoreBinding>;
  retryOptions?: unknown;
}

export type CoreCallback = (...args: unknown[]) => unknown;

/** appStart, appTerminate, preInvocation, postInvocation or log. */
export type CoreHookName = string;

/** Receives what one app registers while it loads. */
export interface CoreRegistrar {
  registerFunction(metadata: CoreFunctionMetadata, callback: CoreCallback): void;
  registerHook(name: CoreHookName, callback: CoreCallback): { dispose(): void };
  log(level: string, category: string, message: string): void;
}

interface CoreShimState {
  current: CoreRegistrar | undefined;
  programmingModel: unknown;
  readonly module: Record<string, unknown>;
}

const STATE_KEY = Symbol.for('mlops.devhost.functionsCore');
const HOST_VERSION = '4.0.0-devhost';

function createState(): CoreShimState {
  const state: CoreShimState = {
    current: undefined,
    programmingModel: undefined,
    module: {},
  };
  const activeRegistrar = (what: string): CoreRegistrar => {
    if (!state.current) throw new Error(`${what} called while no dev host is loading an app`);
    return state.current;
  };
  class Disposable {
    constructor(private readonly callOnDispose: () => void) {}
    dispose(): void {
      this.callOnDispose();
    }
  }
  Object.assign(state.module, {
    version: HOST_VERSION,
    hostVersion: HOST_VERSION,
    Disposable,
    setProgrammingModel(model: unknown): void {
      state.programmingModel = model;
    },
    getProgrammingModel(): unknown {
      return state.programmingModel;
    },
    registerFunction(metadata: CoreFunctionMetadata, callback: CoreCallback): Disposable {
      activeRegistrar('registerFunction').registerFunction(metadata, callback);
      return new Disposable(() => undefined);
    },
    registerHook(name: string, callback: CoreCallback): { dispose(): void } {
      return activeRegistrar('registerHook').registerHook(name, callback);
    },
    log(level: string, category: string, message: string): void {
      // System logs can come after loading (e.g. from an invocation); the last host that loaded an app gets them.
      if (state.current) state.current.log(level, category, message);
      else process.stdout.write(`[${level}] ${message}\n`);
    },
  });
  return state;
}

function installedState(): CoreShimState {
  // Kept on Node's Module class, not globalThis: jest gives every test file a fresh global, but the patched
  // require and the library's cached core module live as long as the process.
  const holder = Module as unknown as Record<symbol, CoreShimState | undefined>;
  let state = holder[STATE_KEY];
  if (!state) {
    state = createState();
    holder[STATE_KEY] = state;
    const proto = Module.prototype as unknown as { require: (this: NodeJS.Module, id: string) => unknown };
    const realRequire = proto.require;
    const shim = state.module;
    proto.require = function requireWithFunctionsCore(this: NodeJS.Module, id: string): unknown {
      if (id === CORE_MODULE_ID) return shim;
      // eslint-disable-next-line prefer-rest-params
      return realRequire.apply(this, arguments as unknown as [string]);
    };
  }
  return state;
}

/**
 * Runs `load` with `registrar` receiving every registration made through `@azure/functions-core`.
 *
 * @remarks Loading is synchronous for CommonJS apps; for ESM apps pass an async loader, the registrar stays active
 * until it settles. Only one app may load at a time per process.
 */
export async function withCoreRegistrar<T>(registrar: CoreRegistrar, load: () => T | Promise<T>): Promise<T> {
  const state = installedState();
  const previous = state.current;
  state.current = registrar;
  try {
    return await load();
  } finally {
    // Keep the registrar as the log target after loading; a later host replaces it.
    if (state.current !== registrar) state.current = previous;
  }
}

/** Stops routing system logs to `registrar` (its host is closing). */
export function releaseCoreRegistrar(registrar: CoreRegistrar): void {
  const state = installedState();
  if (state.current === registrar) state.current = undefined;
}
