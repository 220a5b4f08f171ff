import type { Command } from 'commander';

import { listedRunStatuses, runKinds, triggerFates } from '../../functions/ops/contract';
import type { ListRunsFilter } from '../client';
import { collectPages, type CommandContext, parseSince, positiveInt, watch } from '../context';
import { CliError, ExitCodes } from '../errors';
import { FINISHED_RUN_STATUSES, runsTable, runTimeline, triggersTable } from '../format';
import { isBatchRunId, watchBatchRun } from './batch';

/** Run statuses `run --watch` ends on without a failure exit code. */
const GOOD_ENDINGS = ['succeeded'];

/** `mlops runs`, `mlops run <runId> [--watch]`, `mlops triggers`. */
export function registerRunCommands(program: Command, ctx: CommandContext): void {
  program
    .command('runs')
    .description('list retrain and rollback runs, newest first (batch runs: mlops batch list)')
    .option('-m, --model <model>', 'only this model')
    .option('-k, --kind <kinds>', `${runKinds.join(', ')} (comma-separated)`)
    .option('-s, --status <statuses>', `${listedRunStatuses.join(', ')} (comma-separated)`)
    .option('--since <when>', 'created within (24h, 7d) or since an ISO time', (v) => parseSince(v, ctx.now()))
    .option('--until <when>', 'created before an ISO time', (v) => parseSince(v, ctx.now()))
    .option('-n, --limit <n>', 'at most this many runs', positiveInt, 20)
    .action(
      async (o: { model?: string; kind?: string; status?: string; since?: string; until?: string; limit: number }) => {
        const c = ctx.client();
        const filter: ListRunsFilter = {
          ...(o.model ? { model: o.model } : {}),
          ...(o.kind ? { kind: o.kind } : {}),
          ...(o.status ? { status: o.status } : {}),
          ...(o.since ? { from: o.since } : {}),
          ...(o.until ? { to: o.until } : {}),
        };
        const runs = await collectPages(o.limit, async (pageSize, continuationToken) => {
          const page = await c.listRuns({ ...filter, pageSize, ...(continuationToken ? { continuationToken } : {}) });
          return { items: page.runs, ...(page.continuationToken ? { next: page.continuationToken } : {}) };
        });
        ctx.print({ runs }, () => runsTable(runs));
      },
    );

  program
    .command('triggers')
    .description('list triggers and their fate (started, coalesced, superseded, duplicate, ...), newest first')
    .option('-m, --model <model>', 'only this model')
    .option('-f, --fate <fates>', `${triggerFates.join(', ')} (comma-separated)`)
    .option('--since <when>', 'received within (24h, 7d) or since an ISO time', (v) => parseSince(v, ctx.now()))
    .option('-n, --limit <n>', 'at most this many triggers', positiveInt, 20)
    .action(async (o: { model?: string; fate?: string; since?: string; limit: number }) => {
      const c = ctx.client();
      const triggers = await collectPages(o.limit, async (pageSize, continuationToken) => {
        const page = await c.listTriggers({
          ...(o.model ? { model: o.model } : {}),
          ...(o.fate ? { fate: o.fate } : {}),
          ...(o.since ? { from: o.since } : {}),
          pageSize,
          ...(continuationToken ? { continuationToken } : {}),
        });
        return { items: page.triggers, ...(page.continuationToken ? { next: page.continuationToken } : {}) };
      });
      ctx.print({ triggers }, () => triggersTable(triggers));
    });

  program
    .command('run')
    .description('show one run: its stages as a timeline, gate metrics vs the champion, lineage, failure report')
    .argument('<runId>', 'a run id (or a batch run id, batch-<model>-<date>)')
    .option('-w, --watch', 'redraw until the run ends (batch runs: with a progress bar)')
    .option('-i, --interval <ms>', 'how often --watch polls', positiveInt, 2000)
    .action(async (runId: string, o: { watch?: boolean; interval: number }) => {
      if (isBatchRunId(runId)) {
        await watchBatchRun(ctx, runId, { watch: Boolean(o.watch), intervalMs: o.interval });
        return;
      }
      const c = ctx.client();
      if (!o.watch) {
        const run = await c.getRun(runId);
        ctx.print(run, () => runTimeline(run, ctx.now()));
        return;
      }
      const last = await watch(ctx, {
        load: () => c.getRun(runId),
        render: (run) => runTimeline(run, ctx.now()),
        finished: (run) => FINISHED_RUN_STATUSES.includes(run.status),
        intervalMs: o.interval,
      });
      if (!GOOD_ENDINGS.includes(last.status)) {
        throw new CliError(`run ${runId} ended ${last.status}`, ExitCodes.runUnsuccessful);
      }
    });
}
