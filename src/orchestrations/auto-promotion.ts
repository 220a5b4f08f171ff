import type { OrchestrationContext } from 'durable-functions';

import {
  type AutoPromotionInput,
  type AutoPromotionOutput,
  PromotionClientActivities,
} from '../services/promotion/contracts';
import { errorMessageOf } from '../services/retrain/errors';
import { callActivity, log, type Steps } from './retrain-support';

/**
 * `promotion: automatic`: after a successful release in a stage, the next stage's promotion starts by itself (an
 * activity with the Durable client; the new promotion has its own instance, run and approval). Whatever the answer,
 * the releasing run's outcome stands: a refusal or a failure to start is logged, not raised.
 */
export function* promoteAfterRelease(context: OrchestrationContext, input: AutoPromotionInput): Steps<void> {
  try {
    const started = yield* callActivity<AutoPromotionOutput>(context, PromotionClientActivities.autoStart, input);
    log(
      context,
      `automatic promotion of ${input.model}:${input.version} to ${input.to}: ${started.outcome}${started.runId ? ` ${started.runId}` : ''}${started.reason ? ` (${started.reason})` : ''}`,
    );
  } catch (error) {
    log(
      context,
      `automatic promotion of ${input.model}:${input.version} to ${input.to} did not start: ${errorMessageOf(error)}`,
    );
  }
}
