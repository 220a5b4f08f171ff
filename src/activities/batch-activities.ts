/**
 * Batch-scoring activities: the only side effects of a batch run. Thin wrappers over services/batch, with their
 * dependencies injected (`createBatchActivities(deps)`), telemetry emitted here (never from the orchestrators).
 */
import type { ContainerClient } from '@azure/storage-blob';
import * as df from 'durable-functions';

import { ScoringHttpError } from '../azureml/scoring-client';
import { BatchActivities, PERMANENT_FAILURE_MARKER, type ScoreMiniBatchRef } from '../orchestrations/batch-run';
import { describeBatchDeployment, invokeBatchScoring, resolveDataAsset } from '../azureml/batch-scoring';
import { datastorePathUri, lakeDatastoreName, lakePathOf } from '../azureml/dataset-uri';
import { cancelTraining, getTrainingStatus } from '../azureml/training';
import type { AzureMlWorkspace } from '../azureml/workspace';
import { type BatchScorerSpec, type BatchSpec, type Catalog, findModel } from '../catalog';
import type { EndpointResolver } from '../services/batch/endpoint-resolver';
import { collectJobOutput, tallyMiniBatches } from '../services/batch/job-output';
import { chunkRecordName, outputPartitionPrefix, stagingPrefix } from '../services/batch/layout';
import type { BatchManifest } from '../services/batch/manifest';
import { scoreMiniBatch } from '../services/batch/mini-batch';
import { partitionOf, planRun, type StoredPlan } from '../services/batch/plan-run';
import { abandonRun, publishRun, type PublishInput } from '../services/batch/publish';
import { miniBatchKey } from '../services/batch/planner';
import type {
  BatchJobPlan,
  BatchPlan,
  ChunkRecordInput,
  CollectJobOutput,
  FailureTally,
  MiniBatchFailure,
  MiniBatchResult,
  PlanSummary,
  ResolvedInput,
  RunRef,
  ScoreSettings,
} from '../services/batch/types';
import { writeTable } from '../services/batch/table-output';
import type { SubmissionStore } from '../state';
import type { Pool } from 'pg';
import { withErrorType } from '../services/task-failure';
import { readSmall, writeSmall } from '../storage/lake';
import { type CommonDimensions, type Telemetry, TelemetryEvents, TelemetryMetrics } from '../telemetry';

export interface BatchDeps {
  /** The data lake container of a run. */
  readonly lake: (container: string) => ContainerClient;
  /** The Azure ML workspace (batch endpoint scorer, data-asset inputs). */
  readonly ws?: AzureMlWorkspace;
  /** Where batch endpoint invocations are recorded (idempotency; routes run events to the orchestration). */
  readonly submissions?: SubmissionStore;
  /** Azure Database for PostgreSQL for `batch.table` outputs (BATCH_POSTGRES_*); undefined when not configured. */
  readonly postgres?: () => Pool;
  /** The model catalog (request format and column types of a model's batch section). */
  readonly catalog?: Catalog;
  readonly resolver: EndpointResolver;
  readonly telemetry: Telemetry;
}

export interface PlanActivityInput {
  readonly run: RunRef;
  readonly endpoint: string;
  readonly deployment: string | undefined;
  readonly inputMode: 'tabular' | 'files';
  readonly miniBatchSize: number;
  /** What to score (default: the date's lake partition). */
  readonly input?: BatchSpec['input'];
  /** The scorer (default: online endpoint). */
  readonly scorer?: BatchScorerSpec;
}

export interface TallyInput {
  readonly run: RunRef;
  readonly planBlob: string;
  readonly failures: readonly MiniBatchFailure[];
}

export interface JobRef {
  readonly run: RunRef;
  readonly batchJob: BatchJobPlan;
  readonly jobName: string;
}

export interface JobStatusOutput {
  readonly status: string;
  readonly phase: 'running' | 'completed' | 'failed' | 'canceled';
  readonly error?: string | undefined;
  readonly at: string;
}

export interface CollectJobInput extends JobRef {
  readonly planBlob: string;
  readonly settings: Pick<ScoreSettings, 'outputFormat' | 'predictionColumn' | 'modelVersionColumn'>;
}

export interface WriteTableInput {
  readonly run: RunRef;
  readonly table: NonNullable<BatchSpec['table']>;
  /** The chunk records holding the scored mini-batches (see FinalizeInput). */
  readonly chunkRecords: readonly string[];
  readonly format: 'csv' | 'parquet';
  readonly predictionColumn: string;
}

/**
 * Input of publish and abandon. Scored mini-batches are in chunk records (kept out of the run's history: the online
 * path writes one per chunk, a batch endpoint job one for its part); `scored` counts them.
 */
export interface FinalizeInput extends Omit<PublishInput, 'succeeded'> {
  readonly planBlob: string;
  readonly reason: string;
  /** Chunk record blobs (`chunkRecordName`), in the run's container. */
  readonly chunkRecords: readonly string[];
  readonly scored: number;
}

export interface PublishActivityResult {
  readonly manifestBlob: string;
  readonly prefix: string;
  readonly failures: MiniBatchFailure[];
  readonly alreadyPublished: boolean;
}

/** A mini-batch failure that a retry cannot fix; the chunk orchestrator does not retry it. */
export class BatchPermanentError extends Error {
  override readonly name = 'BatchPermanentError';
  constructor(cause: Error) {
    super(`${PERMANENT_FAILURE_MARKER} ${cause.name}: ${cause.message}`, { cause });
  }
}

const PERMANENT_ERRORS = new Set(['CsvRowError', 'SchemaMismatchError', 'PredictionShapeError', 'CsvLayoutError']);
/** The model or the data rejects the input: 400, 413, 422, 424 (model error). Auth and 404 may be transient. */
const PERMANENT_STATUSES = new Set([400, 413, 422, 424]);

export function isPermanent(err: unknown): boolean {
  if (err instanceof ScoringHttpError) return PERMANENT_STATUSES.has(err.status);
  return err instanceof Error && PERMANENT_ERRORS.has(err.name);
}

function dims(run: RunRef, extra: CommonDimensions = {}): CommonDimensions {
  return { model: run.model, instanceId: run.instanceId, date: run.date, runId: run.runId, ...extra };
}

/** Plans are immutable per run; activities of a run share one parsed copy per process. */
class PlanCache {
  private readonly entries = new Map<string, Promise<StoredPlan>>();
  constructor(private readonly capacity = 8) {}

  get(container: ContainerClient, planBlob: string): Promise<StoredPlan> {
    const hit = this.entries.get(planBlob);
    if (hit) {
      this.entries.delete(planBlob);
      this.entries.set(planBlob, hit);
      return hit;
    }
    const loading = readSmall(container, planBlob).then((b) => JSON.parse(b.toString('utf8')) as StoredPlan);
    loading.catch(() => this.entries.delete(planBlob));
    this.entries.set(planBlob, loading);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return loading;
  }
}

export function createBatchActivities(deps: BatchDeps) {
  const plans = new PlanCache();

  const azureMl = (): { ws: AzureMlWorkspace; submissions: SubmissionStore } => {
    if (!deps.ws || !deps.submissions) {
      throw new Error('batch scoring through a batch endpoint or a data asset needs the Azure ML workspace');
    }
    return { ws: deps.ws, submissions: deps.submissions };
  };

  const trackPlanned = (input: PlanActivityInput, plan: BatchPlan): void => {
    deps.telemetry.trackEvent(
      TelemetryEvents.BatchPlanned,
      dims(input.run, { endpoint: input.endpoint, deployment: input.deployment }),
      { miniBatches: plan.miniBatches.length, files: plan.files, rows: plan.rows, bytes: plan.bytes },
    );
  };

  /** The folder (or file) the run scores: the date's partition, or the data asset version's path in the lake. */
  const resolveInput = async (container: ContainerClient, input: PlanActivityInput): Promise<ResolvedInput> => {
    const spec = input.input ?? { kind: 'lakePartition' as const };
    if (spec.kind === 'lakePartition') return { container: input.run.container, prefix: partitionOf(input.run) };
    const asset = await resolveDataAsset(azureMl().ws, spec.name, spec.version);
    const path = lakePathOf(asset.dataUri, container.accountName, input.run.container);
    if (path === undefined) {
      throw new BatchPermanentError(
        new RangeError(
          `data asset ${asset.name}:${asset.version} points at ${asset.dataUri}; batch scoring reads data assets in the lake container ${input.run.container} (azureml://datastores/${lakeDatastoreName(container.accountName, input.run.container)}/paths/...)`,
        ),
      );
    }
    const prefix = asset.dataType === 'uri_folder' && path !== '' && !path.endsWith('/') ? `${path}/` : path;
    return { container: input.run.container, prefix, asset: `${asset.name}:${asset.version}` };
  };

  const planBatchJob = async (
    container: ContainerClient,
    input: PlanActivityInput,
    scorer: Extract<BatchScorerSpec, { kind: 'batchEndpoint' }>,
    resolved: ResolvedInput,
  ): Promise<PlanSummary> => {
    const info = await describeBatchDeployment(azureMl().ws, scorer.endpoint, scorer.deployment);
    // The deployment's mini-batches are files (uri_folder input), in name order as the plan packs them.
    const { planBlob, plan } = await planRun(container, input.run, {
      inputMode: 'files',
      miniBatchSize: info.miniBatchSize,
      prefix: resolved.prefix,
    });
    trackPlanned(input, plan);
    const datastore = scorer.datastore ?? lakeDatastoreName(container.accountName, input.run.container);
    const outputFolder = `${stagingPrefix(input.run)}job/`;
    const uri = (path: string): string => datastorePathUri(datastore, path);
    return {
      ...planCounts(planBlob, plan, resolved),
      scorer: {
        endpoint: scorer.endpoint,
        scoringUri: '',
        deployment: info.deployment,
        modelVersions: info.modelVersion ? { [info.deployment]: info.modelVersion } : {},
      },
      batchJob: {
        endpoint: scorer.endpoint,
        deployment: info.deployment,
        modelVersion: info.modelVersion,
        miniBatchSize: info.miniBatchSize,
        errorThreshold: info.errorThreshold,
        outputFileName: info.outputFileName,
        inputUri: uri(resolved.prefix),
        outputUri: uri(outputFolder),
        outputBlob: `${outputFolder}${info.outputFileName}`,
        inputName: scorer.inputName,
        outputName: scorer.outputName,
      },
    };
  };

  return {
    async [BatchActivities.plan](input: PlanActivityInput): Promise<PlanSummary> {
      const container = deps.lake(input.run.container);
      const resolved = await resolveInput(container, input);
      const scorerSpec = input.scorer ?? { kind: 'onlineEndpoint' as const };
      if (scorerSpec.kind === 'batchEndpoint') return planBatchJob(container, input, scorerSpec, resolved);
      const batchSpec = deps.catalog ? findModel(deps.catalog, input.run.model)?.batch : undefined;
      const endpoint = await deps.resolver.describe(input.endpoint);
      const modelVersions = input.deployment
        ? Object.fromEntries(Object.entries(endpoint.modelVersions).filter(([d]) => d === input.deployment))
        : Object.fromEntries(
            Object.entries(endpoint.modelVersions).filter(
              ([d]) => (endpoint.traffic[d] ?? 0) > 0 || Object.keys(endpoint.traffic).length === 0,
            ),
          );
      const { planBlob, plan } = await planRun(container, input.run, { ...input, prefix: resolved.prefix });
      trackPlanned(input, plan);
      return {
        ...planCounts(planBlob, plan, resolved),
        scorer: {
          endpoint: input.endpoint,
          scoringUri: endpoint.scoringUri,
          deployment: input.deployment,
          modelVersions,
          ...(batchSpec ? { request: { format: batchSpec.requestFormat, columnTypes: batchSpec.columnTypes } } : {}),
        },
      };
    },

    async [BatchActivities.tally](input: TallyInput): Promise<FailureTally> {
      const plan = await plans.get(deps.lake(input.run.container), input.planBlob);
      return tallyMiniBatches(plan, input.failures);
    },

    async [BatchActivities.invokeJob](input: Omit<JobRef, 'jobName'>): Promise<{ jobName: string }> {
      const { ws, submissions } = azureMl();
      const { run, batchJob } = input;
      const { jobName } = await invokeBatchScoring(ws, submissions, {
        model: run.model,
        runId: run.runId,
        instanceId: run.instanceId,
        key: `batch-${run.model}-${run.date}-${run.runId}`,
        endpoint: batchJob.endpoint,
        deployment: batchJob.deployment,
        inputName: batchJob.inputName,
        inputUri: batchJob.inputUri,
        inputType: batchJob.inputUri.endsWith('/') ? 'UriFolder' : 'UriFile',
        outputName: batchJob.outputName,
        outputUri: batchJob.outputUri,
        experiment: batchJob.endpoint,
      });
      deps.telemetry.trackEvent(
        TelemetryEvents.BatchJobSubmitted,
        dims(run, { endpoint: batchJob.endpoint, deployment: batchJob.deployment, job: jobName }),
      );
      return { jobName };
    },

    async [BatchActivities.checkJob](input: JobRef): Promise<JobStatusOutput> {
      const { ws } = azureMl();
      const status = await getTrainingStatus(
        ws,
        { kind: 'batchEndpoint', experiment: input.batchJob.endpoint, modelOutput: input.batchJob.outputName },
        input.jobName,
      );
      return { status: status.status, phase: status.phase, error: status.error, at: new Date().toISOString() };
    },

    async [BatchActivities.cancelJob](input: JobRef): Promise<void> {
      await cancelTraining(azureMl().ws, 'batchEndpoint', input.jobName);
    },

    async [BatchActivities.collectJob](input: CollectJobInput): Promise<CollectJobOutput> {
      const container = deps.lake(input.run.container);
      const plan = await plans.get(container, input.planBlob);
      const { result, tally } = await collectJobOutput(container, {
        run: input.run,
        plan,
        outputBlob: input.batchJob.outputBlob,
        format: input.settings.outputFormat,
        predictionColumn: input.settings.predictionColumn,
        modelVersionColumn: input.settings.modelVersionColumn,
        modelVersion: input.batchJob.modelVersion,
        jobName: input.jobName,
      });
      if (!result) return { scored: 0, rowsOut: 0, tally };
      const record = await writeChunkRecord(container, input.run, result.key, [result]);
      return { record, scored: 1, rowsOut: result.rowsOut, tally };
    },

    async [BatchActivities.scoreMiniBatch](ref: ScoreMiniBatchRef): Promise<MiniBatchResult> {
      const container = deps.lake(ref.run.container);
      const plan = await plans.get(container, ref.planBlob);
      const batch = plan.miniBatches[ref.index];
      if (!batch) throw new RangeError(`mini-batch ${ref.index} is not in plan ${ref.planBlob}`);
      try {
        return await scoreMiniBatch(
          {
            container,
            auth: (endpoint) => deps.resolver.secret(endpoint),
            onUnauthorized: (endpoint, stale) => deps.resolver.refresh?.(endpoint, stale),
          },
          { run: ref.run, batch, scorer: ref.scorer, settings: ref.settings },
        );
      } catch (err) {
        deps.telemetry.trackException(err as Error, dims(ref.run, { miniBatch: batch.key }));
        throw isPermanent(err) ? new BatchPermanentError(err as Error) : err;
      }
    },

    async [BatchActivities.writeTable](input: WriteTableInput): Promise<{ rows: number }> {
      if (!deps.postgres) {
        throw new BatchPermanentError(
          new Error(
            `${input.run.model} writes to table ${input.table.schema}.${input.table.name}, but no PostgreSQL server is configured (BATCH_POSTGRES_HOST, BATCH_POSTGRES_USER)`,
          ),
        );
      }
      const container = deps.lake(input.run.container);
      const parts = (await allScored(container, input.chunkRecords))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        .map((r) => ({ blob: r.part.blob, bytes: r.part.bytes }));
      const rows = await writeTable(container, deps.postgres(), {
        target: input.table,
        date: input.run.date,
        runId: input.run.runId,
        parts,
        format: input.format,
        predictionColumn: input.predictionColumn,
      });
      deps.telemetry.trackEvent(
        TelemetryEvents.BatchTableWritten,
        dims(input.run, { table: `${input.table.schema}.${input.table.name}` }),
        { rows },
      );
      return { rows };
    },

    async [BatchActivities.recordChunk](input: ChunkRecordInput): Promise<string> {
      return writeChunkRecord(deps.lake(input.run.container), input.run, miniBatchKey(input.from), input.succeeded);
    },

    async [BatchActivities.publish](input: FinalizeInput): Promise<PublishActivityResult> {
      const container = deps.lake(input.run.container);
      const failures = [...input.failures];
      const succeeded = await allScored(container, input.chunkRecords);
      if (succeeded.length !== input.scored) {
        throw new Error(
          `the chunk records of run ${input.run.runId} hold ${succeeded.length} scored mini-batches, the run counted ${input.scored}`,
        );
      }
      const { manifest, manifestBlob, alreadyPublished } = await publishRun(container, { ...input, succeeded });
      if (!alreadyPublished) emitPublished(deps.telemetry, input.run, manifest);
      return {
        manifestBlob,
        prefix: outputPartitionPrefix(input.run.outputPrefix, input.run.date),
        failures,
        alreadyPublished,
      };
    },

    async [BatchActivities.abandon](input: FinalizeInput): Promise<{ failures: MiniBatchFailure[]; details: string }> {
      const container = deps.lake(input.run.container);
      const failures = [...input.failures];
      const details = await abandonRun(container, input.run, { reason: input.reason, failures });
      for (const f of failures) {
        deps.telemetry.trackEvent(
          TelemetryEvents.BatchMiniBatchFailed,
          dims(input.run, { miniBatch: f.key, reason: f.reason }),
          { rows: f.rows },
        );
      }
      deps.telemetry.trackEvent(TelemetryEvents.BatchFailed, dims(input.run, { reason: input.reason }), {
        miniBatchesFailed: failures.length,
        miniBatches: input.scored + failures.length,
      });
      deps.telemetry.trackMetric(TelemetryMetrics.BatchMiniBatchesFailed, failures.length, dims(input.run));
      return { failures, details };
    },
  };
}

/** What every plan summary says of the stored plan, whichever scorer it is for. */
function planCounts(
  planBlob: string,
  plan: BatchPlan,
  input: ResolvedInput,
): Pick<PlanSummary, 'planBlob' | 'input' | 'miniBatches' | 'files' | 'rows' | 'bytes'> {
  return {
    planBlob,
    input,
    miniBatches: plan.miniBatches.length,
    files: plan.files,
    rows: plan.rows,
    bytes: plan.bytes,
  };
}

/** Writes the chunk record `key` of a run; the same name on a retry: rewritten whole, never appended to. */
async function writeChunkRecord(
  container: ContainerClient,
  run: RunRef,
  key: string,
  succeeded: readonly MiniBatchResult[],
): Promise<string> {
  const blob = chunkRecordName(run, key);
  await writeSmall(container, blob, JSON.stringify(succeeded), 'application/json');
  return blob;
}

/** The scored mini-batches held in a run's chunk records. */
async function allScored(container: ContainerClient, records: readonly string[]): Promise<MiniBatchResult[]> {
  const results: MiniBatchResult[] = [];
  for (const blob of records) {
    results.push(...(JSON.parse((await readSmall(container, blob)).toString('utf8')) as MiniBatchResult[]));
  }
  return results;
}

function emitPublished(telemetry: Telemetry, run: RunRef, manifest: BatchManifest): void {
  const d = dims(run, { modelVersion: manifest.scorer.modelVersions.join(','), endpoint: manifest.scorer.endpoint });
  for (const f of manifest.failures) {
    telemetry.trackEvent(TelemetryEvents.BatchMiniBatchFailed, dims(run, { miniBatch: f.key, reason: f.reason }), {
      rows: f.rows,
    });
  }
  telemetry.trackEvent(TelemetryEvents.BatchPublished, d, {
    rowsIn: manifest.rows.in,
    rowsOut: manifest.rows.out,
    miniBatches: manifest.batches.total,
    miniBatchesFailed: manifest.batches.failed,
    rowsPerSecond: manifest.throughput.rowsPerSecond,
    totalSeconds: manifest.timings.totalSeconds,
  });
  telemetry.trackMetric(TelemetryMetrics.BatchRowsScored, manifest.rows.out, d);
  telemetry.trackMetric(TelemetryMetrics.BatchRowsPerSecond, manifest.throughput.rowsPerSecond, d);
  telemetry.trackMetric(TelemetryMetrics.BatchDurationSeconds, manifest.timings.totalSeconds, d);
  telemetry.trackMetric(TelemetryMetrics.BatchMiniBatchesFailed, manifest.batches.failed, d);
}

export type BatchActivityHandlers = ReturnType<typeof createBatchActivities>;

/** Registers the batch activities with durable-functions; dependencies are built on first use. */
export function registerBatchActivities(getDeps: () => BatchDeps): void {
  let handlers: BatchActivityHandlers | undefined;
  const get = (): BatchActivityHandlers => (handlers ??= createBatchActivities(getDeps()));
  for (const name of Object.values(BatchActivities)) {
    // The error type travels in the message (Azure hands the orchestrator only the message): see task-failure.ts.
    df.app.activity(name, {
      handler: withErrorType((input: unknown) => (get()[name] as (i: unknown) => Promise<unknown>)(input)),
    });
  }
}
