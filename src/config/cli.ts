import fs from 'node:fs';
import path from 'node:path';

/**
 * Environment of the `mlops` CLI (not of the function app): where the operations API is and which key to send.
 *
 * @remarks Kept in src/config so that this folder stays the only one reading `process.env` (ARCHITECTURE.md
 * section 5); the app never imports it.
 */
export interface CliEnvironment {
  /** MLOPS_URL: base URL of the function app, e.g. https://func-mlops.azurewebsites.net (without /api). */
  readonly url: string | undefined;
  /** MLOPS_KEY: a function key (or the host master key) of the function app. */
  readonly key: string | undefined;
}

export function readCliEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): CliEnvironment {
  const clean = (v: string | undefined): string | undefined => (v && v.trim() !== '' ? v.trim() : undefined);
  return { url: clean(env.MLOPS_URL), key: clean(env.MLOPS_KEY) };
}

/** The local dev host (`npm start`). */
export const DEFAULT_OPS_URL = 'http://127.0.0.1:7071';
/** The dev host's default function key (dev/host/keys.ts), used for loopback URLs when no key is given. */
export const LOCAL_FUNCTION_KEY = 'local-function-key';

/** Where the operations API is and the key to present: what every CLI command (and `mlops dashboard`) talks to. */
export interface OpsTarget {
  readonly url: string;
  readonly key: string | undefined;
}

export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  } catch {
    return false;
  }
}

/** The dev host's function key from local.settings.json (DevHost.FunctionKey), if there is one. */
function localFunctionKey(cwd: string): string | undefined {
  try {
    const file = path.join(cwd, 'local.settings.json');
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { DevHost?: { FunctionKey?: unknown } };
    return typeof parsed.DevHost?.FunctionKey === 'string' ? parsed.DevHost.FunctionKey : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Flags win over MLOPS_URL/MLOPS_KEY; without either the target is the local dev host. A loopback URL without a key
 * gets the dev host's function key (local.settings.json in `cwd`, else `local-function-key`); a remote one gets none.
 */
export function resolveOpsTarget(
  flags: { url?: string | undefined; key?: string | undefined },
  env: CliEnvironment,
  cwd: string,
): OpsTarget {
  const url = flags.url ?? env.url ?? DEFAULT_OPS_URL;
  const key = flags.key ?? env.key ?? (isLoopbackUrl(url) ? (localFunctionKey(cwd) ?? LOCAL_FUNCTION_KEY) : undefined);
  return { url, key };
}
