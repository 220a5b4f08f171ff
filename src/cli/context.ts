import { type Command, InvalidArgumentError } from 'commander';

import { type CliEnvironment, type OpsTarget, resolveOpsTarget } from '../config/cli';
import { OpsClient } from './client';
import type { DashboardCommandDeps } from './dashboard/command';

/** Where the CLI writes and what it knows about its environment; tests pass their own. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: CliEnvironment;
  /** Directory searched for local.settings.json (the dev host's function key). */
  readonly cwd: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
  /** stdout is a terminal: `--watch` redraws in place instead of printing each new frame below the last. */
  readonly isTTY?: boolean;
  /** Waits between two polls of `--watch` (tests drive it; the CLI uses a timer). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** `mlops dashboard`: how it waits to stop and opens the page (tests pass their own). */
  readonly dashboard?: DashboardCommandDeps;
}

/** What every command group needs: the API client, output in text or JSON, the clock. */
export interface CommandContext {
  readonly io: CliIo;
  readonly now: () => Date;
  /** The global --url/--key, else MLOPS_URL/MLOPS_KEY, else the local dev host (read when a command runs). */
  target(): OpsTarget;
  /** The client for that target and --timeout. */
  client(): OpsClient;
  /** --timeout in ms. */
  timeoutInMs(): number;
  /** --json was given. */
  json(): boolean;
  /** Prints `value` as JSON with --json, else `text()`. */
  print(value: unknown, text: () => string): void;
  sleep(ms: number): Promise<void>;
}

export { DEFAULT_OPS_URL as DEFAULT_URL, LOCAL_FUNCTION_KEY } from '../config/cli';

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
export function collectParam(value: string, previous: Record<string, string | number | boolean>) {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('use key=value');
  const key = value.slice(0, eq);
  const raw = value.slice(eq + 1);
  const typed =
    raw === 'true' ? true : raw === 'false' ? false : raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
  return { ...previous, [key]: typed };
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** A calendar date YYYY-MM-DD. */
export function isoDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new InvalidArgumentError('use a date YYYY-MM-DD');
  return value;
}

/** The command context over `program`'s global options. */
export function commandContext(program: Command, io: CliIo): CommandContext {
  const json = (): boolean => Boolean(program.opts<{ json?: boolean }>().json);
  const target = (): OpsTarget => resolveOpsTarget(program.opts<{ url?: string; key?: string }>(), io.env, io.cwd);
  const timeoutInMs = (): number => program.opts<{ timeout: number }>().timeout;
  return {
    io,
    now: io.now ?? (() => new Date()),
    target,
    timeoutInMs,
    client: () => {
      const { url, key } = target();
      return new OpsClient({ url, key, timeoutInMs: timeoutInMs(), ...(io.fetch ? { fetch: io.fetch } : {}) });
    },
    json,
    print: (value, text) => io.out(json() ? JSON.stringify(value, null, 2) : text()),
    sleep: io.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
}

/**
 * Up to `limit` items of a paged listing: asks for what is still missing (at most 200 a page) and follows the
 * continuation token until the limit or the last page.
 */
export async function collectPages<T>(
  limit: number,
  page: (pageSize: number, continuationToken: string | undefined) => Promise<{ items: T[]; next?: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const answer = await page(Math.min(200, limit - items.length), token);
    items.push(...answer.items);
    token = answer.next;
  } while (token && items.length < limit);
  return items.slice(0, limit);
}

/** ANSI: cursor home, clear to the end of the screen. */
const REDRAW = '\u001b[H\u001b[J';

/**
 * Polls `load` and shows each new state until `finished` says the thing ended: redrawn in place on a terminal,
 * printed below the last otherwise, one JSON line per change with --json. Returns the last state.
 */
export async function watch<T>(
  ctx: CommandContext,
  options: {
    load: () => Promise<T>;
    render: (value: T) => string;
    finished: (value: T) => boolean;
    intervalMs: number;
  },
): Promise<T> {
  let last: string | undefined;
  for (;;) {
    const value = await options.load();
    const frame = ctx.json() ? JSON.stringify(value) : options.render(value);
    if (frame !== last) {
      ctx.io.out(
        ctx.io.isTTY && !ctx.json() ? `${REDRAW}${frame}` : last === undefined || ctx.json() ? frame : `\n${frame}`,
      );
      last = frame;
    }
    if (options.finished(value)) return value;
    await ctx.sleep(options.intervalMs);
  }
}
