import { DurableEngine, type ActivityFunction, type EngineStats, type OrchestrationFunction } from './engine';
import type { ReplaySettings } from './extension-replay';
import type { FailureShape } from './failures';
import { DurableHttpApi, type DurableHttpRequest, type DurableHttpResponse, WEBHOOK_PATH } from './http-api';
import { type Persistence, StateStore } from './state-store';

export interface DurableRuntimeOptions {
  taskHubName: string;
  maxConcurrentActivityFunctions: number;
  /** Accepted for host.json parity; episodes run one at a time (see docs/durable-engine.md). */
  maxConcurrentOrchestratorFunctions?: number;
  log?: (line: string) => void;
  /** 'legacy' (default, current extension bundles) or 'structured' (FailureDetails; newer extensions). */
  failureShape?: FailureShape;
  /** Where state is kept across restarts; in memory only when absent. */
  persistence?: Persistence;
  /** Page size of `GET /instances` without `top`. Default 100. */
  listPageSize?: number;
  /** Provider timer settings; default Azure Storage's (6-day maximum, 3-day interval). */
  timerSettings?: ReplaySettings;
  clock?: () => number;
}

export type { ActivityFunction, OrchestrationFunction };

/**
 * The local Durable Functions engine: it plays the Durable extension for the app's registered durable-functions
 * handlers and serves the Durable HTTP API, so the app's unmodified `DurableClient` works. See docs/durable-engine.md.
 */
export class DurableRuntime {
  readonly store: StateStore;
  private readonly engine: DurableEngine;
  private readonly api: DurableHttpApi;

  constructor(private readonly options: DurableRuntimeOptions) {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(options.taskHubName)) {
      throw new RangeError(
        `taskHubName must start with a letter and contain only letters and digits: ${options.taskHubName}`,
      );
    }
    if (!Number.isInteger(options.maxConcurrentActivityFunctions) || options.maxConcurrentActivityFunctions < 1) {
      throw new RangeError('maxConcurrentActivityFunctions must be a positive integer');
    }
    const clock = options.clock ?? Date.now;
    this.store = new StateStore(options.persistence);
    this.engine = new DurableEngine({
      store: this.store,
      maxConcurrentActivityFunctions: options.maxConcurrentActivityFunctions,
      failureShape: options.failureShape ?? 'legacy',
      log: options.log ?? ((line) => console.log(line)),
      clock,
      ...(options.timerSettings ? { settings: options.timerSettings } : {}),
    });
    this.api = new DurableHttpApi({
      taskHubName: options.taskHubName,
      store: this.store,
      engine: this.engine,
      clock,
      listPageSize: options.listPageSize ?? 100,
    });
  }

  /** `fn` invokes the registered orchestrationTrigger function with the extension's payload. */
  registerOrchestration(name: string, fn: OrchestrationFunction): void {
    this.engine.registerOrchestration(name, fn);
  }

  /** `fn` invokes the registered activityTrigger function with the activity's input. */
  registerActivity(name: string, fn: ActivityFunction): void {
    this.engine.registerActivity(name, fn);
  }

  /** Loads persisted state (instances resume: timers re-armed, inbox delivered, unfinished activities run again). */
  async start(): Promise<void> {
    await this.store.load();
    this.engine.start();
  }

  async stop(): Promise<void> {
    await this.engine.stop();
  }

  stats(): EngineStats {
    return this.engine.stats();
  }

  /** Wakes the dispatch loop (after a test moved its clock). */
  wake(): void {
    this.engine.wake();
  }

  handleHttp(req: DurableHttpRequest, origin: string): Promise<DurableHttpResponse> {
    return this.api.handle(req, origin);
  }

  /** The `durableClient` input binding value (extension BindingHelper shape, template mode: no rpcBaseUrl). */
  clientBindingPayload(origin: string, functionKey: string): object {
    const base = `${origin}${WEBHOOK_PATH}`;
    const hub = encodeURIComponent(this.options.taskHubName);
    const code = encodeURIComponent(functionKey);
    const q = `taskHub=${hub}&connection=Storage&code=${code}`;
    const instance = `${base}/instances/INSTANCEID`;
    return {
      taskHubName: this.options.taskHubName,
      creationUrls: {
        createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?code=${code}`,
        createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=${code}`,
      },
      managementUrls: {
        id: 'INSTANCEID',
        statusQueryGetUri: `${instance}?${q}`,
        sendEventPostUri: `${instance}/raiseEvent/{eventName}?${q}`,
        terminatePostUri: `${instance}/terminate?reason={text}&${q}`,
        rewindPostUri: `${instance}/rewind?reason={text}&${q}`,
        purgeHistoryDeleteUri: `${instance}?${q}`,
        restartPostUri: `${instance}/restart?${q}`,
        suspendPostUri: `${instance}/suspend?reason={text}&${q}`,
        resumePostUri: `${instance}/resume?reason={text}&${q}`,
      },
      baseUrl: base,
      requiredQueryStringParameters: `code=${code}`,
    };
  }
}
