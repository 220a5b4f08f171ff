import { app, type HttpRequest, type InvocationContext } from '@azure/functions';

import { azureDevOpsWebhook } from './azure-devops';
import type { WebhookDeps } from './deps';
import { genericWebhook } from './generic';
import { gitHubWebhook } from './github';
import { handleWebhook, type WebhookSpec } from './pipeline';

/** Names and routes of the webhook functions (under the host's /api prefix). */
export const WebhookFunctions = {
  github: { name: 'githubWebhook', route: 'webhooks/github' },
  azureDevOps: { name: 'azureDevOpsWebhook', route: 'webhooks/azure-devops' },
  generic: { name: 'genericWebhook', route: 'webhooks/generic' },
} as const;

/** The HTTP handler of one webhook; exported for handler-level tests. */
export function webhookHandler(spec: WebhookSpec, deps: () => WebhookDeps) {
  return (request: HttpRequest, context: InvocationContext) => handleWebhook(spec, deps(), request, context);
}

/**
 * Registers the three CI webhooks. They are anonymous at the platform level because CI systems cannot send a
 * function key in a header: each authenticates by its own signature or credentials instead.
 */
export function registerWebhookFunctions(deps: () => WebhookDeps): void {
  const specs: [keyof typeof WebhookFunctions, WebhookSpec][] = [
    ['github', gitHubWebhook],
    ['azureDevOps', azureDevOpsWebhook],
    ['generic', genericWebhook],
  ];
  for (const [key, spec] of specs) {
    const { name, route } = WebhookFunctions[key];
    app.http(name, { route, methods: ['POST'], authLevel: 'anonymous', handler: webhookHandler(spec, deps) });
  }
}
