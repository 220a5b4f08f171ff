/**
 * Composition of promotions across stages: the orchestration and its own activities (the release reuses the
 * retrain release, registered by app/retrain.ts).
 */
import * as df from 'durable-functions';

import { createPromotionActivities, type PromotionDeps } from '../activities/promotion-activities';
import { promotionOrchestrator } from '../orchestrations/promotion';
import { PromotionActivities, PromotionOrchestrations } from '../services/promotion/contracts';
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
}
