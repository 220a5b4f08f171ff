import fs from 'node:fs';

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import { type CliEnvironment, DEFAULT_OPS_URL, resolveOpsTarget } from '../config/cli';
import {
  listedRunStatuses,
  runKinds,
  type RunSummary,
  triggerFates,
  type TriggerView,
} from '../functions/ops/contract';
import { type ListRunsFilter, OpsClient } from './client';
import { type DashboardCommandDeps, registerDashboardCommand } from './dashboard/command';
import { CliError, type ExitCode, ExitCodes } from './errors';
import { deploymentLogsText, runsTable, runTimeline, scoreText, triggersTable } from './format';

/** Where the CLI writes and what it knows about its environment; tests pass their own. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: CliEnvironment;
  /** Directory searched for local.settings.json (the dev host's function key). */
  readonly cwd: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
  /** `mlops dashboard`: how it waits to stop and opens the page (tests pass their own). */
  readonly dashboard?: Pick<DashboardCommandDeps, 'untilStopped' | 'open' | 'assetsDir'>;
}

/** `24h`, `30m`, `7d` → ISO time that long before now; ISO input passes through. */
export function parseSince(value: string, now: Date): string {
  const rel = /^(\d+)([smhd])$/.exec(value.trim());
  if (rel) {
    const unit = { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[rel[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(rel[1]) * unit).toISOString();
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('use a duration like 24h/30m/7d or an ISO time');
  return d.toISOString();
}

/** `key=value` → parameter; numbers and booleans are typed. */
function collectParam(value: string, previous: Record<string, string | number | boolean>) {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('use key=value');
  const key = value.slice(0, eq);
  const raw = value.slice(eq + 1);
  const typed =
    raw === 'true' ? true : raw === 'false' ? false : raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
  return { ...previous, [key]: typed };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** Builds the `mlops` command; `run` parses argv and resolves to the exit code. */
export function createProgram(io: CliIo): { program: Command; run: (argv: readonly string[]) => Promise<ExitCode> } {
  const now = io.now ?? (() => new Date());
  const program = new Command('mlops')
    .description('Operate the MLOps orchestrator: runs, retrains, approvals, rollbacks.')
    .addOption(new Option('--url <url>', `function app URL (env MLOPS_URL; default ${DEFAULT_OPS_URL})`))
    .addOption(new Option('--key <key>', 'function key (env MLOPS_KEY; local default: the dev host key)'))
    .option('--timeout <ms>', 'request timeout in ms', positiveInt, 30000)
    .option('--json', 'print the raw JSON answer')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) });

  const client = (): OpsClient => {
    const opts = program.opts<{ url?: string; key?: string; timeout: number }>();
    const { url, key } = resolveOpsTarget(opts, io.env, io.cwd);
    return new OpsClient({ url, key, timeoutInMs: opts.timeout, ...(io.fetch ? { fetch: io.fetch } : {}) });
  };
  const json = (): boolean => Boolean(program.opts<{ json?: boolean }>().json);
  const print = (value: unknown, text: () => string): void => io.out(json() ? JSON.stringify(value, null, 2) : text());

  program
    .command('runs')
    .description('list runs, newest first')
    .option('-m, --model <model>', 'only this model')
    .option('-k, --kind <kinds>', `${runKinds.join(', ')} (comma-separated)`)
    .option('-s, --status <statuses>', `${listedRunStatuses.join(', ')} (comma-separated)`)
    .option('--since <when>', 'created within (24h, 7d) or since an ISO time', (v) => parseSince(v, now()))
    .option('--until <when>', 'created before an ISO time', (v) => parseSince(v, now()))
    .option('-n, --limit <n>', 'at most this many runs', positiveInt, 20)
    .action(
      async (o: { model?: string; kind?: string; status?: string; since?: string; until?: string; limit: number }) => {
        const c = client();
        const runs: RunSummary[] = [];
        const filter: ListRunsFilter = {
          ...(o.model ? { model: o.model } : {}),
          ...(o.kind ? { kind: o.kind } : {}),
          ...(o.status ? { status: o.status } : {}),
          ...(o.since ? { from: o.since } : {}),
          ...(o.until ? { to: o.until } : {}),
        };
        let token: string | undefined;
        do {
          const page = await c.listRuns({
            ...filter,
            pageSize: Math.min(200, o.limit - runs.length),
            ...(token ? { continuationToken: token } : {}),
          });
          runs.push(...page.runs);
          token = page.continuationToken;
        } while (token && runs.length < o.limit);
        print({ runs: runs.slice(0, o.limit) }, () => runsTable(runs.slice(0, o.limit)));
      },
    );

  program
    .command('triggers')
    .description('list triggers and their fate (started, coalesced, superseded, duplicate, ...), newest first')
    .option('-m, --model <model>', 'only this model')
    .option('-f, --fate <fates>', `${triggerFates.join(', ')} (comma-separated)`)
    .option('--since <when>', 'received within (24h, 7d) or since an ISO time', (v) => parseSince(v, now()))
    .option('-n, --limit <n>', 'at most this many triggers', positiveInt, 20)
    .action(async (o: { model?: string; fate?: string; since?: string; limit: number }) => {
      const c = client();
      const triggers: TriggerView[] = [];
      let token: string | undefined;
      do {
        const page = await c.listTriggers({
          ...(o.model ? { model: o.model } : {}),
          ...(o.fate ? { fate: o.fate } : {}),
          ...(o.since ? { from: o.since } : {}),
          pageSize: Math.min(200, o.limit - triggers.length),
          ...(token ? { continuationToken: token } : {}),
        });
        triggers.push(...page.triggers);
        token = page.continuationToken;
      } while (token && triggers.length < o.limit);
      print({ triggers: triggers.slice(0, o.limit) }, () => triggersTable(triggers.slice(0, o.limit)));
    });

  program
    .command('run')
    .description('show one run and its stages as a timeline')
    .argument('<runId>')
    .action(async (runId: string) => {
      const run = await client().getRun(runId);
      print(run, () => runTimeline(run, now()));
    });

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
        const result = await client().retrain(model, {
          ...(Object.keys(o.param).length ? { parameters: o.param } : {}),
          ...(o.reason ? { reason: o.reason } : {}),
          ...(o.requestId ? { requestId: o.requestId } : {}),
        });
        print(result, () => `${result.outcome} ${result.runId} (instance ${result.instanceId})\n${result.statusUrl}`);
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
        const result = await client().decide(runId, approve, {
          ...(o.comment ? { comment: o.comment } : {}),
          ...(o.by ? { decidedBy: o.by } : {}),
        });
        print(result, () => `${approve ? 'approved' : 'rejected'} ${result.runId}\n${result.statusUrl}`);
      });
  }

  program
    .command('rollback')
    .description("put the previous model version back on the model's endpoint")
    .argument('<model>')
    .option('-r, --reason <text>', 'why, recorded with the rollback')
    .action(async (model: string, o: { reason?: string }) => {
      const result = await client().rollback(model, o.reason ? { reason: o.reason } : {});
      print(result, () => `rollback started ${result.runId}\n${result.statusUrl}`);
    });

  program
    .command('cancel')
    .description('terminate a run and cancel its Azure ML job')
    .argument('<runId>')
    .option('-r, --reason <text>', 'why')
    .action(async (runId: string, o: { reason?: string }) => {
      const result = await client().cancel(runId, o.reason);
      print(result, () => `canceled ${result.runId}${result.detail ? ` (${result.detail})` : ''}`);
    });

  program
    .command('logs')
    .description("show a deployment's logs (model download and scoring server); default: the one serving traffic")
    .argument('<model>')
    .option('-d, --deployment <name>', 'a deployment of the model (also a deleted one whose release failed)')
    .option('-c, --container <name>', 'StorageInitializer or InferenceServer (default: both)')
    .option('-t, --tail <lines>', 'lines per container', positiveInt, 200)
    .action(async (model: string, o: { deployment?: string; container?: string; tail: number }) => {
      const logs = await client().deploymentLogs(model, {
        ...(o.deployment ? { deployment: o.deployment } : {}),
        ...(o.container ? { container: o.container } : {}),
        tail: o.tail,
      });
      print(logs, () => deploymentLogsText(logs));
    });

  program
    .command('score')
    .description("send one request to the model's endpoint and show the answer (default body: the smoke sample)")
    .argument('<model>')
    .option('-f, --file <path>', 'JSON request body from a file')
    .option('--data <json>', 'JSON request body')
    .option('-d, --deployment <name>', 'pin one deployment (azureml-model-deployment)')
    .action(async (model: string, o: { file?: string; data?: string; deployment?: string }) => {
      const text = o.file ? fs.readFileSync(o.file, 'utf8') : o.data;
      let body: unknown;
      if (text !== undefined) {
        try {
          body = JSON.parse(text) as unknown;
        } catch (err) {
          throw new CliError(`The request body is not JSON: ${(err as Error).message}`, ExitCodes.usage);
        }
      }
      const result = await client().score(model, {
        ...(body !== undefined ? { body } : {}),
        ...(o.deployment ? { deployment: o.deployment } : {}),
      });
      print(result, () => scoreText(result));
    });

  registerDashboardCommand(program, {
    out: io.out,
    target: () => resolveOpsTarget(program.opts<{ url?: string; key?: string }>(), io.env, io.cwd),
    timeoutInMs: () => program.opts<{ timeout: number }>().timeout,
    ...(io.dashboard ?? {}),
  });

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
