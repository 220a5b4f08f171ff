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
import { CHUNK_SIZE, chunkRanges, chunkSlots, miniBatchKey } from '../services/batch/planner';
import { decideThreshold, describeThreshold, type ThresholdDecision } from '../services/batch/threshold';
import type {
  BatchJobPlan,
  BatchRunInput,
  FailureTally,
  BatchRunOutcome,
  BatchRunStatus,
  ChunkInput,
  ChunkRecordInput,
  ChunkResult,
  CollectJobOutput,
  MiniBatchFailure,
  MiniBatchResult,
  PlanSummary,
  RunRef,
  ScoreSettings,
} from '../services/batch/types';
import { type RunStatusEvent, RetrainEvents } from '../services/retrain/contracts';
import { nextPoll } from '../services/retrain/polling';
import { failureSummary } from '../services/task-failure';
import { cancelIfPending, EventWaiters } from './run-events';

export const BatchOrchestrations = {
  run: 'batchRun',
  chunk: 'batchChunk',
} as const;

export const BatchActivities = {
  plan: 'batchPlan',
  scoreMiniBatch: 'batchScoreMiniBatch',
  recordChunk: 'batchRecordChunk',
  tally: 'batchTally',
  invokeJob: 'batchInvokeJob',
  checkJob: 'batchCheckJob',
  cancelJob: 'batchCancelJob',
  collectJob: 'batchCollectJob',
  writeTable: 'batchWriteTable',
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

/** Short, single-line reason from a failed task: the activity's error type and message (task-failure.ts). */
export function failureReason(err: unknown): string {
  return failureSummary(err);
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

type Settled = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/**
 * Waits for every task of a wave and reports each outcome; never throws.
 *
 * @remarks v3-safe: the tasks go into one new `Task.all` and are never put into another compound (the extension
 * schedules every child of a new compound again, durable-js issue #574). `Task.all` fails fast on the first failure;
 * the others are then awaited one by one, which schedules nothing new (an already-scheduled task yielded alone adds
 * no action), and the extension's own `WhenAll` completes only when all of them have.
 */
function* settleAll(context: OrchestrationContext, tasks: df.Task[]): Generator<df.Task, Settled[], unknown> {
  try {
    const values = (yield context.df.Task.all(tasks)) as unknown[];
    return values.map((value) => ({ ok: true, value }));
  } catch {
    const settled: Settled[] = [];
    for (const task of tasks) {
      try {
        settled.push({ ok: true, value: yield task });
      } catch (error) {
        settled.push({ ok: false, error });
      }
    }
    return settled;
  }
}

/**
 * Scores mini-batches `[from, to)` of the plan in waves of at most `parallel` (one `Task.all` each, see
 * {@link settleAll}). Retries are its own: a failed attempt is queued again to run no earlier than its backoff
 * (`retryDelaySeconds`), up to `maxRetries` times, unless the activity marked the failure permanent — then retrying
 * is pointless. A waiting retry holds no slot: later waves take due retries first, then fresh mini-batches, and only
 * when nothing else is left does the chunk sleep on a durable timer until the next retry is due.
 */
export function* batchChunkOrchestrator(context: OrchestrationContext): Generator<df.Task, ChunkResult, unknown> {
  const input = context.df.getInput<ChunkInput>();
  const total = input.to - input.from;
  const parallel = Math.max(1, input.parallel);
  const succeeded: MiniBatchResult[] = [];
  const failed: MiniBatchFailure[] = [];
  /** Failed attempts waiting for their retry, ordered by due time (then index). */
  const retries: { index: number; attempt: number; dueAt: number }[] = [];
  let next = input.from;
  let rowsScored = 0;
  const score = (index: number): df.Task => {
    const ref: ScoreMiniBatchRef = {
      run: input.run,
      planBlob: input.planBlob,
      index,
      scorer: input.scorer,
      settings: input.settings,
    };
    return context.df.callActivity(BatchActivities.scoreMiniBatch, ref);
  };
  while (next < input.to || retries.length > 0) {
    const now = context.df.currentUtcDateTime.getTime();
    const wave: { index: number; attempt: number }[] = [];
    for (let due = retries[0]; due && due.dueAt <= now && wave.length < parallel; due = retries[0]) {
      wave.push(due);
      retries.shift();
    }
    while (wave.length < parallel && next < input.to) wave.push({ index: next++, attempt: 1 });
    if (wave.length === 0) {
      // Only retries are left, none due yet: sleep until the first one is (a fresh timer, yielded alone).
      yield context.df.createTimer(new Date((retries[0] as { dueAt: number }).dueAt));
      continue;
    }
    const outcomes = yield* settleAll(
      context,
      wave.map((w) => score(w.index)),
    );
    const settledAt = context.df.currentUtcDateTime.getTime();
    wave.forEach((entry, i) => {
      const outcome = outcomes[i] as Settled;
      if (outcome.ok) {
        const result = outcome.value as MiniBatchResult;
        succeeded.push(result);
        rowsScored += result.rowsOut;
        return;
      }
      const reason = failureReason(outcome.error);
      if (entry.attempt <= input.maxRetries && !reason.includes(PERMANENT_FAILURE_MARKER)) {
        const dueAt = settledAt + retryDelaySeconds(entry.attempt, input.retryIntervalSeconds) * 1000;
        const retry = { index: entry.index, attempt: entry.attempt + 1, dueAt };
        const at = retries.findIndex((r) => r.dueAt > dueAt || (r.dueAt === dueAt && r.index > entry.index));
        retries.splice(at < 0 ? retries.length : at, 0, retry);
        return;
      }
      failed.push({ key: miniBatchKey(entry.index), rows: 0, reason: `${reason} (attempts: ${entry.attempt})` });
    });
    context.df.setCustomStatus({ done: succeeded.length, failed: failed.length, total, rowsScored });
  }
  const summary = { from: input.from, to: input.to, scored: succeeded.length, rowsOut: rowsScored, failed };
  if (succeeded.length === 0) return summary;
  const record: ChunkRecordInput = { run: input.run, from: input.from, succeeded };
  const blob = (yield context.df.callActivityWithRetry(
    BatchActivities.recordChunk,
    retryOptions(3, 5),
    record,
  )) as string;
  return { ...summary, record: blob };
}

/**
 * Scored mini-batches reach publish only through chunk records (`records`, see ChunkResult): the online path's one
 * per chunk, a batch endpoint job's one for its part. `scored` and `rowsOut` count them.
 */
interface ScoringOutcome {
  readonly records: string[];
  readonly scored: number;
  readonly rowsOut: number;
  readonly tally: FailureTally;
  /** Set when the scoring itself failed as a whole (a batch endpoint job that failed or timed out). */
  readonly failed?: string;
  readonly job?: string;
}

/** Scores the plan through the online endpoint: chunk sub-orchestrations in waves, then the failures tallied. */
function* scoreThroughOnlineEndpoint(
  context: OrchestrationContext,
  run: RunRef,
  plan: PlanSummary,
  spec: BatchRunInput['spec'],
  settings: ScoreSettings,
  progress: (done: number, failed: number, rowsScored: number) => void,
): Generator<df.Task, ScoringOutcome, unknown> {
  // Chunks run in waves: each wave is one Task.all of up to `lanes.length` chunk sub-orchestrations, chunk i of a
  // wave getting lanes[i] of the run's maxParallel slots, so the run never has more than maxParallel mini-batches
  // in flight (see settleAll for why not a sliding window).
  const ranges = chunkRanges(plan.miniBatches, CHUNK_SIZE);
  const lanes = chunkSlots(spec.maxParallel, ranges.length);
  const records: string[] = [];
  const failures: MiniBatchFailure[] = [];
  let scored = 0;
  let rowsScored = 0;
  for (let first = 0; first < ranges.length; first += lanes.length) {
    const wave = ranges.slice(first, first + lanes.length);
    const tasks = wave.map((range, lane) => {
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
      return context.df.callSubOrchestrator(
        BatchOrchestrations.chunk,
        chunkInput,
        `${context.df.instanceId}:${run.runId}:chunk-${first + lane}`,
      );
    });
    const outcomes = yield* settleAll(context, tasks);
    wave.forEach((range, i) => {
      const outcome = outcomes[i] as Settled;
      if (outcome.ok) {
        const result = outcome.value as ChunkResult;
        if (result.record) records.push(result.record);
        failures.push(...result.failed);
        scored += result.scored;
        rowsScored += result.rowsOut;
        return;
      }
      // A chunk orchestration itself failed (not a mini-batch): count its mini-batches as failed.
      for (let j = range.from; j < range.to; j++) {
        failures.push({ key: miniBatchKey(j), rows: 0, reason: `chunk failed: ${failureReason(outcome.error)}` });
      }
    });
    progress(scored, failures.length, rowsScored);
  }
  const tally = (yield context.df.callActivityWithRetry(BatchActivities.tally, retryOptions(2, 5), {
    run,
    planBlob: plan.planBlob,
    failures,
  })) as FailureTally;
  return { records, scored, rowsOut: rowsScored, tally };
}

/**
 * Scores the plan with one Azure ML batch endpoint job: invoke (idempotent per run), wait event-first with durable
 * timer polls as fallback (the retrain path's machinery: `azuremlRunEvents` raises AzureMlRunStatus on this
 * instance, {@link EventWaiters}, `nextPoll`), then read the job's output into the run's staged part.
 */
function* scoreThroughBatchEndpoint(
  context: OrchestrationContext,
  run: RunRef,
  plan: PlanSummary & { batchJob: BatchJobPlan },
  spec: BatchRunInput['spec'],
  settings: ScoreSettings,
  jobStatus: (name: string, status: string) => void,
): Generator<df.Task, ScoringOutcome, unknown> {
  const scorer = spec.scorer;
  if (scorer.kind !== 'batchEndpoint') throw new TypeError('not a batch endpoint scorer');
  const { batchJob } = plan;
  const whole: FailureTally = {
    failed: { records: plan.rows, files: plan.files, miniBatches: plan.miniBatches },
    total: { records: plan.rows, files: plan.files, miniBatches: plan.miniBatches },
    failures: [],
  };
  const { jobName } = (yield context.df.callActivityWithRetry(BatchActivities.invokeJob, retryOptions(3, 10), {
    run,
    batchJob,
  })) as { jobName: string };
  const ref = { run, batchJob, jobName };
  jobStatus(jobName, 'NotStarted');
  const deadline = new Date(context.df.currentUtcDateTime.getTime() + scorer.timeoutMinutes * 60_000);
  const events = new EventWaiters(context, RetrainEvents.runStatus);
  let last = 'NotStarted';
  for (let attempt = 0; ; attempt++) {
    const current = (yield context.df.callActivityWithRetry(BatchActivities.checkJob, retryOptions(3, 5), ref)) as {
      status: string;
      phase: string;
      error?: string;
    };
    if (current.status !== last) jobStatus(jobName, (last = current.status));
    if (current.phase === 'completed') break;
    if (current.phase !== 'running') {
      const reason = `batch endpoint job ${jobName} ${current.status}${current.error ? `: ${current.error}` : ''}`;
      return {
        records: [],
        scored: 0,
        rowsOut: 0,
        tally: { ...whole, failures: [{ key: jobName, rows: plan.rows, reason }] },
        failed: reason,
        job: jobName,
      };
    }
    const now = context.df.currentUtcDateTime;
    if (now.getTime() >= deadline.getTime()) {
      try {
        yield context.df.callActivity(BatchActivities.cancelJob, ref);
      } catch {
        // the run fails anyway; the job's own timeout ends it
      }
      const reason = `batch endpoint job ${jobName} did not finish within ${scorer.timeoutMinutes} min (last status ${current.status})`;
      return {
        records: [],
        scored: 0,
        rowsOut: 0,
        tally: { ...whole, failures: [{ key: jobName, rows: plan.rows, reason }] },
        failed: reason,
        job: jobName,
      };
    }
    let received = events.take();
    if (received.length === 0) {
      const timer = context.df.createTimer(nextPoll(now, attempt, scorer.polling, deadline).at);
      const winner = (yield context.df.Task.any([events.next(), timer])) as df.Task;
      if (winner === timer) continue;
      cancelIfPending(timer);
      received = events.take();
    }
    // Only other jobs' events: not a poll, keep the backoff.
    if (received.every((e) => (e as RunStatusEvent | undefined)?.jobName !== jobName)) attempt--;
  }
  const collected = (yield context.df.callActivityWithRetry(BatchActivities.collectJob, retryOptions(3, 5), {
    ...ref,
    planBlob: plan.planBlob,
    settings,
  })) as CollectJobOutput;
  return {
    records: collected.record ? [collected.record] : [],
    scored: collected.scored,
    rowsOut: collected.rowsOut,
    tally: collected.tally,
    job: jobName,
  };
}

export function* batchRunOrchestrator(context: OrchestrationContext): Generator<df.Task, BatchRunOutcome, unknown> {
  const input = context.df.getInput<BatchRunInput>();
  const { spec } = input;
  const startedAt = context.df.currentUtcDateTime.toISOString();
  const threshold = describeThreshold(spec.errorThreshold);
  const run: RunRef = {
    model: input.model,
    date: input.date,
    runId: runIdFor(startedAt),
    instanceId: context.df.instanceId,
    container: spec.container,
    inputPrefix: spec.inputPrefix ?? '',
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
    errorThreshold: threshold.limit,
    errorThresholdUnit: threshold.unit,
    scorer: spec.scorer.kind,
  };
  context.df.setCustomStatus(status);

  const plan = (yield context.df.callActivityWithRetry(BatchActivities.plan, retryOptions(2, 5), {
    run,
    endpoint: input.endpoint,
    deployment: spec.scorer.deployment,
    inputMode: spec.inputMode,
    miniBatchSize: spec.miniBatchSize,
    input: spec.input,
    scorer: spec.scorer,
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
  status = {
    ...status,
    phase: 'scoring',
    scoringStartedAt,
    batches: { total: plan.miniBatches, done: 0, failed: 0 },
  };
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
  const scored: ScoringOutcome = plan.batchJob
    ? yield* scoreThroughBatchEndpoint(
        context,
        run,
        { ...plan, batchJob: plan.batchJob },
        spec,
        settings,
        (name, s) => {
          status = { ...status, job: { name, status: s } };
          context.df.setCustomStatus(status);
        },
      )
    : yield* scoreThroughOnlineEndpoint(context, run, plan, spec, settings, (done, failed, rowsScored) => {
        status = { ...status, batches: { total: plan.miniBatches, done, failed }, rowsScored };
        context.df.setCustomStatus(status);
      });
  const { tally, rowsOut } = scored;
  status = {
    ...status,
    batches: {
      total: plan.miniBatches,
      done: plan.miniBatches - tally.failed.miniBatches,
      failed: tally.failed.miniBatches,
    },
    rowsScored: rowsOut,
  };

  const decision: ThresholdDecision = scored.failed
    ? { publish: false, reason: scored.failed }
    : decideThreshold(tally.failed, tally.total, spec.errorThreshold);
  const publishStartedAt = context.df.currentUtcDateTime.toISOString();
  const finalize = {
    run,
    planBlob: plan.planBlob,
    trigger: input.trigger,
    scorerKind: spec.scorer.kind,
    job: scored.job,
    input: plan.input,
    tally,
    endpoint: input.endpoint,
    deployment: plan.batchJob?.deployment ?? spec.scorer.deployment,
    modelVersions: Object.values(plan.scorer.modelVersions),
    inputFiles: plan.files,
    inputBytes: plan.bytes,
    rowsIn: plan.rows,
    format: spec.outputFormat,
    mode: spec.outputMode,
    chunkRecords: scored.records,
    scored: scored.scored,
    failures: tally.failures,
    errorThreshold: threshold,
    startedAt,
    scoringStartedAt,
    publishStartedAt,
    reason: decision.reason,
  };
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
  if (spec.table) {
    // The day's rows in the table are replaced in one transaction, after the threshold passed and before the lake
    // commit: a table that cannot be written fails the run before anything new is published.
    yield context.df.callActivityWithRetry(BatchActivities.writeTable, retryOptions(3, 10), {
      run,
      table: spec.table,
      chunkRecords: scored.records,
      format: spec.outputFormat,
      predictionColumn: spec.predictionColumn,
    });
  }
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
    batches: { total: plan.miniBatches, failed: tally.failed.miniBatches },
    failures: published.failures,
  };
}
