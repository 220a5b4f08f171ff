import { verifyBasicAuth } from '../../security';
import {
  type CiEvent,
  interpretAzureDevOpsNotification,
  matchModels,
  readAzureDevOpsEnvelope,
} from '../../services/webhooks';
import type { WebhookDeps } from './deps';
import { WebhookNotConfiguredError } from './errors';
import { type Interpretation, requireDeliveryId, type WebhookSpec } from './pipeline';

function credentials(deps: WebhookDeps): { username: string; password: string } {
  const value = deps.settings().azureDevOps;
  if (!value) {
    throw new WebhookNotConfiguredError('Azure DevOps', [
      'AZURE_DEVOPS_WEBHOOK_USERNAME',
      'AZURE_DEVOPS_WEBHOOK_PASSWORD',
    ]);
  }
  return value;
}

function lineageRepository(event: CiEvent, fallback: string): string {
  return event.repository ?? fallback;
}

/** `POST /api/webhooks/azure-devops`: basic auth; git.push, build.complete, pipeline run state changed. */
export const azureDevOpsWebhook: WebhookSpec = {
  source: 'azureDevOps',
  ensureConfigured: (deps) => void credentials(deps),
  verifyHeaders: (request, deps) =>
    verifyBasicAuth(request.headers.get('authorization') ?? undefined, credentials(deps)),
  deliveryId: (_request, payload) =>
    requireDeliveryId('notification id (body id / notificationId)', readAzureDevOpsEnvelope(payload).deliveryId),
  interpret: (_request, payload, catalog): Interpretation => {
    const result = interpretAzureDevOpsNotification(payload);
    if (result.kind === 'ignored') return result;
    const requests: Extract<Interpretation, { kind: 'retrain' }>['requests'][number][] = [];
    const misses: string[] = [];
    const seen = new Set<string>();
    for (const event of result.events) {
      const outcome = matchModels(catalog, event);
      misses.push(...outcome.misses);
      for (const m of outcome.matches) {
        if (seen.has(m.model.name)) continue;
        seen.add(m.model.name);
        requests.push({
          model: m.model.name,
          reason: m.reason,
          git: {
            provider: 'azureDevOps',
            repository: lineageRepository(event, m.gitTrigger.repository),
            sha: event.sha,
            ref: event.ref,
            ...(event.ciRunUrl ? { ciRunUrl: event.ciRunUrl } : {}),
          },
        });
      }
    }
    if (requests.length === 0) return { kind: 'ignored', reason: `no model matches: ${misses.join(' | ')}` };
    return { kind: 'retrain', requests };
  },
};
