import { Registry } from './core';

type Orchestrator = Parameters<Registry['addNamedOrchestrator']>[1];
type Activity = Parameters<Registry['addNamedActivity']>[1];

/**
 * Azure Functions looks functions up by name case-insensitively (`callActivity('SayHello')` reaches `sayHello`);
 * the core registry is case-sensitive. Exact names win; otherwise the one registration that matches ignoring case.
 */
export class FunctionRegistry extends Registry {
  private readonly orchestratorNames = new Map<string, string>();
  private readonly activityNames = new Map<string, string>();

  override addNamedOrchestrator(name: string, fn: Orchestrator): void {
    super.addNamedOrchestrator(name, fn);
    this.orchestratorNames.set(name.toLowerCase(), name);
  }

  override addNamedActivity(name: string, fn: Activity): void {
    super.addNamedActivity(name, fn);
    this.activityNames.set(name.toLowerCase(), name);
  }

  override getOrchestrator(name?: string): Orchestrator | undefined {
    return super.getOrchestrator(name) ?? super.getOrchestrator(this.canonicalOrchestrator(name));
  }

  override getActivity(name: string): Activity | undefined {
    return super.getActivity(name) ?? this.lookupActivity(this.activityNames.get(name.toLowerCase()));
  }

  /** The registered orchestrator name matching `name` ignoring case, if any. */
  canonicalOrchestrator(name: string | undefined): string | undefined {
    return name === undefined ? undefined : this.orchestratorNames.get(name.toLowerCase());
  }

  private lookupActivity(name: string | undefined): Activity | undefined {
    return name === undefined ? undefined : super.getActivity(name);
  }
}
