import type { WorkspaceCoordinatesSpec } from '../../catalog';
import type { RunInput } from '../../triggers/model';
import type { GateDecision } from './gate';
import type { RetrainPlan } from './plan';
import type { TrafficMap } from './traffic';

/**
 * The contract between the retrain orchestrations and their activities: names, inputs and outputs. Shared by both
 * sides (orchestrators may not import activity code).
 */
export const RetrainActivities = {
  loadPlan: 'retrainLoadPlan',
  record: 'retrainRecord',
  submitTraining: 'retrainSubmitTraining',
  checkTraining: 'retrainCheckTraining',
  cancelTraining: 'retrainCancelTraining',
  getMetrics: 'retrainGetMetrics',
  registerModel: 'retrainRegisterModel',
  tagModel: 'retrainTagModel',
  finishRun: 'retrainFinishRun',
  completeLane: 'retrainCompleteLane',
  deployPrepare: 'retrainDeployPrepare',
  deployEndpointState: 'retrainDeployEndpointState',
  deployCreate: 'retrainDeployCreate',
  deployState: 'retrainDeployState',
  deploySmoke: 'retrainDeploySmoke',
  deployLatency: 'retrainDeployLatency',
  deploySetTraffic: 'retrainDeploySetTraffic',
  deployProbe: 'retrainDeployProbe',
  deployLogs: 'retrainDeployLogs',
  deployDelete: 'retrainDeployDelete',
  deployCleanup: 'retrainDeployCleanup',
  rollbackEndpoint: 'retrainRollbackEndpoint',
  rollbackFinish: 'retrainRollbackFinish',
} as const;

export const RetrainOrchestrations = {
  retrain: 'retrainOrchestrator',
  deploy: 'retrainDeployOrchestrator',
  rollback: 'retrainRollbackOrchestrator',
} as const;

/** External events. */
export const RetrainEvents = {
  /** Raised by the `azuremlRunEvents` Event Grid function: `{ jobName, status }`. */
  runStatus: 'AzureMlRunStatus',
  /** Raised by the approval HTTP operation: `ApprovalDecision`. */
  approval: 'ApprovalDecision',
  /** Raised by trigger submission under the `cancel` policy: `{ runId, byTriggerId }`. */
  supersede: 'RetrainSuperseded',
} as const;

export interface RunStatusEvent {
  readonly jobName: string;
  readonly status: string;
}

export interface ApprovalDecision {
  readonly runId: string;
  readonly approved: boolean;
  readonly by?: string | undefined;
  readonly comment?: string | undefined;
}

export interface SupersedeEvent {
  readonly runId: string;
  readonly byTriggerId: string;
}

/**
 * The workspace a release activity works in: a promotion stage's own (ARM coordinates), or the app's workspace when
 * absent (every retrain release).
 */
export interface InWorkspace {
  readonly workspace?: WorkspaceCoordinatesSpec | undefined;
}

/** Common identity of a run, passed to most activities (telemetry dimensions, run record). */
export interface RunRef {
  readonly model: string;
  readonly runId: string;
  readonly triggerId: string;
  readonly instanceId: string;
}

export interface LoadPlanInput {
  readonly run: RunRef;
}

/** A run-record/telemetry step: stage transition, optional event and status change. */
export interface RecordInput {
  readonly run: RunRef;
  readonly stage?: {
    readonly name: string;
    readonly status: 'started' | 'succeeded' | 'failed' | 'skipped';
    readonly detail?: string;
  };
  readonly event?: {
    readonly name: string;
    readonly dimensions?: Record<string, string | undefined>;
    readonly measurements?: Record<string, number>;
  };
  readonly status?: 'running' | 'awaitingApproval';
  readonly gate?: GateDecision;
  readonly metrics?: Record<string, number>;
  readonly approval?: {
    readonly status: 'pending' | 'approved' | 'rejected' | 'timedOut';
    readonly by?: string;
    readonly comment?: string;
  };
  readonly deployment?: {
    readonly endpoint: string;
    readonly name: string;
    readonly previous?: string | undefined;
    readonly traffic?: TrafficMap;
    readonly checks?: readonly string[];
  };
}

export interface SubmitTrainingInput {
  readonly run: RunRef;
  readonly input: RunInput;
  readonly plan: RetrainPlan;
}

export interface SubmitTrainingOutput {
  readonly jobName: string;
  readonly status: string;
  readonly reused: boolean;
}

export interface CheckTrainingInput {
  readonly run: RunRef;
  readonly kind: RetrainPlan['training']['kind'];
  readonly jobName: string;
  readonly modelOutput: string;
  readonly via: 'submit' | 'event' | 'poll';
}

export interface CheckTrainingOutput {
  readonly status: string;
  readonly phase: 'running' | 'completed' | 'failed' | 'canceled';
  readonly error?: string | undefined;
  readonly modelUri?: string | undefined;
  readonly at: string;
}

export interface GetMetricsInput {
  readonly run: RunRef;
  readonly jobName: string;
  readonly registryModel: string;
  readonly endpoint: string;
}

export interface GetMetricsOutput {
  readonly candidate: Record<string, number>;
  readonly champion?: { readonly version: string; readonly metrics: Record<string, number> } | undefined;
}

export interface RegisterModelInput {
  readonly run: RunRef;
  readonly input: RunInput;
  readonly plan: RetrainPlan;
  readonly jobName: string;
  readonly modelUri: string;
  readonly gate: GateDecision;
  readonly metrics: Record<string, number>;
}

export interface RegisterModelOutput {
  readonly name: string;
  readonly version: string;
  readonly id: string;
}

export interface TagModelInput {
  readonly name: string;
  readonly version: string;
  readonly tags: Record<string, string>;
}

export interface FinishRunInput {
  readonly run: RunRef;
  readonly status: 'succeeded' | 'rejected' | 'rolledBack' | 'failed' | 'superseded';
  readonly failure?: {
    readonly stage: string;
    readonly errorType: string;
    readonly message: string;
    readonly deploymentLogs?: string;
  };
  readonly modelVersion?: string | undefined;
  readonly deployment?: string | undefined;
  readonly jobName?: string | undefined;
}

export interface CompleteLaneInput {
  readonly model: string;
  readonly runId: string;
}

export interface CompleteLaneOutput {
  readonly next: RunInput | undefined;
}

export interface DeployInput extends InWorkspace {
  readonly run: RunRef;
  readonly plan: RetrainPlan;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly modelId: string;
}

export interface DeployResult {
  readonly outcome: 'succeeded' | 'rolledBack';
  readonly endpoint: string;
  readonly deployment: string;
  readonly previous: string | undefined;
  readonly checks: readonly string[];
  readonly failedCheck?: string | undefined;
  readonly reason?: string | undefined;
  readonly logs?: string | undefined;
  readonly deleted: readonly string[];
}

export interface DeployPrepareInput extends InWorkspace {
  readonly run: RunRef;
  readonly endpoint: string;
  /** Auth mode of an endpoint the release creates (the stage's deployment.authMode). */
  readonly authMode?: RetrainPlan['deployment']['authMode'] | undefined;
}

export interface EndpointSnapshot {
  readonly scoringUri: string | undefined;
  readonly authMode: string;
  readonly traffic: TrafficMap;
  readonly live: string | undefined;
  /** Creating/Updating while a create or traffic change runs; Succeeded once it applied. */
  readonly provisioningState?: string | undefined;
}

export interface EndpointStateInput extends InWorkspace {
  readonly endpoint: string;
}

export interface DeployCreateInput extends InWorkspace {
  readonly run: RunRef;
  readonly endpoint: string;
  readonly name: string;
  readonly modelId: string;
  readonly modelVersion: string;
  readonly deployment: RetrainPlan['deployment'];
}

export interface DeployStateOutput {
  readonly provisioningState: string;
  /** The new deployment's `requestSettings.requestTimeout` in ms (from the create call; the probes' timeout). */
  readonly requestTimeoutMs?: number | undefined;
}

export interface ScoringProbeInput extends InWorkspace {
  readonly endpoint: string;
  readonly deployment: string;
  readonly sample: unknown;
  readonly requests: number;
  readonly timeoutMs: number;
}

export interface SmokeOutput {
  readonly ok: boolean;
  readonly detail: string;
}

export interface LatencyInput extends InWorkspace {
  readonly endpoint: string;
  readonly deployment: string;
  readonly live: string | undefined;
  readonly sample: unknown;
  readonly requests: number;
  readonly timeoutMs: number;
}

export interface LatencyOutput {
  readonly candidateMs: number[];
  readonly liveMs: number[];
  readonly candidateFailures: number;
  readonly firstError?: string | undefined;
}

export interface ProbeOutput {
  readonly total: number;
  readonly failures: number;
  readonly firstError?: string | undefined;
}

export interface SetTrafficInput extends InWorkspace {
  readonly run: RunRef;
  readonly endpoint: string;
  readonly traffic: TrafficMap;
  /** Telemetry: 'shift' (DeploymentShifted) or 'rollback' (no event; the caller records DeploymentRolledBack). */
  readonly reason: 'shift' | 'rollback';
  readonly deployment: string;
  readonly modelVersion?: string | undefined;
}

export interface CleanupInput extends InWorkspace {
  readonly endpoint: string;
  readonly keep: readonly string[];
  readonly retention: number;
  /** Kept first when counting `retention` (the previous deployment: the natural rollback target). */
  readonly prefer?: readonly string[];
}

export interface RollbackInput {
  readonly model: string;
  /** Promotion stage whose endpoint is rolled back; default: the model's own deployment (first stage). */
  readonly stage?: string | undefined;
  readonly runId: string;
  readonly target?: string | undefined;
  readonly requestedBy?: string | undefined;
}

export interface RollbackFinishInput {
  readonly model: string;
  readonly stage?: string | undefined;
  readonly runId: string;
  readonly endpoint: string;
  readonly from: string | undefined;
  readonly to: string;
  readonly traffic: TrafficMap;
  /** The traffic change did not apply (endpoint Failed/Canceled or not settled in time). */
  readonly failure?: string | undefined;
  readonly requestedBy?: string | undefined;
}

export interface RollbackOutput extends InWorkspace {
  readonly endpoint: string;
  readonly from: string | undefined;
  readonly to: string;
  readonly traffic: TrafficMap;
  /** From the activity that starts the change: its state and how to wait for it (catalog). */
  readonly provisioningState?: string | undefined;
  readonly pollSeconds?: number | undefined;
  readonly timeoutSeconds?: number | undefined;
}

/** A deployment of an endpoint (state, logs, delete). */
export interface DeploymentRefInput extends InWorkspace {
  readonly endpoint: string;
  readonly name: string;
}
