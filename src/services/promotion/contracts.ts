import type { RegistryCoordinatesSpec, WorkspaceCoordinatesSpec } from '../../catalog';
import type { RetrainPlan } from '../retrain/plan';
import type { RunRef } from '../retrain/contracts';

/**
 * The contract between the promotion orchestration and its activities. A promotion reuses the retrain release (the
 * deploy sub-orchestration and its activities) for the target stage's endpoint; only planning, sharing the version
 * with the target workspace and closing the run are its own.
 */
export const PromotionActivities = {
  plan: 'promotionPlan',
  share: 'promotionShare',
  shareStatus: 'promotionShareStatus',
  finish: 'promotionFinish',
} as const;

/**
 * Activities that need a Durable client (registered with the client input binding): starting the next stage's
 * promotion after a release (`promotion: automatic`).
 */
export const PromotionClientActivities = {
  autoStart: 'promotionAutoStart',
} as const;

/** After `run` released `version` in a stage declaring `promotion: automatic`: promote it to `to`. */
export interface AutoPromotionInput {
  readonly run: RunRef;
  readonly model: string;
  readonly to: string;
  readonly version: string;
}

export interface AutoPromotionOutput {
  readonly outcome: 'started' | 'inFlight' | 'refused';
  readonly runId?: string | undefined;
  readonly reason?: string | undefined;
}

export const PromotionOrchestrations = {
  promote: 'promotionOrchestrator',
} as const;

/** What the operation starts the orchestration with (instance `promote-<model>-<stage>`). */
export interface PromotionInput {
  readonly model: string;
  readonly to: string;
  /** The version the operator asked for; default: the version live in the source stage. */
  readonly version?: string | undefined;
  readonly runId: string;
  readonly requestedBy?: string | undefined;
}

export interface PromotionPlanInput {
  readonly run: RunRef;
  readonly request: PromotionInput;
}

/** Checked again by the plan activity (the source stage may have moved on since the request). */
export interface PromotionPlan {
  readonly fromStage: string;
  readonly toStage: string;
  readonly version: string;
  readonly modelName: string;
  /** ARM id of the version in the source stage's workspace. */
  readonly sourceModelId: string;
  readonly sourceWorkspace: WorkspaceCoordinatesSpec | undefined;
  readonly targetWorkspace: WorkspaceCoordinatesSpec | undefined;
  /** The stage a successful release here promotes to by itself (`promotion: automatic` on the target stage). */
  readonly promoteNext?: string | undefined;
  /** The registry the target stage receives versions through; undefined: a copy into its workspace. */
  readonly targetRegistry?: RegistryCoordinatesSpec | undefined;
  /** The retrain run that released the version in the source stage (its lineage tag), for correlation. */
  readonly sourceRunId: string | undefined;
  /** The release plan of the target stage: its deployment, approval, retries. */
  readonly release: RetrainPlan;
}

export interface ShareInput {
  readonly run: RunRef;
  readonly plan: PromotionPlan;
}

export interface ShareOutput {
  readonly modelId: string;
  /** True when a new registration was made (in the target workspace or the registry; false: reused). */
  readonly registered: boolean;
  /**
   * The registry's long-running operation still copying the version (its Location to poll); the orchestration
   * waits for it on durable timers (`shareStatus`) before deploying.
   */
  readonly pending?: { readonly url: string; readonly retryAfterSeconds: number } | undefined;
}

export interface ShareStatusInput {
  readonly run: RunRef;
  readonly plan: PromotionPlan;
  readonly url: string;
}

/** `done`: the version is usable; `pending`: poll again after `retryAfterSeconds`. Failures throw. */
export interface ShareStatusOutput {
  readonly state: 'done' | 'pending';
  readonly retryAfterSeconds: number;
}

export interface PromotionFinishInput {
  readonly run: RunRef;
  readonly status: 'succeeded' | 'rejected' | 'rolledBack' | 'failed';
  readonly plan?: PromotionPlan | undefined;
  readonly deployment?: string | undefined;
  readonly failure?: { readonly stage: string; readonly errorType: string; readonly message: string } | undefined;
  readonly deploymentLogs?: string | undefined;
}

export interface PromotionResult {
  readonly runId: string;
  readonly status: PromotionFinishInput['status'];
  readonly version?: string | undefined;
  readonly deployment?: string | undefined;
  readonly reason?: string | undefined;
}
