import type { DurableClient } from 'durable-functions';

import type { AppContext } from '../../app/context';
import { cancelTraining } from '../../azureml/training';
import { findRetrainModel, type TrainingSpec } from '../../catalog';
import { redactText } from '../../security';
import { TERMINAL_RUN_STATUSES, type RunFilter, type RunRecord } from '../../state/runs';
import type { TriggerEntry } from '../../state/triggers';
import type { GitRef } from '../../triggers/model';
import { retrainInstanceId } from '../../services/retrain/coalesce';
import { decideRetrainApproval, startRetrainRollback } from '../../triggers/operations';
import { startPromotion } from '../../triggers/promotion';
import { PromotionRefusedError } from '../../services/retrain/errors';
import { durableOrchestrationClient, ensureStarted } from '../../triggers/orchestration-client';
import { completeLaneRun, RETRAIN_ORCHESTRATION, type SubmitDeps } from '../../triggers/submit';
import { retrainSubmitter } from '../webhooks/submitter';
import { deploymentLogsOf, scoreModel } from './troubleshooting';
import type {
  GitLineage,
  ListRunsQuery,
  ListTriggersQuery,
  RunDetail,
  RunPage,
  RunStatus,
  RunSummary,
  TriggerPage,
  TriggerView,
} from './contract';
import { runSummarySchema } from './contract';
import { decodeToken, encodeToken } from './paging';
import { ConflictError, InvalidRequestError, type OperationsService, RunNotFoundError } from './service';

/** The part of the operations API that acts on retrain runs and their triggers. */
export type RetrainOperations = Omit<
  OperationsService,
  'listModels' | 'getModel' | 'listEndpoints' | 'getEndpoint' | 'listBatchRuns' | 'getBatchRun' | 'backfill'
>;

/** `failure.errorType` of a run ended through the cancel operation (the run records have no `canceled` status). */
export const RUN_CANCELED = 'RunCanceled';

/** Most records one listing scans when it must filter after reading (several kinds/statuses at once). */
const MAX_SCAN = 2000;

/** The commit a trigger or run carries, as the API names its fields. */
function gitView(git: GitRef): GitLineage {
  return {
    repository: git.repository,
    ...(git.provider ? { provider: git.provider } : {}),
    ...(git.sha ? { sha: git.sha } : {}),
    ...(git.branch ? { ref: git.branch } : {}),
    ...(git.ciRun ? { ciRunUrl: git.ciRun } : {}),
  };
}

/**
 * `releaseStage`: the promotion stage a model's retrains release to (its first stage), when it declares stages; a
 * promotion's stage is its target; a rollback's, the stage whose endpoint it rolled back.
 */
export function toRunDetail(run: RunRecord, releaseStage?: (model: string) => string | undefined): RunDetail {
  // Retrains release to the first stage; a rollback acts on its stage, else on the model's own (first) endpoint.
  const retrainStage =
    run.kind === 'retrain' || run.kind === 'rollback' ? (run.rollbackStage ?? releaseStage?.(run.model)) : undefined;
  const canceled = run.status === 'failed' && run.failure?.errorType === RUN_CANCELED;
  const git = run.input.git;
  return {
    runId: run.runId,
    instanceId: run.instanceId,
    model: run.model,
    kind: run.kind,
    status: canceled ? 'canceled' : run.status,
    createdAt: run.startedAt,
    updatedAt: run.updatedAt,
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
    triggerId: run.triggerId,
    trigger: {
      source: run.source,
      ...(git ? { git: gitView(git) } : {}),
      ...(run.input.parameters ? { parameters: run.input.parameters } : {}),
    },
    ...(run.training?.jobName ? { azureMlJob: run.training.jobName } : {}),
    ...(run.training?.studioUrl ? { azureMlJobUrl: run.training.studioUrl } : {}),
    ...(run.registered?.version ? { modelVersion: run.registered.version } : {}),
    ...(run.promotion
      ? { stage: run.promotion.to, fromStage: run.promotion.from }
      : retrainStage
        ? { stage: retrainStage }
        : {}),
    stages: run.stages.map((s) => ({
      name: s.name,
      status: s.status === 'started' ? 'running' : s.status,
      startedAt: s.startedAt,
      ...(s.finishedAt ? { endedAt: s.finishedAt } : {}),
      ...(s.detail ? { detail: s.detail } : {}),
    })),
    ...(run.failure ? { error: `${run.failure.stage}: ${run.failure.errorType}: ${run.failure.message}` } : {}),
    ...(run.metrics ? { metrics: { ...run.metrics } } : {}),
    ...(run.gate
      ? {
          gate: {
            decision: run.gate.decision,
            reasons: [...run.gate.reasons],
            ...(run.gate.championVersion ? { championVersion: run.gate.championVersion } : {}),
            checks: run.gate.checks.map((c) => ({
              metric: c.metric,
              ...(c.candidate !== undefined ? { candidate: c.candidate } : {}),
              ...(c.champion !== undefined ? { champion: c.champion } : {}),
              passed: c.passed,
              notes: [...c.notes],
            })),
          },
        }
      : {}),
    lineage: {
      triggerId: run.triggerId,
      instanceId: run.instanceId,
      ...(run.input.dataset
        ? {
            dataset: {
              uri: run.input.dataset.uri,
              eTag: run.input.dataset.eTag,
              ...(run.input.dataset.dataAsset
                ? { dataAsset: `${run.input.dataset.dataAsset.name}:${run.input.dataset.dataAsset.version}` }
                : {}),
            },
          }
        : {}),
      ...(git ? { git: gitView(git) } : {}),
      ...(run.training?.jobName ? { azureMlJob: run.training.jobName } : {}),
      ...(run.metricsRun ? { metricsRun: run.metricsRun.runId } : {}),
      ...(run.registered ? { registeredModel: { name: run.registered.name, version: run.registered.version } } : {}),
      ...(run.input.parameters ? { parameters: { ...run.input.parameters } } : {}),
      coalescedTriggers: [...run.coalesced],
    },
    ...(run.approval
      ? {
          approval: {
            status: run.approval.status,
            ...(run.approval.by ? { by: run.approval.by } : {}),
            ...(run.approval.comment ? { comment: run.approval.comment } : {}),
            ...(run.approval.at ? { at: run.approval.at } : {}),
          },
        }
      : {}),
    ...(run.deployment
      ? {
          deployment: {
            endpoint: run.deployment.endpoint,
            name: run.deployment.name,
            ...(run.deployment.previous ? { previous: run.deployment.previous } : {}),
            ...(run.deployment.traffic ? { traffic: { ...run.deployment.traffic } } : {}),
            ...(run.deployment.outcome ? { outcome: run.deployment.outcome } : {}),
            ...(run.deployment.checks ? { checks: [...run.deployment.checks] } : {}),
          },
        }
      : {}),
    ...(run.failure
      ? {
          failure: {
            stage: run.failure.stage,
            errorType: run.failure.errorType,
            message: run.failure.message,
            ...(run.failure.deploymentLogs ? { deploymentLogs: run.failure.deploymentLogs } : {}),
          },
        }
      : {}),
    ...(run.followUp ? { followUp: run.followUp } : {}),
  };
}

/** The summary fields of a run view (listings carry no stages, gate, lineage or failure report). */
export function toRunSummary(run: RunDetail): RunSummary {
  const summary: Record<string, unknown> = {};
  for (const key of Object.keys(runSummarySchema.shape)) {
    if (key in run) summary[key] = run[key as keyof RunDetail];
  }
  return summary as RunSummary;
}

/** A trigger as the operations API shows it (the ledger entry without its internal dedupe key). */
export function toTriggerView(entry: TriggerEntry): TriggerView {
  const t = entry.trigger;
  const git = t.git;
  return {
    triggerId: entry.triggerId,
    model: entry.model,
    source: t.source,
    fate: entry.fate,
    receivedAt: entry.receivedAt,
    occurredAt: t.occurredAt,
    ...(entry.runId ? { runId: entry.runId } : {}),
    ...(entry.relatedTriggerId ? { relatedTriggerId: entry.relatedTriggerId } : {}),
    ...(t.dataset
      ? {
          dataset: {
            uri: t.dataset.uri,
            eTag: t.dataset.eTag,
            ...(t.dataset.dataAsset ? { dataAsset: `${t.dataset.dataAsset.name}:${t.dataset.dataAsset.version}` } : {}),
          },
        }
      : {}),
    ...(git ? { git: gitView(git) } : {}),
    ...(t.parameters ? { parameters: t.parameters } : {}),
    ...(t.requestedBy ? { requestedBy: t.requestedBy } : {}),
    history: entry.history.map((h) => ({ at: h.at, fate: h.fate, ...(h.note ? { note: h.note } : {}) })),
  };
}

/**
 * The run a trigger will become while it has no run record: `queued` while it waits behind the run in flight (or
 * its submission is still being placed), `superseded` when a newer trigger took its place before it ran, `canceled`
 * when it was taken out of the queue.
 * Duplicates and ignored triggers never become runs.
 */
export function pendingRunDetail(entry: TriggerEntry): RunDetail | undefined {
  const status = {
    received: 'queued',
    coalesced: 'queued',
    started: 'queued',
    superseded: 'superseded',
    canceled: 'canceled',
  } as const;
  if (!(entry.fate in status)) return undefined;
  const view = toTriggerView(entry);
  const last = entry.history[entry.history.length - 1];
  return {
    runId: entry.triggerId,
    instanceId: entry.instanceId ?? retrainInstanceId(entry.model),
    model: entry.model,
    kind: 'retrain',
    status: status[entry.fate as keyof typeof status],
    createdAt: entry.receivedAt,
    updatedAt: last?.at ?? entry.receivedAt,
    triggerId: entry.triggerId,
    trigger: {
      source: view.source,
      ...(view.git ? { git: view.git } : {}),
      ...(view.parameters ? { parameters: view.parameters } : {}),
    },
    stages: [
      {
        name: 'trigger',
        status: entry.fate === 'superseded' || entry.fate === 'canceled' ? 'skipped' : 'pending',
        startedAt: entry.receivedAt,
        ...(last?.note ? { detail: last.note } : {}),
      },
    ],
  };
}

/**
 * The operations API over the retrain flow: run records, the trigger submit path, the approval and rollback
 * operations of src/triggers, and the durable client of the invocation (terminate).
 */
export function retrainOperations(
  context: AppContext,
  client: DurableClient,
  now: () => Date = () => new Date(),
): RetrainOperations {
  const orchestrations = durableOrchestrationClient(client);
  const submitDeps: SubmitDeps = {
    catalog: context.catalog,
    state: context.state,
    telemetry: context.telemetry,
    orchestrations,
  };
  const { runs } = context.state;
  const releaseStage = (model: string) => findRetrainModel(context.catalog, model)?.stages?.[0]?.name;

  return {
    modelNames: () => context.catalog.models.map((m) => m.name),
    deploymentLogs: (model, query) => deploymentLogsOf(context, model, query),
    score: (model, request) => scoreModel(context, model, request),
    submit: retrainSubmitter(submitDeps),

    async listRuns(query: ListRunsQuery): Promise<RunPage> {
      const offset = decodeToken(query.continuationToken);
      const kinds = query.kind;
      const statuses = query.status;
      const storeStatus =
        statuses?.length === 1 && statuses[0] !== 'canceled'
          ? (statuses[0] as Exclude<RunStatus, 'canceled' | 'queued'>)
          : undefined;
      const exact = (!kinds || kinds.length === 1) && (!statuses || (storeStatus && storeStatus !== 'failed'));
      const filter: RunFilter = {
        ...(query.model ? { model: query.model } : {}),
        ...(kinds?.length === 1 ? { kind: kinds[0] } : {}),
        ...(storeStatus ? { status: storeStatus } : {}),
        ...(query.from ? { since: new Date(query.from).toISOString() } : {}),
        ...(query.to ? { until: new Date(query.to).toISOString() } : {}),
        top: exact ? offset + query.pageSize + 1 : MAX_SCAN,
      };
      const matching = (await runs.list(filter))
        .map((r) => toRunDetail(r, releaseStage))
        .filter((r) => !kinds || kinds.includes(r.kind))
        .filter((r) => !statuses || (statuses as readonly RunStatus[]).includes(r.status));
      const page = matching.slice(offset, offset + query.pageSize);
      const more = matching.length > offset + query.pageSize;
      return {
        runs: page.map(toRunSummary),
        ...(more ? { continuationToken: encodeToken(offset + query.pageSize) } : {}),
      };
    },

    async getRun(runId: string): Promise<RunDetail | undefined> {
      const run = await runs.get(runId);
      if (run) return toRunDetail(run, releaseStage);
      // The run id is the trigger id: a trigger not yet started reads as a queued (or superseded) run.
      const entry = await context.state.ledger.get(runId);
      return entry ? pendingRunDetail(entry) : undefined;
    },

    async listTriggers(query: ListTriggersQuery): Promise<TriggerPage> {
      const offset = decodeToken(query.continuationToken);
      const fates = query.fate;
      const exact = !fates || fates.length === 1;
      const entries = await context.state.ledger.list({
        ...(query.model ? { model: query.model } : {}),
        ...(fates?.length === 1 ? { fate: fates[0] } : {}),
        ...(query.from ? { since: new Date(query.from).toISOString() } : {}),
        top: exact ? offset + query.pageSize + 1 : MAX_SCAN,
      });
      const matching = entries.filter((e) => !fates || fates.includes(e.fate));
      const page = matching.slice(offset, offset + query.pageSize);
      return {
        triggers: page.map(toTriggerView),
        ...(matching.length > offset + query.pageSize
          ? { continuationToken: encodeToken(offset + query.pageSize) }
          : {}),
      };
    },

    async decideApproval(runId, decision) {
      await decideRetrainApproval({ state: context.state, orchestrations }, runId, {
        approved: decision.approved,
        ...(decision.decidedBy ? { by: decision.decidedBy } : {}),
        ...(decision.comment ? { comment: decision.comment } : {}),
      });
    },

    async rollback(model, request) {
      if (request.stage !== undefined) {
        const entry = context.catalog.models.find((m) => m.name === model);
        if (!entry?.stages?.some((s) => s.name === request.stage)) {
          throw new InvalidRequestError([
            `body.stage: unknown stage '${request.stage}' of ${model} (stages: ${entry?.stages?.map((s) => s.name).join(', ') || 'none'})`,
          ]);
        }
      }
      const started = await startRetrainRollback({ orchestrations }, model, {
        ...(request.stage ? { stage: request.stage } : {}),
        ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
        ...(request.deployment ? { target: request.deployment } : {}),
      });
      return { runId: started.runId };
    },

    async promote(model, request) {
      try {
        const started = await startPromotion(
          { catalog: context.catalog, workspaces: context.workspaces, orchestrations },
          model,
          request,
        );
        return { runId: started.runId, outcome: started.outcome };
      } catch (error) {
        // Refusals name the problem; the shared mapper turns these into 400 and 409.
        if (error instanceof PromotionRefusedError) {
          const field = `body.${error.field ?? 'to'}`;
          if (error.status === 409) {
            throw new ConflictError(error.message, error.field ? [{ field, message: error.message }] : undefined);
          }
          throw new InvalidRequestError([`${field}: ${error.message}`]);
        }
        throw error;
      }
    },

    async cancel(runId, request) {
      const reason = request.reason ?? 'canceled through the operations API';
      let run = await runs.get(runId);
      if (!run) {
        const entry = await context.state.ledger.get(runId);
        if (!entry || entry.fate === 'duplicate' || entry.fate === 'ignored') throw new RunNotFoundError(runId);
        if (entry.fate === 'coalesced' || entry.fate === 'received') {
          // A queued run: take it out of the model's lane, unless it started meanwhile (then cancel it below).
          const at = now().toISOString();
          const dequeued = await context.state.lanes.transact(entry.model, (lane) =>
            lane.pending?.triggerId === runId
              ? { lane: { ...lane, pending: undefined, folded: [], updatedAt: at }, result: true }
              : { lane: undefined, result: false },
          );
          if (dequeued) {
            await context.state.ledger.setFate(runId, 'canceled', at, { note: reason });
            return { detail: 'taken out of the queue before it started' };
          }
          run = await runs.get(runId);
        }
        if (!run) throw new ConflictError(`Run '${runId}' is ${entry.fate} and not queued; nothing to cancel.`);
      }
      if (TERMINAL_RUN_STATUSES.includes(run.status)) {
        throw new ConflictError(`Run '${runId}' already finished (${run.status}); nothing to cancel.`);
      }
      const info = await orchestrations.info(run.instanceId);
      if (info.state === 'running') await client.terminate(run.instanceId, reason);
      const details: string[] = [
        info.state === 'running' ? `terminated ${run.instanceId}` : 'orchestration not running',
      ];
      const job = run.training;
      if (job?.jobName) {
        try {
          await cancelTraining(context.workspace, job.kind as TrainingSpec['kind'], job.jobName);
          details.push(`Azure ML job ${job.jobName} cancel requested`);
        } catch (err) {
          details.push(`Azure ML job ${job.jobName} not canceled: ${redactText((err as Error).message)}`);
        }
      }
      const at = now().toISOString();
      await runs.update(runId, (r) => ({
        ...r,
        status: 'failed',
        updatedAt: at,
        finishedAt: at,
        failure: { stage: 'cancel', errorType: RUN_CANCELED, message: reason },
      }));
      if (run.kind === 'retrain') {
        // Free the model's lane and start the waiting follow-up, as the end of a run does.
        const { next } = await completeLaneRun(context.state, run.model, runId, at);
        if (next) {
          await ensureStarted(orchestrations, RETRAIN_ORCHESTRATION, run.instanceId, next);
          details.push(`follow-up run ${next.runId} started`);
        }
      }
      return { detail: details.join('; ') };
    },
  };
}
