/**
 * Blob names of a batch run: input partition, run staging area, final output. Pure, so activities, tests and the
 * docs agree on one layout.
 *
 * ```
 * <inputPrefix>date=YYYY-MM-DD/...                       input files (.csv, .parquet)
 * <outputPrefix>_staging/date=YYYY-MM-DD/<runId>/plan.json
 * <outputPrefix>_staging/date=YYYY-MM-DD/<runId>/part-<batch>.<ext>   one per mini-batch (retries overwrite)
 * <outputPrefix>date=YYYY-MM-DD/part-<runId>-<batch>.<ext>            published parts (outputMode parts)
 * <outputPrefix>date=YYYY-MM-DD/scores-<runId>.<ext>                  published file (outputMode appendRow)
 * <outputPrefix>date=YYYY-MM-DD/_manifest.json
 * <outputPrefix>date=YYYY-MM-DD/_SUCCESS                              written last: the commit marker
 * ```
 */
import type { RunRef } from './types';

export const MANIFEST_NAME = '_manifest.json';
export const SUCCESS_NAME = '_SUCCESS';

export function inputPartitionPrefix(inputPrefix: string, date: string): string {
  return `${inputPrefix}date=${date}/`;
}

export function outputPartitionPrefix(outputPrefix: string, date: string): string {
  return `${outputPrefix}date=${date}/`;
}

/** All staging areas of a date (every run's). */
export function stagingDatePrefix(outputPrefix: string, date: string): string {
  return `${outputPrefix}_staging/date=${date}/`;
}

export function stagingPrefix(run: Pick<RunRef, 'outputPrefix' | 'date' | 'runId'>): string {
  return `${stagingDatePrefix(run.outputPrefix, run.date)}${run.runId}/`;
}

export function planBlobName(run: Pick<RunRef, 'outputPrefix' | 'date' | 'runId'>): string {
  return `${stagingPrefix(run)}plan.json`;
}

/**
 * Where a chunk keeps the results of its scored mini-batches (read back by publish): per-mini-batch results stay out
 * of the run orchestration's history, which the extension replays in full on every episode.
 */
export function chunkRecordName(run: Pick<RunRef, 'outputPrefix' | 'date' | 'runId'>, firstKey: string): string {
  return `${stagingPrefix(run)}chunks/chunk-${firstKey}.json`;
}

export function extensionOf(format: 'csv' | 'parquet'): string {
  return format === 'csv' ? 'csv' : 'parquet';
}

export function stagedPartName(
  run: Pick<RunRef, 'outputPrefix' | 'date' | 'runId'>,
  key: string,
  format: 'csv' | 'parquet',
): string {
  return `${stagingPrefix(run)}part-${key}.${extensionOf(format)}`;
}

export function publishedPartName(
  run: Pick<RunRef, 'outputPrefix' | 'date' | 'runId'>,
  key: string,
  format: 'csv' | 'parquet',
): string {
  return `${outputPartitionPrefix(run.outputPrefix, run.date)}part-${run.runId}-${key}.${extensionOf(format)}`;
}

export function publishedCombinedName(
  run: Pick<RunRef, 'outputPrefix' | 'date' | 'runId'>,
  format: 'csv' | 'parquet',
): string {
  return `${outputPartitionPrefix(run.outputPrefix, run.date)}scores-${run.runId}.${extensionOf(format)}`;
}

/** Run ids are derived from the orchestration's start time: sortable, unique per start, deterministic on replay. */
export function runIdFor(startedAtIso: string): string {
  return startedAtIso
    .replace(/[-:]/g, '')
    .replace(/\.(\d{3})\d*Z$/, '$1Z')
    .replace('T', 't')
    .toLowerCase();
}

/** The format of an input blob by its name; undefined for files the run ignores. */
export function inputFormatOf(name: string): 'csv' | 'parquet' | undefined {
  const base = name.slice(name.lastIndexOf('/') + 1);
  if (base.startsWith('_') || base.startsWith('.')) return undefined;
  const lower = base.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.parquet')) return 'parquet';
  return undefined;
}
