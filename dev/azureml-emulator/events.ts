/**
 * Publishes Azure ML system events to webhook subscribers the way Event Grid delivers them: an Event Grid schema
 * array per POST with the `aeg-*` headers, retried with back-off.
 *
 * @remarks Delivery runs beside the emulator: a subscriber that is down or slow never blocks or fails an API call.
 * Each subscriber has its own queue so events reach it in the order they were raised. Undelivered events are kept in
 * the emulator's state (`outbox`) and delivered after a restart, as Event Grid keeps an event until it is delivered or
 * given up on, whatever happens to the publisher's clients.
 */
import { randomUUID } from 'node:crypto';
import { currentWorkspaceId } from './arm';

export interface EventGridEvent {
  id: string;
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  data: Record<string, unknown>;
  dataVersion: string;
  metadataVersion: string;
}

export interface EventSubscriber {
  readonly url: string;
  /** Sent as `aeg-subscription-name`; defaults to `LOCAL-AZUREML-<n>`. */
  readonly name?: string;
}

export interface DeliveryRecord {
  eventId: string;
  eventType: string;
  subject: string;
  subscriber: string;
  attempts: number;
  status: 'pending' | 'delivered' | 'failed';
  lastError?: string;
  lastStatusCode?: number;
}

/** An event not yet delivered to a subscriber (or given up on), as kept across restarts. */
export interface PendingDelivery {
  readonly subscriber: string;
  readonly event: EventGridEvent;
}

export interface EventPublisherOptions {
  readonly subscribers?: readonly EventSubscriber[];
  /** Attempts per event and subscriber (default 5). */
  readonly maxAttempts?: number;
  /** First retry delay; doubles per attempt, capped at 30 s (default 500 ms). */
  readonly retryDelayInMs?: number;
  /** Per-attempt timeout (default 10 s). */
  readonly timeoutInMs?: number;
  readonly log?: (line: string) => void;
  /** Where undelivered events are kept (the emulator's state); in memory only when absent. */
  readonly outbox?: { load(): readonly PendingDelivery[]; save(pending: PendingDelivery[]): void };
}

interface QueueItem {
  event: EventGridEvent;
  record: DeliveryRecord;
}

interface Queue {
  readonly subscriber: Required<EventSubscriber>;
  readonly pending: QueueItem[];
  /** The item being delivered (no longer in `pending`). */
  current: QueueItem | undefined;
  running: boolean;
}

const MAX_RECORDS = 1000;

export class EventPublisher {
  private readonly queues: Queue[] = [];
  private readonly published: EventGridEvent[] = [];
  private readonly deliveries: DeliveryRecord[] = [];
  private readonly maxAttempts: number;
  private readonly retryDelayInMs: number;
  private readonly timeoutInMs: number;
  private readonly log: (line: string) => void;
  private readonly outbox: EventPublisherOptions['outbox'];
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  /** Aborts in-flight deliveries and back-off waits on close, so shutdown never waits for a dead subscriber. */
  private readonly stopping = new AbortController();

  constructor(options: EventPublisherOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryDelayInMs = options.retryDelayInMs ?? 500;
    this.timeoutInMs = options.timeoutInMs ?? 10_000;
    this.log = options.log ?? (() => undefined);
    this.outbox = options.outbox;
    for (const subscriber of options.subscribers ?? []) this.addSubscriber(subscriber);
  }

  /** Delivers the events a previous run left undelivered (to subscribers that are still configured). */
  resume(): void {
    for (const { subscriber, event } of this.outbox?.load() ?? []) {
      const queue = this.queues.find((q) => q.subscriber.url === subscriber);
      if (queue) this.enqueue(queue, event);
    }
    this.persist();
  }

  addSubscriber(subscriber: EventSubscriber): void {
    const url = new URL(subscriber.url).toString();
    if (this.queues.some((queue) => queue.subscriber.url === url)) return;
    const name = subscriber.name ?? `LOCAL-AZUREML-${this.queues.length + 1}`;
    this.queues.push({ subscriber: { url, name }, pending: [], current: undefined, running: false });
  }

  removeSubscriber(url: string): void {
    const index = this.queues.findIndex((queue) => queue.subscriber.url === new URL(url).toString());
    if (index >= 0) this.queues.splice(index, 1);
  }

  subscribers(): EventSubscriber[] {
    return this.queues.map((queue) => ({ ...queue.subscriber }));
  }

  publish(input: { subject: string; eventType: string; eventTime: string; data: Record<string, unknown> }): void {
    const event: EventGridEvent = {
      id: randomUUID(),
      // The workspace the event happened in (events are published inside its scope).
      topic: currentWorkspaceId(),
      subject: input.subject,
      eventType: input.eventType,
      eventTime: input.eventTime,
      data: input.data,
      dataVersion: '',
      metadataVersion: '1',
    };
    remember(this.published, event);
    if (this.closed) return;
    for (const queue of this.queues) this.enqueue(queue, event);
    this.persist();
  }

  private enqueue(queue: Queue, event: EventGridEvent): void {
    const record: DeliveryRecord = {
      eventId: event.id,
      eventType: event.eventType,
      subject: event.subject,
      subscriber: queue.subscriber.url,
      attempts: 0,
      status: 'pending',
    };
    remember(this.deliveries, record);
    queue.pending.push({ event, record });
    if (!queue.running) this.track(this.drain(queue));
  }

  /** Saves what is still to be delivered (not on close: a stopped emulator delivers it after its restart). */
  private persist(): void {
    if (this.closed || !this.outbox) return;
    this.outbox.save(
      this.queues.flatMap((queue) =>
        [...(queue.current ? [queue.current] : []), ...queue.pending].map(({ event }) => ({
          subscriber: queue.subscriber.url,
          event,
        })),
      ),
    );
  }

  events(): EventGridEvent[] {
    return [...this.published];
  }

  deliveryRecords(): DeliveryRecord[] {
    return this.deliveries.map((record) => ({ ...record }));
  }

  clear(): void {
    this.published.length = 0;
    this.deliveries.length = 0;
    for (const queue of this.queues) queue.pending.length = 0;
    this.persist();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private track(promise: Promise<void>): void {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
  }

  private async drain(queue: Queue): Promise<void> {
    queue.running = true;
    try {
      while (!this.closed) {
        queue.current = queue.pending.shift();
        if (!queue.current) break;
        await this.deliver(queue.subscriber, queue.current.event, queue.current.record);
        if (this.closed) break; // still undelivered: kept for the next start
        queue.current = undefined;
        this.persist();
      }
    } finally {
      queue.running = false;
    }
  }

  private async deliver(
    subscriber: Required<EventSubscriber>,
    event: EventGridEvent,
    record: DeliveryRecord,
  ): Promise<void> {
    for (let attempt = 1; attempt <= this.maxAttempts && !this.closed; attempt += 1) {
      record.attempts = attempt;
      try {
        const response = await fetch(subscriber.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'aeg-event-type': 'Notification',
            'aeg-subscription-name': subscriber.name,
            'aeg-delivery-count': String(attempt - 1),
            'aeg-metadata-version': event.metadataVersion,
            'aeg-data-version': event.dataVersion,
          },
          body: JSON.stringify([event]),
          signal: AbortSignal.any([AbortSignal.timeout(this.timeoutInMs), this.stopping.signal]),
        });
        record.lastStatusCode = response.status;
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) {
          record.status = 'delivered';
          return;
        }
        record.lastError = `HTTP ${response.status}`;
      } catch (error) {
        record.lastError = error instanceof Error ? error.message : String(error);
      }
      if (attempt < this.maxAttempts) {
        await delay(Math.min(30_000, this.retryDelayInMs * 2 ** (attempt - 1)), this.stopping.signal);
      }
    }
    if (this.closed) return; // stays pending: delivered after the next start
    record.status = 'failed';
    this.log(
      `event ${event.eventType} ${event.subject} not delivered to ${subscriber.url}: ${record.lastError ?? 'no answer'}`,
    );
  }
}

function remember<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > MAX_RECORDS) list.splice(0, list.length - MAX_RECORDS);
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
