import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { handleDatasetUploaded, type DatasetUploadDeps } from '../../triggers/dataset-upload';
import { durableOrchestrationClient } from '../../triggers/orchestration-client';
import { FunctionNames } from '../names';

/** Builds the handler's dependencies for one invocation (the durable client is per invocation). */
export type DatasetUploadDepsFactory = (context: InvocationContext) => Omit<DatasetUploadDeps, 'orchestrations'>;

/** `Microsoft.Storage.BlobCreated` → filter, dedupe, data asset, retrain trigger (see src/triggers/dataset-upload.ts). */
export function registerDatasetUploaded(deps: DatasetUploadDepsFactory): void {
  app.eventGrid(FunctionNames.datasetUploaded, {
    extraInputs: [df.input.durableClient()],
    handler: async (event: EventGridEvent, context: InvocationContext): Promise<void> => {
      const orchestrations = durableOrchestrationClient(df.getClient(context));
      const results = await handleDatasetUploaded({ ...deps(context), orchestrations }, event);
      for (const r of results) {
        if ('ignored' in r) context.log(`event ${event.id} ignored: ${r.ignored}`);
        else
          context.log(
            `event ${event.id}: ${r.model} ${r.result.outcome} (trigger ${r.result.triggerId}, ${r.result.instanceId})`,
          );
      }
    },
  });
}
