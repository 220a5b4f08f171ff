/**
 * Connects the app's durable functions to the durable engine module (dev/host/durable, a separate component):
 * captures raw orchestrators before the app loads, registers orchestrators and activities with the runtime, and
 * supplies the `durableClient` input binding.
 *
 * @remarks The engine module is loaded at runtime so the host still serves plain apps when it is absent.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

// Types only (erased when compiled): the engine module itself stays optional.
import type { DurableHttpRequest, DurableHttpResponse } from './durable';
import { flatHeaders, readBody, sendText } from './http/http-io';

import type { Invoker } from './invoker';
import { type HostKeys, isAuthorized, presentedKey } from './keys';
import { errorMessage, type HostLogger } from './log';
import type { FunctionRegistry } from './registry';

export const DURABLE_PATH = '/runtime/webhooks/durabletask';
export const DURABLE_SYSTEM_KEY = 'durabletask_extension';

/** The part of the engine's `DurableRuntime` the host uses. */
export interface DurableRuntimeLike {
  registerOrchestration(
    name: string,
    fn: (payload: Record<string, unknown>, meta: { instanceId: string }) => Promise<unknown>,
  ): void;
  registerActivity(name: string, fn: (input: unknown, meta: { instanceId: string }) => Promise<unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  handleHttp(req: DurableHttpRequest, origin: string): Promise<DurableHttpResponse>;
  clientBindingPayload(origin: string, functionKey: string): object;
}

export interface DurableStartOptions {
  taskHubName: string;
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
  registry: FunctionRegistry;
  invoker: Invoker;
  failureShape?: 'legacy' | 'structured';
  /** `AzureWebJobsStorage`: the durable state lives in that account's tables, as with the Azure Storage provider. */
  storageConnection?: string;
}

interface DurableModule {
  persistenceFor(hubName: string, connection: string | undefined): { persistence: unknown } | { reason: string };
  DurableRuntime: new (options: {
    taskHubName: string;
    maxConcurrentActivityFunctions: number;
    maxConcurrentOrchestratorFunctions?: number;
    log?: (line: string) => void;
    failureShape?: 'legacy' | 'structured';
    persistence?: unknown;
  }) => DurableRuntimeLike;
}

function loadDurableModule(): DurableModule | undefined {
  const base = path.join(__dirname, 'durable', 'index');
  if (!['.js', '.ts'].some((ext) => fs.existsSync(base + ext))) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(base) as DurableModule;
}

/**
 * Registers every orchestration and activity function of `registry` with the engine: each episode and each activity
 * is an invocation of the registered function through `invoker`.
 */
export function serveDurableFunctions(
  runtime: Pick<DurableRuntimeLike, 'registerOrchestration' | 'registerActivity'>,
  registry: FunctionRegistry,
  invoker: Invoker,
  logger: HostLogger,
): void {
  for (const fn of registry.byTrigger('orchestrationTrigger')) {
    runtime.registerOrchestration(fn.name, async (payload, meta) => {
      const { result } = await invoker.invoke(fn, payload, { triggerMetadata: { instanceId: meta.instanceId } });
      return result;
    });
  }
  for (const fn of registry.byTrigger('activityTrigger')) {
    runtime.registerActivity(fn.name, async (input, meta) => {
      const { result } = await invoker.invoke(fn, input, { triggerMetadata: { instanceId: meta.instanceId } });
      return result;
    });
  }
  for (const fn of registry.byTrigger('entityTrigger')) {
    logger.warn(
      `Entity function '${fn.name}' is not supported by the local durable engine (docs/durable-engine.md); it will not run`,
    );
  }
}

/**
 * Serves the app's durable functions the way the Durable extension does: every orchestration episode and every
 * activity is an invocation of the function the app registered (the real durable-functions handlers), through the
 * host's invoker, so hooks, the `InvocationContext` and the per-invocation log lines are those of Azure.
 */
export class DurableBridge {
  private runtime: DurableRuntimeLike | undefined;

  private constructor(
    private readonly module: DurableModule,
    private readonly logger: HostLogger,
  ) {}

  /** Undefined when the engine module is not there (then durable triggers are reported and skipped). */
  static create(logger: HostLogger): DurableBridge | undefined {
    const module = loadDurableModule();
    return module ? new DurableBridge(module, logger) : undefined;
  }

  async start(options: DurableStartOptions): Promise<void> {
    const hasDurable = options.registry
      .all()
      .some((f) => /^(orchestration|activity|entity)Trigger$/.test(f.trigger.type));
    const hasClient = options.registry
      .all()
      .some((f) => f.extraInputs.some((i) => i.type === 'durableClient' || i.type === 'orchestrationClient'));
    if (!hasDurable && !hasClient) return;
    const store = this.module.persistenceFor(options.taskHubName, options.storageConnection);
    if ('reason' in store)
      this.logger.warn(`Durable state is kept in memory only (${store.reason}); it will not survive a restart`);
    const runtime = new this.module.DurableRuntime({
      taskHubName: options.taskHubName,
      maxConcurrentActivityFunctions: options.maxConcurrentActivityFunctions,
      maxConcurrentOrchestratorFunctions: options.maxConcurrentOrchestratorFunctions,
      log: (line) => this.logger.info(line),
      ...(options.failureShape ? { failureShape: options.failureShape } : {}),
      ...('persistence' in store ? { persistence: store.persistence } : {}),
    });
    serveDurableFunctions(runtime, options.registry, options.invoker, this.logger);
    try {
      await runtime.start();
    } catch (error) {
      // As with the extension, the host keeps serving its other triggers when the task hub's storage is unreachable.
      this.unavailable = `the durable task hub's storage is unreachable: ${errorMessage(error)}`;
      this.logger.error(`Durable functions are not running: ${this.unavailable}`);
      return;
    }
    this.runtime = runtime;
  }

  /** Why durable functions are not served, when they are registered but could not start. */
  unavailable: string | undefined;

  clientPayload(origin: string, key: string): object | undefined {
    return this.runtime?.clientBindingPayload(origin, key);
  }

  handleHttp(req: DurableHttpRequest, origin: string): Promise<DurableHttpResponse> | undefined {
    return this.runtime?.handleHttp(req, origin);
  }

  async stop(): Promise<void> {
    await this.runtime?.stop();
    this.runtime = undefined;
  }
}

/**
 * `/runtime/webhooks/durabletask/*`: checks the durable extension's system key (or the master key) and hands the
 * request to the engine's HTTP API.
 */
export async function handleDurableWebhook(
  bridge: DurableBridge | undefined,
  keys: HostKeys,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  origin: string,
): Promise<void> {
  if (!isAuthorized(keys, 'system', presentedKey(url.searchParams, req.headers), DURABLE_SYSTEM_KEY)) {
    sendText(res, 401, '');
    return;
  }
  const body = (await readBody(req)).toString('utf8');
  const pending = bridge?.handleHttp(
    {
      method: req.method ?? 'GET',
      path: url.pathname.slice(DURABLE_PATH.length),
      query: url.searchParams,
      headers: flatHeaders(req),
      body,
    },
    origin,
  );
  if (!pending) {
    if (bridge?.unavailable) sendText(res, 503, `Durable functions are not running: ${bridge.unavailable}`);
    else sendText(res, 404, 'The app has no durable functions');
    return;
  }
  const answer = await pending;
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}
