/**
 * The local Functions host: loads a compiled function app unchanged and serves it the way the Functions runtime
 * does (HTTP triggers, Event Grid webhook, timers, Durable HTTP API, admin API), plus the platform services the
 * app expects around it (managed identity endpoint, an Application Insights ingestion sink).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { handleAdmin, type HostState } from './admin';
import { type LoadedApp, loadApp, runAppStartHooks, runAppTerminateHooks } from './app-loader';
import { DURABLE_PATH, DURABLE_SYSTEM_KEY, DurableBridge, handleDurableWebhook } from './durable-bridge';
import { EVENT_GRID_PATH, handleEventGrid } from './eventgrid';
import { requestOrigin, sendText } from './http/http-io';
import { HttpTriggerRouter } from './http/http-trigger';
import { type InvocationRecord, Invoker } from './invoker';
import { type HostKeys, hostKeysFrom } from './keys';
import { createHostLogger, errorMessage, type HostLogger, type LogSink } from './log';
import { defaultManagedIdentity, handleManagedIdentity, IDENTITY_PATH } from './managed-identity';
import { nativeProcess } from './native-module';
import { readHostJson, readLocalSettings } from './settings';
import { TelemetrySink, TRACK_PATHS } from './telemetry-sink';
import { type Clock, systemClock } from './timers/clock';
import { FileScheduleMonitor, InMemoryScheduleMonitor, type ScheduleMonitor } from './timers/schedule-monitor';
import type { TimerListener } from './timers/timer-listener';
import { createTimerListeners } from './timers/timer-triggers';

export interface DevHostOptions {
  /** The compiled app: a .js entry or a folder with package.json "main". */
  appEntry: string;
  /** Where host.json and local.settings(.sample).json live; default: the current directory. */
  projectDir?: string;
  /** Settings file to use instead of local.settings.json / local.settings.sample.json. */
  settingsFile?: string;
  /** App settings applied on top of the settings file. */
  appSettings?: Record<string, string>;
  /** HTTP port on 127.0.0.1; 0 picks a free one. Default: DevHost.Port, else 7071. */
  port?: number;
  /** HTTPS listener (same routes) for clients that insist on TLS, e.g. the Application Insights exporter. */
  https?: { port: number; certPath: string; keyPath: string };
  keys?: Partial<HostKeys>;
  /** Clock for timer schedules (tests inject a manual one). */
  clock?: Clock;
  /** Where timer statuses are kept; default: files under `<stateDir>/timers`. */
  scheduleMonitor?: ScheduleMonitor;
  /** Host state (timer monitor); default `<projectDir>/.local/devhost`. */
  stateDir?: string;
  /** Start timer schedules (default true). */
  timers?: boolean;
  log?: LogSink;
  /** Maximum telemetry envelopes kept in memory. */
  telemetryCapacity?: number;
  hostId?: string;
}

export interface DevHost {
  readonly url: string;
  readonly port: number;
  readonly httpsUrl: string | undefined;
  readonly keys: HostKeys;
  readonly telemetry: TelemetrySink;
  readonly invocations: readonly InvocationRecord[];
  readonly app: LoadedApp;
  /** What the host sets as IDENTITY_ENDPOINT / IDENTITY_HEADER for the app. */
  readonly managedIdentity: { readonly endpoint: string; readonly header: string };
  /** Runs a timer-triggered function now, behind any run in progress. */
  runTimer(name: string): Promise<void>;
  close(): Promise<void>;
}

const MAX_INVOCATION_RECORDS = 1000;

function listen(server: http.Server | https.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server | https.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Applies app settings to the process environment; variables already set win, as with Core Tools.
 * Returns a function that puts the environment back as it was, so a host started in a long-lived process (a test
 * worker runs several) leaves no settings behind for the next one.
 */
function applyAppSettings(values: Record<string, string>, overrides: Record<string, string>): () => void {
  const env = nativeProcess.env;
  const previous = new Map<string, string | undefined>();
  const set = (k: string, v: string): void => {
    if (!previous.has(k)) previous.set(k, env[k]);
    env[k] = v;
  };
  for (const [k, v] of Object.entries(values)) if (env[k] === undefined) set(k, v);
  for (const [k, v] of Object.entries(overrides)) set(k, v);
  return () => {
    for (const [k, v] of previous) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
  };
}

export async function startDevHost(options: DevHostOptions): Promise<DevHost> {
  const projectDir = path.resolve(options.projectDir ?? process.cwd());
  const logger: HostLogger = createHostLogger(options.log);
  const settings = readLocalSettings(projectDir, options.settingsFile);
  const keys = hostKeysFrom(settings.devHost, options.keys);
  const telemetry = new TelemetrySink(options.telemetryCapacity);
  const invocations: InvocationRecord[] = [];
  const startedAt = Date.now();
  const hostId = options.hostId ?? 'devhost';
  const identityHeader = settings.devHost.IdentityHeader ?? randomBytes(16).toString('hex');
  const identity = defaultManagedIdentity(identityHeader);
  const timers = new Map<string, TimerListener>();
  let state: HostState = 'Default';
  const errors: string[] = [];

  // Filled in once the app is loaded; requests before that get 503.
  let app: LoadedApp | undefined;
  let httpRouter: HttpTriggerRouter | undefined;
  let invoker: Invoker | undefined;
  let routePrefix = 'api';
  let durable: DurableBridge | undefined;
  let origin = '';

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const p = url.pathname;
    if (p.startsWith('/admin/') || p === '/admin') {
      await handleAdmin(
        {
          keys,
          state: () => state,
          errors: () => errors,
          functions: () => app?.registry.all() ?? [],
          telemetry,
          invocations: () => invocations,
          runNow: (name, input) => runNow(name, input),
          origin: requestOrigin(req, origin),
          routePrefix,
          hostId,
          startedAt,
        },
        req,
        res,
        url,
      );
      return;
    }
    if (TRACK_PATHS.includes(p) && req.method === 'POST') {
      await telemetry.handleTrack(req, res);
      return;
    }
    if (p === IDENTITY_PATH) {
      handleManagedIdentity(identity, req, res, url);
      return;
    }
    if (p === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      // The page the Functions host serves at its root.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        '<!DOCTYPE html><html><body><h1>Your Functions 4.0 app is up and running</h1><p>Local dev host</p></body></html>',
      );
      return;
    }
    if (state !== 'Running' || !app || !invoker || !httpRouter) {
      sendText(res, 503, 'Host is not running');
      return;
    }
    if (p === EVENT_GRID_PATH) {
      await handleEventGrid({ registry: app.registry, invoker, keys }, req, res, url);
      return;
    }
    if (p === DURABLE_PATH || p.startsWith(`${DURABLE_PATH}/`)) {
      await handleDurableWebhook(durable, keys, req, res, url, requestOrigin(req, origin));
      return;
    }
    const prefix = routePrefix ? `/${routePrefix}` : '';
    if (prefix === '' || p.toLowerCase() === prefix || p.toLowerCase().startsWith(`${prefix}/`)) {
      if (await httpRouter.handle(req, res, url, p.slice(prefix.length))) return;
    }
    sendText(res, 404, '');
  };

  const runNow = (name: string, input: string | undefined): boolean => {
    const fn = app?.registry.get(name);
    // HTTP functions are called over HTTP; durable functions only run under the durable engine.
    if (!fn || !invoker || /^(http|orchestration|activity|entity)Trigger$/.test(fn.trigger.type)) return false;
    const timer = timers.get(fn.name);
    if (timer) {
      void timer.fireNow();
      return true;
    }
    let value: unknown = input;
    if (input !== undefined) {
      try {
        value = JSON.parse(input);
      } catch {
        value = input;
      }
    }
    invoker.invoke(fn, value).catch(() => undefined); // the invoker logs the outcome
    return true;
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handler(req, res).catch((error: unknown) => {
      logger.error(
        `Request ${req.method ?? ''} ${new URL(req.url ?? '/', 'http://x').pathname} failed: ${errorMessage(error)}`,
      );
      if (!res.headersSent) sendText(res, 500, '');
      else res.destroy();
    });
  };

  // Kestrel's keep-alive timeout (130 s), as Core Tools and the Functions host serve: Node's 5 s default closes idle
  // sockets that clients still reuse, so a request after a long episode can meet ECONNRESET.
  const KEEP_ALIVE_MS = 130_000;
  const server = http.createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, onRequest);
  const port = await listen(server, options.port ?? settings.devHost.Port ?? 7071);
  origin = `http://127.0.0.1:${port}`;
  let httpsServer: https.Server | undefined;
  let httpsUrl: string | undefined;
  if (options.https) {
    httpsServer = https.createServer(
      {
        cert: fs.readFileSync(options.https.certPath),
        key: fs.readFileSync(options.https.keyPath),
        keepAliveTimeout: KEEP_ALIVE_MS,
      },
      onRequest,
    );
    const httpsPort = await listen(httpsServer, options.https.port);
    httpsUrl = `https://127.0.0.1:${httpsPort}`;
  }

  let restoreEnvironment = (): void => {};
  // The managed identity stands in for the app's identity in Azure. When the app's settings pick a credential of their
  // own (AZURE_TOKEN_CREDENTIALS=dev, AzureCliCredential, EnvironmentCredential, …: e.g. a developer login against a
  // real workspace), offering it would only shadow that choice, so the host leaves it out — as Core Tools, which
  // has none, would.
  const chosenCredential = (
    options.appSettings?.['AZURE_TOKEN_CREDENTIALS'] ??
    nativeProcess.env['AZURE_TOKEN_CREDENTIALS'] ??
    settings.values['AZURE_TOKEN_CREDENTIALS'] ??
    ''
  )
    .trim()
    .toLowerCase();
  const offerIdentity = ['', 'prod', 'managedidentitycredential'].includes(chosenCredential);
  if (!offerIdentity) {
    logger.info(
      `No managed identity endpoint: AZURE_TOKEN_CREDENTIALS=${chosenCredential} picks the app's credential.`,
    );
  }
  const hostJson = (() => {
    restoreEnvironment = applyAppSettings(settings.values, {
      ...options.appSettings,
      // What the Functions platform sets for every app.
      WEBSITE_HOSTNAME: `127.0.0.1:${port}`,
      ...(offerIdentity ? { IDENTITY_ENDPOINT: `${origin}${IDENTITY_PATH}`, IDENTITY_HEADER: identityHeader } : {}),
      // No Microsoft-bound self-telemetry from the Application Insights SDK on a developer machine.
      APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true',
      APPLICATIONINSIGHTS_SDKSTATS_DISABLED: 'true',
    });
    return readHostJson(path.join(projectDir, 'host.json'), nativeProcess.env);
  })();
  routePrefix = hostJson.routePrefix;
  state = 'Initialized';

  const appHookData: Record<string, unknown> = {};
  const closeAll = async (): Promise<void> => {
    await Promise.all([closeServer(server), httpsServer ? closeServer(httpsServer) : Promise.resolve()]);
  };

  let loaded: LoadedApp;
  try {
    durable = DurableBridge.create(logger);
    loaded = await loadApp({
      entry: options.appEntry,
      functionAppDirectory: projectDir,
      log: (level, category, message) => {
        if (level === 'error' || level === 'critical') logger.error(`[${category}] ${message}`);
        else if (level === 'warning') logger.warn(`[${category}] ${message}`);
        else if (level === 'information') logger.info(`[${category}] ${message}`);
      },
    });
    app = loaded;
    const durableKey = keys.system[DURABLE_SYSTEM_KEY] ?? keys.master;
    const durableInputs = (clientOrigin: string): Record<string, unknown> => {
      const payload = durable?.clientPayload(clientOrigin, durableKey);
      return payload ? { durableClient: payload, orchestrationClient: payload } : {};
    };
    invoker = new Invoker(
      loaded.registry,
      loaded.functionsLibrary,
      logger,
      appHookData,
      (record) => {
        invocations.push(record);
        if (invocations.length > MAX_INVOCATION_RECORDS) invocations.shift();
      },
      () => durableInputs(origin),
    );
    await runAppStartHooks(loaded, appHookData);
    await durable?.start({
      taskHubName: hostJson.hubName,
      maxConcurrentActivityFunctions: hostJson.maxConcurrentActivityFunctions,
      maxConcurrentOrchestratorFunctions: hostJson.maxConcurrentOrchestratorFunctions,
      registry: loaded.registry,
      invoker,
      storageConnection: nativeProcess.env.AzureWebJobsStorage,
    });
    if (
      !durable &&
      loaded.registry.all().some((f) => /^(orchestration|activity|entity)Trigger$/.test(f.trigger.type))
    ) {
      logger.warn('The app registers durable functions but the durable engine (dev/host/durable) is not available');
    }
    const currentInvoker = invoker;
    httpRouter = new HttpTriggerRouter({
      functions: loaded.registry.all(),
      invoker: currentInvoker,
      library: loaded.functionsLibrary,
      keys,
      logger,
      fallbackOrigin: origin,
      extraInputsFor: durableInputs,
    });
    const monitor =
      options.scheduleMonitor ??
      (options.stateDir === undefined && options.timers === false
        ? new InMemoryScheduleMonitor()
        : new FileScheduleMonitor(
            path.join(options.stateDir ?? path.join(projectDir, '.local', 'devhost'), 'timers'),
            hostId,
          ));
    for (const listener of createTimerListeners({
      functions: loaded.registry.byTrigger('timerTrigger'),
      invoker: currentInvoker,
      env: nativeProcess.env,
      clock: options.clock ?? systemClock,
      monitor,
      logger,
    })) {
      timers.set(listener.name, listener);
    }
    state = 'Running';
    if (options.timers !== false) await Promise.all([...timers.values()].map((t) => t.start()));
  } catch (error) {
    state = 'Error';
    errors.push(errorMessage(error));
    logger.error(`The app failed to load: ${errorMessage(error)}`);
    await Promise.all([...timers.values()].map((t) => t.stop()));
    await durable?.stop();
    await closeAll();
    restoreEnvironment();
    throw error;
  }

  for (const fn of loaded.registry.all()) {
    logger.info(`Function '${fn.name}' (${fn.trigger.type}) loaded`);
  }
  logger.info(
    `Host running at ${origin}${httpsUrl ? ` and ${httpsUrl}` : ''} (${loaded.registry.all().length} functions)`,
  );

  let closing: Promise<void> | undefined;
  return {
    url: origin,
    port,
    httpsUrl,
    keys,
    telemetry,
    invocations,
    app: loaded,
    managedIdentity: { endpoint: `${origin}${IDENTITY_PATH}`, header: identityHeader },
    runTimer: async (name) => {
      const timer = [...timers.values()].find((t) => t.name.toLowerCase() === name.toLowerCase());
      if (!timer) throw new Error(`No timer-triggered function named '${name}'`);
      await timer.fireNow();
    },
    close: () => {
      closing ??= (async () => {
        state = 'Stopping';
        await Promise.all([...timers.values()].map((t) => t.stop()));
        await durable?.stop();
        await runAppTerminateHooks(loaded, appHookData).catch((e: unknown) =>
          logger.warn(`appTerminate hook failed: ${errorMessage(e)}`),
        );
        await closeAll();
        loaded.release();
        restoreEnvironment();
        state = 'Stopped';
      })();
      return closing;
    },
  };
}
