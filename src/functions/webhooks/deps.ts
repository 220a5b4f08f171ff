import type { Catalog } from '../../catalog';
import type { AppConfig } from '../../config';
import type { RetrainTriggerSubmitter } from '../../services/webhooks';
import type { Telemetry } from '../../telemetry';

/** What the webhook handlers need; built once by the composition root, replaced by tests. */
export interface WebhookDeps {
  /** The validated catalog (loaded on first use, so an invalid catalog is reported by the first request too). */
  readonly catalog: () => Catalog;
  /** Webhook secrets and credentials from the app settings. */
  readonly settings: () => AppConfig['webhooks'];
  /** The retrain start/coalesce path shared with every other trigger. */
  readonly submit: RetrainTriggerSubmitter;
  readonly telemetry?: Telemetry;
  /** Clock in unix ms (replay window of the generic webhook); default Date.now. */
  readonly now?: () => number;
}
