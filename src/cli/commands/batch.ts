import type { Command } from 'commander';

import { batchRunStatuses } from '../../functions/ops/contract';
import { collectPages, type CommandContext, isoDate, parseSince, positiveInt, watch } from '../context';
import { CliError, ExitCodes } from '../errors';
import { backfillText, batchRunsTable, batchRunText, FINISHED_BATCH_STATUSES } from '../format';

/** `batch-<model>-<YYYY-MM-DD>`: the id of a batch run. */
export function isBatchRunId(runId: string): boolean {
  return /^batch-.+-\d{4}-\d{2}-\d{2}$/.test(runId);
}

/** Shows a batch run once, or with `watch` until it ends (exit code 7 unless it published or had nothing to do). */
export async function watchBatchRun(
  ctx: CommandContext,
  runId: string,
  options: { watch: boolean; intervalMs: number },
): Promise<void> {
  const c = ctx.client();
  if (!options.watch) {
    const run = await c.getBatchRun(runId);
    ctx.print(run, () => batchRunText(run));
    return;
  }
  const last = await watch(ctx, {
    load: () => c.getBatchRun(runId),
    render: (run) => batchRunText(run),
    finished: (run) => FINISHED_BATCH_STATUSES.includes(run.status),
    intervalMs: options.intervalMs,
  });
  if (last.status !== 'published' && last.status !== 'skipped') {
    throw new CliError(`batch run ${runId} ended ${last.status}`, ExitCodes.runUnsuccessful);
  }
}

/** `mlops batch list|show|backfill`. */
export function registerBatchCommands(program: Command, ctx: CommandContext): void {
  const batch = program.command('batch').description('batch scoring runs: list, show (with progress), backfill');

  batch
    .command('list')
    .description('list batch runs with their progress, newest first')
    .option('-m, --model <model>', 'only this model')
    .option('-s, --status <statuses>', `${batchRunStatuses.join(', ')} (comma-separated)`)
    .option('--since <when>', 'created within (24h, 7d) or since an ISO time', (v) => parseSince(v, ctx.now()))
    .option('--until <when>', 'created before an ISO time', (v) => parseSince(v, ctx.now()))
    .option('-n, --limit <n>', 'at most this many runs', positiveInt, 20)
    .action(async (o: { model?: string; status?: string; since?: string; until?: string; limit: number }) => {
      const c = ctx.client();
      const runs = await collectPages(o.limit, async (pageSize, continuationToken) => {
        const page = await c.listBatchRuns({
          ...(o.model ? { model: o.model } : {}),
          ...(o.status ? { status: o.status } : {}),
          ...(o.since ? { from: o.since } : {}),
          ...(o.until ? { to: o.until } : {}),
          pageSize,
          ...(continuationToken ? { continuationToken } : {}),
        });
        return { items: page.runs, ...(page.continuationToken ? { next: page.continuationToken } : {}) };
      });
      ctx.print({ runs }, () => batchRunsTable(runs));
    });

  batch
    .command('show')
    .description('show one batch run: progress, failed mini-batches, manifest')
    .argument('<runId>', 'batch-<model>-<date>')
    .option('-w, --watch', 'redraw the progress bar until the run ends')
    .option('-i, --interval <ms>', 'how often --watch polls', positiveInt, 2000)
    .action(async (runId: string, o: { watch?: boolean; interval: number }) => {
      await watchBatchRun(ctx, runId, { watch: Boolean(o.watch), intervalMs: o.interval });
    });

  batch
    .command('backfill')
    .description("score a date (or a range of dates) again; replaces each date's output atomically")
    .argument('<model>')
    .option('-d, --date <date>', 'one date (YYYY-MM-DD)', isoDate)
    .option('--from <date>', 'first date of a range', isoDate)
    .option('--to <date>', 'last date of the range (default: --from)', isoDate)
    .option('--no-replace', 'leave a running or completed date alone')
    .action(async (model: string, o: { date?: string; from?: string; to?: string; replace: boolean }) => {
      if (!o.date && !o.from) throw new CliError('give --date or --from (with an optional --to)', ExitCodes.usage);
      const result = await ctx.client().backfill(model, {
        ...(o.date ? { date: o.date } : {}),
        ...(o.from ? { from: o.from } : {}),
        ...(o.to ? { to: o.to } : {}),
        replace: o.replace,
      });
      ctx.print(result, () => `${backfillText(result)}\nfollow one with: mlops batch show <runId> --watch`);
    });
}
