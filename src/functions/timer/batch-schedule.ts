/**
 * One timer per model with a `batch` section, on the model's NCRONTAB schedule (default daily 02:00 UTC). Each
 * occurrence starts the run for the partition date the schedule scores (slot date + `dateOffsetDays`).
 */
import type { InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';

import type { Catalog, CatalogModel } from '../../catalog';
import { scheduledDate } from '../../services/batch/planner';
import { startBatchRun } from './batch-start';

export function batchTimerName(model: string): string {
  return `batchSchedule-${model}`;
}

export interface BatchScheduleDeps {
  readonly now?: () => Date;
}

/** The timer handler for one model; exported for tests. */
export function batchTimerHandler(model: CatalogModel, deps: BatchScheduleDeps = {}) {
  return async (_timer: Timer, client: DurableClient, context: InvocationContext): Promise<void> => {
    const spec = model.batch;
    if (!spec) return;
    const now = deps.now?.() ?? new Date();
    const date = scheduledDate(now, spec.dateOffsetDays);
    const result = await startBatchRun(client, model, date, {
      trigger: `schedule:${now.toISOString()}`,
      replace: false,
    });
    context.log(`batch ${model.name} ${date}: ${result.action} (${result.instanceId})`);
  };
}

export function registerBatchTimers(catalog: Catalog, deps: BatchScheduleDeps = {}): string[] {
  const names: string[] = [];
  for (const model of catalog.models) {
    if (!model.batch) continue;
    const name = batchTimerName(model.name);
    df.app.client.timer(name, { schedule: model.batch.schedule, handler: batchTimerHandler(model, deps) });
    names.push(name);
  }
  return names;
}
