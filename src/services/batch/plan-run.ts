/**
 * Planning a run: list the date's partition, learn each file's rows (CSV: one streaming boundary scan; Parquet:
 * the footer), cut mini-batches, store the plan next to the run's staged parts.
 */
import type { ContainerClient } from '@azure/storage-blob';

import { type BlobEntry, listBlobs, readRange, readSmall, writeSmall } from '../../storage/lake';
import { parseCsvHeader, parquetLayout } from '../../storage/tabular';
import { CsvRecordScanner } from './csv-scan';
import { inputFormatOf, inputPartitionPrefix, planBlobName } from './layout';
import { planMiniBatches } from './planner';
import type { BatchPlan, InputFile, MiniBatch, RunRef } from './types';
import { mapLimit } from './map-limit';

export class CsvLayoutError extends Error {
  override readonly name = 'CsvLayoutError';
}

async function scanCsvBlob(container: ContainerClient, entry: BlobEntry, checkpointRows: number): Promise<InputFile> {
  const scanner = new CsvRecordScanner(checkpointRows);
  const stream = await readRange(container, entry.name, 0);
  for await (const chunk of stream as AsyncIterable<Buffer>) scanner.push(chunk);
  const scan = scanner.finish();
  if (scan.unterminatedQuote) {
    throw new CsvLayoutError(`${entry.name}: the file ends inside a quoted field (unbalanced quotes)`);
  }
  return {
    name: entry.name,
    format: 'csv',
    bytes: scan.bytes,
    etag: entry.etag,
    columns: parseCsvHeader(scan.header),
    rows: scan.rows,
    checkpoints: scan.checkpoints,
    checkpointRows,
  };
}

async function describeParquetBlob(container: ContainerClient, entry: BlobEntry): Promise<InputFile> {
  const layout = await parquetLayout(container, entry.name, entry.bytes);
  return {
    name: entry.name,
    format: 'parquet',
    bytes: entry.bytes,
    etag: entry.etag,
    columns: layout.columns,
    rows: layout.rows,
    rowGroups: layout.rowGroups,
  };
}

/**
 * Lists and describes the input files under `prefix` (a folder ending in `/`, or one file): CSV and Parquet; other
 * names and `_`/`.` files are ignored.
 */
export async function describeInputs(
  container: ContainerClient,
  prefix: string,
  checkpointRows: number,
): Promise<InputFile[]> {
  const entries = (await listBlobs(container, prefix)).filter(
    (e) =>
      inputFormatOf(e.name) !== undefined &&
      e.bytes > 0 &&
      (prefix.endsWith('/') || prefix === '' || e.name === prefix),
  );
  return mapLimit(entries, 4, (entry) =>
    inputFormatOf(entry.name) === 'csv'
      ? scanCsvBlob(container, entry, checkpointRows)
      : describeParquetBlob(container, entry),
  );
}

export interface StoredPlan extends BatchPlan {
  readonly inputs: readonly Omit<InputFile, 'checkpoints'>[];
}

/** The folder a run of the lake partition scores. */
export function partitionOf(run: Pick<RunRef, 'inputPrefix' | 'date'>): string {
  return inputPartitionPrefix(run.inputPrefix, run.date);
}

export async function planRun(
  container: ContainerClient,
  run: RunRef,
  options: { inputMode: 'tabular' | 'files'; miniBatchSize: number; prefix: string },
): Promise<{ planBlob: string; plan: BatchPlan; inputs: readonly InputFile[] }> {
  const checkpointRows = options.inputMode === 'tabular' ? options.miniBatchSize : Number.MAX_SAFE_INTEGER;
  const inputs = await describeInputs(container, options.prefix, checkpointRows);
  const plan = planMiniBatches(inputs, options);
  const stored: StoredPlan = { ...plan, inputs: inputs.map(({ checkpoints: _c, ...rest }) => rest) };
  const planBlob = planBlobName(run);
  await writeSmall(container, planBlob, JSON.stringify(stored), 'application/json');
  return { planBlob, plan, inputs };
}

/** Mini-batches `[from, to)` of a stored plan. */
export async function loadPlanRange(
  container: ContainerClient,
  planBlob: string,
  from: number,
  to: number,
): Promise<MiniBatch[]> {
  const plan = JSON.parse((await readSmall(container, planBlob)).toString('utf8')) as StoredPlan;
  return plan.miniBatches.slice(from, to);
}
