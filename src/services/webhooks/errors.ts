/**
 * The body of a webhook is not JSON, or does not have the shape its event requires. `problems` name each field;
 * the HTTP edge answers 400 with them.
 */
export class WebhookPayloadError extends Error {
  readonly code = 'InvalidWebhookPayload';
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    super(`Invalid webhook payload: ${problems.join('; ')}`, options);
    this.name = 'WebhookPayloadError';
    this.problems = problems;
  }
}
