import type { HttpRequest } from '@azure/functions';

import type { Catalog } from '../../catalog';
import { GITHUB_SIGNATURE_HEADER, verifyGitHubSignature } from '../../security';
import { interpretGitHubDelivery, matchModels, parseJson, WebhookPayloadError } from '../../services/webhooks';
import type { WebhookDeps } from './deps';
import { WebhookNotConfiguredError } from './errors';
import { type Interpretation, requireDeliveryId, type WebhookSpec } from './pipeline';

export const GITHUB_EVENT_HEADER = 'x-github-event';
export const GITHUB_DELIVERY_HEADER = 'x-github-delivery';

function secret(deps: WebhookDeps): string {
  const value = deps.settings().githubSecret;
  if (!value) throw new WebhookNotConfiguredError('GitHub', ['GITHUB_WEBHOOK_SECRET']);
  return value;
}

/**
 * GitHub sends JSON (`application/json`) or, when the webhook is set to `application/x-www-form-urlencoded`, the
 * JSON in a `payload` form field. The signature covers the body as sent in both cases.
 */
function decode(request: HttpRequest, raw: Buffer): unknown {
  const type = request.headers.get('content-type') ?? '';
  if (type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(raw.toString('utf8')).get('payload');
    if (payload === null) throw new WebhookPayloadError(['form body has no payload field']);
    return parseJson(payload);
  }
  return parseJson(raw.toString('utf8'));
}

function interpret(request: HttpRequest, payload: unknown, catalog: Catalog): Interpretation {
  const eventName = request.headers.get(GITHUB_EVENT_HEADER)?.trim();
  if (!eventName) throw new WebhookPayloadError([`header ${GITHUB_EVENT_HEADER} is missing`]);
  const result = interpretGitHubDelivery(eventName, payload);
  if (result.kind === 'ping') {
    return { kind: 'ping', body: { pong: true, ...(result.hookId !== undefined ? { hookId: result.hookId } : {}) } };
  }
  if (result.kind === 'ignored') return result;
  const event = result.event;
  const { matches, misses } = matchModels(catalog, event);
  if (matches.length === 0) {
    return { kind: 'ignored', reason: `no model matches: ${misses.join(' | ') || 'no model has git triggers'}` };
  }
  return {
    kind: 'retrain',
    requests: matches.map((m) => ({
      model: m.model.name,
      reason: m.reason,
      git: {
        provider: 'github',
        repository: event.repository ?? m.gitTrigger.repository,
        sha: event.sha,
        ref: event.ref,
        ...(event.ciRunUrl ? { ciRunUrl: event.ciRunUrl } : {}),
      },
    })),
  };
}

/** `POST /api/webhooks/github`: X-Hub-Signature-256 over the raw body; ping, push and workflow_run. */
export const gitHubWebhook: WebhookSpec = {
  source: 'github',
  ensureConfigured: (deps) => void secret(deps),
  verifyBody: (request, raw, deps) =>
    verifyGitHubSignature(secret(deps), raw, request.headers.get(GITHUB_SIGNATURE_HEADER) ?? undefined),
  decode,
  deliveryId: (request) => requireDeliveryId('X-GitHub-Delivery', request.headers.get(GITHUB_DELIVERY_HEADER)),
  interpret,
};
