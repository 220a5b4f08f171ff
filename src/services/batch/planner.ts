/**
 * Pure batch-scoring decisions: which mini-batches a day's input becomes, how the run's parallelism is shared
 * between chunk sub-orchestrations, whether failures stay within the threshold.
 */
import type { BatchPlan, InputFile, MiniBatch, Slice } from './types';

/** A run never plans more mini-batches than this; raise miniBatchSize instead (bounds the parent's history). */
export const MAX_MINI_BATCHES = 100_000;
/** At most this many slices (file pieces) in one mini-batch, so many tiny files do not make one huge input. */
export const MAX_SLICES_PER_BATCH = 256;
/** Mini-batches per chunk sub-orchestration: the history bound (see docs/batch-scoring.md). */
export const CHUNK_SIZE = 100;
/** Chunk sub-orchestrations in flight at once, at most. */
export const MAX_CONCURRENT_CHUNKS = 8;

export class PlanTooLargeError extends Error {
  override readonly name = 'PlanTooLargeError';
  constructor(readonly miniBatches: number) {
    super(
      `the input needs ${miniBatches} mini-batches; at most ${MAX_MINI_BATCHES} are allowed per run (raise miniBatchSize)`,
    );
  }
}

export function miniBatchKey(index: number): string {
  return String(index).padStart(6, '0');
}

/** Pieces of one file, each at most `size` rows, cut at checkpoints / row groups. */
function piecesOf(file: InputFile, size: number): Slice[] {
  if (file.rows === 0) return [];
  if (file.format === 'csv') {
    const checkpoints = file.checkpoints ?? [];
    const step = file.checkpointRows ?? file.rows;
    if (step !== size && checkpoints.length > 1) {
      throw new RangeError(`${file.name}: scanned with checkpoints every ${step} rows, planned with ${size}`);
    }
    const pieces: Slice[] = [];
    for (let i = 0; i < checkpoints.length; i++) {
      const firstRow = i * step;
      pieces.push({
        kind: 'csv',
        blob: file.name,
        byteStart: checkpoints[i] ?? 0,
        byteEnd: checkpoints[i + 1] ?? file.bytes,
        columns: file.columns,
        rows: Math.min(step, file.rows - firstRow),
        firstRow,
      });
    }
    return pieces;
  }
  const groups = file.rowGroups ?? [file.rows];
  const pieces: Slice[] = [];
  let start = 0;
  let pending = 0;
  const flush = (): void => {
    if (pending > 0)
      pieces.push({
        kind: 'parquet',
        blob: file.name,
        bytes: file.bytes,
        rowStart: start,
        rowEnd: start + pending,
        rows: pending,
      });
    start += pending;
    pending = 0;
  };
  for (const groupRows of groups) {
    if (groupRows > size) {
      flush();
      for (let offset = 0; offset < groupRows; offset += size) {
        const rows = Math.min(size, groupRows - offset);
        pieces.push({
          kind: 'parquet',
          blob: file.name,
          bytes: file.bytes,
          rowStart: start,
          rowEnd: start + rows,
          rows,
        });
        start += rows;
      }
      continue;
    }
    if (pending + groupRows > size) flush();
    pending += groupRows;
  }
  flush();
  return pieces;
}

/** The whole file as one slice (files mode). */
function wholeFile(file: InputFile): Slice {
  if (file.format === 'csv') {
    return {
      kind: 'csv',
      blob: file.name,
      byteStart: file.checkpoints?.[0] ?? file.bytes,
      byteEnd: file.bytes,
      columns: file.columns,
      rows: file.rows,
      firstRow: 0,
    };
  }
  return { kind: 'parquet', blob: file.name, bytes: file.bytes, rowStart: 0, rowEnd: file.rows, rows: file.rows };
}

/**
 * Splits a day's input into mini-batches.
 *
 * @remarks `tabular`: each file is cut into pieces of at most `miniBatchSize` rows (CSV at the scanned record
 * checkpoints, Parquet at row-group boundaries, oversized row groups by row range); consecutive pieces are packed
 * into mini-batches of at most `miniBatchSize` rows and {@link MAX_SLICES_PER_BATCH} slices, so many tiny files share
 * a mini-batch and a huge file becomes many. `files`: mini-batches of `miniBatchSize` whole files (files without
 * data rows are skipped). Files are taken in name order, so the plan is deterministic; files whose columns differ
 * from the previous file's never share a mini-batch.
 * @throws PlanTooLargeError beyond {@link MAX_MINI_BATCHES}.
 */
export function planMiniBatches(
  inputFiles: readonly InputFile[],
  options: { readonly inputMode: 'tabular' | 'files'; readonly miniBatchSize: number },
): BatchPlan {
  const size = options.miniBatchSize;
  if (!Number.isInteger(size) || size < 1) throw new RangeError('miniBatchSize must be a positive integer');
  const files = [...inputFiles].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const batches: MiniBatch[] = [];
  let current: Slice[] = [];
  let currentRows = 0;
  const close = (): void => {
    if (current.length === 0) return;
    const index = batches.length;
    batches.push({ index, key: miniBatchKey(index), rows: currentRows, slices: current });
    if (batches.length > MAX_MINI_BATCHES) throw new PlanTooLargeError(batches.length);
    current = [];
    currentRows = 0;
  };
  let currentSchema: string | undefined;
  for (const file of files) {
    if (file.rows === 0) continue;
    // A mini-batch writes one part with one set of columns: files with other columns start a new one.
    const schema = file.columns.join('\u0000');
    if (currentSchema !== undefined && schema !== currentSchema) close();
    currentSchema = schema;
    if (options.inputMode === 'files') {
      current.push(wholeFile(file));
      currentRows += file.rows;
      if (current.length >= size) close();
      continue;
    }
    for (const piece of piecesOf(file, size)) {
      if (currentRows + piece.rows > size || current.length >= MAX_SLICES_PER_BATCH) close();
      current.push(piece);
      currentRows += piece.rows;
    }
  }
  close();
  return {
    miniBatches: batches,
    files: files.filter((f) => f.rows > 0).length,
    rows: files.reduce((sum, f) => sum + f.rows, 0),
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
  };
}

export interface ChunkRange {
  readonly from: number;
  readonly to: number;
}

/** Consecutive ranges of at most {@link CHUNK_SIZE} mini-batches. */
export function chunkRanges(miniBatches: number, chunkSize: number = CHUNK_SIZE): ChunkRange[] {
  const ranges: ChunkRange[] = [];
  for (let from = 0; from < miniBatches; from += chunkSize) {
    ranges.push({ from, to: Math.min(miniBatches, from + chunkSize) });
  }
  return ranges;
}

/**
 * How many mini-batches each concurrently running chunk may have in flight, so that the run as a whole never has
 * more than `maxParallel` (the sum of the returned slots is at most `maxParallel`).
 *
 * @remarks Several chunks run at once (about one per four slots, at most {@link MAX_CONCURRENT_CHUNKS}), so the
 * run has more than one chunk's worth of work in flight. The run starts chunks in waves of this many; chunk `i` of a
 * wave gets slot share `i` (docs/batch-scoring.md, "History bound and parallelism").
 */
export function chunkSlots(maxParallel: number, chunks: number): number[] {
  if (chunks <= 0) return [];
  const lanes = Math.max(1, Math.min(chunks, MAX_CONCURRENT_CHUNKS, Math.floor(maxParallel / 4), maxParallel));
  const base = Math.floor(maxParallel / lanes);
  const extra = maxParallel % lanes;
  return Array.from({ length: lanes }, (_, i) => base + (i < extra ? 1 : 0));
}

/** Instance id of the run for a model and date: one run per model and date. */
export function batchInstanceId(model: string, date: string): string {
  return `batch-${model}-${date}`;
}

/** Checks a YYYY-MM-DD calendar date. */
export function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** Dates from `from` to `to` inclusive (both YYYY-MM-DD). */
export function dateRange(from: string, to: string): string[] {
  const dates: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end; t += 86_400_000) {
    dates.push(new Date(t).toISOString().slice(0, 10));
  }
  return dates;
}

/** The partition date a scheduled run scores: the slot's UTC date shifted by `offsetDays`. */
export function scheduledDate(slot: Date, offsetDays: number): string {
  return new Date(Date.UTC(slot.getUTCFullYear(), slot.getUTCMonth(), slot.getUTCDate() + offsetDays))
    .toISOString()
    .slice(0, 10);
}
