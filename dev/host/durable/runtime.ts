import { InvocationContext } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import { adaptClassicOrchestrator, ClassicOrchestrator } from './classic/adapter';
import { InMemoryOrchestrationBackend } from './core';
import { FunctionRegistry } from './function-registry';
import { Dispatcher, DispatcherStats } from './dispatcher';
import { DurableHttpApi, DurableHttpRequest, DurableHttpResponse, WEBHOOK_PATH } from './http-api';
import { InstanceStore } from './instance-store';

export interface DurableRuntimeOptions {
  taskHubName: string;
  maxConcurrentActivityFunctions: number;
  /** Accepted for host.json parity; episodes are CPU-only replays and run one at a time (see docs). */
  maxConcurrentOrchestratorFunctions?: number;
  log?: (line: string) => void;
  /** History cap per instance (core default 10,000 is too small for a 10k fan-out). Default 1,000,000. */
  maxHistorySize?: number;
  /** Longest single backend timer; longer durable timers are chained. Default 3 days (must be < 2^31 ms). */
  maxTimerIntervalMs?: number;
  /** Page size of `GET /instances` without `top`. Default 100. */
  listPageSize?: number;
}

export type ActivityHandler = (input: unknown, ctx: InvocationContext) => unknown;

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_SET_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The local Durable Functions engine: classic durable-functions 3.x orchestrators running on the durabletask-js
 * in-memory replay engine, driven by our own dispatch loop, and served over the Durable HTTP API so the app's
 * `DurableClient` works unmodified. See docs/durable-engine.md.
 */
export class DurableRuntime {
  private readonly backend: InMemoryOrchestrationBackend;
  private readonly registry = new FunctionRegistry();
  private readonly dispatcher: Dispatcher;
  private readonly store: InstanceStore;
  private readonly api: DurableHttpApi;
  private readonly log: (line: string) => void;
  private readonly maxTimerIntervalMs: number;

  constructor(private readonly options: DurableRuntimeOptions) {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(options.taskHubName)) {
      throw new RangeError(
        `taskHubName must start with a letter and contain only letters and digits: ${options.taskHubName}`,
      );
    }
    if (!Number.isInteger(options.maxConcurrentActivityFunctions) || options.maxConcurrentActivityFunctions < 1) {
      throw new RangeError('maxConcurrentActivityFunctions must be a positive integer');
    }
    this.log = options.log ?? ((line) => console.log(line));
    this.maxTimerIntervalMs = Math.min(options.maxTimerIntervalMs ?? 3 * DAY_MS, MAX_SET_TIMEOUT_MS);
    this.backend = new InMemoryOrchestrationBackend(options.maxHistorySize ?? 1_000_000);
    this.store = new InstanceStore(this.backend);
    this.dispatcher = new Dispatcher(this.backend, this.registry, {
      maxConcurrentActivities: options.maxConcurrentActivityFunctions,
      log: this.log,
    });
    this.api = new DurableHttpApi({
      taskHubName: options.taskHubName,
      store: this.store,
      backend: this.backend,
      canonicalOrchestrator: (name) => this.registry.canonicalOrchestrator(name),
      wake: () => this.dispatcher.wake(),
      listPageSize: options.listPageSize ?? 100,
    });
  }

  // `any[]` (the agreed interface) so generators typed `(context: OrchestrationContext)` are accepted as they are.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  registerOrchestration(name: string, fn: (...args: any[]) => Generator): void {
    this.registry.addNamedOrchestrator(
      name,
      adaptClassicOrchestrator(name, fn as ClassicOrchestrator, {
        maxTimerIntervalMs: this.maxTimerIntervalMs,
        log: this.log,
      }),
    );
  }

  registerActivity(name: string, handler: ActivityHandler): void {
    this.registry.addNamedActivity(name, (actx, input: unknown) => {
      const context = new InvocationContext({
        invocationId: randomUUID(),
        functionName: name,
        logHandler: (level, ...args) => this.log(`[${name} ${actx.orchestrationId}] ${level}: ${format(...args)}`),
        triggerMetadata: { instanceId: actx.orchestrationId },
      });
      return handler(input, context);
    });
  }

  start(): void {
    this.dispatcher.start();
  }

  async stop(): Promise<void> {
    await this.dispatcher.stop();
    // Clears the backend's pending timers so nothing keeps the process alive after the host stops.
    this.backend.reset();
  }

  /** Engine counters (episodes, activities, loop rounds, parked) for benchmarks and tests. */
  stats(): DispatcherStats {
    return this.dispatcher.stats();
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
