import { randomUUID } from 'node:crypto';

import { type Catalog, findModel, isRetrainable, type ModelEntry, parameterOverrideProblems } from '../catalog';
import {
  type ArrivalDecision,
  decideArrival,
  decideCompletion,
  type LaneRun,
  retrainInstanceId,
} from '../services/retrain/coalesce';
import { dedupeKey, digest, triggerIdFor } from '../services/retrain/dedupe';
import { ModelNotInCatalogError } from '../services/retrain/errors';
import type { StateStores } from '../state';
import type { LaneDocument } from '../state/lanes';
import type { TriggerEntry } from '../state/triggers';
import type { RunRecord } from '../state/runs';
import { type CommonDimensions, type Telemetry, TelemetryEvents } from '../telemetry';
import type { RetrainTrigger, RunInput, SubmitResult } from './model';
import { ensureStarted, type OrchestrationClient } from './orchestration-client';

/** Name of the retrain orchestration (registered in src/functions/retrain). */
export const RETRAIN_ORCHESTRATION = 'retrainOrchestrator';
/** Event raised on a running retrain when a newer trigger supersedes it under the `cancel` policy. */
export const SUPERSEDE_EVENT = 'RetrainSuperseded';

export interface SubmitDeps {
  readonly catalog: Catalog;
  readonly state: StateStores;
  readonly orchestrations: OrchestrationClient;
  readonly telemetry: Telemetry;
  readonly now?: () => Date;
  /** How long a start may wait for the previous execution of the model's instance to finish (default 30 s). */
  readonly startDeadlineMs?: number;
  /** A redelivery completes a submission left unplaced for longer than this (default 60 s; a crash). */
  readonly recoveryGraceMs?: number;
}

type Latest = NonNullable<LaneDocument['latest']>;

function newerLatest(latest: Latest | undefined, trigger: RetrainTrigger): Latest {
  const next: { dataset?: Latest['dataset']; git?: Latest['git'] } = { ...(latest ?? {}) };
  if (trigger.dataset && (!next.dataset || next.dataset.occurredAt <= trigger.occurredAt)) {
    next.dataset = { ...trigger.dataset, occurredAt: trigger.occurredAt };
  }
  if (trigger.git && (!next.git || next.git.occurredAt <= trigger.occurredAt)) {
    next.git = { ...trigger.git, occurredAt: trigger.occurredAt };
  }
  return next;
}

function strip<T extends { occurredAt: string }>(value: T | undefined): Omit<T, 'occurredAt'> | undefined {
  if (!value) return undefined;
  const { occurredAt: _occurredAt, ...rest } = value;
  return rest;
}

/** The run input for a trigger: its own inputs, or the newest known ones of the model where it has none. */
export function runInputFor(
  trigger: RetrainTrigger,
  triggerId: string,
  latest: Latest | undefined,
  coalesced: readonly string[],
): RunInput {
  return {
    runId: triggerId,
    triggerId,
    model: trigger.model,
    source: trigger.source,
    occurredAt: trigger.occurredAt,
    dataset: trigger.dataset ?? strip(latest?.dataset),
    git: trigger.git ?? strip(latest?.git),
    coalesced,
    ...(trigger.parameters && Object.keys(trigger.parameters).length > 0 ? { parameters: trigger.parameters } : {}),
  };
}

export function newRunRecord(
  input: RunInput,
  instanceId: string,
  at: string,
  kind: RunRecord['kind'] = 'retrain',
): RunRecord {
  return {
    runId: input.runId,
    kind,
    model: input.model,
    triggerId: input.triggerId,
    source: input.source,
    instanceId,
    status: 'running',
    startedAt: at,
    updatedAt: at,
    input: { dataset: input.dataset, git: input.git, ...(input.parameters ? { parameters: input.parameters } : {}) },
    coalesced: input.coalesced ?? [],
    stages: [{ name: 'trigger', status: 'succeeded', startedAt: at, finishedAt: at }],
  };
}

function dims(model: string, triggerId: string, instanceId?: string): CommonDimensions {
  return { model, triggerId, ...(instanceId ? { instanceId } : {}) };
}

/**
 * Submits a retrain trigger: dedupe, record, and either start the model's retrain, queue it as the one follow-up,
 * or recognise it as a duplicate.
 *
 * @remarks
 * - Dedupe: the dedupe marker (`If-None-Match: *`) makes exactly one delivery of a key the owner; a later delivery
 *   (even after the run completed) is recorded as `duplicate` and starts nothing.
 * - At most one run per model: the model's lane (`lanes/<model>.json`, ETag CAS) holds the active run and one
 *   pending trigger; the orchestration instance id is the per-model singleton `retrain-<model>`.
 * - No trigger is lost: a trigger is recorded (`received`) before anything else, the lane write is atomic, and the
 *   running orchestration takes the pending trigger in the same lane write that ends its run (continue-as-new).
 *   A crash between steps leaves a `received` entry or an active lane without a running instance; a redelivery or
 *   the reconciler (`reconcileRetrainLanes`) completes the placement.
 *
 * @throws ModelNotInCatalogError when `trigger.model` is not in the catalog.
 */
export async function submitRetrainTrigger(deps: SubmitDeps, trigger: RetrainTrigger): Promise<SubmitResult> {
  const model = retrainModelOf(deps.catalog, trigger.model);
  checkParameters(model, trigger);
  const now = deps.now ?? (() => new Date());
  const receivedAt = now().toISOString();
  const key = dedupeKey(trigger.dedupe);
  const triggerId = triggerIdFor(model.name, key);
  const instanceId = retrainInstanceId(model.name);
  const { ledger } = deps.state;

  deps.telemetry.trackEvent(TelemetryEvents.TriggerReceived, {
    ...dims(model.name, triggerId),
    source: trigger.source,
  });
  const entry = await ledger.record({
    triggerId,
    model: model.name,
    dedupeKey: key,
    receivedAt,
    trigger,
    fate: 'received',
  });
  const claimed = await ledger.claim(model.name, key, triggerId, receivedAt);

  if (!claimed.created) {
    // Only the delivery that created the marker places the trigger, so exactly one caller hears started/queued.
    // A redelivery finding it still unplaced long after it arrived completes a crashed submission first.
    const age = Date.parse(receivedAt) - Date.parse(entry.receivedAt);
    if (!entry.placed && age > (deps.recoveryGraceMs ?? 60_000)) {
      await place(deps, model, entry.trigger, triggerId, instanceId, receivedAt);
    }
    return recordDuplicate(deps, model, trigger, entry.triggerId, entry.runId ?? entry.triggerId, receivedAt);
  }

  const placement = await place(deps, model, trigger, triggerId, instanceId, receivedAt);
  return { outcome: placement === 'already' ? 'started' : placement, triggerId, instanceId, runId: triggerId };
}

/**
 * Finishes a recorded submission that never got placed (a crash between recording and placing): claims its dedupe
 * marker if that is missing and places it in the model's lane. Used by the reconciler.
 */
export async function completeSubmission(deps: SubmitDeps, entry: TriggerEntry): Promise<SubmitResult | undefined> {
  const model = findModel(deps.catalog, entry.model);
  if (!model || !isRetrainable(model) || entry.placed) return undefined;
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const instanceId = retrainInstanceId(model.name);
  await deps.state.ledger.claim(model.name, entry.dedupeKey, entry.triggerId, at);
  const placement = await place(deps, model, entry.trigger, entry.triggerId, instanceId, at);
  return {
    outcome: placement === 'already' ? 'started' : placement,
    triggerId: entry.triggerId,
    instanceId,
    runId: entry.triggerId,
  };
}

/** A trigger the retrain path cannot run as asked (e.g. overrides of parameters the catalog does not declare). */
export class InvalidTriggerError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid retrain trigger: ${problems.join('; ')}`);
    this.name = 'InvalidTriggerError';
    this.problems = problems;
  }
}

/**
 * The catalog entry a retrain trigger names.
 *
 * @throws ModelNotInCatalogError (404) for an unknown model; InvalidTriggerError (400) for a score-only model.
 */
function retrainModelOf(catalog: Catalog, name: string): ModelEntry {
  const model = findModel(catalog, name);
  if (!model) throw new ModelNotInCatalogError(name);
  if (!isRetrainable(model)) {
    throw new InvalidTriggerError([
      `model: ${name} cannot retrain: retraining needs training, gate, registry and deployment (score-only model)`,
    ]);
  }
  return model;
}

function checkParameters(model: ModelEntry, trigger: RetrainTrigger): void {
  const problems = parameterOverrideProblems(model, trigger.parameters);
  if (problems.length > 0) throw new InvalidTriggerError(problems);
}

async function recordDuplicate(
  deps: SubmitDeps,
  model: ModelEntry,
  trigger: RetrainTrigger,
  originalId: string,
  runId: string,
  receivedAt: string,
): Promise<SubmitResult> {
  const duplicateId = `${originalId}-dup-${digest(`${trigger.eventId ?? ''}\n${receivedAt}\n${randomUUID()}`, 12)}`;
  await deps.state.ledger.record({
    triggerId: duplicateId,
    model: model.name,
    dedupeKey: dedupeKey(trigger.dedupe),
    receivedAt,
    trigger,
    fate: 'duplicate',
    relatedTriggerId: originalId,
    runId,
    placed: true,
  });
  deps.telemetry.trackEvent(TelemetryEvents.TriggerDeduplicated, {
    ...dims(model.name, originalId),
    duplicateId,
    source: trigger.source,
  });
  return { outcome: 'duplicate', triggerId: originalId, instanceId: retrainInstanceId(model.name), runId };
}

type Placement = 'started' | 'queued' | 'already';

async function place(
  deps: SubmitDeps,
  model: ModelEntry,
  trigger: RetrainTrigger,
  triggerId: string,
  instanceId: string,
  receivedAt: string,
): Promise<Placement> {
  const { ledger, lanes, runs } = deps.state;
  const outcome = await lanes.transact<{ decision: ArrivalDecision; lane: LaneDocument }>(model.name, (lane) => {
    const decision = decideArrival(
      lane,
      { triggerId, occurredAt: trigger.occurredAt, receivedAt, runId: triggerId, instanceId },
      model.triggers.onSupersede,
    );
    const latest = newerLatest(lane.latest, trigger);
    const base = { ...lane, latest, updatedAt: receivedAt };
    switch (decision.action) {
      case 'start':
        return {
          lane: { ...base, active: decision.run, pending: undefined, folded: [] },
          result: { decision, lane: base },
        };
      case 'queue':
        return {
          lane: {
            ...base,
            pending: decision.lane.pending,
            folded: decision.superseded ? [...(lane.folded ?? []), decision.superseded] : (lane.folded ?? []),
          },
          result: { decision, lane: base },
        };
      case 'fold':
        return { lane: { ...base, folded: [...(lane.folded ?? []), triggerId] }, result: { decision, lane: base } };
      case 'already':
        return { lane: undefined, result: { decision, lane: base } };
    }
    return { lane: undefined, result: { decision, lane: base } };
  });
  const { decision } = outcome;
  switch (decision.action) {
    case 'start': {
      const input = runInputFor(trigger, triggerId, outcome.lane.latest, []);
      await runs.create(newRunRecord(input, instanceId, receivedAt));
      await ledger.setFate(triggerId, 'started', receivedAt, { runId: triggerId, instanceId });
      await startRun(deps, instanceId, input);
      await ledger.setFate(triggerId, 'started', receivedAt, { runId: triggerId, instanceId, placed: true });
      return 'started';
    }
    case 'queue': {
      await ledger.setFate(triggerId, 'coalesced', receivedAt, {
        instanceId,
        placed: true,
        note: `waits for run ${outcome.lane.active?.runId ?? '?'}`,
      });
      if (decision.superseded) {
        await ledger.setFate(decision.superseded, 'superseded', receivedAt, {
          relatedTriggerId: triggerId,
          note: `replaced by newer trigger ${triggerId}`,
        });
      }
      deps.telemetry.trackEvent(TelemetryEvents.TriggerCoalesced, {
        ...dims(model.name, triggerId, instanceId),
        activeRun: outcome.lane.active?.runId,
        superseded: decision.superseded,
      });
      if (decision.cancelActive && outcome.lane.active) {
        await deps.orchestrations.raiseEvent(instanceId, SUPERSEDE_EVENT, {
          runId: outcome.lane.active.runId,
          byTriggerId: triggerId,
        });
      }
      return 'queued';
    }
    case 'fold': {
      await ledger.setFate(triggerId, 'superseded', receivedAt, {
        relatedTriggerId: decision.into,
        placed: true,
        note: `older than the waiting trigger ${decision.into}`,
      });
      deps.telemetry.trackEvent(TelemetryEvents.TriggerCoalesced, {
        ...dims(model.name, triggerId, instanceId),
        foldedInto: decision.into,
      });
      return 'queued';
    }
    case 'already': {
      // A retried submission: make sure what the lane says has happened did happen.
      if (decision.as === 'active') {
        const run = await runs.get(triggerId);
        const input = runInputFor(trigger, triggerId, outcome.lane.latest, run?.coalesced ?? []);
        if (!run) await runs.create(newRunRecord(input, instanceId, receivedAt));
        await startRun(deps, instanceId, input);
        await ledger.setFate(triggerId, 'started', receivedAt, { runId: triggerId, instanceId, placed: true });
      } else {
        await ledger.setFate(triggerId, 'coalesced', receivedAt, { instanceId, placed: true });
      }
      return 'already';
    }
  }
}

async function startRun(deps: SubmitDeps, instanceId: string, input: RunInput): Promise<void> {
  const result = await ensureStarted(deps.orchestrations, RETRAIN_ORCHESTRATION, instanceId, input, {
    deadlineMs: deps.startDeadlineMs ?? 30_000,
  });
  if (result === 'started') {
    deps.telemetry.trackEvent(TelemetryEvents.RetrainStarted, dims(input.model, input.triggerId, instanceId));
  }
}

export interface CompletionResult {
  /** The follow-up run the orchestration continues with, if a trigger was waiting. */
  readonly next: RunInput | undefined;
}

/**
 * Ends run `runId` of `model` in its lane. If a trigger waits, it becomes the active run in the same atomic write
 * and its run input is returned (the orchestration continues as new with it); otherwise the lane is released.
 * Idempotent: a retry after the lane moved on returns the follow-up already chosen for this run (or none).
 */
export async function completeLaneRun(
  state: StateStores,
  model: string,
  runId: string,
  at: string,
): Promise<CompletionResult> {
  const instanceId = retrainInstanceId(model);
  const outcome = await state.lanes.transact(model, (lane) => {
    const decision = decideCompletion(lane, runId, { runId: lane.pending?.triggerId ?? '', instanceId, since: at });
    switch (decision.action) {
      case 'none':
        return { lane: undefined, result: { next: undefined as LaneRun | undefined, lane, folded: [] as string[] } };
      case 'release':
        return {
          lane: { ...lane, ...decision.lane, folded: [], updatedAt: at },
          result: { next: undefined, lane, folded: [] },
        };
      case 'continue':
        return {
          lane: { ...lane, ...decision.lane, folded: [], updatedAt: at },
          result: { next: decision.next, lane, folded: [...(lane.folded ?? [])] },
        };
    }
  });
  let nextRun = outcome.next;
  if (!nextRun) {
    // Retried completion: the lane may already have moved to this run's follow-up.
    const current = outcome.lane.active;
    const previousRun = await state.runs.get(runId);
    if (current && current.runId !== runId && previousRun?.followUp === current.runId) nextRun = current;
  }
  if (!nextRun) return { next: undefined };
  const entry = await state.ledger.get(nextRun.triggerId);
  if (!entry) return { next: undefined };
  const input = runInputFor(entry.trigger, nextRun.triggerId, outcome.lane.latest, outcome.folded);
  await state.runs.update(runId, (run) =>
    run.followUp === input.runId ? undefined : { ...run, followUp: input.runId },
  );
  await state.runs.create(newRunRecord(input, instanceId, at));
  await state.ledger.setFate(nextRun.triggerId, 'started', at, { runId: input.runId, instanceId, placed: true });
  return { next: input };
}
