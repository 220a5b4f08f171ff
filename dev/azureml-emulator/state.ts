/**
 * Everything the emulator knows, as one JSON-serialisable object, kept in memory and (optionally) on disk.
 *
 * @remarks Resource bodies are stored in their wire shape, so GET returns what PUT stored plus the read-only fields
 * the emulator maintains. Disk persistence writes the whole document (the emulator's state is small: metadata, linear
 * model artifacts, bounded logs): background changes after a short debounce, and a request's changes before its
 * response is sent ({@link StateStore.flush}), so what Azure acknowledged survives a crash (SIGKILL) of the emulator.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PendingDelivery } from './events';
import type { ModelArtifact, TrainingMetrics } from './ml';
import {
  currentWorkspace,
  DEFAULT_WORKSPACE,
  DEFAULT_WORKSPACE_KEY,
  type RegistryRef,
  type WorkspaceRef,
  workspaceKey,
} from './workspaces';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface SystemData {
  createdAt: string;
  createdBy: string;
  createdByType: string;
  lastModifiedAt: string;
  lastModifiedBy: string;
  lastModifiedByType: string;
}

export interface StoredResource {
  name: string;
  /** Top-level wire fields other than id/name/type/systemData: properties, tags, location, kind, sku, identity. */
  body: JsonObject;
  systemData: SystemData;
  /** Creation time on the emulator clock (ms), used for `$orderBy=createdtime`. */
  createdMs: number;
}

export const TERMINAL_JOB_STATUSES = ['Completed', 'Failed', 'Canceled'] as const;
export type JobStatus =
  'NotStarted' | 'Queued' | 'Running' | 'Finalizing' | 'CancelRequested' | 'Completed' | 'Failed' | 'Canceled';

export type JobFault = { kind: 'fail'; message: string } | { kind: 'hang' };

export interface JobRunState {
  status: JobStatus;
  /** Clock ms when the current status was entered. */
  statusSince: number;
  history: { status: JobStatus; at: string }[];
  origin: 'arm' | 'batch' | 'v1';
  experimentId: string;
  fault?: JobFault;
  training?: { state: 'running' | 'succeeded' | 'failed' | 'skipped'; error?: string; metrics?: TrainingMetrics };
  /** Forced terminal outcome from the control API. */
  forced?: { status: 'Completed' | 'Failed'; message?: string };
  error?: { code: string; message: string };
  startedAt?: string;
  endedAt?: string;
  /** Clock ms when training finished; a job completes no earlier. */
  trainingDoneAt?: number;
  /** MLflow run of the pipeline's training step (a child run); command jobs log on their own run. */
  trainingRunId?: string;
  /** Model outputs of the job (name → jobOutputType), fixed at submission. */
  modelOutputs?: Record<string, string>;
  /** v1 callers: the published pipeline endpoint that started the run. */
  pipelineEndpointId?: string;
  /** A batch model deployment's job: what it scores and with which knobs (fixed at invoke). */
  batchScoring?: BatchScoringSpec;
}

/** A batch model deployment job (parallel job over files): handlers/batch-endpoints.ts, runtime/batch-scoring.ts. */
export interface BatchScoringSpec {
  endpoint: string;
  deployment: string;
  model: { name: string; version: string };
  inputUri: string;
  inputFolder: boolean;
  /** Folder the output file goes to. */
  outputUri: string;
  outputFileName: string;
  miniBatchSize: number;
  errorThreshold: number;
  maxRetries: number;
  maxConcurrencyPerInstance: number;
  instanceCount: number;
  /** Set when the job finished scoring: counts the job's logs report. */
  result?: { files: number; failedFiles: number; rows: number; miniBatches: number; failedMiniBatches: number };
}

export interface JobRecord extends StoredResource {
  run: JobRunState;
}

export interface EndpointRecord extends StoredResource {
  keys: { primaryKey: string; secondaryKey: string };
}

export interface DeploymentRuntime {
  artifact?: ModelArtifact;
  /** `name:version` of the model version served. */
  modelId?: string;
  /**
   * What answers requests: `mlflow` (no-code deployment: Azure's MLflow scoring server, `input_data` only) or
   * `script` (the deployment's scoring script; the emulator's stand-in for a user's score.py).
   */
  servedAs?: 'mlflow' | 'script';
  /** Forced provisioning failure from the control API. */
  failProvisioning?: string;
}

export interface DeploymentRecord extends StoredResource {
  runtime: DeploymentRuntime;
}

export interface OperationRecord {
  id: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';
  startTime: string;
  endTime?: string;
  error?: { code: string; message: string };
  /** Clock ms at which the operation may complete. */
  dueAt: number;
  action: 'create' | 'update' | 'delete' | 'regenerateKeys' | 'cancel';
  target:
    | { kind: 'onlineEndpoint'; endpoint: string }
    | { kind: 'onlineDeployment'; endpoint: string; deployment: string }
    | { kind: 'batchEndpoint'; endpoint: string }
    | { kind: 'batchDeployment'; endpoint: string; deployment: string }
    | { kind: 'job'; job: string }
    | { kind: 'registryModelVersion'; registry: string; model: string; version: string };
  /** The workspace of the target (`workspaceKey`); absent: the default workspace (state written before workspaces). */
  workspace?: string;
}

export interface MlflowMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface MlflowRunRecord {
  runId: string;
  experimentId: string;
  runName: string;
  status: 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
  startTime: number;
  endTime?: number;
  metrics: MlflowMetric[];
  params: { key: string; value: string }[];
  tags: { key: string; value: string }[];
}

export interface PipelineEndpointRecord {
  id: string;
  name: string;
  description: string;
  /** Default pipeline parameters (e.g. target_column, alpha). */
  defaults: Record<string, string>;
  /** The parameter that names the training CSV. */
  dataParameter: string;
  /**
   * How the published pipeline declared it: a DataPath PipelineParameter (assigned in DataPathAssignments; default)
   * or a string PipelineParameter whose value the pipeline's step reads itself (ParameterAssignments).
   */
  dataParameterKind?: 'dataPath' | 'string';
  createdAt: string;
}

export interface ScoringFault {
  statusCode: number;
  share: number;
  message?: string;
  retryAfterSeconds?: number;
}

export interface FaultState {
  /** Applied to the next N jobs created, in order. */
  nextJobs: JobFault[];
  /** Keyed `endpoint/deployment`. */
  scoring: Record<string, { failures?: ScoringFault; latencyMs?: number; throttle?: ScoringFault }>;
  /** Deployments (`endpoint/deployment`) whose next provisioning fails with this message. */
  provisioning: Record<string, string>;
  /** Management-plane throttling: the next `count` matching ARM requests answer `statusCode` with Retry-After. */
  arm?: ArmFault[];
}

export interface ArmFault {
  statusCode: number;
  count: number;
  retryAfterSeconds: number;
  /** Only requests with this HTTP method (any when absent). */
  method?: string;
  /** Only requests whose path contains this text, case-insensitive (any when absent). */
  pathContains?: string;
}

export interface StepDurations {
  /** NotStarted → Queued. */
  notStartedMs: number;
  /** Queued → Running. */
  queuedMs: number;
  /** Minimum time in Running (training may take longer). */
  runningMs: number;
  /** CancelRequested → Canceled. */
  cancelMs: number;
  /** Online/batch endpoint and deployment create/update/delete. */
  provisioningMs: number;
}

export interface EmulatorState {
  version: 1;
  seq: number;
  jobs: Record<string, JobRecord>;
  modelContainers: Record<string, StoredResource>;
  modelVersions: Record<string, Record<string, StoredResource>>;
  dataContainers: Record<string, StoredResource>;
  dataVersions: Record<string, Record<string, StoredResource>>;
  onlineEndpoints: Record<string, EndpointRecord>;
  onlineDeployments: Record<string, Record<string, DeploymentRecord>>;
  batchEndpoints: Record<string, StoredResource>;
  batchDeployments: Record<string, Record<string, StoredResource>>;
  operations: Record<string, OperationRecord>;
  experiments: Record<string, string>;
  mlflowRuns: Record<string, MlflowRunRecord>;
  /** Model artifacts produced by training jobs, keyed by job name. */
  artifacts: Record<string, ModelArtifact>;
  /** Inference-server log lines per `endpoint/deployment` (bounded). */
  deploymentLogs: Record<string, string[]>;
  pipelineEndpoints: Record<string, PipelineEndpointRecord>;
  /** AML tokens issued by `POST .../token`: token → endpoint + expiry (clock ms). */
  tokens: Record<string, { endpoint: string; expiresAt: number }>;
  faults: FaultState;
  steps: StepDurations;
  /**
   * The emulator clock's reading (`now`, ms) and pace (`speed`, 0 when paused) at the wall-clock time `wallAt` of the
   * last write: a restart carries on from it at that pace, so time (and every job) moves on while the emulator is
   * down, as Azure's jobs run on while a client is down.
   */
  clock?: { now: number; speed: number; wallAt: number };
  /** Events not yet delivered to their subscribers (Event Grid keeps them until delivered or given up on). */
  outbox?: PendingDelivery[];
  /** Latency profile in force (`fast` when absent): per-operation durations and the LRO Retry-After. */
  latency?: { profile: 'fast' | 'azure'; operations?: Partial<Record<string, number>>; retryAfterSeconds?: number };
  /** Workspaces besides the default one (whose collections are the fields above), by `workspaceKey`. */
  workspaces?: Record<string, WorkspaceRecord>;
  /** Azure ML registries by lower-case name (registry names are unique in the cloud, like endpoint names per region). */
  registries?: Record<string, RegistryRecord>;
}

/** The fields of the state that belong to one workspace; everything else (clock, faults, operations, …) is shared. */
export const WORKSPACE_COLLECTIONS = [
  'jobs',
  'modelContainers',
  'modelVersions',
  'dataContainers',
  'dataVersions',
  'onlineEndpoints',
  'onlineDeployments',
  'batchEndpoints',
  'batchDeployments',
  'experiments',
  'mlflowRuns',
  'artifacts',
  'deploymentLogs',
  'pipelineEndpoints',
] as const;
export type WorkspaceCollections = Pick<EmulatorState, (typeof WORKSPACE_COLLECTIONS)[number]>;

export interface WorkspaceRecord {
  ref: WorkspaceRef;
  state: WorkspaceCollections;
}

export interface RegistryRecord {
  ref: RegistryRef;
  /** The registry's model containers and versions (the same wire shapes as a workspace's). */
  modelContainers: Record<string, StoredResource>;
  modelVersions: Record<string, Record<string, StoredResource>>;
}

function emptyCollections(): WorkspaceCollections {
  return {
    jobs: {},
    modelContainers: {},
    modelVersions: {},
    dataContainers: {},
    dataVersions: {},
    onlineEndpoints: {},
    onlineDeployments: {},
    batchEndpoints: {},
    batchDeployments: {},
    experiments: {},
    mlflowRuns: {},
    artifacts: {},
    deploymentLogs: {},
    pipelineEndpoints: {},
  };
}

const SCOPED = new Set<string | symbol>(WORKSPACE_COLLECTIONS);

export function emptyState(steps: StepDurations): EmulatorState {
  return {
    version: 1,
    seq: 0,
    // The default workspace's collections are the document's own fields.
    ...emptyCollections(),
    operations: {},
    tokens: {},
    faults: { nextJobs: [], scoring: {}, provisioning: {} },
    steps,
  };
}

export class StateStore {
  /** The whole document; the default workspace's collections are its own fields. */
  private root: EmulatorState;
  /** Views of the root whose workspace collections are another workspace's, by workspace key. */
  private views = new Map<string, EmulatorState>();
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  /** Changes made since the last write started. */
  private dirty = false;
  /** A write that is queued behind the one in progress; later callers share it. */
  private queued: Promise<void> | undefined;
  /** Called just before the document is serialized (the server records the clock reading). */
  beforeWrite: () => void = () => undefined;

  private constructor(
    private readonly file: string | undefined,
    private readonly defaultSteps: StepDurations,
    data: EmulatorState,
  ) {
    this.root = data;
  }

  /**
   * The state as the current workspace sees it (workspaces.ts): shared fields from the root, workspace collections
   * from that workspace. Outside any workspace scope, the default workspace's view (the root itself).
   */
  get data(): EmulatorState {
    return this.view(currentWorkspace());
  }

  /** The state as `ref` sees it (the emulator must host that workspace). */
  view(ref: WorkspaceRef): EmulatorState {
    const key = workspaceKey(ref);
    if (key === DEFAULT_WORKSPACE_KEY) return this.root;
    const record = this.root.workspaces?.[key];
    if (!record) throw new Error(`The emulator hosts no workspace ${key}.`);
    let view = this.views.get(key);
    if (!view) {
      const root = () => this.root;
      const own = () => root().workspaces?.[key]?.state;
      view = new Proxy({} as EmulatorState, {
        get: (_, prop): unknown =>
          SCOPED.has(prop) ? own()?.[prop as keyof WorkspaceCollections] : (Reflect.get(root(), prop) as unknown),
        set: (_, prop, value) =>
          SCOPED.has(prop) ? Reflect.set(own() ?? {}, prop, value) : Reflect.set(root(), prop, value),
        has: (_, prop) => Reflect.has(root(), prop),
        ownKeys: () => Reflect.ownKeys(root()),
        getOwnPropertyDescriptor: (_, prop) => Reflect.getOwnPropertyDescriptor(root(), prop),
      });
      this.views.set(key, view);
    }
    return view;
  }

  /** The state of a hosted workspace, or undefined when the emulator hosts no such workspace. */
  hostedView(ref: WorkspaceRef): EmulatorState | undefined {
    const found = this.findWorkspace(ref);
    return found ? this.view(found) : undefined;
  }

  /** A model version a deployment names: the current workspace's, or a registry's (a registry asset id). */
  modelVersion(ref: { name: string; version: string; registry?: string }): StoredResource | undefined {
    if (ref.registry !== undefined) {
      const version = this.registry(ref.registry)?.modelVersions[ref.name]?.[ref.version];
      const state = (version?.body['properties'] as JsonObject | undefined)?.['provisioningState'];
      return state === 'Succeeded' ? version : undefined;
    }
    return this.data.modelVersions[ref.name]?.[ref.version];
  }

  /** Every workspace the emulator hosts, the default one first. */
  workspaces(): WorkspaceRef[] {
    return [DEFAULT_WORKSPACE, ...Object.values(this.root.workspaces ?? {}).map((w) => w.ref)];
  }

  /** The hosted workspace named by a route's parameters (case-insensitive), if any. */
  findWorkspace(ref: WorkspaceRef): WorkspaceRef | undefined {
    const key = workspaceKey(ref);
    if (key === DEFAULT_WORKSPACE_KEY) return DEFAULT_WORKSPACE;
    return this.root.workspaces?.[key]?.ref;
  }

  /** Hosts a workspace (idempotent): an empty one in its resource group and subscription. */
  addWorkspace(ref: WorkspaceRef): void {
    const key = workspaceKey(ref);
    if (key === DEFAULT_WORKSPACE_KEY) return;
    const all = (this.root.workspaces ??= {});
    if (!all[key]) {
      all[key] = { ref: { ...ref }, state: emptyCollections() };
      this.changed();
    }
  }

  /** Hosts a registry (idempotent). */
  addRegistry(ref: RegistryRef): void {
    const all = (this.root.registries ??= {});
    const key = ref.name.toLowerCase();
    if (!all[key]) {
      all[key] = { ref: { ...ref }, modelContainers: {}, modelVersions: {} };
      this.changed();
    }
  }

  registries(): RegistryRef[] {
    return Object.values(this.root.registries ?? {}).map((r) => r.ref);
  }

  registry(name: string): RegistryRecord | undefined {
    return this.root.registries?.[name.toLowerCase()];
  }

  /** Loads `<stateDir>/state.json` when a state dir is given; in memory otherwise. */
  static async open(options: { stateDir?: string; steps: StepDurations }): Promise<StateStore> {
    if (!options.stateDir) return new StateStore(undefined, options.steps, emptyState(options.steps));
    await mkdir(options.stateDir, { recursive: true });
    const file = path.join(options.stateDir, 'state.json');
    let data = emptyState(options.steps);
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as EmulatorState;
      if (parsed.version === 1) data = { ...data, ...parsed, steps: { ...options.steps, ...parsed.steps } };
    } catch {
      // Missing or unreadable state starts empty; the file is rewritten on the next change.
    }
    return new StateStore(file, options.steps, data);
  }

  nextId(): number {
    this.root.seq += 1;
    return this.root.seq;
  }

  /** Marks the state dirty; the file is written shortly after (coalescing bursts of background changes). */
  changed(): void {
    if (!this.file) return;
    this.dirty = true;
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.flush().catch(() => undefined);
    }, 50);
    this.saveTimer.unref();
  }

  /**
   * Resolves once every change made before the call is on disk (at once when there is none). Concurrent callers
   * share one write; a failed write rejects and leaves the changes dirty for the next one.
   */
  flush(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
    }
    // Not dirty: a write in progress (if any) already holds every change.
    if (!this.dirty) return this.saving;
    if (!this.queued) {
      const write = this.saving.then(() => {
        this.queued = undefined;
        this.dirty = false;
        return this.write().catch((error: unknown) => {
          this.dirty = true;
          throw error;
        });
      });
      this.queued = write;
      this.saving = write.catch(() => undefined);
    }
    return this.queued;
  }

  async reset(): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    await this.saving;
    this.dirty = false;
    this.root = emptyState(this.defaultSteps);
    this.views.clear();
    if (this.file) await rm(this.file, { force: true });
  }

  private async write(): Promise<void> {
    if (!this.file) return;
    this.beforeWrite();
    // Serialized before the first await: the file holds exactly the state of the moment the write started.
    const text = JSON.stringify(this.root);
    const temp = `${this.file}.tmp`;
    await writeFile(temp, text);
    await rename(temp, this.file);
  }
}
