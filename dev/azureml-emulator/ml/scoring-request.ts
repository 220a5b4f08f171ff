import { ScoringInputError } from './errors';

/** Upper bound on rows per scoring request; larger inputs belong to batch scoring. */
export const MAX_SCORING_ROWS = 100_000;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short rendering of an offending value for an error message. */
function preview(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function numericCell(value: unknown, row: number, column: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new ScoringInputError(
    'NonNumericValue',
    `non-numeric value at row ${row}, column '${column}': ${preview(value)}`,
    { row, column },
  );
}

function checkRowCount(rows: unknown, where: string): unknown[] {
  if (!Array.isArray(rows)) throw new ScoringInputError('InvalidShape', `'${where}' must be an array of rows`);
  if (rows.length === 0) throw new ScoringInputError('EmptyData', `'${where}' is empty: there is nothing to score`);
  if (rows.length > MAX_SCORING_ROWS) {
    throw new ScoringInputError(
      'TooManyRows',
      `'${where}' has ${rows.length} rows; at most ${MAX_SCORING_ROWS} are accepted per request`,
    );
  }
  return rows;
}

/** `{columns, index?, data}`: the pandas "split" orientation MLflow deployments document. */
function fromSplit(split: JsonObject, featureColumns: string[]): number[][] {
  const unknownKey = Object.keys(split).find((k) => k !== 'columns' && k !== 'index' && k !== 'data');
  if (unknownKey !== undefined) {
    throw new ScoringInputError(
      'InvalidShape',
      `unsupported property 'input_data.${unknownKey}'; expected columns, data and optionally index`,
    );
  }
  const { columns } = split;
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) {
    throw new ScoringInputError('InvalidShape', "'input_data.columns' must be an array of column names");
  }
  if (new Set(columns).size !== columns.length) {
    throw new ScoringInputError('InvalidShape', "'input_data.columns' names a column twice");
  }
  const data = checkRowCount(split.data, 'input_data.data');
  if (split.index !== undefined && (!Array.isArray(split.index) || split.index.length !== data.length)) {
    throw new ScoringInputError(
      'InvalidShape',
      `'input_data.index' must be an array with one entry per row (${data.length})`,
    );
  }
  const positions = featureColumns.map((feature) => {
    const position = columns.indexOf(feature);
    if (position < 0) {
      throw new ScoringInputError(
        'MissingColumn',
        `missing column '${feature}'; the model needs ${featureColumns.join(', ')}; ` +
          `the request has ${columns.join(', ')}`,
        { column: feature },
      );
    }
    return position;
  });
  return data.map((row, i) => {
    if (!Array.isArray(row) || row.length !== columns.length) {
      throw new ScoringInputError(
        'InvalidShape',
        `row ${i} of 'input_data.data' must be an array of ${columns.length} values, one per column`,
        { row: i },
      );
    }
    return positions.map((position, j) => numericCell(row[position], i, featureColumns[j]!));
  });
}

/** `[{column: value, ...}]`: one object per row; properties the model does not use are ignored. */
function fromRecords(records: unknown[], where: string, featureColumns: string[]): number[][] {
  return records.map((record, i) => {
    if (!isObject(record)) {
      throw new ScoringInputError('InvalidShape', `row ${i} of '${where}' must be an object keyed by column name`, {
        row: i,
      });
    }
    return featureColumns.map((column) => {
      if (!Object.hasOwn(record, column)) {
        throw new ScoringInputError('MissingColumn', `missing column '${column}' in row ${i}`, { row: i, column });
      }
      return numericCell(record[column], i, column);
    });
  });
}

/**
 * Turns a scoring request body into rows of feature values in `featureColumns` order, matching columns by name.
 *
 * Accepted bodies (anything else is rejected, so a test cannot pass on a body a real deployment would refuse):
 * - `{"input_data": {"columns": [...], "index"?: [...], "data": [[...], ...]}}` — MLflow's split orientation, the
 *   form Azure ML documents for MLflow deployments. Columns may come in any order and include extra columns.
 * - `{"input_data": [{"col": value, ...}, ...]}` — records under `input_data`.
 * - `{"data": [{"col": value, ...}, ...]}` — records, the common custom scoring-script form.
 * An MLflow deployment (no-code) accepts only the `input_data` forms, as Azure's MLflow scoring server does.
 * `{"data": [[...]]}` without column names is rejected: columns are matched by name, never by position.
 * Values must be JSON numbers (finite); strings, booleans and null are rejected rather than coerced.
 *
 * @throws ScoringInputError naming the problem: shape, empty data, more than {@link MAX_SCORING_ROWS} rows, a missing
 * column, or a non-numeric value (with its row and column).
 */
export function parseScoringRequest(
  body: unknown,
  featureColumns: string[],
  servedAs: 'mlflow' | 'script' = 'script',
): number[][] {
  if (!isObject(body)) {
    throw new ScoringInputError('InvalidShape', "request body must be a JSON object with 'input_data' or 'data'");
  }
  // Azure's MLflow scoring server (no-code deployment) reads only `input_data`; `data` is a scoring-script convention.
  if (servedAs === 'mlflow' && !('input_data' in body)) {
    throw new ScoringInputError(
      'InvalidShape',
      "an MLflow deployment expects the request under 'input_data' (pandas split {columns, index, data} or a list of records); 'data' is the convention of custom scoring scripts",
    );
  }
  const keys = Object.keys(body);
  const unknownKey = keys.find((k) => k !== 'input_data' && k !== 'data');
  if (unknownKey !== undefined) {
    throw new ScoringInputError(
      'InvalidShape',
      `unsupported request property '${unknownKey}'; use 'input_data' or 'data'`,
    );
  }
  if (keys.length !== 1) {
    throw new ScoringInputError('InvalidShape', "request body must have exactly one of 'input_data' or 'data'");
  }
  if ('input_data' in body) {
    const input = body.input_data;
    if (isObject(input)) return fromSplit(input, featureColumns);
    if (Array.isArray(input)) return fromRecords(checkRowCount(input, 'input_data'), 'input_data', featureColumns);
    throw new ScoringInputError(
      'InvalidShape',
      "'input_data' must be an object {columns, data} or an array of row objects",
    );
  }
  return fromRecords(checkRowCount(body.data, 'data'), 'data', featureColumns);
}
