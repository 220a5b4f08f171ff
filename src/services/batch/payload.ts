/**
 * Request and response shapes for scoring rows through an online deployment: the MLflow scoring server's
 * `input_data` (pandas split or records) and the `{"data": [records]}` of classic scoring scripts; answers that are a
 * list, an object holding one, or either of those JSON-encoded as a string (`return json.dumps(result)` in a
 * score.py).
 */

import { decodedBody } from '../../azureml/scoring-client';

export type Cell = string | number | boolean | null;
export type Row = Cell[];

/** Thrown when the endpoint's answer does not carry one prediction per row. */
export class PredictionShapeError extends Error {
  override readonly name = 'PredictionShapeError';
  constructor(detail: string) {
    super(`unexpected scoring response: ${detail}`);
  }
}

/** How requests carry rows: MLflow split, MLflow records, or a scoring script's `data` records. */
export type RequestFormat = 'inputDataSplit' | 'inputDataRecords' | 'dataRecords';
export type ColumnType = 'string' | 'number' | 'boolean';

/**
 * The request body for `rows`, restricted to `features`: `{"input_data": {"columns", "data"}}` (pandas split, the
 * default), `{"input_data": [{column: value}]}` or `{"data": [{column: value}]}`.
 */
export function scoringBody(
  columns: readonly string[],
  rows: readonly Row[],
  features: readonly string[] | undefined,
  format: RequestFormat = 'inputDataSplit',
): unknown {
  const names = features ?? columns;
  const positions = names.map((f) => columns.indexOf(f));
  const missing = names.filter((_, i) => (positions[i] ?? -1) < 0);
  if (missing.length > 0) throw new PredictionShapeError(`input has no column ${missing.join(', ')}`);
  const data = rows.map((r) => positions.map((p) => r[p] ?? null));
  if (format === 'inputDataSplit') return { input_data: { columns: names, data } };
  const records = data.map((values) => Object.fromEntries(names.map((name, i) => [name, values[i] ?? null])));
  return format === 'inputDataRecords' ? { input_data: records } : { data: records };
}

/**
 * Accepts `[...]`, `{"predictions": [...]}`, `{"outputs"|"output"|"result": [...]}` or an object with exactly one
 * array (e.g. `{"forecast": [...]}`), also JSON-encoded as a string.
 */
export function predictionsOf(body: unknown, expected: number): Cell[] {
  let list: unknown = decodedBody(body);
  if (!Array.isArray(list) && typeof list === 'object' && list !== null) {
    const record = list as Record<string, unknown>;
    const arrays = Object.values(record).filter(Array.isArray);
    list =
      record.predictions ??
      record.outputs ??
      record.output ??
      record.result ??
      (arrays.length === 1 ? arrays[0] : undefined);
  }
  if (!Array.isArray(list)) throw new PredictionShapeError('no prediction array in the body');
  if (list.length !== expected) {
    throw new PredictionShapeError(`${list.length} predictions for ${expected} rows`);
  }
  return list.map((value: unknown): Cell => {
    if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
      return value;
    }
    if (Array.isArray(value) && value.length === 1) {
      const only: unknown = value[0];
      if (typeof only === 'number' || typeof only === 'string') return only;
    }
    return JSON.stringify(value);
  });
}

/** A CSV cell declared a number or boolean that is not one. */
export class CellTypeError extends Error {
  override readonly name = 'CellTypeError';
  constructor(value: string, type: ColumnType) {
    super(`'${value}' is not a ${type}`);
  }
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * CSV cells arrive as text. A declared column type decides (`string` keeps `007` as `007`); without one, numbers are
 * sent as numbers (the model needs numeric features) and everything else as text. Empty cells are null.
 */
export function castCsvCell(value: string, type?: ColumnType): Cell {
  if (value === '') return null;
  if (type === 'string') return value;
  if (type === 'boolean') {
    const lower = value.toLowerCase();
    if (lower === 'true' || lower === 'false') return lower === 'true';
    throw new CellTypeError(value, type);
  }
  if (NUMERIC.test(value)) {
    const n = Number(value);
    if (Number.isFinite(n)) return n;
  }
  if (type === 'number') throw new CellTypeError(value, type);
  return value;
}
