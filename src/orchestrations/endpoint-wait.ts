import type { OrchestrationContext } from 'durable-functions';

import { type EndpointSnapshot, RetrainActivities } from '../services/retrain/contracts';
import type { WorkspaceCoordinatesSpec } from '../catalog';
import type { RetrainPlan } from '../services/retrain/plan';
import { after, callActivity, type Steps } from './retrain-support';

/**
 * Waits, on durable timers, for an endpoint create or traffic change started by an activity to apply.
 *
 * @remarks Azure takes minutes for these (LRO `Retry-After` 10–600 s) and an activity may run at most
 * `functionTimeout` (10 minutes), so activities only start them and the orchestration polls `provisioningState`:
 * the first check after 1 s, then doubling up to `pollSeconds`, until `timeoutSeconds`. Deterministic: orchestration
 * clock, timers and activities only.
 */

const IN_PROGRESS = new Set(['Creating', 'Updating', 'Deleting']);

/** The endpoint change did not apply: it failed, was canceled, the endpoint vanished, or it took too long. */
export class EndpointChangeFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EndpointChangeFailed';
  }
}

export interface EndpointWait {
  readonly snapshot: EndpointSnapshot;
  /** Provisioning-state checks it took (0 when the change had already applied). */
  readonly checks: number;
}

export function* waitForEndpoint(
  context: OrchestrationContext,
  endpoint: string,
  started: EndpointSnapshot,
  options: {
    readonly pollSeconds: number;
    readonly timeoutSeconds: number;
    readonly retry?: RetrainPlan['retry'];
    /** The endpoint's workspace (a promotion stage's); the app's when absent. */
    readonly workspace?: WorkspaceCoordinatesSpec | undefined;
  },
): Steps<EndpointWait> {
  const deadline = after(context, options.timeoutSeconds);
  let snapshot = started;
  let checks = 0;
  let delay = Math.min(1, options.pollSeconds);
  while (IN_PROGRESS.has(snapshot.provisioningState ?? 'Succeeded')) {
    if (context.df.currentUtcDateTime.getTime() >= deadline.getTime()) {
      throw new EndpointChangeFailed(
        `endpoint ${endpoint} still ${snapshot.provisioningState} after ${options.timeoutSeconds} s`,
      );
    }
    const next = after(context, delay);
    yield context.df.createTimer(next.getTime() > deadline.getTime() ? deadline : next);
    delay = Math.min(options.pollSeconds, delay * 2);
    snapshot = yield* callActivity<EndpointSnapshot>(
      context,
      RetrainActivities.deployEndpointState,
      { endpoint, ...(options.workspace ? { workspace: options.workspace } : {}) },
      options.retry,
    );
    checks++;
  }
  if (snapshot.provisioningState && snapshot.provisioningState !== 'Succeeded') {
    throw new EndpointChangeFailed(`endpoint ${endpoint} provisioning ended ${snapshot.provisioningState}`);
  }
  return { snapshot, checks };
}
