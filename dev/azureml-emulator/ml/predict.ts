import type { ModelArtifact } from './artifact';

/** One prediction; the single place the model formula lives, shared by training metrics and scoring. */
export function predictRow(artifact: ModelArtifact, row: ArrayLike<number>): number {
  let value = artifact.intercept;
  for (let j = 0; j < artifact.coefficients.length; j++) value += artifact.coefficients[j]! * row[j]!;
  return value;
}

/**
 * Scores rows whose values follow `artifact.featureColumns` (as returned by `parseScoringRequest`). Predictions are
 * returned unrounded.
 *
 * @throws RangeError when a row does not have one value per feature column: a caller bug, not bad user input.
 */
export function predict(artifact: ModelArtifact, rows: number[][]): number[] {
  const width = artifact.featureColumns.length;
  return rows.map((row, i) => {
    if (row.length !== width) throw new RangeError(`row ${i} has ${row.length} values; the model expects ${width}`);
    return predictRow(artifact, row);
  });
}
