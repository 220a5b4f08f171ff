import type { DurableClient } from 'durable-functions';

/**
 * The few Durable client operations the trigger path needs, behind an interface so the submit logic is the same
 * whether it runs inside an Event Grid/HTTP function (durable-functions' `DurableClient`) or elsewhere.
 */

export type InstanceState = 'running' | 'terminal' | 'missing';

export interface InstanceInfo {
  readonly state: InstanceState;
  readonly runtimeStatus?: string | undefined;
  readonly input?: unknown;
  readonly customStatus?: unknown;
}

export interface OrchestrationClient {
  /** Starts an orchestration; throws `InstanceExistsError` when the id is taken by a running instance. */
  startNew(orchestration: string, instanceId: string, input: unknown): Promise<void>;
  info(instanceId: string): Promise<InstanceInfo>;
  /** Raises an event; false when the instance does not exist or has finished. */
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<boolean>;
  /** Deletes a finished instance's history (local engine: needed before an id can be reused). */
  purge(instanceId: string): Promise<void>;
}

export class InstanceExistsError extends Error {
  constructor(instanceId: string, options?: { cause?: unknown }) {
    super(`Orchestration instance ${instanceId} already exists and is not finished.`, options);
    this.name = 'InstanceExistsError';
  }
}

const RUNNING = ['Running', 'Pending', 'ContinuedAsNew', 'Suspended'];

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Adapts durable-functions' `DurableClient`. */
export function durableOrchestrationClient(client: DurableClient): OrchestrationClient {
  return {
    async startNew(orchestration, instanceId, input) {
      try {
        await client.startNew(orchestration, { instanceId, input });
      } catch (error) {
        if (/409|already exists/i.test(messageOf(error))) throw new InstanceExistsError(instanceId, { cause: error });
        throw error;
      }
    },
    async info(instanceId) {
      let status;
      try {
        status = await client.getStatus(instanceId, { showInput: true });
      } catch (error) {
        if (/404|not found|no instance/i.test(messageOf(error))) return { state: 'missing' };
        throw error;
      }
      if (!status?.runtimeStatus) return { state: 'missing' };
      const runtimeStatus = String(status.runtimeStatus);
      return {
        state: RUNNING.includes(runtimeStatus) ? 'running' : 'terminal',
        runtimeStatus,
        input: status.input,
        customStatus: status.customStatus,
      };
    },
    async raiseEvent(instanceId, eventName, data) {
      const info = await this.info(instanceId);
      if (info.state !== 'running') return false;
      await client.raiseEvent(instanceId, eventName, data);
      return true;
    },
    async purge(instanceId) {
      await client.purgeInstanceHistory(instanceId);
    },
  };
}

export type EnsureStartedResult = 'started' | 'alreadyRunning' | 'deferred';

/**
 * Starts `instanceId` with `input` (which carries a `runId`). If the id is busy:
 * - the instance already runs this run → `alreadyRunning` (a retried submission);
 * - it is finishing a previous run (the race where the lane was released just before the instance completed) →
 *   wait briefly for it to finish, then start;
 * - it has finished → replace it (purge first: the local engine does not reuse ids; Azure would replace anyway).
 * Gives up with `deferred` after `deadlineMs`; the lane still names the run, so the reconciler starts it.
 */
export async function ensureStarted(
  client: OrchestrationClient,
  orchestration: string,
  instanceId: string,
  input: { readonly runId: string },
  options: { deadlineMs?: number; now?: () => number } = {},
): Promise<EnsureStartedResult> {
  const now = options.now ?? Date.now;
  const deadline = now() + (options.deadlineMs ?? 30_000);
  let delay = 100;
  for (;;) {
    try {
      await client.startNew(orchestration, instanceId, input);
      return 'started';
    } catch (error) {
      if (!(error instanceof InstanceExistsError)) throw error;
    }
    const info = await client.info(instanceId);
    const runningRun = (info.input as { runId?: unknown } | undefined)?.runId;
    if (info.state === 'running' && runningRun === input.runId) return 'alreadyRunning';
    if (info.state === 'terminal') {
      await client.purge(instanceId);
      continue;
    }
    if (now() + delay > deadline) return 'deferred';
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 2000);
  }
}
