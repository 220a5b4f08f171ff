import type { Command } from 'commander';

import { collectParam, type CommandContext } from '../context';

/** `mlops retrain|approve|reject|rollback|cancel`: the operations that change something. */
export function registerActionCommands(program: Command, ctx: CommandContext): void {
  program
    .command('retrain')
    .description('retrain a model now (coalesces with a run in flight)')
    .argument('<model>')
    .option('-p, --param <key=value>', 'training parameter override (repeatable)', collectParam, {})
    .option('-r, --reason <text>', 'why, recorded with the trigger')
    .option('--request-id <id>', 'idempotency key: repeating it never starts a second run')
    .action(
      async (
        model: string,
        o: { param: Record<string, string | number | boolean>; reason?: string; requestId?: string },
      ) => {
        const result = await ctx.client().retrain(model, {
          ...(Object.keys(o.param).length ? { parameters: o.param } : {}),
          ...(o.reason ? { reason: o.reason } : {}),
          ...(o.requestId ? { requestId: o.requestId } : {}),
        });
        ctx.print(
          result,
          () => `${result.outcome} ${result.runId} (instance ${result.instanceId})\n${result.statusUrl}`,
        );
      },
    );

  for (const approve of [true, false]) {
    program
      .command(approve ? 'approve' : 'reject')
      .description(`${approve ? 'approve' : 'reject'} the deployment of a run waiting for approval`)
      .argument('<runId>')
      .option('-c, --comment <text>', 'recorded with the decision')
      .option('--by <name>', 'who decides')
      .action(async (runId: string, o: { comment?: string; by?: string }) => {
        const result = await ctx.client().decide(runId, approve, {
          ...(o.comment ? { comment: o.comment } : {}),
          ...(o.by ? { decidedBy: o.by } : {}),
        });
        ctx.print(result, () => `${approve ? 'approved' : 'rejected'} ${result.runId}\n${result.statusUrl}`);
      });
  }

  program
    .command('rollback')
    .description("put the previous model version back on the model's endpoint")
    .argument('<model>')
    .option('-r, --reason <text>', 'why, recorded with the rollback')
    .option('-d, --deployment <name>', 'the deployment to put back (default: the previous version)')
    .option('-s, --stage <stage>', "promotion stage whose endpoint is rolled back (default: the model's own)")
    .action(async (model: string, o: { reason?: string; deployment?: string; stage?: string }) => {
      const result = await ctx.client().rollback(model, {
        ...(o.reason ? { reason: o.reason } : {}),
        ...(o.deployment ? { deployment: o.deployment } : {}),
        ...(o.stage ? { stage: o.stage } : {}),
      });
      ctx.print(result, () => `rollback started ${result.runId}\n${result.statusUrl}`);
    });

  program
    .command('cancel')
    .description('terminate a run and cancel its Azure ML job')
    .argument('<runId>')
    .option('-r, --reason <text>', 'why')
    .action(async (runId: string, o: { reason?: string }) => {
      const result = await ctx.client().cancel(runId, o.reason);
      ctx.print(result, () => `canceled ${result.runId}${result.detail ? ` (${result.detail})` : ''}`);
    });
}
