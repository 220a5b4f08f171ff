import {
  GENERIC_DELIVERY_HEADER,
  GENERIC_SIGNATURE_HEADER,
  GENERIC_TIMESTAMP_HEADER,
  verifyGenericSignature,
} from '../../security';
import { interpretGenericBody } from '../../services/webhooks';
import type { WebhookDeps } from './deps';
import { WebhookNotConfiguredError } from './errors';
import { requireDeliveryId, type WebhookSpec } from './pipeline';

function secret(deps: WebhookDeps): string {
  const value = deps.settings().genericSecret;
  if (!value) throw new WebhookNotConfiguredError('generic', ['GENERIC_WEBHOOK_SECRET']);
  return value;
}

/**
 * `POST /api/webhooks/generic` (Jenkins and others): HMAC-SHA256 over "<timestamp>.<raw body>", 300 s replay
 * window, X-Mlops-Delivery as the redelivery key; the body names the models.
 */
export const genericWebhook: WebhookSpec = {
  source: 'generic',
  ensureConfigured: (deps) => void secret(deps),
  verifyBody: (request, raw, deps) =>
    verifyGenericSignature({
      secret: secret(deps),
      rawBody: raw,
      timestamp: request.headers.get(GENERIC_TIMESTAMP_HEADER) ?? undefined,
      signature: request.headers.get(GENERIC_SIGNATURE_HEADER) ?? undefined,
      nowMs: (deps.now ?? Date.now)(),
    }),
  deliveryId: (request) => requireDeliveryId('X-Mlops-Delivery', request.headers.get(GENERIC_DELIVERY_HEADER)),
  interpret: (_request, payload, catalog) => {
    const body = interpretGenericBody(catalog, payload);
    return {
      kind: 'retrain',
      requests: body.models.map((model) => ({
        model,
        reason: body.reason ?? 'generic webhook',
        ...(body.git
          ? {
              git: {
                provider: 'generic' as const,
                repository: body.git.repository,
                sha: body.git.sha.toLowerCase(),
                ref: body.git.ref,
                ...(body.git.ciRunUrl ? { ciRunUrl: body.git.ciRunUrl } : {}),
              },
            }
          : {}),
        ...(body.parameters ? { parameters: body.parameters } : {}),
      })),
    };
  },
};
