/**
 * Streaming readers and writers of tabular blobs (CSV via csv-parse/csv-stringify, Parquet via hyparquet and
 * hyparquet-writer). Memory stays bounded: readers yield rows in batches, writers flush row groups / chunks as they go.
 */
import { PassThrough } from 'node:stream';

import type { ContainerClient } from '@azure/storage-blob';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { stringify } from 'csv-stringify';
import { parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import { ByteWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';

import type { Cell, Row } from '../services/batch/payload';
import { castCsvCell, CellTypeError, type ColumnType as CsvColumnType } from '../services/batch/payload';
import { blobAsyncBuffer, readRange, writeStream } from './lake';

/** A row of the input does not fit the file's header (wrong field count, broken quoting). */
export class CsvRowError extends Error {
  override readonly name = 'CsvRowError';
  constructor(
    readonly blob: string,
    readonly row: number,
    detail: string,
  ) {
    super(`${blob}: data row ${row}: ${detail}`);
  }
}

/** Parses a CSV header record (raw bytes, no line ending) into column names. */
export function parseCsvHeader(header: Buffer): string[] {
  if (header.length === 0) return [];
  const records: string[][] = parseSync(header, { bom: true, relax_quotes: true });
  return (records[0] ?? []).map((c) => c.trim());
}

/**
 * Rows of a CSV byte range, `batchRows` at a time; cells cast per the declared column types, else to numbers where
 * they look numeric.
 */
export async function* readCsvRange(
  container: ContainerClient,
  slice: { blob: string; byteStart: number; byteEnd: number; columns: readonly string[]; firstRow: number },
  batchRows: number,
  columnTypes: Readonly<Record<string, CsvColumnType>> = {},
): AsyncGenerator<Row[]> {
  const types = slice.columns.map((column) => columnTypes[column]);
  const source = await readRange(container, slice.blob, slice.byteStart, slice.byteEnd);
  const parser = source.pipe(parse({ skip_empty_lines: true, relax_column_count: true }));
  source.once('error', (err) => parser.destroy(err));
  const width = slice.columns.length;
  let batch: Row[] = [];
  let row = slice.firstRow;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (record.length !== width) {
        throw new CsvRowError(slice.blob, row, `has ${record.length} fields; the header has ${width}`);
      }
      try {
        batch.push(record.map((cell, i) => castCsvCell(cell, types[i])));
      } catch (err) {
        if (err instanceof CellTypeError) throw new CsvRowError(slice.blob, row, err.message);
        throw err;
      }
      row++;
      if (batch.length >= batchRows) {
        yield batch;
        batch = [];
      }
    }
  } catch (err) {
    if (err instanceof CsvRowError) throw err;
    const e = err as Error & { code?: string };
    if (e.code?.startsWith('CSV_')) throw new CsvRowError(slice.blob, row, e.message);
    throw err;
  } finally {
    source.destroy();
  }
  if (batch.length > 0) yield batch;
}

function toCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
}

/** Column names and row-group sizes of a Parquet blob (reads only the footer). */
export async function parquetLayout(
  container: ContainerClient,
  blob: string,
  bytes: number,
): Promise<{ columns: string[]; rowGroups: number[]; rows: number }> {
  const metadata = await parquetMetadataAsync(blobAsyncBuffer(container, blob, bytes));
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  const rowGroups = metadata.row_groups.map((g) => Number(g.num_rows));
  return { columns, rowGroups, rows: Number(metadata.num_rows) };
}

/**
 * Rows `[rowStart, rowEnd)` of a Parquet blob, one row group at a time (memory: one row group), `batchRows` per
 * yield. Returns the column names first through `onColumns`.
 */
export async function* readParquetRange(
  container: ContainerClient,
  slice: { blob: string; bytes: number; rowStart: number; rowEnd: number },
  batchRows: number,
  onColumns: (columns: string[]) => void,
): AsyncGenerator<Row[]> {
  const file = blobAsyncBuffer(container, slice.blob, slice.bytes);
  const metadata = await parquetMetadataAsync(file);
  onColumns(parquetSchema(metadata).children.map((c) => c.element.name));
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupEnd = groupStart + Number(group.num_rows);
    const from = Math.max(groupStart, slice.rowStart);
    const to = Math.min(groupEnd, slice.rowEnd);
    groupStart = groupEnd;
    if (from >= to) continue;
    let rows: unknown[][] = [];
    await parquetRead({
      file,
      metadata,
      rowStart: from,
      rowEnd: to,
      rowFormat: 'array',
      onComplete: (r: unknown[][]) => {
        rows = r;
      },
    });
    for (let i = 0; i < rows.length; i += batchRows) {
      yield rows.slice(i, i + batchRows).map((r) => r.map(toCell));
    }
    if (groupStart >= slice.rowEnd) break;
  }
}

/** Writes rows to one blob; `finish` commits it. */
export interface TabularWriter {
  write(rows: readonly Row[]): Promise<void>;
  finish(): Promise<{ rows: number; bytes: number }>;
  abort(err: Error): Promise<void>;
}

class CountingStream extends PassThrough {
  bytes = 0;
  override _transform(
    chunk: Buffer,
    encoding: BufferEncoding,
    callback: (error?: Error | null, data?: unknown) => void,
  ): void {
    this.bytes += chunk.length;
    super._transform(chunk, encoding, callback);
  }
}

function waitDrain(stream: PassThrough): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      stream.off('drain', onDrain);
      reject(err);
    };
    const onDrain = (): void => {
      stream.off('error', onError);
      resolve();
    };
    stream.once('drain', onDrain);
    stream.once('error', onError);
  });
}

/** Starts an upload fed by a PassThrough; the returned promise settles when the blob is committed. */
function startUpload(
  container: ContainerClient,
  blob: string,
  contentType: string,
): { sink: CountingStream; done: Promise<void> } {
  const sink = new CountingStream({ highWaterMark: 1024 * 1024 });
  // Errors surface through `done` (the upload) and the writer's own promises, never as unhandled 'error' events.
  sink.on('error', () => undefined);
  const done = writeStream(container, blob, sink, contentType);
  done.catch((err: Error) => sink.destroy(err));
  return { sink, done };
}

export function csvWriter(
  container: ContainerClient,
  blob: string,
  columns: readonly string[],
  options: { header?: boolean } = {},
): TabularWriter {
  const { sink, done } = startUpload(container, blob, 'text/csv');
  const stringifier = stringify({
    header: options.header ?? true,
    columns: [...columns],
    cast: { boolean: (v) => (v ? 'true' : 'false') },
  });
  stringifier.on('error', (err: Error) => sink.destroy(err));
  stringifier.pipe(sink);
  let rows = 0;
  return {
    async write(batch) {
      for (const row of batch) {
        rows++;
        if (!stringifier.write(row)) await waitDrain(stringifier);
      }
    },
    async finish() {
      await new Promise<void>((resolve) => stringifier.end(resolve));
      await done;
      return { rows, bytes: sink.bytes };
    },
    async abort(err) {
      stringifier.destroy(err);
      sink.destroy(err);
      await done.catch(() => undefined);
    },
  };
}

type ColumnType = 'DOUBLE' | 'STRING' | 'BOOLEAN';

function columnTypeOf(values: readonly Cell[]): ColumnType {
  let type: ColumnType | undefined;
  for (const v of values) {
    if (v === null) continue;
    const t: ColumnType = typeof v === 'number' ? 'DOUBLE' : typeof v === 'boolean' ? 'BOOLEAN' : 'STRING';
    if (type === undefined) type = t;
    else if (type !== t) return 'STRING';
  }
  return type ?? 'STRING';
}

function coerce(value: Cell, type: ColumnType): Cell {
  if (value === null) return null;
  if (type === 'STRING') return typeof value === 'string' ? value : String(value);
  if (type === 'DOUBLE') return typeof value === 'number' ? value : null;
  return typeof value === 'boolean' ? value : null;
}

/**
 * Parquet writer that streams row groups to a blob. Column types come from the first row group (numbers → DOUBLE,
 * booleans → BOOLEAN, anything else → STRING, all nullable); later values that do not fit a numeric or boolean
 * column are written as null, values in a STRING column as text.
 */
export function parquetWriter(
  container: ContainerClient,
  blob: string,
  columns: readonly string[],
  options: { rowGroupRows?: number } = {},
): TabularWriter {
  const rowGroupRows = options.rowGroupRows ?? 10_000;
  const { sink, done } = startUpload(container, blob, 'application/vnd.apache.parquet');
  const out: ByteWriter & { flush?: () => Promise<void> } = new ByteWriter(1024 * 1024);
  const push = (): void => {
    if (out.index === 0) return;
    sink.write(Buffer.from(out.buffer.slice(0, out.index)));
    out.index = 0;
  };
  const ensure = out.ensure.bind(out);
  out.ensure = (size: number): void => {
    if (out.index > 4 * 1024 * 1024) push();
    ensure(size);
  };
  out.flush = async (): Promise<void> => {
    push();
    if (sink.writableNeedDrain) await waitDrain(sink);
  };
  out.finish = (): void => push();
  let writer: ParquetWriter | undefined;
  let types: ColumnType[] = [];
  let pending: Row[] = [];
  let rows = 0;
  const writeGroup = async (): Promise<void> => {
    if (pending.length === 0) return;
    if (!writer) {
      types = columns.map((_, c) => columnTypeOf(pending.map((r) => r[c] ?? null)));
      const schema = schemaFromColumnData({
        columnData: columns.map((name, c) => ({ name, data: [], type: types[c] ?? 'STRING', nullable: true })),
      });
      writer = new ParquetWriter({ writer: out, schema });
    }
    const group = pending;
    pending = [];
    const columnData = columns.map((name, c) => ({
      name,
      data: group.map((r) => coerce(r[c] ?? null, types[c] ?? 'STRING')),
    }));
    await writer.write({ columnData, rowGroupSize: group.length });
  };
  return {
    async write(batch) {
      for (const row of batch) {
        pending.push(row);
        rows++;
        if (pending.length >= rowGroupRows) await writeGroup();
      }
    },
    async finish() {
      await writeGroup();
      if (!writer) {
        const schema = schemaFromColumnData({
          columnData: columns.map((name) => ({ name, data: [], type: 'STRING' as const, nullable: true })),
        });
        writer = new ParquetWriter({ writer: out, schema });
      }
      await writer.finish();
      sink.end();
      await done;
      return { rows, bytes: sink.bytes };
    },
    async abort(err) {
      sink.destroy(err);
      await done.catch(() => undefined);
    },
  };
}

export function tabularWriter(
  format: 'csv' | 'parquet',
  container: ContainerClient,
  blob: string,
  columns: readonly string[],
): TabularWriter {
  return format === 'csv' ? csvWriter(container, blob, columns) : parquetWriter(container, blob, columns);
}
