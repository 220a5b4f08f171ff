/**
 * The `_manifest.json` of a published date: what was scored, with what, how it went. Built by a pure function so
 * its exact contents are unit-tested; documented in docs/batch-scoring.md.
 */
import type { FailureTally, MiniBatchFailure, MiniBatchResult, ResolvedInput, RunRef } from './types';

/** 2: scorer.kind/job, input.asset, failed {records, files, miniBatches}, errorThreshold {unit, limit}. */
export const MANIFEST_SCHEMA_VERSION = 2;

export interface ManifestFile {
  readonly name: string;
  readonly rows: number;
  readonly bytes: number;
}

export interface BatchManifest {
  readonly schemaVersion: number;
  readonly model: string;
  readonly date: string;
  readonly runId: string;
  readonly instanceId: string;
  readonly trigger: string;
  readonly scorer: {
    readonly kind: 'onlineEndpoint' | 'batchEndpoint';
    readonly endpoint: string;
    /** The Azure ML job that scored (batch endpoint scorer). */
    readonly job: string | null;
    readonly deployment: string | null;
    /** Versions of the model that scored rows (`<name>:<version>`), sorted. */
    readonly modelVersions: readonly string[];
  };
  readonly input: {
    readonly container: string;
    readonly prefix: string;
    /** `<name>:<version>` of the scored data asset, or null for the lake partition. */
    readonly asset: string | null;
    readonly files: number;
    readonly bytes: number;
  };
  readonly output: {
    readonly container: string;
    readonly prefix: string;
    readonly format: 'csv' | 'parquet';
    readonly mode: 'parts' | 'appendRow';
    readonly files: readonly ManifestFile[];
  };
  readonly rows: { readonly in: number; readonly out: number; readonly failed: number };
  readonly batches: {
    readonly total: number;
    readonly succeeded: number;
    readonly failed: number;
  };
  /** Failures in every unit a threshold may count (whatever unit the catalog chose). */
  readonly failed: { readonly records: number; readonly files: number; readonly miniBatches: number };
  readonly errorThreshold: { readonly unit: 'records' | 'files' | 'miniBatches'; readonly limit: number };
  readonly failures: readonly MiniBatchFailure[];
  readonly timings: {
    readonly startedAt: string;
    readonly scoringStartedAt: string;
    readonly publishStartedAt: string;
    readonly planSeconds: number;
    readonly scoreSeconds: number;
    readonly totalSeconds: number;
  };
  readonly throughput: {
    /** Rows scored per second of the scoring phase (wall clock). */
    readonly rowsPerSecond: number;
    readonly requests: number;
    readonly throttledRequests: number;
  };
}

export interface ManifestInput {
  readonly run: RunRef;
  readonly trigger: string;
  readonly scorerKind: 'onlineEndpoint' | 'batchEndpoint';
  readonly job: string | undefined;
  readonly input: ResolvedInput;
  readonly tally: FailureTally;
  readonly endpoint: string;
  readonly deployment: string | undefined;
  readonly modelVersions: readonly string[];
  readonly inputFiles: number;
  readonly inputBytes: number;
  readonly format: 'csv' | 'parquet';
  readonly mode: 'parts' | 'appendRow';
  readonly outputPrefix: string;
  readonly files: readonly ManifestFile[];
  readonly rowsIn: number;
  readonly succeeded: readonly MiniBatchResult[];
  readonly failures: readonly MiniBatchFailure[];
  readonly errorThreshold: { readonly unit: 'records' | 'files' | 'miniBatches'; readonly limit: number };
  readonly startedAt: string;
  readonly scoringStartedAt: string;
  readonly publishStartedAt: string;
}

const seconds = (from: string, to: string): number => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

export function buildManifest(input: ManifestInput): BatchManifest {
  const rowsOut = input.succeeded.reduce((sum, r) => sum + r.rowsOut, 0);
  const scoreSeconds = seconds(input.scoringStartedAt, input.publishStartedAt);
  const failures = [...input.failures].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    model: input.run.model,
    date: input.run.date,
    runId: input.run.runId,
    instanceId: input.run.instanceId,
    trigger: input.trigger,
    scorer: {
      kind: input.scorerKind,
      endpoint: input.endpoint,
      job: input.job ?? null,
      deployment: input.deployment ?? null,
      modelVersions: [...new Set(input.modelVersions)].sort(),
    },
    input: {
      container: input.input.container,
      prefix: input.input.prefix,
      asset: input.input.asset ?? null,
      files: input.inputFiles,
      bytes: input.inputBytes,
    },
    output: {
      container: input.run.container,
      prefix: input.outputPrefix,
      format: input.format,
      mode: input.mode,
      files: input.files,
    },
    rows: { in: input.rowsIn, out: rowsOut, failed: input.tally.failed.records },
    batches: {
      total: input.tally.total.miniBatches,
      succeeded: input.tally.total.miniBatches - input.tally.failed.miniBatches,
      failed: input.tally.failed.miniBatches,
    },
    failed: input.tally.failed,
    errorThreshold: input.errorThreshold,
    failures,
    timings: {
      startedAt: input.startedAt,
      scoringStartedAt: input.scoringStartedAt,
      publishStartedAt: input.publishStartedAt,
      planSeconds: round3(seconds(input.startedAt, input.scoringStartedAt)),
      scoreSeconds: round3(scoreSeconds),
      totalSeconds: round3(seconds(input.startedAt, input.publishStartedAt)),
    },
    throughput: {
      rowsPerSecond: scoreSeconds > 0 ? round3(rowsOut / scoreSeconds) : 0,
      requests: input.succeeded.reduce((sum, r) => sum + r.requests, 0),
      throttledRequests: input.succeeded.reduce((sum, r) => sum + r.throttled, 0),
    },
  };
}
