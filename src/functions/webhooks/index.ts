export { azureDevOpsWebhook } from './azure-devops';
export { MAX_WEBHOOK_BODY_BYTES } from './body';
export type { WebhookDeps } from './deps';
export { genericWebhook } from './generic';
export { gitHubWebhook } from './github';
export { handleWebhook, type WebhookSpec } from './pipeline';
export { registerWebhookFunctions, webhookHandler, WebhookFunctions } from './register';
