/**
 * Node's real `Module` class.
 *
 * @remarks Inside jest, `require('node:module')` returns a subclass whose `createRequire` goes through jest's
 * module registry; the app must be loaded by Node itself so that the library's `require('@azure/functions-core')`
 * reaches our interception and the app shares one copy of its libraries with the host.
 */
import Module from 'node:module';

type ModuleClass = typeof Module;

function findNativeModule(): ModuleClass {
  let candidate: ModuleClass = Module;
  for (;;) {
    const parent = Object.getPrototypeOf(candidate) as unknown;
    if (typeof parent !== 'function') return candidate;
    const proto = (parent as { prototype?: { require?: unknown } }).prototype;
    if (typeof proto?.require !== 'function') return candidate;
    candidate = parent as ModuleClass;
  }
}

export const NativeModule: ModuleClass = findNativeModule();

/**
 * Node's real `process`. Inside jest, `process.env` is a per-test copy; the app (loaded natively) reads the real
 * one, so app settings must be written there.
 */
export const nativeProcess: NodeJS.Process = NativeModule.createRequire(__filename)('node:process') as NodeJS.Process;
