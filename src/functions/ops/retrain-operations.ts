import type { DurableClient } from 'durable-functions';

import type { AppContext } from '../../app/context';
import { cancelTraining } from '../../azureml/training';
import type { TrainingSpec } from '../../catalog';
import { redactText } from '../../security';
import { TERMINAL_RUN_STATUSES, type RunFilter, type RunRecord } from '../../state/runs';
import { decideRetrainApproval, startRetrainRollback } from '../../triggers/operations';
import { durableOrchestrationClient, ensureStarted } from '../../triggers/orchestration-client';
import { completeLaneRun, RETRAIN_ORCHESTRATION, type SubmitDeps } from '../../triggers/submit';
import { retrainSubmitter } from '../webhooks/submitter';
import type { ListRunsQuery, RunDetail, RunPage, RunStatus } from './contract';
import { ConflictError, InvalidRequestError, type OperationsService, RunNotFoundError } from './service';

/** `failure.errorType` of a run ended through the cancel operation (the run records have no `canceled` status). */
export const RUN_CANCELED = 'RunCanceled';

/** Most records one listing scans when it must filter after reading (several kinds/statuses at once). */
const MAX_SCAN = 2000;

export function toRunDetail(run: RunRecord): RunDetail {
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
      ...(git
        ? {
            git: {
              repository: git.repository,
              ...(git.provider ? { provider: git.provider } : {}),
              ...(git.sha ? { sha: git.sha } : {}),
              ...(git.branch ? { ref: git.branch } : {}),
              ...(git.ciRun ? { ciRunUrl: git.ciRun } : {}),
            },
          }
        : {}),
    },
    ...(run.training?.jobName ? { azureMlJob: run.training.jobName } : {}),
    ...(run.registered?.version ? { modelVersion: run.registered.version } : {}),
    stages: run.stages.map((s) => ({
      name: s.name,
      status: s.status === 'started' ? 'running' : s.status,
      startedAt: s.startedAt,
      ...(s.finishedAt ? { endedAt: s.finishedAt } : {}),
      ...(s.detail ? { detail: s.detail } : {}),
    })),
    ...(run.failure ? { error: `${run.failure.stage}: ${run.failure.errorType}: ${run.failure.message}` } : {}),
  };
}

function decodeToken(token: string | undefined): number {
  if (!token) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through
  }
  throw new InvalidRequestError(['query.continuationToken: not a token this API issued']);
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset }), 'utf8').toString('base64url');
}

/**
 * The operations API over the retrain flow: run records, the trigger submit path, the approval and rollback
 * operations of src/triggers, and the durable client of the invocation (terminate).
 */
export function retrainOperations(
  context: AppContext,
  client: DurableClient,
  now: () => Date = () => new Date(),
): OperationsService {
  const orchestrations = durableOrchestrationClient(client);
  const submitDeps: SubmitDeps = {
    catalog: context.catalog,
    state: context.state,
    telemetry: context.telemetry,
    orchestrations,
  };
  const { runs } = context.state;

  return {
    modelNames: () => context.catalog.models.map((m) => m.name),
    submit: retrainSubmitter(submitDeps),

    async listRuns(query: ListRunsQuery): Promise<RunPage> {
      const offset = decodeToken(query.continuationToken);
      const kinds = query.kind;
      const statuses = query.status;
      const storeStatus =
        statuses?.length === 1 && statuses[0] !== 'canceled'
          ? (statuses[0] as Exclude<RunStatus, 'canceled'>)
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
        .map(toRunDetail)
        .filter((r) => !kinds || kinds.includes(r.kind))
        .filter((r) => !statuses || statuses.includes(r.status));
      const page = matching.slice(offset, offset + query.pageSize);
      const more = matching.length > offset + query.pageSize;
      return {
        runs: page.map(({ stages: _stages, error: _error, ...summary }) => summary),
        ...(more ? { continuationToken: encodeToken(offset + query.pageSize) } : {}),
      };
    },

    async getRun(runId: string): Promise<RunDetail | undefined> {
      const run = await runs.get(runId);
      return run ? toRunDetail(run) : undefined;
    },

    async decideApproval(runId, decision) {
      await decideRetrainApproval({ state: context.state, orchestrations }, runId, {
        approved: decision.approved,
        ...(decision.decidedBy ? { by: decision.decidedBy } : {}),
        ...(decision.comment ? { comment: decision.comment } : {}),
      });
    },

    async rollback(model, request) {
      const started = await startRetrainRollback({ orchestrations }, model, {
        ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
      });
      return { runId: started.runId };
    },

    async cancel(runId, request) {
      const run = await runs.get(runId);
      if (!run) throw new RunNotFoundError(runId);
      if (TERMINAL_RUN_STATUSES.includes(run.status)) {
        throw new ConflictError(`Run '${runId}' already finished (${run.status}); nothing to cancel.`);
      }
      const reason = request.reason ?? 'canceled through the operations API';
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
