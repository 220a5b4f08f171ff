/**
 * Errors of the retrain flow. Each has a stable `name`. Only the message crosses the activity boundary in Azure, so
 * activities carry the name in it (`withErrorType`, services/task-failure.ts) and the orchestrations' retry loop
 * decides by that name (`NON_RETRYABLE`).
 */

abstract class RetrainError extends Error {
  abstract readonly retryable: boolean;
  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

/** Azure ML answered with something that may succeed later (throttling, 5xx, network). */
export class AzureMlTransientError extends RetrainError {
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super('AzureMlTransientError', message, options);
  }
}

/** Azure ML rejected a request in a way a retry cannot fix (4xx other than 408/409/429). */
export class AzureMlRequestError extends RetrainError {
  readonly retryable = false;
  readonly statusCode: number | undefined;
  constructor(message: string, statusCode?: number, options?: { cause?: unknown }) {
    super('AzureMlRequestError', message, options);
    this.statusCode = statusCode;
  }
}

/** The model is not in the catalog (any more). */
export class ModelNotInCatalogError extends RetrainError {
  readonly retryable = false;
  constructor(model: string) {
    super('ModelNotInCatalogError', `Model '${model}' is not in the catalog.`);
  }
}

/** A retrain without a dataset of its own (manual, CI) found no registered dataset of the model to train on. */
export class NoTrainingDataError extends RetrainError {
  readonly retryable = false;
  constructor(model: string, dataAsset: string) {
    super(
      'NoTrainingDataError',
      `Model '${model}' has no dataset to train on: the trigger carries none and data asset '${dataAsset}' has no versions. Upload a dataset matching the model's dataset trigger, or pass one with the retrain request.`,
    );
  }
}

/** The training run ended Failed or Canceled. */
export class TrainingFailedError extends RetrainError {
  readonly retryable = false;
  constructor(jobName: string, status: string, detail?: string) {
    super('TrainingFailedError', `Training job ${jobName} ended ${status}${detail ? `: ${detail}` : ''}.`);
  }
}

/** The training run did not finish within the catalog's timeout. */
export class TrainingTimedOutError extends RetrainError {
  readonly retryable = false;
  constructor(jobName: string, minutes: number) {
    super('TrainingTimedOutError', `Training job ${jobName} did not finish within ${minutes} minutes.`);
  }
}

/** The run finished but does not report a metric the gate needs. */
export class MetricsUnavailableError extends RetrainError {
  readonly retryable = false;
  constructor(message: string) {
    super('MetricsUnavailableError', message);
  }
}

/** Blob state changed under us more often than the optimistic-concurrency retries allow. */
export class StateConflictError extends RetrainError {
  readonly retryable = true;
  constructor(message: string) {
    super('StateConflictError', message);
  }
}

/** A release check failed (provisioning, smoke, latency, bake); the release is rolled back. */
export class ReleaseCheckFailedError extends RetrainError {
  readonly retryable = false;
  readonly check: string;
  constructor(check: string, message: string) {
    super('ReleaseCheckFailedError', message);
    this.check = check;
  }
}

/** A promotion the catalog or the source stage does not allow (unknown stage, version not live in the source). */
export class PromotionRefusedError extends RetrainError {
  readonly retryable = false;
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
    /** The request field at fault (`to`, `version`), when one is. */
    readonly field?: string,
  ) {
    super('PromotionRefusedError', message);
  }
}

/** Error names an orchestration never retries. */
export const NON_RETRYABLE: readonly string[] = [
  'AzureMlRequestError',
  'NoTrainingDataError',
  'ModelNotInCatalogError',
  'TrainingFailedError',
  'TrainingTimedOutError',
  'MetricsUnavailableError',
  'ReleaseCheckFailedError',
  'PromotionRefusedError',
  'TypeError',
  'RangeError',
  'SyntaxError',
];

/** How an orchestrator reads a caught failure's type and message (shared with batch scoring). */
export { errorMessageOf, errorTypeOf } from '../task-failure';
