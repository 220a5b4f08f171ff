/** Why a training data set was rejected; stable values, so a caller can map them without parsing messages. */
export type TrainingDataErrorCode =
  | 'EmptyInput'
  | 'MalformedCsv'
  | 'InvalidHeader'
  | 'MissingColumn'
  | 'NoFeatures'
  | 'NoUsableRows'
  | 'CollinearFeatures';

/**
 * The CSV cannot train a model: it is empty or malformed, lacks a named column, or has no usable row.
 *
 * @remarks The emulator turns this into a failed training job whose error message is `message`, so messages name
 * the column or the problem the way a user would fix it.
 */
export class TrainingDataError extends Error {
  readonly code: TrainingDataErrorCode;

  constructor(code: TrainingDataErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrainingDataError';
    this.code = code;
  }
}

/** Why a scoring request was rejected; stable values, so a caller can map them without parsing messages. */
export type ScoringInputErrorCode = 'InvalidShape' | 'EmptyData' | 'TooManyRows' | 'MissingColumn' | 'NonNumericValue';

/**
 * A scoring request body the model cannot score. `row` (0-based) and `column` locate the problem when it is in a
 * cell.
 */
export class ScoringInputError extends Error {
  readonly code: ScoringInputErrorCode;
  readonly row: number | undefined;
  readonly column: string | undefined;

  constructor(code: ScoringInputErrorCode, message: string, location: { row?: number; column?: string } = {}) {
    super(message);
    this.name = 'ScoringInputError';
    this.code = code;
    this.row = location.row;
    this.column = location.column;
  }
}
