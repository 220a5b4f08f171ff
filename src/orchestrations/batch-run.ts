/**
 * Batch scoring of one model and date: plan → chunked fan-out → threshold → atomic publish (or abandon).
 *
 * @remarks Deterministic coordination only. The fan-out is split into `batchChunk` sub-orchestrations of at most
 * CHUNK_SIZE mini-batches, so no history grows past a fixed bound; several chunks run at once and share the run's
 * `maxParallel` (chunkSlots), so the whole run never has more than `maxParallel` mini-batches in flight.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';

import { runIdFor } from '../services/batch/layout';
import { CHUNK_SIZE, chunkRanges, chunkSlots, decideThreshold, miniBatchKey } from '../services/batch/planner';
import type {
  BatchRunInput,
  BatchRunOutcome,
  BatchRunStatus,
  ChunkInput,
  ChunkResult,
  MiniBatchFailure,
  MiniBatchResult,
  PlanSummary,
  RunRef,
  ScoreSettings,
} from '../services/batch/types';

export const BatchOrchestrations = {
  run: 'batchRun',
  chunk: 'batchChunk',
} as const;

export const BatchActivities = {
  plan: 'batchPlan',
  scoreMiniBatch: 'batchScoreMiniBatch',
  publish: 'batchPublish',
  abandon: 'batchAbandon',
} as const;

/** Input of the `batchScoreMiniBatch` activity: a reference into the stored plan, not the slices themselves. */
export interface ScoreMiniBatchRef {
  readonly run: RunRef;
  readonly planBlob: string;
  readonly index: number;
  readonly scorer: ChunkInput['scorer'];
  readonly settings: ScoreSettings;
}

export class BatchRunFailedError extends Error {
  override readonly name = 'BatchRunFailedError';
}

/** Short, single-line reason from a failed task (the activity's error name and message). */
export function failureReason(err: unknown): string {
  const e = err as { message?: string; failureDetails?: { errorType?: string; errorMessage?: string } };
  const details = e.failureDetails;
  const text = details?.errorMessage
    ? `${details.errorType ?? 'Error'}: ${details.errorMessage}`
    : (e.message ?? String(err));
  return text.replace(/\s+/g, ' ').slice(0, 500);
}

function retryOptions(maxRetries: number, intervalSeconds: number): df.RetryOptions {
  const options = new df.RetryOptions(intervalSeconds * 1000, maxRetries + 1);
  options.backoffCoefficient = 2;
  options.maxRetryIntervalInMilliseconds = Math.max(intervalSeconds * 1000, 300_000);
  return options;
}

/** Marker in an activity error message: the failure cannot succeed on retry (bad input, 4xx from the model). */
export const PERMANENT_FAILURE_MARKER = '[permanent]';

/** Delay before retry `attempt` (1-based): the interval doubling per attempt, capped at 5 minutes. */
export function retryDelaySeconds(attempt: number, intervalSeconds: number): number {
  return Math.min(intervalSeconds * 2 ** (attempt - 1), Math.max(intervalSeconds, 300));
}

/**
 * Scores mini-batches `[from, to)` of the plan with at most `parallel` in flight (a sliding window over
 * `Task.any`). Retries are its own: a failed attempt waits on a durable timer (the slot stays taken) and runs again
 * up to `maxRetries` times, unless the activity marked the failure permanent — then retrying is pointless.
 */
export function* batchChunkOrchestrator(context: OrchestrationContext): Generator<df.Task, ChunkResult, unknown> {
  const input = context.df.getInput<ChunkInput>();
  const total = input.to - input.from;
  const succeeded: MiniBatchResult[] = [];
  const failed: MiniBatchFailure[] = [];
  const running: { index: number; attempt: number; kind: 'score' | 'wait'; task: df.Task }[] = [];
  let next = input.from;
  let rowsScored = 0;
  const score = (index: number, attempt: number): void => {
    const ref: ScoreMiniBatchRef = {
      run: input.run,
      planBlob: input.planBlob,
      index,
      scorer: input.scorer,
      settings: input.settings,
    };
    running.push({ index, attempt, kind: 'score', task: context.df.callActivity(BatchActivities.scoreMiniBatch, ref) });
  };
  while (next < input.to || running.length > 0) {
    while (running.length < input.parallel && next < input.to) score(next++, 1);
    const winner = (yield context.df.Task.any(running.map((r) => r.task))) as df.Task;
    const position = running.findIndex((r) => r.task === winner);
    const [entry] = running.splice(position < 0 ? 0 : position, 1);
    if (!entry) continue;
    if (entry.kind === 'wait') {
      score(entry.index, entry.attempt);
      continue;
    }
    try {
      const result = (yield entry.task) as MiniBatchResult;
      succeeded.push(result);
      rowsScored += result.rowsOut;
    } catch (err) {
      const reason = failureReason(err);
      if (entry.attempt <= input.maxRetries && !reason.includes(PERMANENT_FAILURE_MARKER)) {
        const delayMs = retryDelaySeconds(entry.attempt, input.retryIntervalSeconds) * 1000;
        const fireAt = new Date(context.df.currentUtcDateTime.getTime() + delayMs);
        running.push({
          index: entry.index,
          attempt: entry.attempt + 1,
          kind: 'wait',
          task: context.df.createTimer(fireAt),
        });
        continue;
      }
      failed.push({ key: miniBatchKey(entry.index), rows: 0, reason: `${reason} (attempts: ${entry.attempt})` });
    }
    context.df.setCustomStatus({ done: succeeded.length, failed: failed.length, total, rowsScored });
  }
  return { from: input.from, to: input.to, succeeded, failed };
}

export function* batchRunOrchestrator(context: OrchestrationContext): Generator<df.Task, BatchRunOutcome, unknown> {
  const input = context.df.getInput<BatchRunInput>();
  const { spec } = input;
  const startedAt = context.df.currentUtcDateTime.toISOString();
  const run: RunRef = {
    model: input.model,
    date: input.date,
    runId: runIdFor(startedAt),
    instanceId: context.df.instanceId,
    container: spec.container,
    inputPrefix: spec.inputPrefix,
    outputPrefix: spec.outputPrefix,
  };
  let status: BatchRunStatus = {
    kind: 'batchScoring',
    model: run.model,
    date: run.date,
    runId: run.runId,
    phase: 'planning',
    batches: { total: 0, done: 0, failed: 0 },
    rowsScored: 0,
    errorThreshold: spec.errorThreshold,
  };
  context.df.setCustomStatus(status);

  const plan = (yield context.df.callActivityWithRetry(BatchActivities.plan, retryOptions(2, 5), {
    run,
    endpoint: input.endpoint,
    deployment: spec.scorer.deployment,
    inputMode: spec.inputMode,
    miniBatchSize: spec.miniBatchSize,
  })) as PlanSummary;

  const base = { model: run.model, date: run.date, runId: run.runId };
  if (plan.miniBatches === 0) {
    status = { ...status, phase: 'skipped', reason: 'no input rows for this date' };
    context.df.setCustomStatus(status);
    return {
      ...base,
      status: 'skipped',
      reason: status.reason,
      rowsIn: 0,
      rowsOut: 0,
      batches: { total: 0, failed: 0 },
      failures: [],
    };
  }

  const scoringStartedAt = context.df.currentUtcDateTime.toISOString();
  status = { ...status, phase: 'scoring', batches: { total: plan.miniBatches, done: 0, failed: 0 } };
  context.df.setCustomStatus(status);

  const settings: ScoreSettings = {
    requestRows: spec.requestRows,
    requestConcurrency: spec.requestConcurrency,
    requestTimeoutMs: spec.requestTimeoutMs,
    outputFormat: spec.outputFormat,
    predictionColumn: spec.predictionColumn,
    modelVersionColumn: spec.modelVersionColumn,
    features: spec.features,
  };
  const ranges = chunkRanges(plan.miniBatches, CHUNK_SIZE);
  const lanes = chunkSlots(spec.maxParallel, ranges.length);
  const freeLanes = lanes.map((_, i) => i);
  const running: { lane: number; chunk: number; task: df.Task }[] = [];
  const succeeded: MiniBatchResult[] = [];
  const failures: MiniBatchFailure[] = [];
  let nextChunk = 0;
  while (nextChunk < ranges.length || running.length > 0) {
    while (freeLanes.length > 0 && nextChunk < ranges.length) {
      const lane = freeLanes.shift() as number;
      const range = ranges[nextChunk] as { from: number; to: number };
      const chunkInput: ChunkInput = {
        run,
        planBlob: plan.planBlob,
        from: range.from,
        to: range.to,
        parallel: lanes[lane] ?? 1,
        maxRetries: spec.maxRetries,
        retryIntervalSeconds: spec.retryIntervalSeconds,
        scorer: plan.scorer,
        settings,
      };
      const task = context.df.callSubOrchestrator(
        BatchOrchestrations.chunk,
        chunkInput,
        `${context.df.instanceId}:${run.runId}:chunk-${nextChunk}`,
      );
      running.push({ lane, chunk: nextChunk, task });
      nextChunk++;
    }
    const winner = (yield context.df.Task.any(running.map((r) => r.task))) as df.Task;
    const position = running.findIndex((r) => r.task === winner);
    const [entry] = running.splice(position < 0 ? 0 : position, 1);
    if (!entry) continue;
    freeLanes.push(entry.lane);
    try {
      const result = (yield entry.task) as ChunkResult;
      succeeded.push(...result.succeeded);
      failures.push(...result.failed);
    } catch (err) {
      // A chunk orchestration itself failed (not a mini-batch): count its mini-batches as failed.
      const range = ranges[entry.chunk] as { from: number; to: number };
      for (let i = range.from; i < range.to; i++) {
        failures.push({ key: miniBatchKey(i), rows: 0, reason: `chunk failed: ${failureReason(err)}` });
      }
    }
    status = {
      ...status,
      batches: { total: plan.miniBatches, done: succeeded.length, failed: failures.length },
      rowsScored: succeeded.reduce((sum, r) => sum + r.rowsOut, 0),
    };
    context.df.setCustomStatus(status);
  }

  const decision = decideThreshold(failures.length, plan.miniBatches, spec.errorThreshold);
  const publishStartedAt = context.df.currentUtcDateTime.toISOString();
  const finalize = {
    run,
    planBlob: plan.planBlob,
    trigger: input.trigger,
    endpoint: input.endpoint,
    deployment: spec.scorer.deployment,
    modelVersions: Object.values(plan.scorer.modelVersions),
    inputFiles: plan.files,
    inputBytes: plan.bytes,
    rowsIn: plan.rows,
    format: spec.outputFormat,
    mode: spec.outputMode,
    succeeded,
    failures,
    errorThreshold: spec.errorThreshold,
    startedAt,
    scoringStartedAt,
    publishStartedAt,
    reason: decision.reason,
  };
  const rowsOut = status.rowsScored;
  if (!decision.publish) {
    const abandoned = (yield context.df.callActivityWithRetry(
      BatchActivities.abandon,
      retryOptions(2, 5),
      finalize,
    )) as {
      failures: MiniBatchFailure[];
    };
    status = { ...status, phase: 'failed', reason: decision.reason };
    context.df.setCustomStatus(status);
    throw new BatchRunFailedError(
      `${run.model} ${run.date}: ${decision.reason}; nothing was published` +
        (abandoned.failures[0]
          ? ` (first failure: ${abandoned.failures[0].key}: ${abandoned.failures[0].reason})`
          : ''),
    );
  }
  status = { ...status, phase: 'publishing' };
  context.df.setCustomStatus(status);
  const published = (yield context.df.callActivityWithRetry(BatchActivities.publish, retryOptions(3, 5), finalize)) as {
    manifestBlob: string;
    prefix: string;
    failures: MiniBatchFailure[];
  };
  status = { ...status, phase: 'published', output: published.prefix };
  context.df.setCustomStatus(status);
  return {
    ...base,
    status: 'published',
    reason: decision.reason,
    output: { container: run.container, prefix: published.prefix, manifest: published.manifestBlob },
    rowsIn: plan.rows,
    rowsOut,
    batches: { total: plan.miniBatches, failed: failures.length },
    failures: published.failures,
  };
}
