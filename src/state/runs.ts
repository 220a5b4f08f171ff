import type { GateDecision } from '../services/retrain/gate';
import type { DatasetRef, GitRef, TriggerSource } from '../triggers/model';
import { type BlobJsonStore, segment } from './blob-json';

/**
 * Run records: one JSON document per retrain (or rollback) run, `runs/<runId>.json`, with blob metadata `model`,
 * `kind`, `status`, `startedat` so the ops API can list and filter without reading every document.
 */

export type RunKind = 'retrain' | 'rollback' | 'promotion';

export type RunStatus =
  | 'running'
  | 'awaitingApproval'
  | 'succeeded'
  /** The gate or the approver said no; the version is registered with the decision, nothing was deployed. */
  | 'rejected'
  /** Deployment checks failed; traffic is back on the previous deployment. */
  | 'rolledBack'
  | 'failed'
  /** A newer trigger replaced it (cancel policy). */
  | 'superseded';

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = [
  'succeeded',
  'rejected',
  'rolledBack',
  'failed',
  'superseded',
];

export type StageName =
  | 'trigger'
  | 'submit'
  | 'training'
  | 'metrics'
  | 'gate'
  | 'register'
  | 'promote'
  | 'share'
  | 'approval'
  | 'deploy'
  | 'provision'
  | 'smoke'
  | 'latency'
  | 'traffic'
  | 'cleanup'
  | 'rollback';

export interface StageRecord {
  readonly name: StageName;
  readonly status: 'started' | 'succeeded' | 'failed' | 'skipped';
  readonly startedAt: string;
  readonly finishedAt?: string | undefined;
  readonly detail?: string | undefined;
}

export interface RunStatusChange {
  readonly status: string;
  readonly at: string;
  readonly via: 'submit' | 'event' | 'poll';
}

export interface FailureReport {
  readonly stage: string;
  readonly errorType: string;
  readonly message: string;
  /** Tail of the failed deployment's logs (inference server), when a release failed. */
  readonly deploymentLogs?: string | undefined;
}

export interface RunRecord {
  readonly runId: string;
  readonly kind: RunKind;
  readonly model: string;
  readonly triggerId: string;
  readonly source: TriggerSource | 'ops';
  readonly instanceId: string;
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly finishedAt?: string | undefined;
  readonly input: {
    readonly dataset?: DatasetRef | undefined;
    readonly git?: GitRef | undefined;
    readonly parameters?: Readonly<Record<string, string | number | boolean>> | undefined;
  };
  /** Triggers folded into this run. */
  readonly coalesced: readonly string[];
  readonly stages: readonly StageRecord[];
  readonly training?: {
    readonly kind: string;
    readonly jobName: string;
    readonly experiment: string;
    /** The job in Azure ML studio. */
    readonly studioUrl?: string | undefined;
    readonly statusHistory: readonly RunStatusChange[];
  };
  readonly metrics?: Readonly<Record<string, number>>;
  /** The MLflow run the gate's metrics came from (a pipeline's training step is a child run of the job). */
  readonly metricsRun?: { readonly runId: string; readonly runName?: string | undefined };
  readonly gate?: GateDecision;
  readonly registered?: { readonly name: string; readonly version: string; readonly id?: string | undefined };
  readonly approval?: {
    readonly status: 'pending' | 'approved' | 'rejected' | 'timedOut';
    readonly by?: string | undefined;
    readonly comment?: string | undefined;
    readonly at?: string | undefined;
  };
  readonly deployment?: {
    readonly endpoint: string;
    readonly name: string;
    readonly previous?: string | undefined;
    readonly traffic?: Readonly<Record<string, number>>;
    readonly outcome?: 'succeeded' | 'rolledBack' | undefined;
    readonly checks?: readonly string[];
  };
  readonly failure?: FailureReport;
  /** A promotion: the version moved from one stage to the next, and the run that released it in the source stage. */
  readonly promotion?: {
    readonly from: string;
    readonly to: string;
    readonly version: string;
    readonly sourceRunId?: string | undefined;
    /** The model version the target stage deploys (the source's own in the same workspace, else the copy). */
    readonly targetModelId?: string | undefined;
  };
  /** The run that took the lane when this one finished (coalesced follow-up). */
  readonly followUp?: string | undefined;
  /** A rollback of a promotion stage's endpoint: that stage (absent: the model's own endpoint). */
  readonly rollbackStage?: string | undefined;
}

export interface RunFilter {
  readonly model?: string;
  readonly kind?: RunKind;
  readonly status?: RunStatus;
  /** ISO; runs started at or after. */
  readonly since?: string;
  /** ISO; runs started before. */
  readonly until?: string;
  readonly top?: number;
}

function runBlob(runId: string): string {
  return `runs/${segment(runId)}.json`;
}

function metadataOf(run: RunRecord): Record<string, string> {
  return { model: run.model, kind: run.kind, status: run.status, startedat: run.startedAt };
}

export class RunStore {
  constructor(private readonly store: BlobJsonStore) {}

  /** Creates the record unless it exists (a retried activity keeps the first one). */
  async create(run: RunRecord): Promise<RunRecord> {
    return (
      (await this.store.update<RunRecord>(runBlob(run.runId), (current) => current ?? run, { metadata: metadataOf })) ??
      run
    );
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    return (await this.store.read<RunRecord>(runBlob(runId)))?.value;
  }

  /** Read-modify-write of one record; `mutate` returns undefined to leave it unchanged. */
  async update(runId: string, mutate: (run: RunRecord) => RunRecord | undefined): Promise<RunRecord | undefined> {
    return this.store.update<RunRecord>(runBlob(runId), (current) => (current ? mutate(current) : undefined), {
      metadata: metadataOf,
    });
  }

  /** Runs matching the filter, newest first (default top 50). */
  async list(filter: RunFilter = {}): Promise<RunRecord[]> {
    const names: { name: string; startedAt: string }[] = [];
    for await (const blob of this.store.list('runs/')) {
      const m = blob.metadata;
      const startedAt = m.startedat ?? '';
      if (filter.model && m.model !== filter.model) continue;
      if (filter.kind && m.kind !== filter.kind) continue;
      if (filter.status && m.status !== filter.status) continue;
      if (filter.since && startedAt < filter.since) continue;
      if (filter.until && startedAt >= filter.until) continue;
      names.push({ name: blob.name, startedAt });
    }
    names.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    const selected = names.slice(0, filter.top ?? 50);
    const records = await Promise.all(selected.map((n) => this.store.read<RunRecord>(n.name)));
    return records.flatMap((r) => (r ? [r.value] : []));
  }
}

/** Appends or closes a stage (pure helper for `RunStore.update`). */
export function withStage(
  run: RunRecord,
  name: StageName,
  status: StageRecord['status'],
  at: string,
  detail?: string,
): RunRecord {
  const stages = [...run.stages];
  const openIndex = stages.map((s) => s.name === name && s.status === 'started').lastIndexOf(true);
  if (status !== 'started' && openIndex >= 0) {
    const open = stages[openIndex]!;
    stages[openIndex] = { ...open, status, finishedAt: at, detail: detail ?? open.detail };
  } else if (status === 'started' && openIndex >= 0) {
    return { ...run, updatedAt: at };
  } else {
    stages.push({ name, status, startedAt: at, ...(status !== 'started' ? { finishedAt: at } : {}), detail });
  }
  return { ...run, stages, updatedAt: at };
}
