/** Exit codes of the `mlops` CLI (documented in docs/operations.md). */
export const ExitCodes = {
  ok: 0,
  failure: 1,
  usage: 2,
  unreachable: 3,
  unauthorized: 4,
  notFound: 5,
  rejected: 6,
  /** `--watch` followed the run to its end and it did not succeed (failed, rejected, rolled back, canceled, ...). */
  runUnsuccessful: 7,
} as const;

export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

/** A failure the CLI reports in one line and exits with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
