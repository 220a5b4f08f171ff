/**
 * The run's error threshold in the unit the catalog states it in: failed records (tabular input, as Azure ML counts
 * for tabular data), failed files (file input, as Azure ML counts for file data) or failed mini-batches (the
 * product's original unit). Every run counts all three, so the manifest reports them whatever the unit.
 */
import { type BatchErrorThreshold, type ErrorThresholdUnit, thresholdLimit, thresholdUnit } from '../../catalog';

export interface FailureCounts {
  readonly records: number;
  readonly files: number;
  readonly miniBatches: number;
}

export interface ThresholdDecision {
  readonly publish: boolean;
  readonly reason: string;
}

const NOUNS: Record<ErrorThresholdUnit, string> = { records: 'records', files: 'files', miniBatches: 'mini-batches' };
const KEYS: Record<ErrorThresholdUnit, keyof FailureCounts> = {
  records: 'records',
  files: 'files',
  miniBatches: 'miniBatches',
};

/** The threshold as the manifest and the run status report it. */
export function describeThreshold(threshold: BatchErrorThreshold): { unit: ErrorThresholdUnit; limit: number } {
  return { unit: thresholdUnit(threshold), limit: thresholdLimit(threshold) };
}

/**
 * Whether a run with these failures publishes. Failures up to the limit (-1: any number) still publish; above it,
 * or when nothing at all was scored, the run fails and publishes nothing.
 */
export function decideThreshold(
  failed: FailureCounts,
  total: FailureCounts,
  threshold: BatchErrorThreshold,
): ThresholdDecision {
  if (total.miniBatches === 0) return { publish: false, reason: 'no input rows for this date' };
  if (failed.miniBatches >= total.miniBatches) {
    return { publish: false, reason: `all ${total.miniBatches} mini-batches failed` };
  }
  const { unit, limit } = describeThreshold(threshold);
  const key = KEYS[unit];
  const count = failed[key];
  const summary = `${count} of ${total[key]} ${NOUNS[unit]} failed`;
  if (limit >= 0 && count > limit) {
    return { publish: false, reason: `${summary}; errorThreshold is ${limit} ${NOUNS[unit]}` };
  }
  if (failed.miniBatches === 0 && failed.records === 0 && failed.files === 0) {
    return { publish: true, reason: 'all mini-batches succeeded' };
  }
  return { publish: true, reason: `${summary} (within errorThreshold ${limit} ${NOUNS[unit]})` };
}
