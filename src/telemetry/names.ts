/**
 * Names of every custom event and metric the orchestrator emits.
 *
 * @remarks Dashboards, alert rules (infra/) and tests refer to these strings; the infra consistency test fails
 * when a query names an event that is not listed here.
 */
export const TelemetryEvents = {
  TriggerReceived: 'TriggerReceived',
  TriggerDeduplicated: 'TriggerDeduplicated',
  TriggerCoalesced: 'TriggerCoalesced',
  TriggerIgnored: 'TriggerIgnored',
  WebhookRejected: 'WebhookRejected',
  /** A verified CI webhook delivery was submitted for one or more models (dimensions: source, deliveryId, models, outcomes). */
  WebhookAccepted: 'WebhookAccepted',
  RetrainStarted: 'RetrainStarted',
  TrainingSubmitted: 'TrainingSubmitted',
  TrainingCompleted: 'TrainingCompleted',
  TrainingFailed: 'TrainingFailed',
  GateDecided: 'GateDecided',
  ModelRegistered: 'ModelRegistered',
  ApprovalRequested: 'ApprovalRequested',
  ApprovalDecided: 'ApprovalDecided',
  DeploymentStarted: 'DeploymentStarted',
  DeploymentShifted: 'DeploymentShifted',
  DeploymentSucceeded: 'DeploymentSucceeded',
  DeploymentRolledBack: 'DeploymentRolledBack',
  RetrainCompleted: 'RetrainCompleted',
  RetrainFailed: 'RetrainFailed',
  /** A promotion to the next stage started (dimensions: stage, fromStage, modelVersion, sourceRunId). */
  PromotionStarted: 'PromotionStarted',
  /** The promoted version reached the target stage's workspace (copied there, or the same workspace). */
  ModelShared: 'ModelShared',
  PromotionCompleted: 'PromotionCompleted',
  PromotionFailed: 'PromotionFailed',
  BatchPlanned: 'BatchPlanned',
  BatchJobSubmitted: 'BatchJobSubmitted',
  BatchTableWritten: 'BatchTableWritten',
  BatchMiniBatchFailed: 'BatchMiniBatchFailed',
  BatchPublished: 'BatchPublished',
  BatchFailed: 'BatchFailed',
} as const;

export type TelemetryEventName = (typeof TelemetryEvents)[keyof typeof TelemetryEvents];

export const TelemetryMetrics = {
  /** Duration of a retrain stage (dimension `stage`: training, approval, deploy, traffic, …; `retrain` for the whole run). */
  StageDurationMs: 'StageDurationMs',
  BatchDurationSeconds: 'BatchDurationSeconds',
  BatchRowsScored: 'BatchRowsScored',
  BatchRowsPerSecond: 'BatchRowsPerSecond',
  BatchMiniBatchesFailed: 'BatchMiniBatchesFailed',
} as const;

export type TelemetryMetricName = (typeof TelemetryMetrics)[keyof typeof TelemetryMetrics];

/** Dimensions shared by every event, so one query can follow a model, a trigger or an orchestration. */
export interface CommonDimensions {
  model?: string;
  triggerId?: string;
  instanceId?: string;
  job?: string;
  modelVersion?: string;
  deployment?: string;
  [extra: string]: string | undefined;
}
