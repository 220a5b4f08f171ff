/**
 * Composition of promotions across stages: the orchestration and its own activities (the release reuses the
 * retrain release, registered by app/retrain.ts).
 */
import * as df from 'durable-functions';

import { createPromotionActivities, type PromotionDeps } from '../activities/promotion-activities';
import { promotionOrchestrator } from '../orchestrations/promotion';
import { PromotionActivities, PromotionOrchestrations } from '../services/promotion/contracts';
import { withErrorType } from '../services/task-failure';
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
  let handlers: ReturnType<typeof createPromotionActivities> | undefined;
  const resolve = () => (handlers ??= createPromotionActivities(deps()));
  for (const name of Object.values(PromotionActivities)) {
    df.app.activity(name, {
      handler: withErrorType((input: unknown) => (resolve()[name] as (i: unknown) => Promise<unknown>)(input)),
    });
  }
}
