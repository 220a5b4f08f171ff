/**
 * Turns a batch endpoint job's output into the run's one staged part, and counts what the job did not score.
 *
 * @remarks An MLflow model deployment with `outputAction: AppendRow` writes `outputFileName` (default
 * `predictions.csv`) with no header, one line per scored row: the row's index in its file, the prediction, and the
 * file's name (Learn "Deploy MLflow models in batch deployments", reading the output with
 * `names=["row", "prediction", "file"]`). Rows of files that failed are absent. The staged part gets a header:
 * `file, row, <predictionColumn>, <modelVersionColumn>`. Failures are counted against the plan, per input file:
 * a file with fewer output rows than input rows failed (its missing rows are the failed records), and a deployment
 * mini-batch (`miniBatchSize` files in name order, as the plan grouped them) failed when any of its files did.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { parse } from 'csv-parse';

import { readRange } from '../../storage/lake';
import { tabularWriter } from '../../storage/tabular';
import type { Row } from './payload';
import { stagedPartName } from './layout';
import type { StoredPlan } from './plan-run';
import type { FailureTally, MiniBatchFailure, MiniBatchResult, RunRef } from './types';

export const JOB_PART_KEY = '000000';

export class JobOutputError extends Error {
  override readonly name = 'JobOutputError';
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

function cell(value: string): string | number {
  const n = Number(value);
  return value.trim() !== '' && Number.isFinite(n) ? n : value;
}

export async function collectJobOutput(
  container: ContainerClient,
  input: {
    readonly run: RunRef;
    readonly plan: StoredPlan;
    readonly outputBlob: string;
    readonly format: 'csv' | 'parquet';
    readonly predictionColumn: string;
    readonly modelVersionColumn: string;
    readonly modelVersion: string | undefined;
    readonly jobName: string;
  },
): Promise<{ result: MiniBatchResult | undefined; tally: FailureTally }> {
  const started = performance.now();
  const blob = stagedPartName(input.run, JOB_PART_KEY, input.format);
  const writer = tabularWriter(input.format, container, blob, [
    'file',
    'row',
    input.predictionColumn,
    input.modelVersionColumn,
  ]);
  const rowsByFile = new Map<string, number>();
  let source: NodeJS.ReadableStream;
  try {
    source = await readRange(container, input.outputBlob, 0);
  } catch (err) {
    await writer.abort(err as Error);
    if ((err as { statusCode?: number }).statusCode === 404) {
      throw new JobOutputError(`job ${input.jobName} completed but wrote no ${baseName(input.outputBlob)}`);
    }
    throw err;
  }
  try {
    let batch: Row[] = [];
    const parser = source.pipe(parse({ relax_column_count: true, skip_empty_lines: true }));
    for await (const record of parser as AsyncIterable<string[]>) {
      const [row = '', prediction = '', file = ''] = record;
      const name = baseName(file);
      rowsByFile.set(name, (rowsByFile.get(name) ?? 0) + 1);
      batch.push([name, cell(row), cell(prediction), input.modelVersion ?? null]);
      if (batch.length >= 5000) {
        await writer.write(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await writer.write(batch);
  } catch (err) {
    await writer.abort(err as Error);
    throw err;
  }
  const part = await writer.finish();
  const tally = tallyJob(input.plan, rowsByFile, input.jobName);
  const result: MiniBatchResult | undefined =
    part.rows > 0
      ? {
          key: JOB_PART_KEY,
          rowsIn: input.plan.rows,
          rowsOut: part.rows,
          part: { blob, rows: part.rows, bytes: part.bytes },
          seconds: Math.round(performance.now() - started) / 1000,
          requests: 0,
          throttled: 0,
        }
      : undefined;
  return { result, tally };
}

/** Failures of a job, per input file and per deployment mini-batch, against the plan's row counts. */
export function tallyJob(plan: StoredPlan, rowsByFile: ReadonlyMap<string, number>, jobName: string): FailureTally {
  const failedFiles = new Set<string>();
  const failures: MiniBatchFailure[] = [];
  let failedRecords = 0;
  for (const file of plan.inputs) {
    const out = rowsByFile.get(baseName(file.name)) ?? 0;
    if (out >= file.rows) continue;
    failedFiles.add(file.name);
    failedRecords += file.rows - out;
    failures.push({
      key: file.name,
      rows: file.rows - out,
      files: [file.name],
      reason: `job ${jobName} scored ${out} of ${file.rows} rows of this file (see the job's logs)`,
    });
  }
  const failedBatches = plan.miniBatches.filter((b) => b.slices.some((s) => failedFiles.has(s.blob))).length;
  return {
    failed: { records: failedRecords, files: failedFiles.size, miniBatches: failedBatches },
    total: { records: plan.rows, files: plan.files, miniBatches: plan.miniBatches.length },
    failures,
  };
}

/** Failures of the online scorer's mini-batches, counted in every unit against the plan. */
export function tallyMiniBatches(plan: StoredPlan, failures: readonly MiniBatchFailure[]): FailureTally {
  const files = new Set<string>();
  let records = 0;
  const filled = failures.map((f) => {
    const batch = plan.miniBatches[Number(f.key)];
    const batchFiles = [...new Set(batch?.slices.map((s) => s.blob) ?? [])];
    for (const name of batchFiles) files.add(name);
    const rows = batch?.rows ?? f.rows;
    records += rows;
    return { ...f, rows, files: batchFiles };
  });
  return {
    failed: { records, files: files.size, miniBatches: failures.length },
    total: { records: plan.rows, files: plan.files, miniBatches: plan.miniBatches.length },
    failures: filled,
  };
}
