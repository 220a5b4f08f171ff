/**
 * Delivers events to the dev host's Event Grid webhook the way Event Grid does: Event Grid schema JSON array,
 * `aeg-*` headers, retries with growing delays on failures, no retry for 400/413 (dead-lettered), and a
 * subscription validation handshake when a subscription is created.
 */
import { randomUUID } from 'node:crypto';

import { errorMessage } from '../log';
import type { EventSubscription } from './subscriptions';

export interface GridEvent {
  id: string;
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  data: Record<string, unknown>;
  dataVersion: string;
  metadataVersion: string;
}

export interface DeliveryOptions {
  /** Dev host origin, e.g. http://127.0.0.1:7071 */
  hostUrl: string;
  /** System key `eventgrid_extension`. */
  systemKey: string;
  /** Delays before each retry (ms); Event Grid starts at 10 s, locally a few seconds keep the loop short. */
  retryDelaysMs?: readonly number[];
  log: (line: string) => void;
  /** For tests: a clock-free wait. */
  wait?: (ms: number) => Promise<void>;
}

export interface DeliveryOutcome {
  delivered: boolean;
  attempts: number;
  lastStatus: number | undefined;
}

const DEFAULT_RETRY_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 30_000, 60_000];
const NON_RETRIABLE = new Set([400, 413]);

export class EventGridDelivery {
  private readonly retryDelaysMs: readonly number[];
  private readonly wait: (ms: number) => Promise<void>;

  constructor(private readonly options: DeliveryOptions) {
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.wait = options.wait ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()));
  }

  private endpoint(subscription: EventSubscription): string {
    const q = new URLSearchParams({ functionName: subscription.functionName, code: this.options.systemKey });
    return `${this.options.hostUrl}/runtime/webhooks/eventgrid?${q.toString()}`;
  }

  private headers(subscription: EventSubscription, type: string, deliveryCount: number): Record<string, string> {
    return {
      'content-type': 'application/json; charset=utf-8',
      'aeg-event-type': type,
      'aeg-subscription-name': subscription.name.toUpperCase(),
      'aeg-delivery-count': String(deliveryCount),
      'aeg-data-version': '',
      'aeg-metadata-version': '1',
    };
  }

  /** The handshake Event Grid performs when a webhook subscription is created; resolves true when it succeeds. */
  async validate(subscription: EventSubscription, topic: string): Promise<boolean> {
    const code = randomUUID();
    const event = {
      id: randomUUID(),
      topic,
      subject: '',
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: new Date().toISOString(),
      data: { validationCode: code, validationUrl: '' },
      dataVersion: '2',
      metadataVersion: '1',
    };
    try {
      const res = await fetch(this.endpoint(subscription), {
        method: 'POST',
        headers: this.headers(subscription, 'SubscriptionValidation', 0),
        body: JSON.stringify([event]),
      });
      const body = res.ok ? ((await res.json()) as { validationResponse?: string }) : {};
      return body.validationResponse === code;
    } catch {
      return false;
    }
  }

  /** Delivers one batch, retrying until it is accepted or the retry schedule is exhausted. */
  async deliver(subscription: EventSubscription, events: readonly GridEvent[]): Promise<DeliveryOutcome> {
    let lastStatus: number | undefined;
    for (let attempt = 0; ; attempt++) {
      let failure: string;
      try {
        const res = await fetch(this.endpoint(subscription), {
          method: 'POST',
          headers: this.headers(subscription, 'Notification', attempt),
          body: JSON.stringify(events),
        });
        lastStatus = res.status;
        await res.arrayBuffer();
        if (res.status >= 200 && res.status < 300) return { delivered: true, attempts: attempt + 1, lastStatus };
        failure = `HTTP ${res.status}`;
        if (NON_RETRIABLE.has(res.status)) {
          this.options.log(
            `Event Grid: ${subscription.name} dead-lettered ${events.length} event(s): ${failure} is not retried`,
          );
          return { delivered: false, attempts: attempt + 1, lastStatus };
        }
      } catch (error) {
        failure = errorMessage(error);
      }
      const delay = this.retryDelaysMs[attempt];
      if (delay === undefined) {
        this.options.log(`Event Grid: ${subscription.name} gave up after ${attempt + 1} attempts (${failure})`);
        return { delivered: false, attempts: attempt + 1, lastStatus };
      }
      this.options.log(
        `Event Grid: ${subscription.name} delivery failed (${failure}); retry ${attempt + 1} in ${delay} ms`,
      );
      await this.wait(delay);
    }
  }
}
