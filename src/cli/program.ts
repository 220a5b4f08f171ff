import { Command, CommanderError, Option } from 'commander';

import { registerActionCommands } from './commands/actions';
import { registerBatchCommands } from './commands/batch';
import { registerModelCommands } from './commands/models';
import { registerPromoteCommand } from './commands/promote';
import { registerRunCommands } from './commands/runs';
import { type CliIo, commandContext, DEFAULT_URL, positiveInt } from './context';
import { registerDashboardCommand } from './dashboard/command';
import { CliError, type ExitCode, ExitCodes } from './errors';

export { type CliIo, DEFAULT_URL, LOCAL_FUNCTION_KEY, parseSince } from './context';

/**
 * Builds the `mlops` command; `run` parses argv and resolves to the exit code. Each command group registers itself
 * (src/cli/commands/*), so adding one is one line here.
 */
export function createProgram(io: CliIo): { program: Command; run: (argv: readonly string[]) => Promise<ExitCode> } {
  const program = new Command('mlops')
    .description('Operate the MLOps orchestrator: runs, retrains, approvals, rollbacks, models, endpoints, batch runs.')
    .addOption(new Option('--url <url>', `function app URL (env MLOPS_URL; default ${DEFAULT_URL})`))
    .addOption(new Option('--key <key>', 'function key (env MLOPS_KEY; local default: the dev host key)'))
    .option('--timeout <ms>', 'request timeout in ms', positiveInt, 30000)
    .option('--json', 'print the raw JSON answer (with --watch: one JSON line per change)')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) });
  const ctx = commandContext(program, io);

  registerRunCommands(program, ctx);
  registerActionCommands(program, ctx);
  registerPromoteCommand(program, ctx);
  registerModelCommands(program, ctx);
  registerBatchCommands(program, ctx);
  registerDashboardCommand(program, ctx);

  const run = async (argv: readonly string[]): Promise<ExitCode> => {
    try {
      await program.parseAsync([...argv], { from: 'user' });
      return ExitCodes.ok;
    } catch (err) {
      if (err instanceof CommanderError) {
        if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) {
          return ExitCodes.ok;
        }
        return ExitCodes.usage;
      }
      if (err instanceof CliError) {
        io.err(`mlops: ${err.message}`);
        return err.exitCode;
      }
      io.err(`mlops: unexpected error: ${(err as Error).message}`);
      return ExitCodes.failure;
    }
  };
  return { program, run };
}
