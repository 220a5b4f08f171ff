import type { LanePending, LaneRun, LaneState } from '../services/retrain/coalesce';
import type { DatasetRef, GitRef } from '../triggers/model';
import { type BlobJsonStore, segment } from './blob-json';

/**
 * Per-model lanes: `lanes/<model>.json` holds the active run, the one waiting follow-up, and the newest known inputs
 * (dataset, git) a trigger without its own inherits. All changes go through `BlobJsonStore.update` (ETag CAS).
 */

export interface LaneDocument extends LaneState {
  readonly model: string;
  readonly latest?: {
    readonly dataset?: (DatasetRef & { readonly occurredAt: string }) | undefined;
    readonly git?: (GitRef & { readonly occurredAt: string }) | undefined;
  };
  /** Triggers folded into the waiting follow-up (superseded ones), carried into its run record. */
  readonly folded?: readonly string[];
  readonly updatedAt?: string;
}

function laneBlob(model: string): string {
  return `lanes/${segment(model)}.json`;
}

export class LaneStore {
  constructor(private readonly store: BlobJsonStore) {}

  async get(model: string): Promise<LaneDocument> {
    return (await this.store.read<LaneDocument>(laneBlob(model)))?.value ?? { model };
  }

  /**
   * Applies `decide` to the current lane atomically. `decide` returns the new lane document plus a result, or
   * `undefined` as the document to leave it unchanged. It may run several times (on concurrent change): keep it pure.
   */
  async transact<R>(
    model: string,
    decide: (lane: LaneDocument) => { lane: LaneDocument | undefined; result: R },
  ): Promise<R> {
    let result: R | undefined;
    let decided = false;
    await this.store.update<LaneDocument>(laneBlob(model), (current) => {
      const outcome = decide(current ?? { model });
      result = outcome.result;
      decided = true;
      return outcome.lane;
    });
    if (!decided) throw new Error('lane transaction did not run');
    return result as R;
  }

  async listModels(): Promise<string[]> {
    const models: string[] = [];
    for await (const blob of this.store.list('lanes/')) {
      models.push(decodeURIComponent(blob.name.slice('lanes/'.length, -'.json'.length)));
    }
    return models;
  }
}

export type { LanePending, LaneRun };
