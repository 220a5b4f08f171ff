import { Readable, pipeline } from 'node:stream';

import { CsvError, parse } from 'csv-parse';

import type { ModelArtifact } from './artifact';
import { TrainingDataError } from './errors';
import { SingularSystemError, solveSymmetricPositiveDefinite } from './linear-algebra';
import { predictRow } from './predict';

export interface TrainOptions {
  /** The column to predict. */
  targetColumn: string;
  /**
   * The columns to learn from, in the order the model will expect them. Default: every column except the target
   * whose values in the first {@link FEATURE_INFERENCE_ROWS} data rows are all numeric (empty cells aside).
   */
  featureColumns?: string[];
  /** Ridge (L2) penalty on the standardized coefficients; default 1.0, 0 = ordinary least squares. */
  alpha?: number;
}

/**
 * Fit quality on the training rows themselves (there is no hold-out split): `rmse` and `mae` in target units, `r2`
 * the coefficient of determination. When the target is constant, `r2` is 1 for a perfect fit and 0 otherwise (the
 * scikit-learn convention), so metrics are always finite numbers.
 */
export interface TrainingMetrics {
  rmse: number;
  mae: number;
  r2: number;
}

export interface TrainResult {
  artifact: ModelArtifact;
  metrics: TrainingMetrics;
  /** Data rows left out: a wrong number of fields, or an empty or non-numeric value in a feature or the target. */
  skippedRows: number;
}

/** How many data rows decide which columns are numeric when `featureColumns` is not given. */
export const FEATURE_INFERENCE_ROWS = 1000;

const DEFAULT_ALPHA = 1.0;

/** Plain decimal or scientific notation only: `Number()` would also accept '', '0x1f', 'Infinity' and ' 1 '. */
const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseNumeric(text: string): number | undefined {
  if (!NUMERIC.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Which CSV fields feed the model: features in model order, then the target. */
interface ColumnPlan {
  readonly featureColumns: string[];
  /** Field index of each feature, then of the target. */
  readonly fieldIndexes: number[];
}

/**
 * The used columns of the accepted rows as doubles, row-major with the target last.
 *
 * @remarks The fit alone could be streamed as running sums of products, but the mean absolute error needs every
 * residual, and residuals exist only after the fit. So the rows are kept — compactly, 8 bytes per used value (about
 * 5 MB for 100k rows of 5 features), never as CSV text or records — and the fit makes exact two-pass sums over them.
 */
class NumericRows {
  private data: Float64Array;
  count = 0;

  constructor(readonly width: number) {
    this.data = new Float64Array(width * 1024);
  }

  append(values: Float64Array): void {
    if ((this.count + 1) * this.width > this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(values, this.count * this.width);
    this.count++;
  }

  row(i: number): Float64Array {
    return this.data.subarray(i * this.width, (i + 1) * this.width);
  }
}

function validateOptions(options: TrainOptions): number {
  const { targetColumn, featureColumns } = options;
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  if (!Number.isFinite(alpha) || alpha < 0) throw new RangeError(`alpha must be a finite number >= 0, got ${alpha}`);
  if (typeof targetColumn !== 'string' || targetColumn === '') {
    throw new RangeError('targetColumn must be a column name');
  }
  if (featureColumns !== undefined) {
    if (featureColumns.length === 0) throw new RangeError('featureColumns must not be empty when given');
    if (new Set(featureColumns).size !== featureColumns.length) {
      throw new RangeError(`featureColumns lists a column twice: ${featureColumns.join(', ')}`);
    }
    if (featureColumns.includes(targetColumn)) {
      throw new RangeError(`target column '${targetColumn}' is also listed in featureColumns`);
    }
  }
  return alpha;
}

function readHeader(fields: string[], options: TrainOptions): string[] {
  const header = fields.map((f) => f.trim());
  const seen = new Set<string>();
  for (const name of header) {
    if (name === '') {
      throw new TrainingDataError('InvalidHeader', `CSV header has an empty column name: ${fields.join(', ')}`);
    }
    if (seen.has(name)) throw new TrainingDataError('InvalidHeader', `CSV header names column '${name}' twice`);
    seen.add(name);
  }
  if (!seen.has(options.targetColumn)) {
    throw new TrainingDataError(
      'MissingColumn',
      `target column '${options.targetColumn}' not found; columns: ${header.join(', ')}`,
    );
  }
  return header;
}

function planExplicit(header: string[], targetColumn: string, featureColumns: string[]): ColumnPlan {
  const missing = featureColumns.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    const list = missing.map((c) => `'${c}'`).join(', ');
    throw new TrainingDataError('MissingColumn', `feature column(s) ${list} not found; columns: ${header.join(', ')}`);
  }
  return {
    featureColumns: [...featureColumns],
    fieldIndexes: [...featureColumns, targetColumn].map((c) => header.indexOf(c)),
  };
}

/** A column is a feature when every non-empty sampled value is numeric and at least one is present. */
function planInferred(header: string[], targetColumn: string, sample: readonly string[][]): ColumnPlan {
  const featureColumns = header.filter((name, index) => {
    if (name === targetColumn) return false;
    let present = 0;
    for (const record of sample) {
      const text = record[index]?.trim() ?? '';
      if (text === '') continue;
      if (parseNumeric(text) === undefined) return false;
      present++;
    }
    return present > 0;
  });
  if (featureColumns.length === 0) {
    throw new TrainingDataError(
      'NoFeatures',
      `no numeric feature column besides target '${targetColumn}'; columns: ${header.join(', ')}`,
    );
  }
  return planExplicit(header, targetColumn, featureColumns);
}

/** The rows of one plan: accepted values, plus a scratch row reused for each record. */
interface Collection {
  readonly plan: ColumnPlan;
  readonly rows: NumericRows;
  readonly scratch: Float64Array;
}

/**
 * Takes CSV records one at a time: the header, then data rows. Without explicit `featureColumns` it holds back the
 * first {@link FEATURE_INFERENCE_ROWS} records to decide which columns are numeric, so memory stays bounded.
 */
class RowCollector {
  private header: string[] | undefined;
  private collection: Collection | undefined;
  private pending: string[][] = [];
  private skippedRows = 0;

  constructor(private readonly options: TrainOptions) {}

  add(record: string[]): void {
    if (this.header === undefined) {
      this.header = readHeader(record, this.options);
      const { featureColumns, targetColumn } = this.options;
      if (featureColumns) this.adopt(planExplicit(this.header, targetColumn, featureColumns));
    } else if (this.collection) {
      this.accept(this.collection, this.header, record);
    } else {
      this.pending.push(record);
      if (this.pending.length >= FEATURE_INFERENCE_ROWS) {
        this.adopt(planInferred(this.header, this.options.targetColumn, this.pending));
      }
    }
  }

  finish(): { plan: ColumnPlan; rows: NumericRows; skippedRows: number } {
    const { header } = this;
    if (header === undefined) throw new TrainingDataError('EmptyInput', 'CSV is empty: no header row');
    const dataRows = this.pending.length + (this.collection?.rows.count ?? 0) + this.skippedRows;
    if (dataRows === 0) throw new TrainingDataError('NoUsableRows', 'CSV has a header row but no data rows');
    const { plan, rows } = this.collection ?? this.adopt(planInferred(header, this.options.targetColumn, this.pending));
    if (rows.count === 0) {
      const used = [...plan.featureColumns, this.options.targetColumn].join(', ');
      throw new TrainingDataError(
        'NoUsableRows',
        `no usable rows: all ${this.skippedRows} data rows have a wrong field count or a missing or non-numeric ` +
          `value in ${used}`,
      );
    }
    return { plan, rows, skippedRows: this.skippedRows };
  }

  private adopt(plan: ColumnPlan): Collection {
    const width = plan.fieldIndexes.length;
    const collection = { plan, rows: new NumericRows(width), scratch: new Float64Array(width) };
    this.collection = collection;
    const header = this.header ?? [];
    for (const record of this.pending) this.accept(collection, header, record);
    this.pending = [];
    return collection;
  }

  private accept({ plan, rows, scratch }: Collection, header: string[], record: string[]): void {
    if (record.length !== header.length) {
      this.skippedRows++;
      return;
    }
    for (let i = 0; i < plan.fieldIndexes.length; i++) {
      const value = parseNumeric(record[plan.fieldIndexes[i]!]!);
      if (value === undefined) {
        this.skippedRows++;
        return;
      }
      scratch[i] = value;
    }
    rows.append(scratch);
  }
}

async function readRows(
  source: NodeJS.ReadableStream,
  options: TrainOptions,
): Promise<{ plan: ColumnPlan; rows: NumericRows; skippedRows: number }> {
  // relax_column_count: a short or long row is a bad row to skip and count, not a reason to fail the whole file.
  const parser = parse({ bom: true, skip_empty_lines: true, relax_column_count: true, trim: true });
  // pipeline() forwards a source error into the parser, which makes the loop below throw it.
  const records = pipeline(source, parser, () => undefined) as AsyncIterable<string[]>;
  const collector = new RowCollector(options);
  try {
    for await (const record of records) collector.add(record);
  } catch (err) {
    if (err instanceof CsvError) {
      throw new TrainingDataError('MalformedCsv', `CSV could not be parsed: ${err.message}`, { cause: err });
    }
    throw err;
  }
  return collector.finish();
}

/**
 * Ridge regression on standardized features with an unpenalized intercept, solved exactly from the centered normal
 * equations. With `Z` the standardized features and `yc` the centered target it minimizes `‖yc − Zβ‖² + α‖β‖²`
 * (scikit-learn's `Ridge(alpha)` after `StandardScaler`), then maps `β` back to raw feature units.
 */
function fit(rows: NumericRows, plan: ColumnPlan, alpha: number, targetColumn: string): ModelArtifact {
  const p = plan.featureColumns.length;
  const w = p + 1;
  const n = rows.count;

  // Two passes (means, then centered cross-products) rather than raw sums: no cancellation when means are large.
  const means = new Float64Array(w);
  for (let r = 0; r < n; r++) {
    const row = rows.row(r);
    for (let j = 0; j < w; j++) means[j]! += row[j]!;
  }
  for (let j = 0; j < w; j++) means[j]! /= n;
  const cross = new Float64Array(w * w);
  const centered = new Float64Array(w);
  for (let r = 0; r < n; r++) {
    const row = rows.row(r);
    for (let j = 0; j < w; j++) centered[j] = row[j]! - means[j]!;
    for (let j = 0; j < w; j++) {
      for (let k = 0; k <= j; k++) cross[j * w + k]! += centered[j]! * centered[k]!;
    }
  }

  // Population standard deviation. A constant feature (nothing to learn from) keeps coefficient 0 and scale 1.
  const scales = new Float64Array(p);
  const constant: boolean[] = [];
  for (let j = 0; j < p; j++) {
    const sd = Math.sqrt(cross[j * w + j]! / n);
    const isConstant = !(sd > 1e-12 * Math.max(1, Math.abs(means[j]!)));
    constant.push(isConstant);
    scales[j] = isConstant ? 1 : sd;
  }

  const a = new Float64Array(p * p);
  const b = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    if (constant[j]) {
      a[j * p + j] = 1;
      continue;
    }
    for (let k = 0; k <= j; k++) {
      if (!constant[k]) a[j * p + k] = cross[j * w + k]! / (scales[j]! * scales[k]!);
    }
    a[j * p + j]! += alpha;
    b[j] = cross[p * w + j]! / scales[j]!;
  }

  let beta: Float64Array;
  try {
    beta = solveSymmetricPositiveDefinite(a, b, p);
  } catch (err) {
    if (!(err instanceof SingularSystemError)) throw err;
    const feature = plan.featureColumns[err.index] ?? `#${err.index}`;
    throw new TrainingDataError(
      'CollinearFeatures',
      `feature '${feature}' is a linear combination of the other features in the training rows; ` +
        'train with alpha > 0 or drop the column',
      { cause: err },
    );
  }

  const coefficients: number[] = [];
  let intercept = means[p]!;
  for (let j = 0; j < p; j++) {
    const coefficient = constant[j] ? 0 : beta[j]! / scales[j]!;
    coefficients.push(coefficient);
    intercept -= coefficient * means[j]!;
  }
  return {
    kind: 'linear',
    version: 1,
    featureColumns: [...plan.featureColumns],
    targetColumn,
    intercept,
    coefficients,
    means: Array.from(means.subarray(0, p)),
    scales: Array.from(scales),
    trainedRows: n,
  };
}

/** Metrics from the same prediction code `predict` uses, so training metrics describe what the endpoint returns. */
function evaluate(rows: NumericRows, artifact: ModelArtifact): TrainingMetrics {
  const p = artifact.featureColumns.length;
  const n = rows.count;
  let targetMean = 0;
  for (let r = 0; r < n; r++) targetMean += rows.row(r)[p]!;
  targetMean /= n;
  let squaredErrors = 0;
  let absoluteErrors = 0;
  let totalSquares = 0;
  for (let r = 0; r < n; r++) {
    const row = rows.row(r);
    const target = row[p]!;
    const residual = target - predictRow(artifact, row.subarray(0, p));
    squaredErrors += residual * residual;
    absoluteErrors += Math.abs(residual);
    totalSquares += (target - targetMean) * (target - targetMean);
  }
  const r2 = totalSquares > 0 ? 1 - squaredErrors / totalSquares : squaredErrors === 0 ? 1 : 0;
  return { rmse: Math.sqrt(squaredErrors / n), mae: absoluteErrors / n, r2 };
}

/**
 * Trains a linear model on a CSV with a header row, streaming the input.
 *
 * @remarks Fully deterministic: the same bytes and options give a bit-identical artifact and metrics, whether the CSV
 * arrives as a string or as a stream cut into any chunks.
 * @throws TrainingDataError when the data cannot train a model (see its `code`).
 * @throws RangeError for invalid options (before any data is read): `alpha` negative or not finite, an empty
 * `targetColumn`, or `featureColumns` empty, with duplicates, or containing the target.
 */
export async function trainFromCsv(csv: string | NodeJS.ReadableStream, options: TrainOptions): Promise<TrainResult> {
  const alpha = validateOptions(options);
  const source = typeof csv === 'string' ? Readable.from([csv]) : csv;
  const { plan, rows, skippedRows } = await readRows(source, options);
  const artifact = fit(rows, plan, alpha, options.targetColumn);
  return { artifact, metrics: evaluate(rows, artifact), skippedRows };
}
