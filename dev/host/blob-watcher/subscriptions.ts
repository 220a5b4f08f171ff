/**
 * Local Event Grid subscriptions (what `infra/` creates in Azure as system-topic subscriptions), read from a JSON
 * file such as dev/launcher/event-subscriptions.json.
 */
import fs from 'node:fs';

export interface SubscriptionFilter {
  /** Event types to deliver; all when omitted. */
  includedEventTypes?: string[];
  subjectBeginsWith?: string;
  subjectEndsWith?: string;
  /** Event Grid compares subjects case-insensitively unless this is set. */
  isSubjectCaseSensitive?: boolean;
}

export interface EventSubscription {
  name: string;
  /** The Event Grid-triggered function that receives the events. */
  functionName: string;
  /** `storage`: fed by the blob watcher; `azureml`: the Azure ML emulator pushes the events itself. */
  source: 'storage' | 'azureml';
  filter?: SubscriptionFilter;
  /** Events per delivery (Event Grid default 1). */
  maxEventsPerBatch?: number;
}

export interface SubscriptionsFile {
  storageAccount: { subscriptionId: string; resourceGroup: string; name: string };
  subscriptions: EventSubscription[];
}

export function readSubscriptions(file: string): SubscriptionsFile {
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SubscriptionsFile>;
  if (!parsed.storageAccount || !Array.isArray(parsed.subscriptions)) {
    throw new Error(`${file}: expected { storageAccount: {...}, subscriptions: [...] }`);
  }
  for (const s of parsed.subscriptions) {
    if (!s.name || !s.functionName || (s.source !== 'storage' && s.source !== 'azureml')) {
      throw new Error(`${file}: every subscription needs name, functionName and source ('storage' | 'azureml')`);
    }
  }
  return parsed as SubscriptionsFile;
}

export function matchesFilter(
  filter: SubscriptionFilter | undefined,
  event: { eventType: string; subject: string },
): boolean {
  if (!filter) return true;
  if (filter.includedEventTypes && filter.includedEventTypes.length > 0) {
    if (!filter.includedEventTypes.some((t) => t.toLowerCase() === event.eventType.toLowerCase())) return false;
  }
  const cs = filter.isSubjectCaseSensitive === true;
  const subject = cs ? event.subject : event.subject.toLowerCase();
  const begins = filter.subjectBeginsWith
    ? cs
      ? filter.subjectBeginsWith
      : filter.subjectBeginsWith.toLowerCase()
    : '';
  const ends = filter.subjectEndsWith ? (cs ? filter.subjectEndsWith : filter.subjectEndsWith.toLowerCase()) : '';
  return subject.startsWith(begins) && subject.endsWith(ends);
}
