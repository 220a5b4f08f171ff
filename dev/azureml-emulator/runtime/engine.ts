/**
 * Moves jobs and long-running operations through their states on the emulator clock, runs training, loads models
 * for deployments, and raises the matching Event Grid events.
 *
 * @remarks Transitions happen in `tick()`, called on a short wall-clock interval and after every clock change or API
 * call, so a test that advances the clock sees the new state on its next GET. Training itself is real work
 * (read CSV, fit) and runs asynchronously while the job is Running.
 */
import { randomUUID } from 'node:crypto';
import { text } from '../arm';
import type { EmulatorContext } from '../context';
import { trainFromCsv } from '../ml';
import { runBatchScoring } from './batch-scoring';
import type {
  BatchScoringSpec,
  DeploymentRecord,
  JobRecord,
  JobStatus,
  JsonObject,
  MlflowRunRecord,
  OperationRecord,
  StepDurations,
} from '../state';
import { type LatencyProfile, operationDuration } from './latency';
import { appendLog, deploymentKey } from './logs';
import { loadArtifact, type ModelVersionRef, parseModelReference } from './models';
import { BUILT_IN_MODEL_OUTPUT, BUILT_IN_TRAINING_STEP, resolveTrainingSpec, TrainingSpecError } from './training';
import { currentWorkspace, DEFAULT_WORKSPACE, DEFAULT_WORKSPACE_KEY, inWorkspace, workspaceKey } from '../workspaces';

const OPERATION_RETENTION_MS = 86_400_000;
export const METRIC_KEYS = ['rmse', 'mae', 'r2'] as const;
const TERMINAL = new Set<JobStatus>(['Completed', 'Failed', 'Canceled']);

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL.has(status);
}

/**
 * The documented named-output form of a job output, `azureml://jobs/<job>/outputs/<output>/paths/` (Learn "Register
 * and work with models", model path forms): what a model version registered from a training job points at.
 */
export function modelOutputUri(jobName: string, output: string = BUILT_IN_MODEL_OUTPUT.name): string {
  return `azureml://jobs/${jobName}/outputs/${output}/paths/`;
}

/** The run's MLflow artifact store (`runs:/<run>/…`), as `runs/get` reports it. */
export function artifactsUri(runId: string): string {
  return `azureml://jobs/${runId}/outputs/artifacts/paths/`;
}

const MODEL_OUTPUT_TYPES = ['mlflow_model', 'custom_model', 'triton_model'];

/**
 * The model outputs a job will have: those its body declares (pipeline/command job PUT), else the output of the
 * emulator's built-in training component (batch pipeline deployments and v1 pipelines bind it themselves).
 */
export function declaredModelOutputs(outputs: unknown): Record<string, string> {
  const declared: Record<string, string> = {};
  if (outputs && typeof outputs === 'object' && !Array.isArray(outputs)) {
    for (const [name, output] of Object.entries(outputs as Record<string, unknown>)) {
      const type =
        output && typeof output === 'object' && !Array.isArray(output)
          ? text((output as Record<string, unknown>)['jobOutputType'], '').toLowerCase()
          : '';
      if (MODEL_OUTPUT_TYPES.includes(type)) declared[name] = type;
    }
  }
  return Object.keys(declared).length > 0 ? declared : { [BUILT_IN_MODEL_OUTPUT.name]: BUILT_IN_MODEL_OUTPUT.type };
}

export class Engine {
  private readonly trainings = new Map<string, Promise<void>>();
  private readonly modelLoads = new Map<string, Promise<void>>();
  private ticking = false;

  constructor(private readonly context: EmulatorContext) {}

  private get state() {
    return this.context.store.data;
  }

  experimentId(name: string): string {
    let id = this.state.experiments[name];
    if (!id) {
      id = randomUUID();
      this.state.experiments[name] = id;
    }
    return id;
  }

  /** Registers a new job in NotStarted, consuming the next queued job fault. */
  submitJob(job: JobRecord): void {
    const fault = this.state.faults.nextJobs.shift();
    if (fault) job.run.fault = fault;
    job.run.modelOutputs ??= declaredModelOutputs(this.props(job)['outputs']);
    this.state.jobs[job.name] = job;
    const experimentName = this.experimentName(job);
    const run: MlflowRunRecord = {
      runId: job.name,
      experimentId: job.run.experimentId,
      runName: typeof job.body['properties'] === 'object' ? text(this.props(job)['displayName'], job.name) : job.name,
      status: 'SCHEDULED',
      startTime: this.context.clock.now(),
      metrics: [],
      params: [],
      tags: Object.entries(this.tags(job)).map(([key, value]) => ({ key, value })),
    };
    run.tags.push({ key: 'mlflow.experimentName', value: experimentName });
    this.state.mlflowRuns[job.name] = run;
    this.emitRunStatus(job);
    this.context.store.changed();
    this.tick();
  }

  requestCancel(job: JobRecord): void {
    if (isTerminal(job.run.status) || job.run.status === 'CancelRequested') return;
    this.setStatus(job, 'CancelRequested');
    this.tick();
  }

  forceJob(job: JobRecord, outcome: { status: 'Completed' | 'Failed'; message?: string }): void {
    job.run.forced = outcome;
    this.context.store.changed();
    this.tick();
  }

  beginOperation(
    action: OperationRecord['action'],
    target: OperationRecord['target'],
    prefix: string,
  ): OperationRecord {
    const now = this.context.clock.now();
    const operation: OperationRecord = {
      id: `${prefix}:${randomUUID()}`,
      status: 'InProgress',
      startTime: new Date(now).toISOString(),
      dueAt: now + operationDuration({ action, target }, this.state.steps, this.state.latency?.operations),
      action,
      target,
      workspace: workspaceKey(currentWorkspace()),
    };
    this.state.operations[operation.id] = operation;
    if (target.kind === 'onlineDeployment' && (action === 'create' || action === 'update')) {
      this.startModelLoad(operation);
    }
    this.context.store.changed();
    return operation;
  }

  /** Applies a latency profile: job step durations, per-operation durations and the LRO Retry-After. */
  applyLatencyProfile(profile: LatencyProfile, baseSteps: StepDurations): void {
    this.state.steps = { ...(profile.steps ?? baseSteps) };
    if (profile.name === 'fast') delete this.state.latency;
    else
      this.state.latency = {
        profile: profile.name,
        ...(profile.operations ? { operations: { ...profile.operations } } : {}),
        ...(profile.retryAfterSeconds !== undefined ? { retryAfterSeconds: profile.retryAfterSeconds } : {}),
      };
    this.context.store.changed();
    this.tick();
  }

  /** Resumes work that was in flight when the emulator stopped (persisted state). */
  resume(): void {
    for (const ref of this.context.store.workspaces()) {
      inWorkspace(ref, () => {
        for (const job of Object.values(this.state.jobs)) {
          if (job.run.status === 'Running' && job.run.training?.state === 'running') this.startTraining(job);
        }
      });
    }
    for (const operation of Object.values(this.state.operations)) {
      if (operation.status === 'InProgress' && operation.target.kind === 'onlineDeployment') {
        if (operation.action === 'create' || operation.action === 'update') {
          this.inWorkspaceOf(operation, () => this.startModelLoad(operation));
        }
      }
    }
  }

  /** Runs `fn` in the workspace an operation's target belongs to (state from before workspaces: the default one). */
  private inWorkspaceOf<T>(operation: OperationRecord, fn: () => T): T {
    const ref = this.context.store
      .workspaces()
      .find((w) => workspaceKey(w) === (operation.workspace ?? DEFAULT_WORKSPACE_KEY));
    return inWorkspace(ref ?? DEFAULT_WORKSPACE, fn);
  }

  tick(): void {
    if (this.ticking) return;
    this.ticking = true;
    try {
      for (let pass = 0; pass < 10; pass += 1) {
        let changed = false;
        for (const ref of this.context.store.workspaces()) {
          inWorkspace(ref, () => {
            for (const job of Object.values(this.state.jobs)) changed = this.advanceJob(job) || changed;
          });
        }
        for (const operation of Object.values(this.state.operations))
          changed = this.inWorkspaceOf(operation, () => this.advanceOperation(operation)) || changed;
        if (!changed) break;
      }
      this.pruneOperations();
    } finally {
      this.ticking = false;
    }
  }

  /** Finished operation records are kept a day (clients may poll late) and expired AML tokens dropped, so state stays small. */
  private pruneOperations(): void {
    const cutoff = this.context.clock.now() - OPERATION_RETENTION_MS;
    for (const [id, operation] of Object.entries(this.state.operations)) {
      if (operation.endTime !== undefined && Date.parse(operation.endTime) < cutoff) {
        delete this.state.operations[id];
        this.context.store.changed();
      }
    }
    const now = this.context.clock.now();
    for (const [token, issued] of Object.entries(this.state.tokens)) {
      if (issued.expiresAt < now) {
        delete this.state.tokens[token];
        this.context.store.changed();
      }
    }
  }

  // ---- jobs ---------------------------------------------------------------------------------------------------

  private props(job: JobRecord): JsonObject {
    return job.body['properties'] as JsonObject;
  }

  private tags(job: JobRecord): Record<string, string> {
    const tags = this.props(job)['tags'];
    const result: Record<string, string> = {};
    if (tags && typeof tags === 'object' && !Array.isArray(tags)) {
      for (const [key, value] of Object.entries(tags)) if (typeof value === 'string') result[key] = value;
    }
    return result;
  }

  private experimentName(job: JobRecord): string {
    const name = this.props(job)['experimentName'];
    return typeof name === 'string' && name !== '' ? name : 'Default';
  }

  private advanceJob(job: JobRecord): boolean {
    const { run } = job;
    if (isTerminal(run.status)) return false;
    const now = this.context.clock.now();
    const elapsed = now - run.statusSince;
    const steps = this.state.steps;
    if (run.forced) {
      const forced = run.forced;
      delete run.forced;
      this.finish(job, forced.status, forced.message ?? 'The job was failed through the emulator control API.');
      return true;
    }
    switch (run.status) {
      case 'NotStarted':
        if (elapsed < steps.notStartedMs) return false;
        this.setStatus(job, 'Queued', run.statusSince + steps.notStartedMs);
        return true;
      case 'Queued':
        if (elapsed < steps.queuedMs) return false;
        this.setStatus(job, 'Running', run.statusSince + steps.queuedMs);
        this.startTraining(job);
        return true;
      case 'Running': {
        if (run.fault?.kind === 'hang') return false;
        if (elapsed < steps.runningMs || run.training?.state === 'running') return false;
        // Step-driven transitions are stamped at their due time, so one large clock advance walks every step.
        const at = Math.max(run.statusSince + steps.runningMs, run.trainingDoneAt ?? 0);
        if (run.fault?.kind === 'fail') {
          this.finish(job, 'Failed', run.fault.message, at);
        } else if (run.training?.state === 'failed') {
          this.finish(job, 'Failed', run.training.error ?? 'Training failed.', at);
        } else {
          this.finish(job, 'Completed', undefined, at);
        }
        return true;
      }
      case 'CancelRequested':
        if (elapsed < steps.cancelMs) return false;
        this.finish(job, 'Canceled', undefined, run.statusSince + steps.cancelMs);
        return true;
      default:
        return false;
    }
  }

  private finish(job: JobRecord, status: 'Completed' | 'Failed' | 'Canceled', message?: string, atMs?: number): void {
    // Run history keeps the error; the ARM job resource has no error field (spec: JobBaseProperties).
    if (status === 'Failed') job.run.error = { code: 'UserError', message: message ?? 'The job failed.' };
    this.setStatus(job, status, atMs);
  }

  private setStatus(job: JobRecord, status: JobStatus, atMs?: number): void {
    const now = this.context.clock.now();
    const at = atMs === undefined ? now : Math.min(now, atMs);
    const nowIso = new Date(at).toISOString();
    job.run.status = status;
    job.run.statusSince = at;
    job.run.history.push({ status, at: nowIso });
    this.props(job)['status'] = status;
    if (status === 'Running') job.run.startedAt = nowIso;
    const runs = [this.state.mlflowRuns[job.name], this.state.mlflowRuns[job.run.trainingRunId ?? '']];
    for (const mlflow of runs) {
      if (!mlflow) continue;
      if (status === 'Running') mlflow.status = 'RUNNING';
      if (isTerminal(status)) {
        mlflow.status = status === 'Completed' ? 'FINISHED' : status === 'Failed' ? 'FAILED' : 'KILLED';
        mlflow.endTime = at;
      }
    }
    if (isTerminal(status)) job.run.endedAt = nowIso;
    const failure = status === 'Failed' && job.run.error ? `: ${job.run.error.message}` : '';
    this.context.log(`job ${job.name} (${this.experimentName(job)}) ${status}${failure}`);
    this.context.store.changed();
    this.emitRunStatus(job);
    if (status === 'Completed') this.emitRun(job, 'Microsoft.MachineLearningServices.RunCompleted', {});
  }

  private emitRunStatus(job: JobRecord): void {
    this.emitRun(job, 'Microsoft.MachineLearningServices.RunStatusChanged', { runStatus: job.run.status });
  }

  private emitRun(job: JobRecord, eventType: string, extra: Record<string, unknown>): void {
    const jobType = text(this.props(job)['jobType'], 'Command');
    this.context.events.publish({
      subject: `experiments/${job.run.experimentId}/runs/${job.name}`,
      eventType,
      eventTime: job.run.history[job.run.history.length - 1]?.at ?? this.context.clock.nowIso(),
      data: {
        experimentId: job.run.experimentId,
        experimentName: this.experimentName(job),
        runId: job.name,
        runType:
          job.run.origin === 'v1'
            ? 'azureml.PipelineRun'
            : jobType === 'Pipeline'
              ? 'azureml.PipelineRun'
              : `azureml.${jobType}Job`,
        runTags: this.tags(job),
        runProperties: stringsOf(this.props(job)['properties']),
        ...extra,
      },
    });
  }

  private startTraining(job: JobRecord): void {
    if (this.trainings.has(job.name)) return;
    if (job.run.batchScoring) {
      this.startBatchScoring(job, job.run.batchScoring);
      return;
    }
    let spec;
    try {
      spec = resolveTrainingSpec(this.props(job)['inputs']);
    } catch (error) {
      job.run.training = { state: 'failed', error: error instanceof TrainingSpecError ? error.message : String(error) };
      return;
    }
    if (!spec) {
      job.run.training = { state: 'skipped' };
      return;
    }
    job.run.training = { state: 'running' };
    const mlflow = this.trainingRun(job);
    if (mlflow) {
      mlflow.params = Object.entries(spec.parameters).map(([key, value]) => ({ key, value }));
      mlflow.params.push({ key: 'training_data', value: spec.dataUri });
    }
    this.runJobWork(job, async () => {
      const data = this.resolveDataAsset(spec.dataUri, spec.folder);
      const stream = await this.context.dataAccess.openCsv(data.uri, { folder: data.folder });
      const result = await trainFromCsv(stream, {
        targetColumn: spec.targetColumn,
        ...(spec.alpha !== undefined ? { alpha: spec.alpha } : {}),
        ...(spec.featureColumns ? { featureColumns: spec.featureColumns } : {}),
      });
      if (this.state.jobs[job.name] !== job || isTerminal(job.run.status)) return;
      this.state.artifacts[job.name] = result.artifact;
      job.run.training = { state: 'succeeded', metrics: result.metrics };
      const { rmse, mae, r2 } = result.metrics;
      this.context.log(
        `job ${job.name} trained on ${result.artifact.trainedRows} rows: rmse=${rmse.toFixed(3)} mae=${mae.toFixed(3)} r2=${r2.toFixed(4)}`,
      );
      const timestamp = this.context.clock.now();
      if (mlflow) {
        for (const key of METRIC_KEYS) mlflow.metrics.push({ key, value: result.metrics[key], timestamp, step: 0 });
        mlflow.metrics.push({ key: 'trained_rows', value: result.artifact.trainedRows, timestamp, step: 0 });
      }
    });
  }

  /** A batch model deployment's job: scores its input folder with the deployment's model (runtime/batch-scoring.ts). */
  private startBatchScoring(job: JobRecord, spec: BatchScoringSpec): void {
    job.run.training = { state: 'running' };
    this.runJobWork(job, async () => {
      const version = this.state.modelVersions[spec.model.name]?.[spec.model.version];
      if (!version) throw new Error(`Model ${spec.model.name}:${spec.model.version} does not exist.`);
      const artifact = await loadArtifact(this.state, this.context.dataAccess, version, spec.model);
      const outcome = await runBatchScoring(this.context.dataAccess, spec, artifact);
      if (this.state.jobs[job.name] !== job || isTerminal(job.run.status)) return;
      spec.result = outcome.result;
      for (const line of outcome.log) this.context.log(`job ${job.name}: ${line}`);
      const { files, failedFiles, rows } = outcome.result;
      this.context.log(`job ${job.name} scored ${rows} rows of ${files - failedFiles}/${files} files`);
      job.run.training = outcome.failed ? { state: 'failed', error: outcome.failed } : { state: 'succeeded' };
    });
  }

  /**
   * Runs a job's work (training, batch scoring) in the background: a throw fails the job's step, and when the work
   * ends the job may complete no earlier than now (`trainingDoneAt`).
   */
  private runJobWork(job: JobRecord, work: () => Promise<void>): void {
    const running = (async () => {
      try {
        await work();
      } catch (error) {
        if (this.state.jobs[job.name] !== job) return;
        job.run.training = { state: 'failed', error: error instanceof Error ? error.message : String(error) };
      } finally {
        this.trainings.delete(job.name);
        job.run.trainingDoneAt = this.context.clock.now();
        this.context.store.changed();
        this.tick();
      }
    })();
    this.trainings.set(job.name, running);
  }

  /**
   * The MLflow run the training step logs to. A pipeline's steps are child jobs with MLflow runs of their own (tag
   * `mlflow.parentRunId` = the pipeline's run), and the training step logs its params and metrics there, not on the
   * pipeline's run (Learn "Query & compare experiments and runs with MLflow": child runs are separate runs). A
   * command job is a single run and logs on itself. The step run is created when the step starts.
   */
  private trainingRun(job: JobRecord): MlflowRunRecord | undefined {
    const parent = this.state.mlflowRuns[job.name];
    const isPipeline = text(this.props(job)['jobType'], 'Command') === 'Pipeline' || job.run.origin !== 'arm';
    if (!parent || !isPipeline) return parent;
    const existing = job.run.trainingRunId ? this.state.mlflowRuns[job.run.trainingRunId] : undefined;
    if (existing) return existing;
    const runId = randomUUID();
    const step: MlflowRunRecord = {
      runId,
      experimentId: parent.experimentId,
      runName: BUILT_IN_TRAINING_STEP,
      status: 'RUNNING',
      startTime: this.context.clock.now(),
      metrics: [],
      params: [],
      tags: [
        { key: 'mlflow.parentRunId', value: job.name },
        { key: 'mlflow.rootRunId', value: job.name },
        { key: 'mlflow.runName', value: BUILT_IN_TRAINING_STEP },
        { key: 'mlflow.experimentName', value: this.experimentName(job) },
      ],
    };
    this.state.mlflowRuns[runId] = step;
    job.run.trainingRunId = runId;
    this.context.store.changed();
    return step;
  }

  /**
   * Data asset references (`azureml:<name>:<version>` or the version's ARM id) resolve to the version's `dataUri`,
   * so lineage-friendly inputs train on the registered data.
   */
  private resolveDataAsset(uri: string, folder: boolean): { uri: string; folder: boolean } {
    const match =
      /^azureml:([^:/]+):([^:/]+)$/i.exec(uri) ?? /\/workspaces\/[^/]+\/data\/([^/]+)\/versions\/([^/?]+)$/i.exec(uri);
    if (!match?.[1] || !match[2]) return { uri, folder };
    const name = decodeURIComponent(match[1]);
    const version = this.state.dataVersions[name]?.[decodeURIComponent(match[2])];
    if (!version) throw new Error(`Data asset ${name}:${match[2]} does not exist in the workspace.`);
    const properties = version.body['properties'] as JsonObject;
    const dataUri = text(properties['dataUri']);
    return { uri: dataUri, folder: text(properties['dataType']) === 'uri_folder' || dataUri.endsWith('/') };
  }

  /** Waits for in-flight training (tests and close()). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.trainings.values(), ...this.modelLoads.values()]);
  }

  // ---- operations ---------------------------------------------------------------------------------------------

  private startModelLoad(operation: OperationRecord): void {
    if (operation.target.kind !== 'onlineDeployment' || this.modelLoads.has(operation.id)) return;
    const { endpoint, deployment } = operation.target;
    const record = this.state.onlineDeployments[endpoint]?.[deployment];
    if (!record) return;
    const key = deploymentKey(endpoint, deployment);
    const properties = record.body['properties'] as JsonObject;
    const instanceType = text(properties['instanceType'], 'Standard_DS3_v2');
    appendLog(
      this.context,
      key,
      'StorageInitializer',
      'INFO',
      `Starting storage initializer for deployment '${deployment}'.`,
    );
    appendLog(
      this.context,
      key,
      'InferenceServer',
      'INFO',
      `Starting inference server container (instance type ${instanceType}).`,
    );
    const work = (async () => {
      let ref: ModelVersionRef | undefined;
      try {
        const modelRef = properties['model'];
        if (typeof modelRef !== 'string') throw new Error("The deployment has no 'model'.");
        ref = parseModelReference(modelRef, 'properties.model');
        const version = this.context.store.modelVersion(ref);
        if (!version) throw new Error(`Model ${ref.name}:${ref.version} does not exist.`);
        appendLog(this.context, key, 'StorageInitializer', 'INFO', `Downloading model ${ref.name}:${ref.version}.`);
        const artifact = await loadArtifact(this.state, this.context.dataAccess, version, ref, (w) =>
          this.context.store.hostedView(w),
        );
        record.runtime.artifact = artifact;
        record.runtime.modelId = `${ref.name}:${ref.version}`;
        // A scoring script answers when the deployment has one; otherwise Azure's MLflow scoring server does.
        record.runtime.servedAs = properties['codeConfiguration'] ? 'script' : 'mlflow';
        appendLog(this.context, key, 'StorageInitializer', 'INFO', `Model ${ref.name}:${ref.version} downloaded.`);
        appendLog(
          this.context,
          key,
          'InferenceServer',
          'INFO',
          `Loaded model ${ref.name}:${ref.version} (${artifact.kind}, features: ${artifact.featureColumns.join(', ')}, target: ${artifact.targetColumn}).`,
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        record.runtime.failProvisioning ??= `Model load failed: ${message}`;
        appendLog(this.context, key, 'StorageInitializer', 'ERROR', `Model download failed: ${message}`);
        appendLog(this.context, key, 'InferenceServer', 'ERROR', `Model load failed: ${message}`);
      } finally {
        this.modelLoads.delete(operation.id);
        this.context.store.changed();
        this.tick();
      }
    })();
    this.modelLoads.set(operation.id, work);
  }

  private advanceOperation(operation: OperationRecord): boolean {
    if (operation.status !== 'InProgress') return false;
    const target = operation.target;
    if (target.kind === 'job') {
      const job = this.state.jobs[target.job];
      if (job && !isTerminal(job.run.status)) return false;
      this.completeOperation(operation);
      return true;
    }
    if (this.context.clock.now() < operation.dueAt || this.modelLoads.has(operation.id)) return false;
    switch (target.kind) {
      case 'onlineEndpoint':
        this.completeEndpointOperation(operation, this.state.onlineEndpoints, target.endpoint, () => {
          delete this.state.onlineDeployments[target.endpoint];
          for (const key of Object.keys(this.state.deploymentLogs)) {
            if (key.startsWith(`${target.endpoint}/`)) delete this.state.deploymentLogs[key];
          }
          for (const [token, info] of Object.entries(this.state.tokens))
            if (info.endpoint === target.endpoint) delete this.state.tokens[token];
        });
        return true;
      case 'batchEndpoint':
        this.completeEndpointOperation(operation, this.state.batchEndpoints, target.endpoint, () => {
          delete this.state.batchDeployments[target.endpoint];
        });
        return true;
      case 'batchDeployment':
        this.completeEndpointOperation(
          operation,
          this.state.batchDeployments[target.endpoint] ?? {},
          target.deployment,
          () => undefined,
        );
        return true;
      case 'onlineDeployment':
        this.completeDeploymentOperation(operation, target.endpoint, target.deployment);
        return true;
      case 'registryModelVersion': {
        // The copy of the version's files into the registry's storage is done.
        const version = this.context.store.registry(target.registry)?.modelVersions[target.model]?.[target.version];
        if (version) (version.body['properties'] as JsonObject)['provisioningState'] = 'Succeeded';
        this.completeOperation(operation);
        return true;
      }
    }
  }

  private completeOperation(operation: OperationRecord, error?: { code: string; message: string }): void {
    operation.status = error ? 'Failed' : 'Succeeded';
    operation.endTime = this.context.clock.nowIso();
    if (error) operation.error = error;
    this.context.store.changed();
  }

  private completeEndpointOperation(
    operation: OperationRecord,
    collection: Record<string, { body: JsonObject }>,
    name: string,
    onDelete: () => void,
  ): void {
    const resource = collection[name];
    if (operation.action === 'delete') {
      delete collection[name];
      onDelete();
    } else if (resource) {
      (resource.body['properties'] as JsonObject)['provisioningState'] = 'Succeeded';
    }
    this.completeOperation(operation);
  }

  private completeDeploymentOperation(operation: OperationRecord, endpoint: string, deployment: string): void {
    const deployments = this.state.onlineDeployments[endpoint] ?? {};
    const record = deployments[deployment];
    const key = deploymentKey(endpoint, deployment);
    if (operation.action === 'delete') {
      delete deployments[deployment];
      // Like Azure, the endpoint's traffic maps name only deployments that exist (the delete was refused while
      // this one had a share, so only its 0 entries go).
      const endpointProperties = this.state.onlineEndpoints[endpoint]?.body['properties'] as JsonObject | undefined;
      for (const field of ['traffic', 'mirrorTraffic']) {
        const map = endpointProperties?.[field];
        if (map && typeof map === 'object' && !Array.isArray(map)) delete map[deployment];
      }
      delete this.state.deploymentLogs[key];
      delete this.state.faults.scoring[key];
      this.completeOperation(operation);
      return;
    }
    if (!record) {
      this.completeOperation(operation, { code: 'NotFound', message: `Deployment '${deployment}' no longer exists.` });
      return;
    }
    const properties = record.body['properties'] as JsonObject;
    const injected = this.state.faults.provisioning[key];
    const failure = injected ?? record.runtime.failProvisioning;
    delete this.state.faults.provisioning[key];
    delete record.runtime.failProvisioning;
    if (failure !== undefined) {
      properties['provisioningState'] = 'Failed';
      this.context.log(`deployment ${endpoint}/${deployment} failed: ${failure}`);
      appendLog(this.context, key, 'InferenceServer', 'ERROR', `Deployment provisioning failed: ${failure}`);
      this.completeOperation(operation, { code: 'DeploymentFailed', message: failure });
      return;
    }
    properties['provisioningState'] = 'Succeeded';
    this.context.log(`deployment ${endpoint}/${deployment} serving ${record.runtime.modelId ?? 'no model'}`);
    appendLog(this.context, key, 'InferenceServer', 'INFO', 'Scoring server started; readiness probe succeeded.');
    this.completeOperation(operation);
    this.emitModelDeployed(endpoint, record);
  }

  private emitModelDeployed(endpoint: string, record: DeploymentRecord): void {
    const endpointRecord = this.state.onlineEndpoints[endpoint];
    const endpointProperties = (endpointRecord?.body['properties'] ?? {}) as JsonObject;
    this.context.events.publish({
      subject: `endpoints/${endpoint}`,
      eventType: 'Microsoft.MachineLearningServices.ModelDeployed',
      eventTime: this.context.clock.nowIso(),
      data: {
        ServiceName: endpoint,
        ServiceComputeType: 'Managed',
        ModelIds: record.runtime.modelId ?? '',
        ServiceTags: stringsOf(endpointRecord?.body['tags'] ?? null),
        ServiceProperties: { ...stringsOf(endpointProperties['properties'] ?? null), deploymentName: record.name },
      },
    });
  }
}

function stringsOf(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, item] of Object.entries(value)) if (typeof item === 'string') result[key] = item;
  }
  return result;
}
