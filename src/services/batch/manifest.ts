/**
 * The `_manifest.json` of a published date: what was scored, with what, how it went. Built by a pure function so
 * its exact contents are unit-tested; documented in docs/batch-scoring.md.
 */
import type { MiniBatchFailure, MiniBatchResult, RunRef } from './types';

export const MANIFEST_SCHEMA_VERSION = 1;

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
    readonly endpoint: string;
    readonly deployment: string | null;
    /** Versions of the model that scored rows (`<name>:<version>`), sorted. */
    readonly modelVersions: readonly string[];
  };
  readonly input: {
    readonly container: string;
    readonly prefix: string;
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
    readonly errorThreshold: number;
  };
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
  readonly errorThreshold: number;
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
      endpoint: input.endpoint,
      deployment: input.deployment ?? null,
      modelVersions: [...new Set(input.modelVersions)].sort(),
    },
    input: {
      container: input.run.container,
      prefix: `${input.run.inputPrefix}date=${input.run.date}/`,
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
    rows: { in: input.rowsIn, out: rowsOut, failed: failures.reduce((sum, f) => sum + f.rows, 0) },
    batches: {
      total: input.succeeded.length + failures.length,
      succeeded: input.succeeded.length,
      failed: failures.length,
      errorThreshold: input.errorThreshold,
    },
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
