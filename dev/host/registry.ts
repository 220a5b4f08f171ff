/**
 * What an app registered: functions (with their bindings split the way `InvocationContext.options` wants them) and
 * hooks.
 */
import type { CoreBinding, CoreCallback, CoreFunctionMetadata } from './functions-core';

export interface NamedBinding extends CoreBinding {
  name: string;
}

export interface RegisteredFunction {
  readonly name: string;
  readonly metadata: CoreFunctionMetadata;
  readonly callback: CoreCallback;
  readonly trigger: NamedBinding;
  readonly returnBinding: NamedBinding | undefined;
  readonly extraInputs: readonly NamedBinding[];
  readonly extraOutputs: readonly NamedBinding[];
}

export interface RegisteredHook {
  readonly name: string;
  readonly callback: CoreCallback;
}

export function toRegisteredFunction(metadata: CoreFunctionMetadata, callback: CoreCallback): RegisteredFunction {
  let trigger: NamedBinding | undefined;
  let returnBinding: NamedBinding | undefined;
  const extraInputs: NamedBinding[] = [];
  const extraOutputs: NamedBinding[] = [];
  for (const [name, binding] of Object.entries(metadata.bindings)) {
    const named: NamedBinding = { ...binding, name };
    if (/trigger$/i.test(binding.type)) trigger = named;
    else if (name === '$return') returnBinding = named;
    else if (binding.direction === 'in') extraInputs.push(named);
    else extraOutputs.push(named);
  }
  if (!trigger) throw new Error(`Function '${metadata.name}' has no trigger binding`);
  return { name: metadata.name, metadata, callback, trigger, returnBinding, extraInputs, extraOutputs };
}

/** Functions by name (case-insensitive, as function names are in Azure) plus hooks in registration order. */
export class FunctionRegistry {
  private readonly functions = new Map<string, RegisteredFunction>();
  private readonly hooks: RegisteredHook[] = [];

  addFunction(fn: RegisteredFunction): void {
    const key = fn.name.toLowerCase();
    if (this.functions.has(key)) throw new Error(`A function named '${fn.name}' is already registered`);
    this.functions.set(key, fn);
  }

  addHook(hook: RegisteredHook): { dispose(): void } {
    this.hooks.push(hook);
    return {
      dispose: () => {
        const i = this.hooks.indexOf(hook);
        if (i >= 0) this.hooks.splice(i, 1);
      },
    };
  }

  get(name: string): RegisteredFunction | undefined {
    return this.functions.get(name.toLowerCase());
  }

  all(): RegisteredFunction[] {
    return [...this.functions.values()];
  }

  byTrigger(type: string): RegisteredFunction[] {
    return this.all().filter((f) => f.trigger.type.toLowerCase() === type.toLowerCase());
  }

  hooksNamed(name: string): RegisteredHook[] {
    return this.hooks.filter((h) => h.name === name);
  }
}
