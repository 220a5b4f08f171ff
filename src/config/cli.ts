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
