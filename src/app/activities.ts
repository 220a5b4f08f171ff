import * as df from 'durable-functions';

import { withErrorType } from '../services/task-failure';

/**
 * Registers a set of activities whose handlers are made on first use (one set per worker process, so caches such as
 * scoring secrets live as long as the process). The error type travels in the message (Azure hands the orchestrator
 * only the message): see task-failure.ts.
 */
export function registerActivitySet<H extends Record<string, unknown>>(
  names: readonly (keyof H & string)[],
  create: () => H,
): void {
  let handlers: H | undefined;
  const resolve = () => (handlers ??= create());
  for (const name of names) {
    df.app.activity(name, {
      handler: withErrorType((input: unknown) => (resolve()[name] as (i: unknown) => Promise<unknown>)(input)),
    });
  }
}
