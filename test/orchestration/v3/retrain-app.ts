// The retrain orchestration as the local Durable engine runs it: the real durable-functions handler registered for
// it, episodes applied by the engine's emulation of the extension (test/support/durable/scripted-orchestration.ts).
import { type Catalog, findRetrainModel, loadCatalog } from '../../../src/catalog';
import { retrainOrchestrator } from '../../../src/orchestrations/retrain';
import { RetrainActivities, RetrainOrchestrations } from '../../../src/services/retrain/contracts';
import { type RetrainPlan, retrainPlanFor } from '../../../src/services/retrain/plan';
import type { RunInput } from '../../../src/triggers/model';
import { type RealOrchestrationApp, registerRealOrchestrations } from '../../support/durable/real-handler';
import { ScriptedOrchestration, type ScriptedTask } from '../../support/durable/scripted-orchestration';

export const repoRoot = `${__dirname}/../../..`;
export const catalog: Catalog = loadCatalog(`${repoRoot}/catalog.json`, repoRoot);

/** The retrain orchestrator registered through the real durable-functions, as the app registers it. */
export function registerRetrainOrchestrator(): Promise<RealOrchestrationApp> {
  return registerRealOrchestrations(() => ({ [RetrainOrchestrations.retrain]: retrainOrchestrator }));
}

export function planFor(overrides: Partial<RetrainPlan> = {}): RetrainPlan {
  const model = findRetrainModel(catalog, 'bike-demand');
  if (!model) throw new Error('the repository catalog has no bike-demand');
  return { ...retrainPlanFor(model), ...overrides };
}

export function runInput(model = 'bike-demand', runId = 'run-1'): RunInput {
  return { runId, triggerId: `trg-${runId}`, model, source: 'manual', occurredAt: '2026-03-01T08:59:00.000Z' };
}

export function scriptedRetrain(app: RealOrchestrationApp, input: RunInput): ScriptedOrchestration {
  return new ScriptedOrchestration(app, {
    name: RetrainOrchestrations.retrain,
    instanceId: `retrain-${input.model}`,
    input,
  });
}

/** The only pending task named `name`: fails when there is none or more than one. */
export function only(retrain: ScriptedOrchestration, name: string): ScriptedTask {
  const matching = retrain.pending().filter((s) => s.name === name);
  if (matching.length !== 1) {
    const pending = retrain.pending().map((s) => `${s.id}:${s.name}`);
    throw new Error(
      `expected one pending ${name}, found ${matching.length} (pending: ${pending.join(', ') || 'none'})`,
    );
  }
  return matching[0] as ScriptedTask;
}

/** Completes the pending `name` with `result` and runs the next episode. */
export async function respond(retrain: ScriptedOrchestration, name: string, result: unknown): Promise<ScriptedTask> {
  const task = only(retrain, name);
  retrain.complete(task.id, result);
  await retrain.episode();
  return task;
}

/** Runs a retrain from its start to the training wait: plan, submit, first check says running. */
export async function toTrainingWait(retrain: ScriptedOrchestration, plan: RetrainPlan): Promise<void> {
  await retrain.episode();
  await respond(retrain, RetrainActivities.loadPlan, plan);
  await respond(retrain, RetrainActivities.submitTraining, { jobName: 'job-1', status: 'Queued', reused: false });
  await respond(retrain, RetrainActivities.checkTraining, running(retrain));
}

export function running(retrain: ScriptedOrchestration): { phase: 'running'; status: string; at: string } {
  return { phase: 'running', status: 'Running', at: retrain.now.toISOString() };
}
