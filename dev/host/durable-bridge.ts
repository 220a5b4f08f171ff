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

import type { InvocationContext } from '@azure/functions';

import { flatHeaders, readBody, sendText } from './http/http-io';

import type { Invoker } from './invoker';
import { type HostKeys, isAuthorized, presentedKey } from './keys';
import type { HostLogger } from './log';
import type { FunctionRegistry } from './registry';

export const DURABLE_PATH = '/runtime/webhooks/durabletask';
export const DURABLE_SYSTEM_KEY = 'durabletask_extension';

type Generatorish = (...args: never[]) => unknown;

export interface DurableHttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: string;
}

export interface DurableHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The part of the engine's `DurableRuntime` the host uses. */
export interface DurableRuntimeLike {
  registerOrchestration(name: string, fn: Generatorish): void;
  registerActivity(name: string, handler: (input: unknown, ctx: InvocationContext) => unknown): void;
  start(): void;
  stop(): Promise<void>;
  handleHttp(req: DurableHttpRequest, origin: string): Promise<DurableHttpResponse>;
  clientBindingPayload(origin: string, functionKey: string): object;
}

interface DurableModule {
  captureDurableRegistrations(df: unknown): { orchestrations: unknown; restore(): void };
  DurableRuntime: new (options: {
    taskHubName: string;
    maxConcurrentActivityFunctions: number;
    maxConcurrentOrchestratorFunctions?: number;
    log?: (line: string) => void;
  }) => DurableRuntimeLike;
}

function loadDurableModule(): DurableModule | undefined {
  const base = path.join(__dirname, 'durable', 'index');
  if (!['.js', '.ts'].some((ext) => fs.existsSync(base + ext))) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(base) as DurableModule;
}

/** Name → raw function, from whatever map shape the capture returns (Map or plain object). */
function entriesOf(value: unknown): [string, Generatorish][] {
  if (value instanceof Map) return [...(value as Map<string, Generatorish>).entries()];
  if (typeof value === 'object' && value !== null) return Object.entries(value as Record<string, Generatorish>);
  return [];
}

export class DurableBridge {
  private captured: unknown;
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

  /**
   * Call with the app's `require` before loading the app; call the returned function once it is loaded, so the
   * shared durable-functions module is unpatched for the next host in this process.
   */
  captureFrom(appRequire: NodeJS.Require): () => void {
    let df: unknown;
    try {
      df = appRequire('durable-functions');
    } catch {
      return () => undefined; // the app does not use durable-functions
    }
    const captured = this.module.captureDurableRegistrations(df);
    this.captured = captured;
    return () => captured.restore();
  }

  start(options: {
    taskHubName: string;
    maxConcurrentActivityFunctions: number;
    maxConcurrentOrchestratorFunctions: number;
    registry: FunctionRegistry;
    invoker: Invoker;
  }): void {
    const hasDurable = options.registry
      .all()
      .some((f) => /^(orchestration|activity|entity)Trigger$/.test(f.trigger.type));
    const hasClient = options.registry
      .all()
      .some((f) => f.extraInputs.some((i) => i.type === 'durableClient' || i.type === 'orchestrationClient'));
    if (!hasDurable && !hasClient) return;
    const runtime = new this.module.DurableRuntime({
      taskHubName: options.taskHubName,
      maxConcurrentActivityFunctions: options.maxConcurrentActivityFunctions,
      maxConcurrentOrchestratorFunctions: options.maxConcurrentOrchestratorFunctions,
      log: (line) => this.logger.info(line),
    });
    const capturedOrchestrations = (this.captured as { orchestrations?: unknown } | undefined)?.orchestrations;
    for (const [name, fn] of entriesOf(capturedOrchestrations)) runtime.registerOrchestration(name, fn);
    for (const fn of options.registry.byTrigger('activityTrigger')) {
      runtime.registerActivity(fn.name, async (input, ctx) => {
        const { result } = await options.invoker.invoke(fn, input, { invocationId: ctx?.invocationId });
        return result;
      });
    }
    for (const fn of options.registry.byTrigger('entityTrigger')) {
      this.logger.warn(`Entity function '${fn.name}' is not supported by the local durable engine; it will not run`);
    }
    runtime.start();
    this.runtime = runtime;
  }

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
    sendText(res, 404, 'The app has no durable functions');
    return;
  }
  const answer = await pending;
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}
