import { type VerificationFailure, verificationMessages } from '../../security';

/** The webhook's secret or credentials are not configured: nothing can be verified, so nothing is accepted. */
export class WebhookNotConfiguredError extends Error {
  readonly code = 'WebhookNotConfigured';
  readonly settings: readonly string[];

  constructor(webhook: string, settings: readonly string[]) {
    super(`The ${webhook} webhook is not configured: set ${settings.join(' and ')} in the app settings.`);
    this.name = 'WebhookNotConfiguredError';
    this.settings = settings;
  }
}

/** Missing or invalid signature/credentials. The reason names the check, never the presented value. */
export class WebhookUnauthorizedError extends Error {
  readonly code = 'WebhookUnauthorized';
  readonly reason: VerificationFailure;

  constructor(reason: VerificationFailure) {
    super(`Webhook rejected: ${verificationMessages[reason]}.`);
    this.name = 'WebhookUnauthorizedError';
    this.reason = reason;
  }
}

/** The body is larger than the webhook accepts (declared by Content-Length or counted while reading). */
export class PayloadTooLargeError extends Error {
  readonly code = 'PayloadTooLarge';
  readonly limitBytes: number;

  constructor(limitBytes: number, declared?: number) {
    super(
      declared === undefined
        ? `The body exceeds ${limitBytes} bytes.`
        : `The body (Content-Length ${declared}) exceeds ${limitBytes} bytes.`,
    );
    this.name = 'PayloadTooLargeError';
    this.limitBytes = limitBytes;
  }
}

/** A header the webhook needs is missing or malformed (event name, delivery id). */
export class BadWebhookHeaderError extends Error {
  readonly code = 'BadWebhookHeader';
  readonly header: string;

  constructor(header: string, problem: string) {
    super(`Header ${header} ${problem}.`);
    this.name = 'BadWebhookHeaderError';
    this.header = header;
  }
}
