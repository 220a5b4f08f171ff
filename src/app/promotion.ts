/**
 * Composition of promotions across stages: the orchestration and its own activities (the release reuses the
 * retrain release, registered by app/retrain.ts).
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { createPromotionActivities, type PromotionDeps } from '../activities/promotion-activities';
import { promotionOrchestrator } from '../orchestrations/promotion';
import {
  type AutoPromotionInput,
  PromotionActivities,
  PromotionClientActivities,
  PromotionOrchestrations,
} from '../services/promotion/contracts';
import { withErrorType } from '../services/task-failure';
import { durableOrchestrationClient } from '../triggers/orchestration-client';
import { startAutomaticPromotion } from '../triggers/promotion';
import { registerActivitySet } from './activities';
import type { AppContext } from './context';

export function promotionDepsFrom(context: AppContext): PromotionDeps {
  return {
    catalog: context.catalog,
    state: context.state,
    workspaces: context.workspaces,
    telemetry: context.telemetry,
  };
}

export function registerPromotionDurableFunctions(deps: () => PromotionDeps): void {
  df.app.orchestration(PromotionOrchestrations.promote, promotionOrchestrator);
  registerActivitySet(Object.values(PromotionActivities), () => createPromotionActivities(deps()));
  // Starting the next stage's promotion needs the Durable client (any function may take its input binding).
  df.app.activity(PromotionClientActivities.autoStart, {
    extraInputs: [df.input.durableClient()],
    handler: (input: AutoPromotionInput, invocation: InvocationContext) =>
      withErrorType((i: AutoPromotionInput) =>
        startAutomaticPromotion({ ...deps(), orchestrations: durableOrchestrationClient(df.getClient(invocation)) }, i),
      )(input),
  });
}
