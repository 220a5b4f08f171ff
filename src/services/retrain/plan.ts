import type { DeploymentSpec, GateSpec, ModelEntry, TrainingSpec } from '../../catalog';
import { automaticNextStage } from '../promotion/stages';
import type { PollingPolicy } from './polling';

/**
 * What a retrain orchestration needs from the catalog, with every duration in seconds. Built by an activity (the
 * orchestrator never reads configuration) and recorded in its history, so a catalog change mid-run does not change
 * a replay.
 */
export interface RetrainPlan {
  readonly model: string;
  readonly training: TrainingSpec;
  readonly trainingTimeoutSeconds: number;
  readonly polling: PollingPolicy;
  readonly gate: GateSpec;
  readonly registry: { readonly modelName: string; readonly modelType: string; readonly dataAssetName: string };
  readonly deployment: DeploymentSpec;
  readonly provisioningTimeoutSeconds: number;
  readonly provisioningPollSeconds: number;
  readonly approval: { readonly required: boolean; readonly timeoutSeconds: number };
  readonly onSupersede: 'coalesce' | 'cancel';
  /**
   * The stage a release here starts a promotion to by itself (`promotion: automatic` on the model's first stage);
   * its approval still applies. Absent: promotions are started by an operator.
   */
  readonly promoteTo?: string | undefined;
  /** Retry of transient activity failures (AzureMlTransientError, network, throttling). */
  readonly retry: {
    readonly maxAttempts: number;
    readonly firstDelaySeconds: number;
    readonly maxDelaySeconds: number;
  };
}

export function retrainPlanFor(model: ModelEntry): RetrainPlan {
  return {
    model: model.name,
    training: model.training,
    trainingTimeoutSeconds: model.training.timeoutMinutes * 60,
    polling: model.training.polling,
    gate: model.gate,
    registry: {
      modelName: model.registry.modelName,
      modelType: model.registry.modelType,
      dataAssetName: model.registry.dataAssetName ?? `${model.name}-data`,
    },
    deployment: model.deployment,
    provisioningTimeoutSeconds: model.deployment.provisioningTimeoutMinutes * 60,
    provisioningPollSeconds: model.deployment.provisioningPollSeconds,
    approval: {
      required: model.deployment.approval.required,
      timeoutSeconds: model.deployment.approval.timeoutMinutes * 60,
    },
    onSupersede: model.triggers.onSupersede,
    ...(automaticNextStage(model, 0) ? { promoteTo: automaticNextStage(model, 0) } : {}),
    retry: { maxAttempts: 5, firstDelaySeconds: 5, maxDelaySeconds: 120 },
  };
}

/** Delay before retry `attempt` (1-based) of a transient failure. */
export function retryDelaySeconds(attempt: number, retry: RetrainPlan['retry']): number {
  return Math.min(retry.maxDelaySeconds, retry.firstDelaySeconds * Math.pow(2, Math.max(0, attempt - 1)));
}
