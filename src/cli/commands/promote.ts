import type { Command } from 'commander';

import type { CommandContext } from '../context';

/** `mlops promote`: the version live in a stage goes to the next stage (through that stage's approval and release). */
export function registerPromoteCommand(program: Command, ctx: CommandContext): void {
  program
    .command('promote')
    .description('promote the version live in a stage to the next stage (after its approval and release checks)')
    .argument('<model>')
    .requiredOption('-t, --to <stage>', 'target stage (the one after the stage the version is live in)')
    .option('-v, --version <version>', 'version to promote; must be the one live in the source stage')
    .action(async (model: string, o: { to: string; version?: string }) => {
      const result = await ctx.client().promote(model, { to: o.to, ...(o.version ? { version: o.version } : {}) });
      ctx.print(result, () => `promotion of ${model} to ${o.to}: ${result.runId}\n${result.statusUrl}`);
    });
}
