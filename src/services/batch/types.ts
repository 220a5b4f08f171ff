/**
 * Shapes shared by the batch-scoring planner, activities, orchestrations and the operations API.
 *
 * @remarks Everything here crosses the durable boundary as JSON, so it is plain data: no Dates, no classes.
 */
import type { BatchSpec } from '../../catalog';

export type InputFormat = 'csv' | 'parquet';

/** One input file found under the date's partition, as the planning activity saw it. */
export interface InputFile {
  /** Blob name, relative to the container. */
  readonly name: string;
  readonly format: InputFormat;
  readonly bytes: number;
  readonly etag: string;
  /** Column names (CSV header or Parquet schema). */
  readonly columns: readonly string[];
  /** Data rows (CSV records after the header; Parquet rows). */
  readonly rows: number;
  /**
   * CSV: byte offsets of record starts, one every `checkpointRows` records, beginning with the first data record.
   * `checkpoints[i]` is where record `i * checkpointRows` starts. Parquet: absent.
   */
  readonly checkpoints?: readonly number[];
  readonly checkpointRows?: number;
  /** Parquet: row count of each row group, in order. */
  readonly rowGroups?: readonly number[];
}

/** A contiguous piece of one input file that belongs to a mini-batch. */
export type Slice =
  | {
      readonly kind: 'csv';
      readonly blob: string;
      /** Byte range of whole records [byteStart, byteEnd); the header is never inside it. */
      readonly byteStart: number;
      readonly byteEnd: number;
      readonly columns: readonly string[];
      readonly rows: number;
      /** Index of the first record in the file (for error messages). */
      readonly firstRow: number;
    }
  | {
      readonly kind: 'parquet';
      readonly blob: string;
      /** File size, so the reader can fetch the footer without another request. */
      readonly bytes: number;
      readonly rowStart: number;
      readonly rowEnd: number;
      readonly rows: number;
    };

export interface MiniBatch {
  /** 0-based position in the plan. */
  readonly index: number;
  /** Stable name used for the staged part (`part-<key>`): zero-padded index. */
  readonly key: string;
  readonly rows: number;
  readonly slices: readonly Slice[];
}

export interface BatchPlan {
  readonly miniBatches: readonly MiniBatch[];
  readonly files: number;
  readonly rows: number;
  readonly bytes: number;
}

/** Where a run writes and what it scores with; fixed when the run starts. */
export interface BatchRunInput {
  readonly model: string;
  /** Partition date, YYYY-MM-DD. */
  readonly date: string;
  /** What started the run: `schedule:<slot ISO>` or `backfill:<request id>`. */
  readonly trigger: string;
  readonly spec: BatchSpec;
  /** Endpoint to score through (resolved from the catalog): online endpoint, or batch endpoint for that scorer. */
  readonly endpoint: string;
}

/** Reference to a run's staged state: everything an activity needs to find blobs, no secrets. */
export interface RunRef {
  readonly model: string;
  readonly date: string;
  readonly runId: string;
  readonly instanceId: string;
  readonly container: string;
  /** The catalog's input prefix ('' when the run scores a data asset). */
  readonly inputPrefix: string;
  readonly outputPrefix: string;
}

/** What a run scored: the folder of the lake it read and, for a data-asset input, which version. */
export interface ResolvedInput {
  readonly container: string;
  /** Folder (ends with `/`) or single file the run scores. */
  readonly prefix: string;
  /** `<name>:<version>` of the data asset, when the run scores one. */
  readonly asset?: string;
}

/** How a run scores through an Azure ML batch endpoint (a model deployment's parallel job); fixed at planning. */
export interface BatchJobPlan {
  readonly endpoint: string;
  /** The deployment invoked (the endpoint's default unless the catalog pins one). */
  readonly deployment: string;
  /** `<name>:<version>` of the deployment's model. */
  readonly modelVersion: string | undefined;
  /** The deployment's knobs, as Azure ML applies them (defaults filled). */
  readonly miniBatchSize: number;
  readonly errorThreshold: number;
  readonly outputFileName: string;
  /** Job input (the day's folder) and output (the run's staging folder) as datastore URIs. */
  readonly inputUri: string;
  readonly outputUri: string;
  /** Blob path (in the run's container) of the job's output file once the job completed. */
  readonly outputBlob: string;
  readonly inputName: string;
  readonly outputName: string;
}

export interface ScorerRef {
  readonly endpoint: string;
  readonly scoringUri: string;
  /** Pinned deployment, if any. */
  readonly deployment: string | undefined;
  /** Model version served by each deployment (`<name>:<version>`), to label output rows. */
  readonly modelVersions: Readonly<Record<string, string>>;
  /** How requests carry rows and how CSV cells are typed (catalog `batch.requestFormat`, `batch.columnTypes`). */
  readonly request?: {
    readonly format: 'inputDataSplit' | 'inputDataRecords' | 'dataRecords';
    readonly columnTypes: Readonly<Record<string, 'string' | 'number' | 'boolean'>>;
  };
}

/** What the planning activity returns to the orchestrator (the plan itself stays in blob storage). */
export interface PlanSummary {
  readonly planBlob: string;
  readonly input: ResolvedInput;
  /** Set when the run scores through a batch endpoint. */
  readonly batchJob?: BatchJobPlan;
  readonly miniBatches: number;
  readonly files: number;
  readonly rows: number;
  readonly bytes: number;
  readonly scorer: ScorerRef;
}

export interface MiniBatchResult {
  readonly key: string;
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly part: { readonly blob: string; readonly rows: number; readonly bytes: number };
  readonly seconds: number;
  readonly requests: number;
  readonly throttled: number;
}

export interface MiniBatchFailure {
  /** Mini-batch key (online scorer) or input file name (batch endpoint scorer). */
  readonly key: string;
  readonly rows: number;
  readonly reason: string;
  /** Input files of the failed mini-batch (filled when the failures are tallied). */
  readonly files?: readonly string[];
}

/** Failures counted in every unit a threshold may use, with the run's totals in the same units. */
export interface FailureTally {
  readonly failed: { readonly records: number; readonly files: number; readonly miniBatches: number };
  readonly total: { readonly records: number; readonly files: number; readonly miniBatches: number };
  /** The failures with their rows and files filled in. */
  readonly failures: readonly MiniBatchFailure[];
}

export interface ChunkInput {
  readonly run: RunRef;
  readonly planBlob: string;
  readonly from: number;
  readonly to: number;
  /** Mini-batches this chunk may have in flight (its share of the run's maxParallel). */
  readonly parallel: number;
  readonly maxRetries: number;
  readonly retryIntervalSeconds: number;
  readonly scorer: ScorerRef;
  readonly settings: ScoreSettings;
}

/**
 * What a chunk reports to the run: counts and failures only. The scored mini-batches' results are in `record` (a blob
 * in the run's staging area), so the run's history grows by a small entry per chunk, not by one per mini-batch.
 */
export interface ChunkResult {
  readonly from: number;
  readonly to: number;
  /** Mini-batches scored. */
  readonly scored: number;
  readonly rowsOut: number;
  readonly failed: readonly MiniBatchFailure[];
  /** Blob (in the run's container) holding the scored mini-batches' results; absent when none was scored. */
  readonly record?: string;
}

/** Input of the `batchRecordChunk` activity. */
export interface ChunkRecordInput {
  readonly run: RunRef;
  readonly from: number;
  readonly succeeded: readonly MiniBatchResult[];
}

/** The per-request knobs a mini-batch activity needs. */
export interface ScoreSettings {
  readonly requestRows: number;
  readonly requestConcurrency: number;
  readonly requestTimeoutMs: number;
  readonly outputFormat: 'csv' | 'parquet';
  readonly predictionColumn: string;
  readonly modelVersionColumn: string;
  readonly features: readonly string[] | undefined;
}

export interface MiniBatchInput {
  readonly run: RunRef;
  readonly batch: MiniBatch;
  readonly scorer: ScorerRef;
  readonly settings: ScoreSettings;
}

/** Progress in the orchestration's custom status (the operations API shows it). */
export interface BatchRunStatus {
  readonly kind: 'batchScoring';
  readonly model: string;
  readonly date: string;
  readonly runId: string;
  readonly phase: 'planning' | 'scoring' | 'publishing' | 'published' | 'failed' | 'skipped';
  readonly batches: { readonly total: number; readonly done: number; readonly failed: number };
  readonly rowsScored: number;
  /** The threshold's limit in its unit (`errorThresholdUnit`); -1 = any number. */
  readonly errorThreshold: number;
  /** When scoring began (orchestration time): the ops API derives rows/s from it while the run scores. */
  readonly scoringStartedAt?: string;
  readonly errorThresholdUnit?: 'records' | 'files' | 'miniBatches';
  /** Scorer kind; with a batch endpoint, the Azure ML job that scores and its status. */
  readonly scorer?: 'onlineEndpoint' | 'batchEndpoint';
  readonly job?: { readonly name: string; readonly status: string };
  readonly output?: string;
  readonly reason?: string;
}

/** Orchestration output. */
export interface BatchRunOutcome {
  readonly status: 'published' | 'failed' | 'skipped';
  readonly model: string;
  readonly date: string;
  readonly runId: string;
  readonly reason?: string;
  readonly output?: { readonly container: string; readonly prefix: string; readonly manifest: string };
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly batches: { readonly total: number; readonly failed: number };
  readonly failures: readonly MiniBatchFailure[];
}

/** What collecting a batch endpoint job's output gives the run (its part goes to a chunk record, as chunks' do). */
export interface CollectJobOutput {
  /** The chunk record holding the job's part; absent when the job scored nothing. */
  readonly record?: string;
  readonly scored: number;
  readonly rowsOut: number;
  readonly tally: FailureTally;
}
