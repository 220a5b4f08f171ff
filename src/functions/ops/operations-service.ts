import type { DurableClient } from 'durable-functions';

import type { AppContext } from '../../app/context';
import { batchRunOperations } from './batch-runs';
import { getEndpointDetail, getModel, listEndpoints, listModels } from './model-views';
import { retrainOperations } from './retrain-operations';
import type { OperationsService } from './service';

/** The whole operations API over the app context and the durable client of one invocation. */
export function operationsService(context: AppContext, client: DurableClient): OperationsService {
  return {
    ...retrainOperations(context, client),
    ...batchRunOperations(context, client),
    listModels: () => listModels(context),
    getModel: (model) => getModel(context, model),
    listEndpoints: () => listEndpoints(context),
    getEndpoint: (endpoint) => getEndpointDetail(context, endpoint),
  };
}
