import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

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

/**
 * Builds the webhook dependencies for one invocation. The submit path needs that invocation's durable client; it is
 * passed as a getter so rejected and ignored deliveries never build one.
 */
export type WebhookDepsFactory = (client: () => df.DurableClient, context: InvocationContext) => WebhookDeps;

/** The HTTP handler of one webhook. */
export function webhookHandler(spec: WebhookSpec, factory: WebhookDepsFactory) {
  return (request: HttpRequest, context: InvocationContext) =>
    handleWebhook(spec, () => factory(() => df.getClient(context), context), request, context);
}

/**
 * Registers the three CI webhooks. They are anonymous at the platform level because CI systems cannot send a
 * function key in a header: each authenticates by its own signature or credentials instead.
 */
export function registerWebhookFunctions(factory: WebhookDepsFactory): void {
  const specs: [keyof typeof WebhookFunctions, WebhookSpec][] = [
    ['github', gitHubWebhook],
    ['azureDevOps', azureDevOpsWebhook],
    ['generic', genericWebhook],
  ];
  for (const [key, spec] of specs) {
    const { name, route } = WebhookFunctions[key];
    app.http(name, {
      route,
      methods: ['POST'],
      authLevel: 'anonymous',
      extraInputs: [df.input.durableClient()],
      handler: webhookHandler(spec, factory),
    });
  }
}
