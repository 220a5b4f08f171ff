/**
 * Composition of the retrain flow: orchestrations, activities, Event Grid triggers, HTTP operations and the lane
 * reconciler, over the shared app context.
 */
import { app } from '@azure/functions';
import * as df from 'durable-functions';

import { createRetrainActivities, type RetrainDeps } from '../activities/retrain-activities';
import { retrainModels } from '../catalog';
import { registerAzureMlRunEvents } from '../functions/eventgrid/azureml-run-events';
import { registerDatasetUploaded } from '../functions/eventgrid/dataset-uploaded';
import { retrainOrchestrator } from '../orchestrations/retrain';
import { retrainDeployOrchestrator } from '../orchestrations/retrain-deploy';
import { retrainRollbackOrchestrator } from '../orchestrations/retrain-rollback';
import { RetrainActivities, RetrainOrchestrations } from '../services/retrain/contracts';
import { scheduleSlot } from '../services/retrain/dedupe';
import { durableOrchestrationClient } from '../triggers/orchestration-client';
import { reconcileRetrainLanes } from '../triggers/reconcile';
import { submitRetrainTrigger } from '../triggers/submit';
import { registerActivitySet } from './activities';
import type { AppContext } from './context';
import { promotionDepsFrom, registerPromotionDurableFunctions } from './promotion';

export const RETRAIN_RECONCILER = 'retrainReconciler';

/** Function name of a scheduled retrain timer. */
export function retrainScheduleFunctionName(model: string, schedule: string): string {
  return `retrainSchedule-${model}-${schedule}`.slice(0, 127);
}

export function retrainDepsFrom(context: AppContext): RetrainDeps {
  return {
    catalog: context.catalog,
    state: context.state,
    ws: context.workspace,
    workspaces: context.workspaces,
    telemetry: context.telemetry,
  };
}

/** Registers the orchestrations and activities only (what the durable engine runs). */
export function registerRetrainDurableFunctions(deps: () => RetrainDeps): void {
  df.app.orchestration(RetrainOrchestrations.retrain, retrainOrchestrator);
  df.app.orchestration(RetrainOrchestrations.deploy, retrainDeployOrchestrator);
  df.app.orchestration(RetrainOrchestrations.rollback, retrainRollbackOrchestrator);
  registerActivitySet(Object.values(RetrainActivities), () => createRetrainActivities(deps()));
}

/** Registers every retrain function. `context` is resolved on first use. */
export function registerRetrainFunctions(context: () => AppContext): void {
  registerRetrainDurableFunctions(() => retrainDepsFrom(context()));
  // Promotions release through the retrain release registered above.
  registerPromotionDurableFunctions(() => promotionDepsFrom(context()));
  const submitDeps = () => {
    const c = context();
    return { catalog: c.catalog, state: c.state, telemetry: c.telemetry };
  };
  registerDatasetUploaded(() => ({ ...submitDeps(), ws: context().workspace }));
  registerAzureMlRunEvents(() => context().state);
  // Scheduled retrains (catalog triggers.schedules): one timer per model and schedule.
  for (const model of retrainModels(context().catalog)) {
    for (const schedule of model.triggers.schedules) {
      app.timer(retrainScheduleFunctionName(model.name, schedule.name), {
        schedule: schedule.schedule,
        extraInputs: [df.input.durableClient()],
        handler: async (_timer, invocation) => {
          const slot = scheduleSlot(new Date());
          const result = await submitRetrainTrigger(
            { ...submitDeps(), orchestrations: durableOrchestrationClient(df.getClient(invocation)) },
            {
              model: model.name,
              source: 'schedule',
              dedupe: { kind: 'schedule', schedule: `${model.name}/${schedule.name}`, slot },
              occurredAt: slot,
              schedule: { name: schedule.name, slot },
            },
          );
          invocation.log(
            `scheduled retrain ${model.name}/${schedule.name} at ${slot}: ${result.outcome} (${result.runId})`,
          );
        },
      });
    }
  }
  app.timer(RETRAIN_RECONCILER, {
    schedule: '0 */5 * * * *',
    extraInputs: [df.input.durableClient()],
    handler: async (_timer, invocation) => {
      const report = await reconcileRetrainLanes({
        ...submitDeps(),
        orchestrations: durableOrchestrationClient(df.getClient(invocation)),
      });
      const changed = Object.entries(report).filter(([, ids]) => (ids as string[]).length > 0);
      if (changed.length > 0) invocation.log(`retrain reconciler: ${JSON.stringify(report)}`);
    },
  });
}
