/**
 * The machine-learning core of the Azure ML emulator: trains a linear (ridge) model from a CSV, parses scoring
 * requests, and predicts. Pure and deterministic; the emulator's HTTP layer owns storage, jobs and endpoints.
 */
export { type ModelArtifact, isModelArtifact } from './artifact';
export { ScoringInputError, type ScoringInputErrorCode, TrainingDataError, type TrainingDataErrorCode } from './errors';
export { predict } from './predict';
export { MAX_SCORING_ROWS, parseScoringRequest } from './scoring-request';
export {
  FEATURE_INFERENCE_ROWS,
  type TrainOptions,
  type TrainResult,
  type TrainingMetrics,
  trainFromCsv,
} from './train';
