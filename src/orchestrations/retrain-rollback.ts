import type { OrchestrationContext } from 'durable-functions';

import { errorMessageOf } from '../services/retrain/errors';
import {
  type RollbackFinishInput,
  RetrainActivities,
  type RollbackInput,
  type RollbackOutput,
} from '../services/retrain/contracts';
import { waitForEndpoint } from './endpoint-wait';
import { callActivity, type Steps } from './retrain-support';

/**
 * The rollback operation: traffic back to the previous (or a named) deployment of the model's endpoint. The activity
 * starts the traffic change; this waits for it on durable timers (it takes about a minute in Azure) and then closes
 * the run record.
 */
export function* retrainRollbackOrchestrator(context: OrchestrationContext): Steps<RollbackOutput> {
  const input = context.df.getInput<RollbackInput>();
  context.df.setCustomStatus({ model: input.model, stage: 'rollback' });
  const started = yield* callActivity<RollbackOutput>(context, RetrainActivities.rollbackEndpoint, input);
  let result = started;
  let failure: string | undefined;
  try {
    const { snapshot } = yield* waitForEndpoint(
      context,
      started.endpoint,
      { scoringUri: undefined, authMode: '', live: started.to, ...started },
      {
        pollSeconds: started.pollSeconds ?? 15,
        timeoutSeconds: started.timeoutSeconds ?? 3600,
        workspace: started.workspace,
      },
    );
    result = { ...started, traffic: snapshot.traffic };
  } catch (error) {
    failure = `traffic change on ${started.endpoint} did not apply: ${errorMessageOf(error)}`;
  }
  const finish: RollbackFinishInput = {
    model: input.model,
    stage: input.stage,
    runId: input.runId,
    endpoint: result.endpoint,
    from: result.from,
    to: result.to,
    traffic: result.traffic,
    failure,
    requestedBy: input.requestedBy,
  };
  yield* callActivity<void>(context, RetrainActivities.rollbackFinish, finish);
  if (failure) throw new Error(failure);
  context.df.setCustomStatus({ model: input.model, stage: 'done', to: result.to });
  return { endpoint: result.endpoint, from: result.from, to: result.to, traffic: result.traffic };
}
