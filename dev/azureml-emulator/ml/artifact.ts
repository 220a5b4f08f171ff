/**
 * A trained linear model, as the emulator stores it in a model asset (JSON).
 *
 * @remarks `intercept` and `coefficients` are in the units of the raw features, so
 * `prediction = intercept + Σ coefficients[j] · row[j]` with no further transformation. `means` and `scales` record
 * the standardization the ridge penalty was applied on (population mean and standard deviation of each feature in
 * the training rows; a constant feature has scale 1). They are lineage only: `predict` does not read them.
 */
export interface ModelArtifact {
  kind: 'linear';
  version: 1;
  featureColumns: string[];
  targetColumn: string;
  intercept: number;
  coefficients: number[];
  means?: number[];
  scales?: number[];
  trainedRows: number;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isFiniteNumberArray(value: unknown, length: number): value is number[] {
  return Array.isArray(value) && value.length === length && value.every(isFiniteNumber);
}

/**
 * Checks a value read back from storage (e.g. `JSON.parse` of a model asset) before it is used to score.
 * Extra properties are tolerated; every listed field must have its documented type, and the per-feature arrays must
 * match `featureColumns` in length.
 */
export function isModelArtifact(value: unknown): value is ModelArtifact {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const a = value as Record<string, unknown>;
  const features = a.featureColumns;
  if (!Array.isArray(features) || !features.every((f) => typeof f === 'string')) return false;
  if (new Set(features).size !== features.length) return false;
  const p = features.length;
  return (
    a.kind === 'linear' &&
    a.version === 1 &&
    typeof a.targetColumn === 'string' &&
    isFiniteNumber(a.intercept) &&
    isFiniteNumberArray(a.coefficients, p) &&
    (a.means === undefined || isFiniteNumberArray(a.means, p)) &&
    (a.scales === undefined || isFiniteNumberArray(a.scales, p)) &&
    Number.isSafeInteger(a.trainedRows) &&
    (a.trainedRows as number) >= 0
  );
}
