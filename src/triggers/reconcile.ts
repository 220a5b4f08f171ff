import { TERMINAL_RUN_STATUSES } from '../state/runs';
import type { RunInput } from './model';
import { ensureStarted } from './orchestration-client';
import { completeLaneRun, completeSubmission, RETRAIN_ORCHESTRATION, runInputFor, type SubmitDeps } from './submit';

export interface ReconcileReport {
  readonly restarted: string[];
  readonly released: string[];
  readonly continued: string[];
  readonly resubmitted: string[];
}

/**
 * Safety net for "no trigger is lost" (timer, every few minutes): repairs what a crash between two steps can leave.
 * - a lane whose active run has no running orchestration: if the run record is finished, the lane is completed (and
 *   its follow-up started); otherwise the run is started again (submission and registration are idempotent);
 * - a trigger recorded but never placed (`received`, not `placed`): its submission is completed.
 * Anything younger than `graceMs` is left alone: it may still be in progress.
 */
export async function reconcileRetrainLanes(
  deps: SubmitDeps & { readonly graceMs?: number },
): Promise<ReconcileReport> {
  const now = (deps.now ?? (() => new Date()))();
  const cutoff = new Date(now.getTime() - (deps.graceMs ?? 5 * 60_000)).toISOString();
  const report: ReconcileReport = { restarted: [], released: [], continued: [], resubmitted: [] };
  const { state, orchestrations } = deps;

  for (const model of await state.lanes.listModels()) {
    const lane = await state.lanes.get(model);
    const active = lane.active;
    if (!active || active.since > cutoff) continue;
    const info = await orchestrations.info(active.instanceId);
    if (info.state === 'running') continue;
    const run = await state.runs.get(active.runId);
    if (run && TERMINAL_RUN_STATUSES.includes(run.status)) {
      const { next } = await completeLaneRun(state, model, active.runId, now.toISOString());
      if (next) {
        await ensureStarted(orchestrations, RETRAIN_ORCHESTRATION, active.instanceId, next);
        report.continued.push(next.runId);
      } else {
        report.released.push(active.runId);
      }
      continue;
    }
    const entry = await state.ledger.get(active.triggerId);
    if (!entry) continue;
    const input: RunInput = run
      ? {
          ...runInputFor(entry.trigger, active.triggerId, undefined, run.coalesced),
          dataset: run.input.dataset,
          git: run.input.git,
        }
      : runInputFor(entry.trigger, active.triggerId, lane.latest, []);
    await ensureStarted(orchestrations, RETRAIN_ORCHESTRATION, active.instanceId, input);
    report.restarted.push(active.runId);
  }

  for (const entry of await state.ledger.list({ fate: 'received', top: 500 })) {
    if (entry.placed || entry.receivedAt > cutoff) continue;
    await completeSubmission(deps, entry);
    report.resubmitted.push(entry.triggerId);
  }
  return report;
}
