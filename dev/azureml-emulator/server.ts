/**
 * The emulator's composition root: builds state, clock, engine, event publisher and routes, and serves them over
 * HTTPS on loopback with one error boundary.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { checkApiVersion, PROVIDER } from './arm';
import { EmulatorClock, type EmulatorClockOptions, resumedClockOptions } from './clock';
import type { EmulatorContext, EmulatorSettings } from './context';
import { EmulatorHttpError, ensureError, unauthorized } from './errors';
import { EventPublisher, type EventSubscriber } from './events';
import { registerAssetRoutes } from './handlers/assets';
import { registerBatchEndpointRoutes } from './handlers/batch-endpoints';
import { registerControlRoutes } from './handlers/control';
import { registerJobRoutes } from './handlers/jobs';
import { registerOperationRoutes } from './handlers/lro';
import { registerMlflowRoutes } from './handlers/mlflow';
import { registerOnlineEndpointRoutes } from './handlers/online-endpoints';
import { registerRegistryRoutes } from './handlers/registries';
import { ScoringService } from './handlers/scoring';
import { registerV1Routes } from './handlers/v1-pipelines';
import { registerWorkspaceRoutes } from './handlers/workspace';
import { type EmulatorRequest, type EmulatorResponse, Router } from './http';
import { DataAccess } from './runtime/data-access';
import { Engine } from './runtime/engine';
import { LATENCY_PROFILES, type LatencyProfileName } from './runtime/latency';
import { seedDemo } from './seed';
import { StateStore, type StepDurations } from './state';
import { DEFAULT_WORKSPACE, inWorkspace, type RegistryRef, type WorkspaceRef } from './workspaces';

export interface AzureMlEmulatorOptions {
  /** Port on `host`; default 7443, 0 picks a free port. */
  readonly port?: number;
  /** Bind address; default 127.0.0.1 (loopback only). */
  readonly host?: string;
  /** Folder for persisted state (e.g. `.local/azureml-emulator`); in memory when absent. */
  readonly stateDir?: string;
  /** PEM files; default: `ensureLocalCertificates()` under `.local/certs`. */
  readonly certs?: { readonly certPath: string; readonly keyPath: string };
  /** Azurite connection string used to read training data and write seed data. */
  readonly azuriteConnectionString?: string;
  /** Datastore name → Azurite container for `azureml://datastores/<ds>/paths/...` (default: same name). */
  readonly datastores?: Readonly<Record<string, string>>;
  /** Event Grid webhook subscribers (e.g. the dev host's `/runtime/webhooks/eventgrid?functionName=...`). */
  readonly eventSubscribers?: readonly EventSubscriber[];
  /** Event delivery retry knobs. */
  readonly eventDelivery?: {
    readonly maxAttempts?: number;
    readonly retryDelayInMs?: number;
    readonly timeoutInMs?: number;
  };
  /**
   * Workspaces besides the default one (`local` in resource group `local`), each with its own jobs, models and
   * endpoints; and Azure ML registries whose models any hosted workspace's deployments may use.
   */
  readonly workspaces?: readonly WorkspaceRef[];
  readonly registries?: readonly RegistryRef[];
  /** Create the bike-demand demo resources (idempotent). */
  readonly seedDemo?: boolean;
  readonly clock?: EmulatorClockOptions;
  /** Step durations of time-based progressions (ms on the emulator clock). */
  readonly steps?: Partial<StepDurations>;
  /** `Retry-After` seconds on LRO responses; default 1. Tests use 0 for fast polling. */
  readonly lroRetryAfterSeconds?: number;
  /**
   * `azure`: jobs and long-running operations take the times a real workspace takes (minutes; Retry-After 10 s), so
   * clients see start-then-poll; pair with `clock.speed`. Default `fast` (the step durations above).
   */
  readonly latencyProfile?: LatencyProfileName;
  /** List page size before a nextLink; default 100. */
  readonly pageSize?: number;
  /** Accept unknown request fields (default false: unknown fields answer 400 naming the field). */
  readonly loose?: boolean;
  /** Seed of traffic routing and fault shares; default 1. */
  readonly routingSeed?: number;
  /** Interval of the background state tick in wall-clock ms; default 50. */
  readonly tickIntervalInMs?: number;
  readonly log?: (line: string) => void;
}

export const DEFAULT_STEPS: StepDurations = {
  notStartedMs: 500,
  queuedMs: 500,
  runningMs: 1000,
  cancelMs: 200,
  provisioningMs: 1000,
};

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export class AzureMlEmulator {
  private server: https.Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private url = '';
  private readonly router = new Router();
  private readonly log: (line: string) => void;

  private constructor(
    private readonly options: AzureMlEmulatorOptions,
    private readonly store: StateStore,
    readonly clock: EmulatorClock,
    private readonly events: EventPublisher,
    private readonly context: EmulatorContext,
    readonly engine: Engine,
    private readonly scoring: ScoringService,
  ) {
    this.log = options.log ?? (() => undefined);
  }

  static async create(options: AzureMlEmulatorOptions = {}): Promise<AzureMlEmulator> {
    const steps = { ...DEFAULT_STEPS, ...options.steps };
    const store = await StateStore.open({ ...(options.stateDir ? { stateDir: options.stateDir } : {}), steps });
    if (options.steps) store.data.steps = { ...store.data.steps, ...options.steps };
    const clock = new EmulatorClock(resumedClockOptions(options.clock ?? {}, store.data.clock));
    store.beforeWrite = () => {
      store.data.clock = clock.reading();
    };
    const log = options.log ?? (() => undefined);
    const events = new EventPublisher({
      subscribers: options.eventSubscribers ?? [],
      ...options.eventDelivery,
      log,
      outbox: {
        load: () => store.data.outbox ?? [],
        save: (pending) => {
          store.data.outbox = pending;
          store.changed();
        },
      },
    });
    const settings: EmulatorSettings = {
      pageSize: options.pageSize ?? 100,
      retryAfterSeconds: options.lroRetryAfterSeconds ?? 1,
      loose: options.loose ?? false,
      routingSeed: options.routingSeed ?? 1,
    };
    const dataAccess = new DataAccess({
      ...(options.azuriteConnectionString ? { azuriteConnectionString: options.azuriteConnectionString } : {}),
      ...(options.datastores ? { datastores: options.datastores } : {}),
    });
    let baseUrl = '';
    const context: EmulatorContext = { store, clock, events, dataAccess, settings, baseUrl: () => baseUrl, log };
    const engine = new Engine(context);
    const scoring = new ScoringService(context, engine);
    const emulator = new AzureMlEmulator(options, store, clock, events, context, engine, scoring);
    emulator.setBaseUrl = (url: string) => {
      baseUrl = url;
    };
    emulator.registerRoutes();
    clock.onChange(() => {
      store.changed(); // the new reading and pace
      engine.tick();
    });
    return emulator;
  }

  private setBaseUrl: (url: string) => void = () => undefined;

  get baseUrl(): string {
    return this.url;
  }

  async start(): Promise<{ url: string; port: number }> {
    const certs = this.options.certs ?? (await import('../certs/local-ca')).ensureLocalCertificates();
    const { certPath, keyPath } = await certs;
    const [cert, key] = await Promise.all([readFile(certPath), readFile(keyPath)]);
    const server = https.createServer({ cert, key }, (request, response) => {
      void this.handle(request, response);
    });
    server.keepAliveTimeout = 5000;
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 7443, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const port = (server.address() as AddressInfo).port;
    this.url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.setBaseUrl(this.url);
    this.events.resume();
    this.engine.resume();
    this.applyProfile();
    this.hostWorkspaces();
    if (this.options.seedDemo) await seedDemo(this.context, this.engine);
    this.timer = setInterval(() => this.engine.tick(), this.options.tickIntervalInMs ?? 50);
    this.timer.unref();
    return { url: this.url, port };
  }

  async reset(): Promise<void> {
    await this.engine.idle();
    await this.store.reset();
    this.events.clear();
    this.scoring.reset();
    this.clock.restore(this.options.clock ?? {});
    if (this.options.steps) this.store.data.steps = { ...this.store.data.steps, ...this.options.steps };
    this.applyProfile();
    this.hostWorkspaces();
    if (this.options.seedDemo) await seedDemo(this.context, this.engine);
  }

  private hostWorkspaces(): void {
    for (const ref of this.options.workspaces ?? []) this.store.addWorkspace(ref);
    for (const ref of this.options.registries ?? []) this.store.addRegistry(ref);
  }

  private applyProfile(): void {
    if (this.options.latencyProfile && this.options.latencyProfile !== 'fast') {
      this.engine.applyLatencyProfile(LATENCY_PROFILES[this.options.latencyProfile], {
        ...DEFAULT_STEPS,
        ...this.options.steps,
      });
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const server = this.server;
    this.server = undefined;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    await this.events.close();
    await this.engine.idle();
    await this.store.flush();
  }

  private registerRoutes(): void {
    const tick = () => this.engine.tick();
    registerWorkspaceRoutes(this.router, this.context);
    registerJobRoutes(this.router, this.context, this.engine);
    registerAssetRoutes(this.router, this.context);
    registerOnlineEndpointRoutes(this.router, this.context, this.engine);
    registerRegistryRoutes(this.router, this.context, this.engine);
    registerBatchEndpointRoutes(this.router, this.context, this.engine);
    registerOperationRoutes(this.router, this.context, tick);
    registerV1Routes(this.router, this.context, this.engine);
    registerMlflowRoutes(this.router, this.context, tick);
    this.scoring.register(this.router);
    registerControlRoutes(this.router, {
      context: this.context,
      clock: this.clock,
      engine: this.engine,
      scoring: this.scoring,
      reset: () => this.reset(),
      baseSteps: () => ({ ...DEFAULT_STEPS, ...this.options.steps }),
    });
  }

  /**
   * The workspace a route addresses (the default one for routes without workspace parameters), as ARM resolves it:
   * an unknown subscription is 404 SubscriptionNotFound, an unknown resource group 404 ResourceGroupNotFound, an
   * unknown workspace or registry 404 ResourceNotFound.
   */
  private addressedWorkspace(params: Readonly<Record<string, string>>): WorkspaceRef {
    const { subscriptionId, resourceGroupName, workspaceName, registryName } = params;
    if (subscriptionId === undefined) return DEFAULT_WORKSPACE;
    const workspaces = this.store.workspaces();
    const registries = this.store.registries();
    const subscriptions = new Set([
      ...workspaces.map((w) => w.subscriptionId.toLowerCase()),
      ...registries.map((r) => r.subscriptionId.toLowerCase()),
    ]);
    if (!subscriptions.has(subscriptionId.toLowerCase())) {
      throw new EmulatorHttpError(
        404,
        'SubscriptionNotFound',
        `The subscription '${subscriptionId}' could not be found; the emulator serves subscriptions ${[...subscriptions].join(', ')}.`,
      );
    }
    if (resourceGroupName === undefined) return DEFAULT_WORKSPACE;
    const inGroup = (r: { subscriptionId: string; resourceGroup: string }) =>
      r.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() &&
      r.resourceGroup.toLowerCase() === resourceGroupName.toLowerCase();
    if (!workspaces.some(inGroup) && !registries.some(inGroup)) {
      throw new EmulatorHttpError(
        404,
        'ResourceGroupNotFound',
        `Resource group '${resourceGroupName}' could not be found in subscription '${subscriptionId}'.`,
      );
    }
    if (registryName !== undefined) {
      const registry = this.store.registry(registryName);
      if (!registry || !inGroup(registry.ref)) {
        throw new EmulatorHttpError(
          404,
          'ResourceNotFound',
          `The Resource '${PROVIDER}/registries/${registryName}' under resource group '${resourceGroupName}' was not found.`,
        );
      }
      return DEFAULT_WORKSPACE;
    }
    if (workspaceName === undefined) return DEFAULT_WORKSPACE;
    const found = this.store.findWorkspace({
      subscriptionId,
      resourceGroup: resourceGroupName,
      workspace: workspaceName,
    });
    if (!found) {
      throw new EmulatorHttpError(
        404,
        'ResourceNotFound',
        `The Resource '${PROVIDER}/workspaces/${workspaceName}' under resource group '${resourceGroupName}' was not found.`,
      );
    }
    return found;
  }

  /** Consumes a matching management-plane fault: ARM throttling looks like 429/503 with Retry-After. */
  private injectArmFault(method: string, pathname: string): void {
    const faults = this.store.data.faults.arm ?? [];
    const index = faults.findIndex(
      (fault) =>
        (fault.method === undefined || fault.method.toUpperCase() === method.toUpperCase()) &&
        (fault.pathContains === undefined || pathname.toLowerCase().includes(fault.pathContains.toLowerCase())),
    );
    const fault = faults[index];
    if (!fault) return;
    fault.count -= 1;
    if (fault.count <= 0) faults.splice(index, 1);
    this.store.changed();
    const throttled = fault.statusCode === 429;
    throw new EmulatorHttpError(
      fault.statusCode,
      throttled ? 'TooManyRequests' : 'ServiceUnavailable',
      throttled
        ? 'The request was throttled (injected by the emulator control API).'
        : 'The service is temporarily unavailable (injected by the emulator control API).',
      { headers: { 'Retry-After': String(fault.retryAfterSeconds) } },
    );
  }

  private async handle(
    incoming: import('node:http').IncomingMessage,
    outgoing: import('node:http').ServerResponse,
  ): Promise<void> {
    const requestId = randomUUID();
    let response: EmulatorResponse;
    try {
      const rawBody = await readBody(incoming);
      const url = new URL(incoming.url ?? '/', this.url);
      const match = this.router.match(incoming.method ?? 'GET', url.pathname);
      const workspace = this.addressedWorkspace(match.params);
      if (match.auth === 'bearer') {
        checkBearer(incoming.headers.authorization);
        // Only the management plane (ARM) takes an api-version; MLflow, v1 and batch invoke are data planes.
        if (url.pathname.startsWith('/subscriptions/')) checkApiVersion(url);
        this.injectArmFault(incoming.method ?? 'GET', url.pathname);
      }
      const request: EmulatorRequest = {
        method: incoming.method ?? 'GET',
        url,
        headers: incoming.headers,
        rawBody,
        params: match.params,
      };
      response = await inWorkspace(workspace, () => match.handler(request));
      // What the response acknowledges is on disk before it is sent (Azure does not lose an accepted PUT).
      await this.store.flush();
    } catch (error) {
      if (error instanceof EmulatorHttpError) {
        response = {
          status: error.status,
          body: error.toBody(),
          headers: { ...error.headers, 'x-ms-error-code': error.code },
        };
      } else {
        const failure = ensureError(error);
        this.log(`500 ${incoming.method ?? ''} ${incoming.url ?? ''}: ${failure.stack ?? failure.message}`);
        response = {
          status: 500,
          body: {
            error: {
              code: 'InternalServerError',
              message: `Emulator error (request ${requestId}): ${failure.message}`,
            },
          },
        };
      }
    }
    const headers: Record<string, string> = {
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id': headerValue(incoming.headers['x-ms-correlation-request-id']) ?? requestId,
      ...(headerValue(incoming.headers['x-ms-client-request-id'])
        ? { 'x-ms-client-request-id': headerValue(incoming.headers['x-ms-client-request-id']) ?? '' }
        : {}),
      ...response.headers,
    };
    let payload: Buffer | undefined;
    if (response.text !== undefined) {
      payload = Buffer.from(response.text);
      headers['content-type'] ??= 'text/plain; charset=utf-8';
    } else if (response.body !== undefined && response.status !== 204) {
      payload = Buffer.from(JSON.stringify(response.body));
      headers['content-type'] = 'application/json; charset=utf-8';
    }
    if (payload) headers['content-length'] = String(payload.length);
    else headers['content-length'] = '0';
    outgoing.writeHead(response.status, headers);
    outgoing.end(payload);
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readBody(request: import('node:http').IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(
          new EmulatorHttpError(413, 'RequestEntityTooLarge', `The request body exceeds ${MAX_BODY_BYTES} bytes.`),
        );
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** The emulator hosts one workspace; any other subscription/group/workspace is a 404 like Azure's. */
function checkBearer(authorization: string | undefined): void {
  if (!authorization) throw unauthorized("Authentication failed. The 'Authorization' header is missing.");
  if (!/^Bearer\s+\S+/i.test(authorization))
    throw unauthorized("Authentication failed. The 'Authorization' header is not a Bearer token.");
}
