/**
 * Writes a run's staged parts to its PostgreSQL table (catalog `batch.table`): the rows the lake gets, plus the date
 * and run id, replacing that date's rows in one transaction. Runs after the threshold passed and before the lake
 * publish, so a failed write fails the run with nothing published anywhere new.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { parse } from 'csv-parse';
import type { Pool } from 'pg';

import { readRange } from '../../storage/lake';
import { replaceDay, type TableTarget } from '../../storage/postgres-table';
import { readParquetRange } from '../../storage/tabular';
import type { Row } from './payload';

const BATCH_ROWS = 5000;

function cell(value: string): string | number {
  const n = Number(value);
  return value.trim() !== '' && Number.isFinite(n) ? n : value;
}

async function* csvPartRows(
  container: ContainerClient,
  blob: string,
  onColumns: (columns: readonly string[]) => void,
): AsyncGenerator<Row[]> {
  const source = await readRange(container, blob, 0);
  const parser = source.pipe(parse({ relax_column_count: true, skip_empty_lines: true }));
  let header = true;
  let batch: Row[] = [];
  for await (const record of parser as AsyncIterable<string[]>) {
    if (header) {
      onColumns(record);
      header = false;
      continue;
    }
    batch.push(record.map(cell));
    if (batch.length >= BATCH_ROWS) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Every row of the parts, in order; `onColumns` hears each part's columns before its rows. */
export async function* partRows(
  container: ContainerClient,
  parts: readonly { readonly blob: string; readonly bytes: number }[],
  format: 'csv' | 'parquet',
  onColumns: (columns: readonly string[]) => void,
): AsyncGenerator<Row[]> {
  for (const part of parts) {
    if (format === 'csv') yield* csvPartRows(container, part.blob, onColumns);
    else
      yield* readParquetRange(
        container,
        { blob: part.blob, bytes: part.bytes, rowStart: 0, rowEnd: Number.MAX_SAFE_INTEGER },
        BATCH_ROWS,
        onColumns,
      );
  }
}

export class TableSchemaError extends Error {
  override readonly name = 'TableSchemaError';
}

export async function writeTable(
  container: ContainerClient,
  pool: Pool,
  input: {
    readonly target: TableTarget;
    readonly date: string;
    readonly runId: string;
    readonly parts: readonly { readonly blob: string; readonly bytes: number }[];
    readonly format: 'csv' | 'parquet';
    readonly predictionColumn: string;
  },
): Promise<number> {
  let columns: readonly string[] | undefined;
  const rows = partRows(container, input.parts, input.format, (c) => {
    if (columns && c.join('\u0000') !== columns.join('\u0000')) {
      throw new TableSchemaError(`parts have different columns: [${c.join(', ')}] vs [${columns.join(', ')}]`);
    }
    columns = c;
  });
  const first = await rows.next();
  async function* all(): AsyncGenerator<Row[]> {
    if (!first.done) yield first.value;
    yield* rows;
  }
  return replaceDay(
    pool,
    input.target,
    { date: input.date, runId: input.runId },
    columns ?? [input.predictionColumn],
    [input.predictionColumn],
    all(),
  );
}
