import type { FieldProblem } from '../http/problems';
import type { RetrainTriggerSubmitter } from '../../services/webhooks';
import type {
  BatchRunDetail,
  BatchRunPage,
  DeploymentLogs,
  DeploymentLogsQuery,
  EndpointDetail,
  EndpointList,
  ListBatchRunsQuery,
  ListRunsQuery,
  ListTriggersQuery,
  ModelDetail,
  ModelList,
  RunDetail,
  RunPage,
  ScoreRequestBody,
  ScoreResult,
  TriggerPage,
} from './contract';

/**
 * What the operations API does, behind the HTTP edge. The composition root implements it over the run records,
 * the durable client and the retrain helper's operations; tests use an in-memory one.
 *
 * @remarks Methods throw errors with stable names the one HTTP mapper knows: `RunNotFoundError` (404),
 * `UnknownModelError` (404), `EndpointNotFoundError` and `BatchRunNotFoundError` (404), `ConflictError` (409, e.g. approving a run that is not waiting for approval),
 * `InvalidTriggerError` (400, e.g. overriding a parameter the catalog does not declare).
 */
export interface OperationsService {
  listRuns(query: ListRunsQuery): Promise<RunPage>;
  /** A run; a trigger still waiting behind the run in flight reads as a `queued` run. */
  getRun(runId: string): Promise<RunDetail | undefined>;
  /** Every trigger with its fate (started, coalesced, superseded, duplicate, …), newest first; paged. */
  listTriggers(query: ListTriggersQuery): Promise<TriggerPage>;
  /** Manual retrain through the same start/coalesce path as every other trigger. */
  readonly submit: RetrainTriggerSubmitter;
  /** Raises the approval event of a run waiting at its approval gate. */
  decideApproval(runId: string, decision: { approved: boolean; comment?: string; decidedBy?: string }): Promise<void>;
  /** Puts the previous model version back on the model's endpoint; returns the rollback run. */
  rollback(
    model: string,
    request: { stage?: string; reason?: string; requestedBy?: string; deployment?: string },
  ): Promise<{ runId: string }>;
  /**
   * Promotes the version live in a stage to the next stage (`to`); refuses (400/404/409, naming the problem) what the
   * catalog or the source stage does not allow. While one promotion to that stage is in flight, returns that one.
   */
  promote(
    model: string,
    request: { to: string; version?: string | undefined; requestedBy?: string | undefined },
  ): Promise<{ runId: string; outcome: 'started' | 'inFlight' }>;
  /** Terminates the run's orchestration and cancels its Azure ML job, if any. */
  cancel(runId: string, request: { reason?: string }): Promise<{ detail?: string }>;
  /** A deployment's logs: live from Azure ML, or those a failed release kept when the deployment is gone. */
  deploymentLogs(model: string, query: DeploymentLogsQuery): Promise<DeploymentLogs>;
  /** Sends one request to the model's endpoint (the catalog's smoke sample by default) and returns the answer. */
  score(model: string, request: ScoreRequestBody): Promise<ScoreResult>;
  /** Model names of the catalog (to answer 404 for unknown ones before anything else happens). */
  modelNames(): readonly string[];
  /** Every catalog model with its live version, endpoint and last run. */
  listModels(): Promise<ModelList>;
  /** One catalog model with its registered versions (lineage, gate, metrics, which is live) and recent runs. */
  getModel(model: string): Promise<ModelDetail>;
  /** The online endpoints the catalog names, with their traffic. */
  listEndpoints(): Promise<EndpointList>;
  /** One endpoint of the catalog with its deployments; `EndpointNotFoundError` for another name. */
  getEndpoint(endpoint: string): Promise<EndpointDetail>;
  /** Batch runs with their progress, newest first; paged. */
  listBatchRuns(query: ListBatchRunsQuery): Promise<BatchRunPage>;
  /** One batch run with failures and, once published, its manifest. */
  getBatchRun(runId: string): Promise<BatchRunDetail | undefined>;
  /** Starts one batch run per date (a model without a batch section: `InvalidRequestError`). */
  backfill(
    model: string,
    dates: readonly string[],
    options: { replace: boolean; requestId: string },
  ): Promise<BackfillStarted[]>;
}

/** One date of a backfill: the batch run and what was done to start it. */
export interface BackfillStarted {
  readonly date: string;
  readonly runId: string;
  readonly action: 'started' | 'replaced' | 'alreadyRunning' | 'alreadyCompleted';
}

export class RunNotFoundError extends Error {
  readonly code = 'RunNotFound';
  readonly runId: string;

  constructor(runId: string) {
    super(`Run '${runId}' was not found.`);
    this.name = 'RunNotFoundError';
    this.runId = runId;
  }
}

export class UnknownModelError extends Error {
  readonly code = 'UnknownModel';
  readonly model: string;

  constructor(model: string, detail = `Model '${model}' is not in the catalog.`) {
    super(detail);
    this.name = 'UnknownModelError';
    this.model = model;
  }
}

/** The operation does not apply to the run in its current state (e.g. approve a run that is not waiting). */
export class ConflictError extends Error {
  readonly code = 'Conflict';

  /** `fields`: the request fields whose value conflicts with the state (e.g. a version not live in the stage). */
  constructor(
    message: string,
    readonly fields?: readonly FieldProblem[],
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** The model has no such deployment (or none serving), live or in a kept failure report. */
export class DeploymentNotFoundError extends Error {
  readonly code = 'DeploymentNotFound';

  constructor(message: string) {
    super(message);
    this.name = 'DeploymentNotFoundError';
  }
}

/** Query, path or body of an operations request is invalid; `problems` name each field. */
export class InvalidRequestError extends Error {
  readonly code = 'InvalidRequest';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid request: ${problems.join('; ')}`);
    this.name = 'InvalidRequestError';
    this.problems = problems;
  }
}

/** The catalog names no such online endpoint. */
export class EndpointNotFoundError extends Error {
  readonly code = 'EndpointNotFound';

  constructor(endpoint: string) {
    super(`Endpoint '${endpoint}' is not an endpoint of any catalog model.`);
    this.name = 'EndpointNotFoundError';
  }
}

/** No batch run with this id (batch-<model>-<date>). */
export class BatchRunNotFoundError extends Error {
  readonly code = 'BatchRunNotFound';

  constructor(runId: string) {
    super(`Batch run '${runId}' was not found.`);
    this.name = 'BatchRunNotFoundError';
  }
}
