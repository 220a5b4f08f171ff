import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import type { StateStores } from '../../state';
import { durableOrchestrationClient } from '../../triggers/orchestration-client';
import { handleAzureMlRunEvent } from '../../triggers/run-events';
import { FunctionNames } from '../names';

/** Azure ML RunCompleted / RunStatusChanged → wake the retrain orchestration waiting for that run. */
export function registerAzureMlRunEvents(state: () => StateStores): void {
  app.eventGrid(FunctionNames.azuremlRunEvents, {
    extraInputs: [df.input.durableClient()],
    handler: async (event: EventGridEvent, context: InvocationContext): Promise<void> => {
      const outcome = await handleAzureMlRunEvent(
        { state: state(), orchestrations: durableOrchestrationClient(df.getClient(context)) },
        event,
      );
      context.log(
        outcome.delivered
          ? `run ${outcome.jobName} ${outcome.status} → ${outcome.instanceId}`
          : `run event ${event.id} not delivered: ${outcome.reason}`,
      );
    },
  });
}
