/**
 * Starting a batch run for a model and date: one instance per model and date (deterministic instance id), shared by
 * the schedule timers and the backfill operation.
 */
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';

import type { CatalogModel } from '../../catalog';
import { BatchOrchestrations } from '../../orchestrations/batch-run';
import { batchInstanceId } from '../../services/batch/planner';
import type { BatchRunInput } from '../../services/batch/types';

export type StartAction = 'started' | 'replaced' | 'alreadyRunning' | 'alreadyCompleted';

export interface StartResult {
  readonly date: string;
  readonly instanceId: string;
  readonly action: StartAction;
}

const ACTIVE = new Set(['Running', 'Pending', 'ContinuedAsNew', 'Suspended']);
const TERMINAL = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/** The instance's status, or undefined when there is no such instance. */
export async function statusOf(
  client: DurableClient,
  instanceId: string,
  options: { showInput?: boolean } = {},
): Promise<DurableOrchestrationStatus | undefined> {
  try {
    return await client.getStatus(instanceId, { showInput: options.showInput ?? false });
  } catch (err) {
    // durable-functions 3.x throws on 404 (no such instance); anything else is a real error.
    if (/404|not found|no instance/i.test((err as Error).message)) return undefined;
    throw err;
  }
}

/** The input of a run, fixed at start from the catalog entry. */
export function runInput(model: CatalogModel, date: string, trigger: string): BatchRunInput {
  const spec = model.batch;
  if (!spec) throw new RangeError(`model ${model.name} has no batch section`);
  // The catalog guarantees an endpoint: the scorer's, else (online scorer) the model's deployment endpoint.
  const endpoint = spec.scorer.endpoint ?? model.deployment?.endpoint;
  if (!endpoint) throw new RangeError(`model ${model.name} names no endpoint to score through`);
  return { model: model.name, date, trigger, spec, endpoint };
}

/**
 * Starts the run for `model` and `date` unless one is in flight.
 *
 * @remarks Without `replace` (the schedule), a running or completed instance makes this a no-op, and a failed or
 * terminated one is started again. With `replace` (backfill), a running instance is terminated first and any
 * earlier instance is replaced; its output is replaced atomically when the new run publishes.
 */
export async function startBatchRun(
  client: DurableClient,
  model: CatalogModel,
  date: string,
  options: { trigger: string; replace: boolean; terminateTimeoutMs?: number },
): Promise<StartResult> {
  const instanceId = batchInstanceId(model.name, date);
  const existing = await statusOf(client, instanceId);
  let action: StartAction = existing ? 'replaced' : 'started';
  if (existing && ACTIVE.has(existing.runtimeStatus)) {
    if (!options.replace) return { date, instanceId, action: 'alreadyRunning' };
    await client.terminate(instanceId, `replaced: ${options.trigger}`);
    const deadline = Date.now() + (options.terminateTimeoutMs ?? 60_000);
    for (;;) {
      const s = await statusOf(client, instanceId);
      if (!s || TERMINAL.has(s.runtimeStatus)) break;
      if (Date.now() > deadline) throw new Error(`instance ${instanceId} did not terminate in time`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } else if (existing && (existing.runtimeStatus as string) === 'Completed' && !options.replace) {
    return { date, instanceId, action: 'alreadyCompleted' };
  } else if (existing && !options.replace) {
    action = 'started';
  }
  await client.startNew(BatchOrchestrations.run, { instanceId, input: runInput(model, date, options.trigger) });
  return { date, instanceId, action };
}
