// The retrain app as Azure runs it: its functions registered exactly as src/app/retrain.ts registers them, the
// orchestrators driven through the real durable-functions handler by the extension driver (test/support).
import { InvocationContext } from '@azure/functions';

import { registerRetrainDurableFunctions } from '../../../src/app/retrain';
import { type Catalog, findModel, loadCatalog } from '../../../src/catalog';
import { RetrainActivities, RetrainOrchestrations } from '../../../src/services/retrain/contracts';
import { type RetrainPlan, retrainPlanFor } from '../../../src/services/retrain/plan';
import type { RunInput } from '../../../src/triggers/model';
import {
  captureRegistrations,
  ExtensionDriver,
  type Registration,
  type Scheduled,
} from '../../support/real-v3-handler';

export const repoRoot = `${__dirname}/../../..`;
export const catalog: Catalog = loadCatalog(`${repoRoot}/catalog.json`, repoRoot);

/** A dependency the activities under test must not touch: any use fails the test with its name. */
function untouchable<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: (_target, property) => {
      throw new Error(`${what}.${String(property)} was used, but this test provides no ${what}`);
    },
  });
}

/** The retrain functions as the app registers them, over the repository catalog (no state, workspace, telemetry). */
export function registerRetrainApp(): Map<string, Registration> {
  return captureRegistrations(() =>
    registerRetrainDurableFunctions(() => ({
      catalog,
      state: untouchable('state'),
      ws: untouchable('ws'),
      telemetry: untouchable('telemetry'),
    })),
  );
}

/** Runs a registered activity handler (the durable-functions wrapper around the app's) as the worker would. */
export async function runActivity(registrations: Map<string, Registration>, name: string, input: unknown) {
  const registration = registrations.get(name);
  if (registration?.trigger !== 'activityTrigger') throw new Error(`${name} is not a registered activity`);
  const context = new InvocationContext({ functionName: name, invocationId: `${name}-test`, logHandler: () => {} });
  return (await registration.handler(input, context)) as unknown;
}

export function planFor(overrides: Partial<RetrainPlan> = {}): RetrainPlan {
  const model = findModel(catalog, 'bike-demand');
  if (!model) throw new Error('the repository catalog has no bike-demand');
  return { ...retrainPlanFor(model), ...overrides };
}

export function runInput(model = 'bike-demand', runId = 'run-1'): RunInput {
  return { runId, triggerId: `trg-${runId}`, model, source: 'manual', occurredAt: '2026-03-01T08:59:00.000Z' };
}

export function retrainDriver(registrations: Map<string, Registration>, input: RunInput): ExtensionDriver {
  const registration = registrations.get(RetrainOrchestrations.retrain);
  if (registration?.trigger !== 'orchestrationTrigger') throw new Error('the retrain orchestrator is not registered');
  return new ExtensionDriver({
    name: RetrainOrchestrations.retrain,
    handler: registration.handler,
    instanceId: `retrain-${input.model}`,
    input,
  });
}

/** The only pending task named `name`: fails when there is none or more than one. */
export function only(driver: ExtensionDriver, name: string): Scheduled {
  const matching = driver.pending().filter((s) => s.name === name);
  if (matching.length !== 1) {
    const pending = driver.pending().map((s) => `${s.id}:${s.name}`);
    throw new Error(
      `expected one pending ${name}, found ${matching.length} (pending: ${pending.join(', ') || 'none'})`,
    );
  }
  return matching[0] as Scheduled;
}

/** Completes the pending `name` with `result` and runs the next episode. */
export async function respond(driver: ExtensionDriver, name: string, result: unknown): Promise<Scheduled> {
  const task = only(driver, name);
  driver.complete(task.id, result);
  await driver.episode();
  return task;
}

/** Drives a retrain from its start to the training wait: plan, submit, first check says running. */
export async function toTrainingWait(driver: ExtensionDriver, plan: RetrainPlan): Promise<void> {
  await driver.episode();
  await respond(driver, RetrainActivities.loadPlan, plan);
  await respond(driver, RetrainActivities.submitTraining, { jobName: 'job-1', status: 'Queued', reused: false });
  await respond(driver, RetrainActivities.checkTraining, running(driver));
}

export function running(driver: ExtensionDriver): { phase: 'running'; status: string; at: string } {
  return { phase: 'running', status: 'Running', at: driver.now.toISOString() };
}
