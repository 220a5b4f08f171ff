/**
 * Event Grid for local storage: a blob watcher on Azurite feeding the dev host's Event Grid webhook according to
 * the local subscriptions file.
 */
import { BlobServiceClient } from '@azure/storage-blob';

import { datasetFilters } from '../../../infra/scripts/dataset-filters';
import { loadCatalog } from '../../../src/catalog';
import { errorMessage } from '../log';
import { BlobWatcher } from './blob-watcher';
import { EventGridDelivery, type GridEvent } from './delivery';
import { type AdvancedFilter, type EventSubscription, matchesFilter, readSubscriptions } from './subscriptions';

export { BlobWatcher } from './blob-watcher';
export { EventGridDelivery, type GridEvent } from './delivery';
export {
  type AdvancedFilter,
  matchesFilter,
  readSubscriptions,
  type EventSubscription,
  type SubscriptionsFile,
} from './subscriptions';

export interface StorageEventsOptions {
  subscriptionsFile: string;
  storageConnectionString: string;
  hostUrl: string;
  eventGridKey: string;
  stateFile?: string;
  pollIntervalMs?: number;
  retryDelaysMs?: readonly number[];
  /** The model catalog, for subscriptions with `filterFromCatalog`. */
  catalogPath?: string;
  log: (line: string) => void;
}

/** The advanced filters `infra/` deploys for the dataset subscription, from the same catalog. */
export function catalogAdvancedFilters(catalogPath: string): AdvancedFilter[] {
  const f = datasetFilters(loadCatalog(catalogPath, process.cwd()));
  return [
    { operatorType: 'StringIn', key: 'data.api', values: [...f.apis] },
    { operatorType: 'StringBeginsWith', key: 'subject', values: [...f.subjectBeginsWith] },
    ...(f.subjectEndsWith.length > 0
      ? [{ operatorType: 'StringEndsWith' as const, key: 'subject', values: [...f.subjectEndsWith] }]
      : []),
  ];
}

function withCatalogFilters(s: EventSubscription, catalogPath: string | undefined): EventSubscription {
  if (!s.filterFromCatalog) return s;
  if (!catalogPath) throw new Error(`subscription ${s.name} takes its filters from the catalog, but none was given`);
  return { ...s, filter: { ...s.filter, advancedFilters: catalogAdvancedFilters(catalogPath) } };
}

export interface StorageEvents {
  /** Forces a listing pass now (tests). */
  pollNow(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStorageEvents(options: StorageEventsOptions): Promise<StorageEvents> {
  const file = readSubscriptions(options.subscriptionsFile);
  const account = file.storageAccount;
  const topic = `/subscriptions/${account.subscriptionId}/resourceGroups/${account.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${account.name}`;
  const subscriptions = file.subscriptions
    .filter((s) => s.source === 'storage')
    .map((s) => withCatalogFilters(s, options.catalogPath));
  const delivery = new EventGridDelivery({
    hostUrl: options.hostUrl,
    systemKey: options.eventGridKey,
    retryDelaysMs: options.retryDelaysMs,
    log: options.log,
  });
  for (const s of subscriptions) {
    const ok = await delivery.validate(s, topic);
    options.log(
      `Event Grid: subscription ${s.name} → ${s.functionName}: ${ok ? 'validated' : 'validation failed (is the function registered?)'}`,
    );
  }
  const deliverAll = async (events: GridEvent[]): Promise<void> => {
    await Promise.all(
      subscriptions.map(async (s) => {
        const matching = events.filter((e) => matchesFilter(s.filter, e));
        const size = Math.max(1, s.maxEventsPerBatch ?? 1);
        for (let i = 0; i < matching.length; i += size) {
          await delivery
            .deliver(s, matching.slice(i, i + size))
            .catch((e: unknown) => options.log(`Event Grid: ${errorMessage(e)}`));
        }
      }),
    );
  };
  const watcher = new BlobWatcher({
    client: BlobServiceClient.fromConnectionString(options.storageConnectionString),
    topic,
    stateFile: options.stateFile,
    pollIntervalMs: options.pollIntervalMs,
    // The watcher runs deliveries in the background, so a failing subscription (retrying) does not hold it back.
    onEvents: deliverAll,
    log: options.log,
  });
  await watcher.start();
  return { pollNow: () => watcher.pollOnce(), stop: () => watcher.stop() };
}
