/**
 * Local Event Grid subscriptions (what `infra/` creates in Azure as system-topic subscriptions), read from a JSON
 * file such as dev/launcher/event-subscriptions.json.
 */
import fs from 'node:fs';

/** An Event Grid advanced filter on `subject` or a `data.*` field; string operators compare case-insensitively. */
export interface AdvancedFilter {
  operatorType: 'StringBeginsWith' | 'StringEndsWith' | 'StringIn';
  key: string;
  values: string[];
}

export interface SubscriptionFilter {
  /** Event types to deliver; all when omitted. */
  includedEventTypes?: string[];
  subjectBeginsWith?: string;
  subjectEndsWith?: string;
  /** Event Grid compares subjects case-insensitively unless this is set. */
  isSubjectCaseSensitive?: boolean;
  /** All must match (AND); within one, any value matches (OR), as in Event Grid. */
  advancedFilters?: AdvancedFilter[];
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
  /**
   * Take the advanced filters from the model catalog the way `infra/` does for Azure (containers/prefixes/suffixes
   * of the dataset triggers, committed-blob APIs only), so local storage events reach the app exactly when they
   * would in Azure. A catalog without dataset triggers gets no deliveries, as no subscription is deployed then.
   */
  filterFromCatalog?: boolean;
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

function fieldOf(event: { subject: string; data?: unknown }, key: string): string | undefined {
  if (key.toLowerCase() === 'subject') return event.subject;
  if (!key.startsWith('data.')) return undefined;
  let value: unknown = event.data;
  for (const part of key.slice('data.'.length).split('.')) {
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  return typeof value === 'string' ? value : undefined;
}

function matchesAdvanced(filter: AdvancedFilter, event: { subject: string; data?: unknown }): boolean {
  const field = fieldOf(event, filter.key)?.toLowerCase();
  if (field === undefined) return false;
  const values = filter.values.map((v) => v.toLowerCase());
  switch (filter.operatorType) {
    case 'StringBeginsWith':
      return values.some((v) => field.startsWith(v));
    case 'StringEndsWith':
      return values.some((v) => field.endsWith(v));
    case 'StringIn':
      return values.includes(field);
  }
}

export function matchesFilter(
  filter: SubscriptionFilter | undefined,
  event: { eventType: string; subject: string; data?: unknown },
): boolean {
  if (!filter) return true;
  if (filter.advancedFilters && !filter.advancedFilters.every((f) => matchesAdvanced(f, event))) return false;
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
