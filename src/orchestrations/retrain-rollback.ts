import type { OrchestrationContext } from 'durable-functions';

import { RetrainActivities, type RollbackInput, type RollbackOutput } from '../services/retrain/contracts';
import { callActivity, type Steps } from './retrain-support';

/** The rollback operation: traffic back to the previous (or a named) deployment of the model's endpoint. */
export function* retrainRollbackOrchestrator(context: OrchestrationContext): Steps<RollbackOutput> {
  const input = context.df.getInput<RollbackInput>();
  context.df.setCustomStatus({ model: input.model, stage: 'rollback' });
  const result = yield* callActivity<RollbackOutput>(context, RetrainActivities.rollbackEndpoint, input);
  context.df.setCustomStatus({ model: input.model, stage: 'done', to: result.to });
  return result;
}
