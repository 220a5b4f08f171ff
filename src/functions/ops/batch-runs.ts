import type { ContainerClient } from '@azure/storage-blob';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';

import type { AppContext } from '../../app/context';
import { findModel } from '../../catalog';
import { BatchOrchestrations } from '../../orchestrations/batch-run';
import { MANIFEST_NAME, outputPartitionPrefix, stagingPrefix } from '../../services/batch/layout';
import type { BatchRunOutcome, BatchRunStatus, MiniBatchFailure } from '../../services/batch/types';
import { readSmall } from '../../storage/lake';
import { startBatchRun, statusOf } from '../timer/batch-start';
import type { BatchProgress, BatchRunStatusName, BatchRunSummary } from './contract';
import { decodeToken, encodeToken } from './paging';
import { type BackfillStarted, InvalidRequestError, type OperationsService, UnknownModelError } from './service';

/**
 * Batch runs as the operations API shows them. A batch run is the orchestration `batch-<model>-<date>` (one per model
 * and date, src/functions/timer/batch-start.ts); its progress is the orchestration's custom status (`BatchRunStatus`),
 * its result the orchestration's output, and once published its `_manifest.json` in the lake.
 */

const RUN_ID = /^batch-(.+)-(\d{4}-\d{2}-\d{2})$/;

/** `batch-<model>-<date>` → model and date (model names may contain dashes; the date is the last 10 characters). */
export function parseBatchRunId(runId: string): { model: string; date: string } | undefined {
  const m = RUN_ID.exec(runId);
  return m?.[1] && m[2] ? { model: m[1], date: m[2] } : undefined;
}

function customStatusOf(s: DurableOrchestrationStatus): BatchRunStatus | undefined {
  const c = s.customStatus as Partial<BatchRunStatus> | null | undefined;
  return c && typeof c === 'object' && c.kind === 'batchScoring' ? (c as BatchRunStatus) : undefined;
}

function outcomeOf(s: DurableOrchestrationStatus): BatchRunOutcome | undefined {
  const o = s.output as Partial<BatchRunOutcome> | null | undefined;
  return o && typeof o === 'object' && typeof o.status === 'string' ? (o as BatchRunOutcome) : undefined;
}

function statusName(s: DurableOrchestrationStatus, outcome: BatchRunOutcome | undefined): BatchRunStatusName {
  switch (s.runtimeStatus as string) {
    case 'Pending':
      return 'pending';
    case 'Running':
    case 'ContinuedAsNew':
    case 'Suspended':
      return 'running';
    case 'Completed':
      return outcome?.status === 'skipped' ? 'skipped' : outcome?.status === 'failed' ? 'failed' : 'published';
    case 'Terminated':
    case 'Canceled':
      return 'canceled';
    default:
      return 'failed';
  }
}

function iso(value: Date | string | undefined): string {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toISOString();
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

function progressOf(
  s: DurableOrchestrationStatus,
  custom: BatchRunStatus | undefined,
  outcome: BatchRunOutcome | undefined,
): BatchProgress {
  const total = custom?.batches.total ?? outcome?.batches.total ?? 0;
  const failed = custom?.batches.failed ?? outcome?.batches.failed ?? 0;
  const done = custom?.batches.done ?? (outcome ? outcome.batches.total - outcome.batches.failed : 0);
  const scored = custom?.rowsScored ?? outcome?.rowsOut ?? 0;
  const from = custom?.scoringStartedAt ? Date.parse(custom.scoringStartedAt) : NaN;
  const to = new Date(s.lastUpdatedTime).getTime();
  const seconds = (to - from) / 1000;
  return {
    miniBatches: { total, done, failed },
    rows: { scored, ...(outcome ? { total: outcome.rowsIn } : {}) },
    ...(Number.isFinite(seconds) && seconds > 0 && scored > 0 ? { rowsPerSecond: round1(scored / seconds) } : {}),
    percent: total > 0 ? Math.min(100, Math.round(((done + failed) / total) * 1000) / 10) : 0,
  };
}

export function toBatchRunSummary(s: DurableOrchestrationStatus): BatchRunSummary | undefined {
  const parsed = parseBatchRunId(s.instanceId);
  if (!parsed || (s.name && s.name !== BatchOrchestrations.run)) return undefined;
  const custom = customStatusOf(s);
  const outcome = outcomeOf(s);
  const status = statusName(s, outcome);
  const input = s.input as { trigger?: unknown } | null | undefined;
  const reason =
    outcome?.reason ??
    custom?.reason ??
    (status === 'failed' && typeof s.output === 'string' ? s.output : undefined) ??
    (status === 'canceled' && typeof s.output === 'string' ? s.output : undefined);
  return {
    runId: s.instanceId,
    model: custom?.model ?? parsed.model,
    date: custom?.date ?? parsed.date,
    status,
    ...(custom?.phase ? { phase: custom.phase } : {}),
    ...(input && typeof input.trigger === 'string' ? { trigger: input.trigger } : {}),
    ...(custom?.runId ? { attemptId: custom.runId } : {}),
    createdAt: iso(s.createdTime),
    updatedAt: iso(s.lastUpdatedTime),
    progress: progressOf(s, custom, outcome),
    ...(custom ? { errorThreshold: custom.errorThreshold } : {}),
    ...(custom?.output ? { output: custom.output } : {}),
    ...(reason ? { reason } : {}),
  };
}

async function readJson(container: ContainerClient, name: string): Promise<Record<string, unknown> | undefined> {
  try {
    const parsed = JSON.parse((await readSmall(container, name)).toString('utf8')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

function failuresFrom(value: unknown): MiniBatchFailure[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((f: unknown) => {
    const x = f as Partial<MiniBatchFailure> | null;
    return x && typeof x.key === 'string'
      ? [{ key: x.key, rows: typeof x.rows === 'number' ? x.rows : 0, reason: String(x.reason ?? '') }]
      : [];
  });
}

export type BatchRunOperations = Pick<OperationsService, 'listBatchRuns' | 'getBatchRun' | 'backfill'>;

/** Batch runs over the durable client of the invocation and the lake. */
export function batchRunOperations(context: AppContext, client: DurableClient): BatchRunOperations {
  return {
    async listBatchRuns(query) {
      const offset = decodeToken(query.continuationToken);
      const instances = await client.getStatusBy({
        ...(query.from ? { createdTimeFrom: new Date(query.from) } : {}),
        ...(query.to ? { createdTimeTo: new Date(query.to) } : {}),
      });
      const matching = instances
        .flatMap((s) => {
          const run = toBatchRunSummary(s);
          return run ? [run] : [];
        })
        .filter((r) => !query.model || r.model === query.model)
        .filter((r) => !query.status || query.status.includes(r.status))
        // createdTimeTo is inclusive in the Durable API; the ops API's `to` is exclusive like GET ops/runs.
        .filter((r) => !query.to || r.createdAt < new Date(query.to).toISOString())
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.runId.localeCompare(b.runId));
      const page = matching.slice(offset, offset + query.pageSize);
      return {
        runs: page,
        ...(matching.length > offset + query.pageSize
          ? { continuationToken: encodeToken(offset + query.pageSize) }
          : {}),
      };
    },

    async getBatchRun(runId) {
      if (!parseBatchRunId(runId)) return undefined;
      const s = await statusOf(client, runId, { showInput: true });
      const summary = s ? toBatchRunSummary(s) : undefined;
      if (!s || !summary) return undefined;
      const spec = findModel(context.catalog, summary.model)?.batch;
      const outcome = outcomeOf(s);
      let failures = failuresFrom(outcome?.failures);
      let manifest: Record<string, unknown> | undefined;
      let manifestUrl: string | undefined;
      if (spec) {
        const container = context.lakeBlobs.getContainerClient(spec.container);
        if (summary.status === 'published') {
          const name = `${outputPartitionPrefix(spec.outputPrefix, summary.date)}${MANIFEST_NAME}`;
          const found = await readJson(container, name);
          // A later re-run of the date may have replaced the output: show the manifest only if it is this attempt's.
          if (found && (!summary.attemptId || found.runId === summary.attemptId)) {
            manifest = found;
            // Without its query: a client built from a SAS connection string would carry the signature there.
            manifestUrl = container.getBlobClient(name).url.split('?')[0];
            failures = failuresFrom(found.failures);
          }
        } else if (summary.status === 'failed' && summary.attemptId) {
          const ref = { outputPrefix: spec.outputPrefix, date: summary.date, runId: summary.attemptId };
          const abandoned = await readJson(container, `${stagingPrefix(ref)}_FAILED.json`);
          if (abandoned) failures = failuresFrom(abandoned.failures);
        }
      }
      const rowsPerSecond = (manifest?.throughput as { rowsPerSecond?: unknown } | undefined)?.rowsPerSecond;
      const rowsIn = (manifest?.rows as { in?: unknown } | undefined)?.in;
      return {
        ...summary,
        progress: {
          ...summary.progress,
          ...(typeof rowsPerSecond === 'number' ? { rowsPerSecond } : {}),
          rows: { ...summary.progress.rows, ...(typeof rowsIn === 'number' ? { total: rowsIn } : {}) },
        },
        failures,
        ...(manifest ? { manifest, manifestUrl } : {}),
      };
    },

    async backfill(model, dates, options) {
      const entry = findModel(context.catalog, model);
      if (!entry) throw new UnknownModelError(model);
      if (!entry.batch) {
        throw new InvalidRequestError([`path.model: model '${model}' has no batch section in the catalog`]);
      }
      const started: BackfillStarted[] = [];
      for (const date of dates) {
        const result = await startBatchRun(client, entry, date, {
          trigger: `backfill:${options.requestId}`,
          replace: options.replace,
        });
        started.push({ date: result.date, runId: result.instanceId, action: result.action });
      }
      return started;
    },
  };
}
