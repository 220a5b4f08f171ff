import type { ContainerClient } from '@azure/storage-blob';

import { BlobJsonStore } from './blob-json';
import { SubmissionStore } from './jobs';
import { LaneStore } from './lanes';
import { RunStore } from './runs';
import { TriggerLedger } from './triggers';

export { BlobJsonStore, type Versioned } from './blob-json';
export { type SubmissionRecord, SubmissionStore } from './jobs';
export { type LaneDocument, LaneStore } from './lanes';
export * from './runs';
export { type DedupeMarker, type FateChange, TriggerLedger, type TriggerEntry } from './triggers';

/** Everything the orchestrator keeps in host storage. */
export interface StateStores {
  readonly ledger: TriggerLedger;
  readonly lanes: LaneStore;
  readonly runs: RunStore;
  readonly submissions: SubmissionStore;
}

export function createStateStores(container: ContainerClient): StateStores {
  const store = new BlobJsonStore(container);
  return {
    ledger: new TriggerLedger(store),
    lanes: new LaneStore(store),
    runs: new RunStore(store),
    submissions: new SubmissionStore(store),
  };
}
