/**
 * Registers the CI webhooks on import, over the shared app context (built on first use from the validated settings
 * and catalog) and the one retrain submit path.
 */
import { getAppContext } from '../../app/context';
import { durableOrchestrationClient } from '../../triggers/orchestration-client';
import { registerWebhookFunctions } from './register';
import { retrainSubmitter } from './submitter';

registerWebhookFunctions((client) => {
  const context = getAppContext();
  return {
    catalog: () => context.catalog,
    settings: () => context.config.webhooks,
    telemetry: context.telemetry,
    submit: (request) =>
      retrainSubmitter({
        catalog: context.catalog,
        state: context.state,
        telemetry: context.telemetry,
        orchestrations: durableOrchestrationClient(client()),
      })(request),
  };
});
