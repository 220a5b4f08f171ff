import { spawn } from 'node:child_process';

import { type Command, InvalidArgumentError } from 'commander';

import type { CommandContext } from '../context';
import { CliError, ExitCodes } from '../errors';
import { startDashboardServer } from './server';

/** The dashboard's port when none is given (next to the dev host's 7071/7072). */
export const DEFAULT_DASHBOARD_PORT = 7080;

/** What tests replace (CliIo.dashboard). */
export interface DashboardCommandDeps {
  /** Resolves when the server should stop (default: SIGINT or SIGTERM). */
  readonly untilStopped?: () => Promise<void>;
  /** Opens the page (default: the desktop's browser through xdg-open, open or start). */
  readonly open?: (url: string) => void;
  readonly assetsDir?: string;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0: any)');
  return n;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Best effort: a machine without a desktop just prints the URL. */
function openInBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No browser to open; the URL is printed.
  }
}

/** `mlops dashboard`: the web dashboard on 127.0.0.1, relaying the operations API with the key kept server-side. */
export function registerDashboardCommand(program: Command, ctx: CommandContext): void {
  const deps: DashboardCommandDeps = ctx.io.dashboard ?? {};
  program
    .command('dashboard')
    .description('serve the web dashboard on 127.0.0.1, relaying the operations API (the key stays in this process)')
    .option('--port <port>', `local port (0: any free one)`, port, DEFAULT_DASHBOARD_PORT)
    .option('--no-open', 'do not open a browser')
    .action(async (o: { port: number; open: boolean }) => {
      // The target every command uses: --url/--key, else MLOPS_URL/MLOPS_KEY, else the local dev host.
      const target = ctx.target();
      let server;
      try {
        server = await startDashboardServer({
          target,
          port: o.port,
          timeoutInMs: ctx.timeoutInMs(),
          ...(deps.assetsDir ? { assetsDir: deps.assetsDir } : {}),
        });
      } catch (err) {
        const code = (err as { code?: string }).code;
        throw new CliError(
          code === 'EADDRINUSE'
            ? `Port ${o.port} is in use: pass --port <another> (or 0 for any free port)`
            : `Cannot start the dashboard: ${(err as Error).message}`,
          ExitCodes.failure,
        );
      }
      ctx.io.out(`Dashboard: ${server.url}`);
      ctx.io.out(
        `Relaying /api/ops to ${new URL(target.url).origin} (${target.key ? 'key held by this process' : 'no key'}). Ctrl-C stops.`,
      );
      if (o.open) (deps.open ?? openInBrowser)(server.url);
      await (deps.untilStopped ?? untilSignal)();
      await server.close();
    });
}
