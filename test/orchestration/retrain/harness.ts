import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { InvocationContext } from '@azure/functions';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import * as df from 'durable-functions';

import { generateBikeDemandCsv } from '../../../dev/demo/bike-data';
import { type RunningAzureMlEmulator, startAzureMlEmulator } from '../../../dev/azureml-emulator';
import { DurableRuntime, WEBHOOK_PATH } from '../../../dev/host/durable';
import { serveDurableSet } from '../../../dev/host/durable-registration';
import { createPromotionActivities } from '../../../src/activities/promotion-activities';
import { createRetrainActivities, type RetrainDeps } from '../../../src/activities/retrain-activities';
import type { AzureMlWorkspace } from '../../../src/azureml/workspace';
import { type Catalog, loadCatalog, parseCatalog } from '../../../src/catalog';
import { promotionOrchestrator } from '../../../src/orchestrations/promotion';
import { retrainOrchestrator } from '../../../src/orchestrations/retrain';
import { retrainDeployOrchestrator } from '../../../src/orchestrations/retrain-deploy';
import { retrainRollbackOrchestrator } from '../../../src/orchestrations/retrain-rollback';
import {
  type AutoPromotionInput,
  PromotionActivities,
  PromotionClientActivities,
  type PromotionPlan,
  PromotionOrchestrations,
} from '../../../src/services/promotion/contracts';
import { startAutomaticPromotion } from '../../../src/triggers/promotion';
import { RetrainActivities, RetrainOrchestrations } from '../../../src/services/retrain/contracts';
import type { RetrainPlan } from '../../../src/services/retrain/plan';
import { createStateStores, type StateStores } from '../../../src/state';
import type { CommonDimensions, Telemetry } from '../../../src/telemetry';
import type { RetrainTrigger, SubmitResult } from '../../../src/triggers/model';
import { durableOrchestrationClient, type OrchestrationClient } from '../../../src/triggers/orchestration-client';
import { handleAzureMlRunEvent } from '../../../src/triggers/run-events';
import { submitRetrainTrigger } from '../../../src/triggers/submit';
import { withErrorType } from '../../../src/services/task-failure';
import { type AzuriteBlob, startAzuriteBlob } from '../../support/azurite';
import { type WorkspaceResolver, workspaceKey } from '../../../src/azureml/workspaces';
import { emulatorWorkspace } from '../../support/emulator-workspace';

/**
 * Retrain orchestrations on the in-memory durable engine (dev/host/durable) with the real activities against the
 * Azure ML emulator and Azurite. Only `retrainLoadPlan` is wrapped (an activity-boundary fake): it shortens the
 * catalog's minutes to test-sized seconds. Azure ML run events flow from the emulator's Event Grid publisher to a
 * local endpoint that hands them to the same `handleAzureMlRunEvent` the Event Grid function uses.
 */

export const repoRoot = `${__dirname}/../../..`;

export interface RecordedEvent {
  readonly name: string;
  readonly dimensions: CommonDimensions;
}

export class RecordingTelemetry implements Telemetry {
  readonly events: RecordedEvent[] = [];
  readonly metrics: { name: string; value: number }[] = [];
  trackEvent(name: string, dimensions: CommonDimensions): void {
    this.events.push({ name, dimensions });
  }
  trackMetric(name: string, value: number): void {
    this.metrics.push({ name, value });
  }
  trackException(): void {}
  flush(): Promise<void> {
    return Promise.resolve();
  }
  names(): string[] {
    return this.events.map((e) => e.name);
  }
}

export const testCredential: TokenCredential = {
  getToken: (): Promise<AccessToken> =>
    Promise.resolve({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

export type PlanTweak = (plan: RetrainPlan) => RetrainPlan;

/** Test-sized durations: polling in fractions of a second, short timeouts, no long bakes. */
export const fastPlan: PlanTweak = (plan) => ({
  ...plan,
  trainingTimeoutSeconds: 60,
  polling: { initialIntervalSeconds: 0.5, maxIntervalSeconds: 2, backoffCoefficient: 2 },
  provisioningTimeoutSeconds: 30,
  provisioningPollSeconds: 0.3,
  approval: { ...plan.approval, timeoutSeconds: 30 },
  // Latency thresholds far from what a loaded test machine produces; the latency test sets its own.
  deployment: {
    ...plan.deployment,
    bakeTimeSeconds: 0,
    latency: { requests: 5, p95BudgetMs: 30_000, maxRatioToLive: 50 },
  },
  retry: { maxAttempts: 3, firstDelaySeconds: 0.2, maxDelaySeconds: 1 },
});

export interface Scenario {
  readonly catalog: Catalog;
  readonly state: StateStores;
  readonly container: ContainerClient;
  readonly telemetry: RecordingTelemetry;
  planTweak: PlanTweak;
}

export interface RetrainHarness {
  readonly emulator: RunningAzureMlEmulator;
  readonly azurite: AzuriteBlob;
  readonly ws: AzureMlWorkspace;
  /** The app's workspace resolver over the emulator: `ws`, or a client for another hosted workspace. */
  readonly workspaces: WorkspaceResolver;
  readonly blobs: BlobServiceClient;
  readonly client: df.DurableClient;
  readonly orchestrations: OrchestrationClient;
  readonly runtime: DurableRuntime;
  readonly logs: string[];
  /** Where the emulator delivers Azure ML run events (the stand-in of the Event Grid subscription). */
  readonly eventsUrl: string;
  /** Fresh state container, emulator reset, new catalog/plan tweak. */
  begin(options: { catalog?: Catalog; planTweak?: PlanTweak }): Promise<Scenario>;
  scenario(): Scenario;
  submit(trigger: RetrainTrigger): Promise<SubmitResult>;
  /** Uploads a bike-demand CSV and returns the dataset trigger it would produce. */
  uploadDataset(name: string, options?: { seed?: number; rows?: number; occurredAt?: string }): Promise<RetrainTrigger>;
  emulatorCall(method: string, path: string, body?: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The shipped catalog with test edits applied to bike-demand. */
export function demoCatalog(edit: (model: Record<string, unknown>) => void = () => undefined): Catalog {
  const shipped = loadCatalog('catalog.json', repoRoot);
  const document = JSON.parse(JSON.stringify({ models: shipped.models })) as { models: Record<string, unknown>[] };
  const model = document.models.find((m) => m.name === 'bike-demand');
  if (!model) throw new Error('bike-demand missing from catalog.json');
  // Deterministic gate for tests: thresholds only (a fresh fit may be marginally worse than the seeded champion).
  model.gate = {
    metrics: [
      { name: 'rmse', goal: 'minimize', threshold: 200, compareToChampion: false },
      { name: 'r2', goal: 'maximize', threshold: 0.5, compareToChampion: false },
    ],
  };
  edit(model);
  return parseCatalog(document);
}

export async function startRetrainHarness(): Promise<RetrainHarness> {
  const logs: string[] = [];
  const azurite = await startAzuriteBlob();
  const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  let origin = '';
  const ref: { orchestrations?: OrchestrationClient } = {};
  let current: Scenario | undefined;

  const runtime = new DurableRuntime({
    taskHubName: 'RetrainTests',
    maxConcurrentActivityFunctions: 4,
    log: (l) => {
      logs.push(l);
      if (process.env.DEBUG_ENGINE) process.stderr.write(`${l}\n`);
    },
  });
  // Keep-alive as the Functions host (Kestrel, 130 s): a 5 s default races clients reusing sockets after long episodes.
  const server: Server = createServer({ keepAliveTimeout: 130_000 }, (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', origin);
      const body = await readBody(req);
      if (url.pathname === '/events') {
        const events = JSON.parse(body) as unknown[];
        if (current && ref.orchestrations) {
          for (const event of events)
            await handleAzureMlRunEvent({ state: current.state, orchestrations: ref.orchestrations }, event);
        }
        res.writeHead(200).end();
        return;
      }
      if (!url.pathname.startsWith(WEBHOOK_PATH)) {
        res.writeHead(404).end();
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const result = await runtime.handleHttp(
        {
          method: req.method ?? 'GET',
          path: url.pathname.slice(WEBHOOK_PATH.length),
          query: url.searchParams,
          headers,
          body,
        },
        origin,
      );
      res.writeHead(result.status, result.headers).end(result.body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.WEBSITE_HOSTNAME = origin.replace('http://', '');

  const emulator = await startAzureMlEmulator({
    port: 0,
    azuriteConnectionString: azurite.connectionString,
    eventSubscribers: [{ url: `${origin}/events` }],
    eventDelivery: { maxAttempts: 2, retryDelayInMs: 50 },
    seedDemo: true,
    lroRetryAfterSeconds: 0,
    log: (l) => logs.push(`[emulator] ${l}`),
  });
  const ws = emulatorWorkspace(emulator.url);
  const others = new Map<string, AzureMlWorkspace>();
  const workspaces: WorkspaceResolver = (coordinates) => {
    if (!coordinates) return ws;
    const key = workspaceKey(coordinates);
    let other = others.get(key);
    if (!other) others.set(key, (other = emulatorWorkspace(emulator.url, { workspace: coordinates })));
    return other;
  };

  const scenario = (): Scenario => {
    if (!current) throw new Error('call begin() first');
    return current;
  };
  const deps = (): RetrainDeps => ({
    catalog: scenario().catalog,
    state: scenario().state,
    ws,
    workspaces,
    telemetry: scenario().telemetry,
    scoring: { maxRetries: 0, retryDelayMs: 10 },
  });
  const hostLog = (l: string): void => {
    logs.push(l);
    if (process.env.DEBUG_ENGINE) process.stderr.write(`${l}\n`);
  };
  // One set of handlers per scenario, as the app builds one per worker process (caches such as scoring secrets live
  // as long as that process).
  const perScenario = new WeakMap<Scenario, Record<string, (i: unknown) => Promise<unknown>>>();
  await serveDurableSet(
    runtime,
    (fns) => {
      fns.registerOrchestration(RetrainOrchestrations.retrain, retrainOrchestrator);
      fns.registerOrchestration(RetrainOrchestrations.deploy, retrainDeployOrchestrator);
      fns.registerOrchestration(RetrainOrchestrations.rollback, retrainRollbackOrchestrator);
      fns.registerOrchestration(PromotionOrchestrations.promote, promotionOrchestrator);
      const promotions = new WeakMap<Scenario, Record<string, (i: unknown) => Promise<unknown>>>();
      // As src/app/promotion.ts registers it: with the Durable client.
      fns.registerActivity(
        PromotionClientActivities.autoStart,
        withErrorType(async (input: unknown) => {
          if (!ref.orchestrations) throw new Error('the durable client is not ready');
          const s = scenario();
          return startAutomaticPromotion(
            { catalog: s.catalog, workspaces, orchestrations: ref.orchestrations },
            input as AutoPromotionInput,
          );
        }),
      );
      for (const name of Object.values(PromotionActivities)) {
        fns.registerActivity(
          name,
          withErrorType(async (input: unknown) => {
            let handlers = promotions.get(scenario());
            if (!handlers) {
              const s = scenario();
              handlers = createPromotionActivities({
                catalog: s.catalog,
                state: s.state,
                workspaces,
                telemetry: s.telemetry,
              }) as unknown as Record<string, (i: unknown) => Promise<unknown>>;
              promotions.set(s, handlers);
            }
            const result = await handlers[name]!(input);
            if (name !== PromotionActivities.plan) return result;
            // The target stage's release plan gets the same test-sized durations as a retrain's.
            const plan = result as PromotionPlan;
            return { ...plan, release: scenario().planTweak(plan.release) };
          }),
        );
      }
      for (const name of Object.values(RetrainActivities)) {
        // Wrapped as the app registers its activities (src/app/retrain.ts), so failures carry their type.
        fns.registerActivity(
          name,
          withErrorType(async (input: unknown) => {
            let handlers = perScenario.get(scenario());
            if (!handlers) {
              handlers = createRetrainActivities(deps()) as unknown as Record<string, (i: unknown) => Promise<unknown>>;
              perScenario.set(scenario(), handlers);
            }
            const result = await handlers[name]!(input);
            return name === RetrainActivities.loadPlan ? scenario().planTweak(result as RetrainPlan) : result;
          }),
        );
      }
    },
    { info: hostLog, warn: hostLog, error: hostLog },
  );
  await runtime.start();

  const clientInput = df.input.durableClient();
  const context = new InvocationContext({
    functionName: 'retrainTests',
    options: { trigger: { type: 'httpTrigger', name: 'req' }, extraInputs: [clientInput], extraOutputs: [] },
  });
  context.extraInputs.set(clientInput, runtime.clientBindingPayload(origin, 'test-key'));
  const client = df.getClient(context);
  const orchestrations = durableOrchestrationClient(client);
  ref.orchestrations = orchestrations;
  const datasets = blobs.getContainerClient('datasets');
  await datasets.createIfNotExists();
  let containerSeq = 0;

  const emulatorCall = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${emulator.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-token' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };

  return {
    emulator,
    azurite,
    ws,
    workspaces,
    blobs,
    client,
    orchestrations,
    runtime,
    logs,
    eventsUrl: `${origin}/events`,
    async begin(options) {
      await emulator.reset();
      const container = blobs.getContainerClient(`retrain-state-${Date.now()}-${containerSeq++}`);
      await container.createIfNotExists();
      current = {
        catalog: options.catalog ?? demoCatalog(),
        state: createStateStores(container),
        container,
        telemetry: new RecordingTelemetry(),
        planTweak: options.planTweak ?? fastPlan,
      };
      return current;
    },
    scenario,
    submit(trigger) {
      const s = scenario();
      return submitRetrainTrigger(
        { catalog: s.catalog, state: s.state, orchestrations, telemetry: s.telemetry },
        trigger,
      );
    },
    async uploadDataset(name, options = {}) {
      const csv = generateBikeDemandCsv({ rows: options.rows ?? 500, seed: options.seed ?? 7 });
      const blob = datasets.getBlockBlobClient(name);
      const uploaded = await blob.upload(csv, Buffer.byteLength(csv));
      const eTag = (uploaded.etag ?? '').replace(/^"|"$/g, '');
      return {
        model: 'bike-demand',
        source: 'dataset',
        dedupe: { kind: 'blob', url: blob.url, eTag },
        occurredAt: options.occurredAt ?? new Date().toISOString(),
        dataset: { uri: blob.url, container: 'datasets', name, eTag, contentLength: Buffer.byteLength(csv) },
      };
    },
    emulatorCall,
    async stop() {
      await runtime.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await emulator.close();
      await azurite.stop();
    },
  };
}

/** Polls until `probe` returns a value, or fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const TERMINAL = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/** Waits until the model's instance has finished the execution for `runId` (continue-as-new aware). */
export function waitForRun(
  h: RetrainHarness,
  instanceId: string,
  runId: string,
  timeoutMs = 90_000,
): Promise<df.DurableOrchestrationStatus> {
  return waitFor(
    async () => {
      const run = await h.scenario().state.runs.get(runId);
      if (!run || ['running', 'awaitingApproval'].includes(run.status)) return undefined;
      const status = await h.client.getStatus(instanceId);
      const output = status.output as { runId?: string } | null;
      if (TERMINAL.has(status.runtimeStatus) && output?.runId === runId) return status;
      // A follow-up may already be running in the same instance: the run record alone is final then.
      if (String(status.runtimeStatus) === 'Running' && (status.input as { runId?: string } | null)?.runId !== runId)
        return status;
      return undefined;
    },
    `run ${runId} on ${instanceId}`,
    timeoutMs,
  );
}
