/**
 * Batch-scoring activities: the only side effects of a batch run. Thin wrappers over services/batch, with their
 * dependencies injected (`createBatchActivities(deps)`), telemetry emitted here (never from the orchestrators).
 */
import type { ContainerClient } from '@azure/storage-blob';
import * as df from 'durable-functions';

import { ScoringHttpError } from '../azureml/scoring-client';
import { BatchActivities, PERMANENT_FAILURE_MARKER, type ScoreMiniBatchRef } from '../orchestrations/batch-run';
import { type Catalog, findModel } from '../catalog';
import type { EndpointResolver } from '../services/batch/endpoint-resolver';
import { chunkRecordName, outputPartitionPrefix } from '../services/batch/layout';
import type { BatchManifest } from '../services/batch/manifest';
import { scoreMiniBatch } from '../services/batch/mini-batch';
import { planRun, type StoredPlan } from '../services/batch/plan-run';
import { abandonRun, publishRun, type PublishInput } from '../services/batch/publish';
import { miniBatchKey } from '../services/batch/planner';
import type { ChunkRecordInput, MiniBatchFailure, MiniBatchResult, PlanSummary, RunRef } from '../services/batch/types';
import { withErrorType } from '../services/task-failure';
import { readSmall, writeSmall } from '../storage/lake';
import { type CommonDimensions, type Telemetry, TelemetryEvents, TelemetryMetrics } from '../telemetry';

export interface BatchDeps {
  /** The data lake container of a run. */
  readonly lake: (container: string) => ContainerClient;
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
}

/** Input of publish and abandon: the run's totals, with the scored mini-batches in the chunks' records. */
export interface FinalizeInput extends Omit<PublishInput, 'succeeded'> {
  readonly planBlob: string;
  readonly reason: string;
  /** Chunk record blobs (`chunkRecordName`), in the run's container. */
  readonly chunkRecords: readonly string[];
  /** Mini-batches scored (the records' total). */
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

  const withRows = async (
    container: ContainerClient,
    planBlob: string,
    failures: readonly MiniBatchFailure[],
  ): Promise<MiniBatchFailure[]> => {
    if (failures.length === 0) return [];
    const plan = await plans.get(container, planBlob);
    return failures.map((f) => ({ ...f, rows: plan.miniBatches[Number(f.key)]?.rows ?? f.rows }));
  };

  return {
    async [BatchActivities.plan](input: PlanActivityInput): Promise<PlanSummary> {
      const container = deps.lake(input.run.container);
      const batchSpec = deps.catalog ? findModel(deps.catalog, input.run.model)?.batch : undefined;
      const endpoint = await deps.resolver.describe(input.endpoint);
      const modelVersions = input.deployment
        ? Object.fromEntries(Object.entries(endpoint.modelVersions).filter(([d]) => d === input.deployment))
        : Object.fromEntries(
            Object.entries(endpoint.modelVersions).filter(
              ([d]) => (endpoint.traffic[d] ?? 0) > 0 || Object.keys(endpoint.traffic).length === 0,
            ),
          );
      const { planBlob, plan } = await planRun(container, input.run, input);
      deps.telemetry.trackEvent(
        TelemetryEvents.BatchPlanned,
        dims(input.run, { endpoint: input.endpoint, deployment: input.deployment }),
        { miniBatches: plan.miniBatches.length, files: plan.files, rows: plan.rows, bytes: plan.bytes },
      );
      return {
        planBlob,
        miniBatches: plan.miniBatches.length,
        files: plan.files,
        rows: plan.rows,
        bytes: plan.bytes,
        scorer: {
          endpoint: input.endpoint,
          scoringUri: endpoint.scoringUri,
          deployment: input.deployment,
          modelVersions,
          ...(batchSpec ? { request: { format: batchSpec.requestFormat, columnTypes: batchSpec.columnTypes } } : {}),
        },
      };
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

    async [BatchActivities.recordChunk](input: ChunkRecordInput): Promise<string> {
      const container = deps.lake(input.run.container);
      const blob = chunkRecordName(input.run, miniBatchKey(input.from));
      // Same name on a retry: the record is rewritten whole, never appended to.
      await writeSmall(container, blob, JSON.stringify(input.succeeded), 'application/json');
      return blob;
    },

    async [BatchActivities.publish](input: FinalizeInput): Promise<PublishActivityResult> {
      const container = deps.lake(input.run.container);
      const failures = await withRows(container, input.planBlob, input.failures);
      const succeeded = await readChunkRecords(container, input.chunkRecords);
      if (succeeded.length !== input.scored) {
        throw new Error(
          `the chunk records of run ${input.run.runId} hold ${succeeded.length} scored mini-batches, the run counted ${input.scored}`,
        );
      }
      const { manifest, manifestBlob, alreadyPublished } = await publishRun(container, {
        ...input,
        succeeded,
        failures,
      });
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
      const failures = await withRows(container, input.planBlob, input.failures);
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

async function readChunkRecords(container: ContainerClient, records: readonly string[]): Promise<MiniBatchResult[]> {
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
