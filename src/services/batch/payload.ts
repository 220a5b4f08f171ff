/**
 * Request and response shapes for scoring rows through an MLflow-style online deployment.
 */

export type Cell = string | number | boolean | null;
export type Row = Cell[];

/** Thrown when the endpoint's answer does not carry one prediction per row. */
export class PredictionShapeError extends Error {
  override readonly name = 'PredictionShapeError';
  constructor(detail: string) {
    super(`unexpected scoring response: ${detail}`);
  }
}

/** `{"input_data": {"columns": [...], "data": [[...]]}}` (pandas split orientation), restricted to `features`. */
export function scoringBody(
  columns: readonly string[],
  rows: readonly Row[],
  features: readonly string[] | undefined,
): unknown {
  if (!features) return { input_data: { columns, data: rows } };
  const positions = features.map((f) => columns.indexOf(f));
  const missing = features.filter((_, i) => (positions[i] ?? -1) < 0);
  if (missing.length > 0) throw new PredictionShapeError(`input has no column ${missing.join(', ')}`);
  return { input_data: { columns: features, data: rows.map((r) => positions.map((p) => r[p] ?? null)) } };
}

/** Accepts `[...]`, `{"predictions": [...]}` or `{"outputs"|"output"|"result": [...]}`. */
export function predictionsOf(body: unknown, expected: number): Cell[] {
  let list: unknown = body;
  if (!Array.isArray(list) && typeof list === 'object' && list !== null) {
    const record = list as Record<string, unknown>;
    list = record.predictions ?? record.outputs ?? record.output ?? record.result;
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

/** CSV cells arrive as text; numbers are sent as numbers (the model needs numeric features). */
export function castCsvCell(value: string): Cell {
  if (value === '') return null;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) {
    const n = Number(value);
    if (Number.isFinite(n)) return n;
  }
  return value;
}
