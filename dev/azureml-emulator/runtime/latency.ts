/**
 * Latency profiles: how long jobs and long-running operations take on the emulator clock, and the `Retry-After` an
 * LRO answer carries.
 *
 * @remarks `fast` (the default) keeps the configured step durations. `azure` uses times of the order a real workspace
 * takes, so clients see the start-then-poll path: the spec bounds `Retry-After` of these operations to 10–600 s
 * (`mfe.json`, 2025-12-01: PATCH/DELETE/POST 202 responses) and the emulator sends the lower bound; the durations are
 * magnitudes operators report (endpoint updates in about a minute, deployments in several minutes), not measurements
 * — unverified beyond their order. Combine with a fast emulator clock (`clock.speed`) to keep tests short.
 */
import type { OperationRecord, StepDurations } from '../state';

export type LatencyProfileName = 'fast' | 'azure';

/** Per-operation durations (ms on the emulator clock) keyed `<target kind>.<action>`. */
export type OperationDurations = Partial<Record<string, number>>;

export interface LatencyProfile {
  readonly name: LatencyProfileName;
  readonly steps?: StepDurations;
  readonly operations?: OperationDurations;
  readonly retryAfterSeconds?: number;
}

const MINUTE = 60_000;

export const LATENCY_PROFILES: Readonly<Record<LatencyProfileName, LatencyProfile>> = {
  fast: { name: 'fast' },
  azure: {
    name: 'azure',
    steps: {
      notStartedMs: 20_000,
      queuedMs: 2 * MINUTE,
      runningMs: 5 * MINUTE,
      cancelMs: 30_000,
      provisioningMs: 2 * MINUTE,
    },
    operations: {
      'onlineEndpoint.create': 2 * MINUTE,
      'onlineEndpoint.update': MINUTE,
      'onlineEndpoint.delete': MINUTE,
      'onlineEndpoint.regenerateKeys': 30_000,
      'onlineDeployment.create': 8 * MINUTE,
      'onlineDeployment.update': 5 * MINUTE,
      'onlineDeployment.delete': 2 * MINUTE,
      'batchEndpoint.create': 2 * MINUTE,
      'batchDeployment.create': 5 * MINUTE,
    },
    retryAfterSeconds: 10,
  },
};

/** How long an operation takes under the active profile (the `provisioningMs` step when it names none). */
export function operationDuration(
  operation: Pick<OperationRecord, 'action' | 'target'>,
  steps: StepDurations,
  operations: OperationDurations | undefined,
): number {
  return operations?.[`${operation.target.kind}.${operation.action}`] ?? steps.provisioningMs;
}
