import type { BatchRunStatusName, RunKind, RunStatus, TriggerView } from '../../../src/functions/ops/contract';

/**
 * The API's enumerations for the filter menus. Records keyed by the contract's types, so the compiler fails when the
 * contract gains a value the dashboard does not offer (importing the contract's arrays would bundle zod).
 */
const runStatuses: Record<Exclude<RunStatus, 'queued'>, true> = {
  running: true,
  awaitingApproval: true,
  succeeded: true,
  rejected: true,
  rolledBack: true,
  failed: true,
  superseded: true,
  canceled: true,
};
const runKinds: Record<RunKind, true> = { retrain: true, rollback: true, promotion: true };
const triggerFates: Record<TriggerView['fate'], true> = {
  received: true,
  started: true,
  coalesced: true,
  superseded: true,
  canceled: true,
  duplicate: true,
  ignored: true,
};
const batchStatuses: Record<BatchRunStatusName, true> = {
  pending: true,
  running: true,
  published: true,
  failed: true,
  skipped: true,
  canceled: true,
};

export const LISTED_RUN_STATUSES = Object.keys(runStatuses);
export const RUN_KINDS = Object.keys(runKinds);
export const TRIGGER_FATES = Object.keys(triggerFates);
export const BATCH_STATUSES = Object.keys(batchStatuses);
