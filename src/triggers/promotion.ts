import { randomUUID } from 'node:crypto';

import { checkPromotion, type PromotionDeps } from '../activities/promotion-activities';
import {
  type AutoPromotionInput,
  type AutoPromotionOutput,
  type PromotionInput,
  PromotionOrchestrations,
} from '../services/promotion/contracts';
import { ModelNotInCatalogError, PromotionRefusedError } from '../services/retrain/errors';
import { promotionInstanceId } from '../services/promotion/stages';
import { InstanceExistsError, type OrchestrationClient } from './orchestration-client';

/**
 * Starts the promotion of a model's version to a stage, after checking it against the catalog and the source stage
 * (a refused request throws `PromotionRefusedError` / `ModelNotInCatalogError` before anything starts). One
 * promotion per model and target stage: while one is in flight, a request gets that one (`inFlight`).
 */
export async function startPromotion(
  deps: Pick<PromotionDeps, 'catalog' | 'workspaces'> & { readonly orchestrations: OrchestrationClient },
  model: string,
  request: { readonly to: string; readonly version?: string | undefined; readonly requestedBy?: string | undefined },
): Promise<{ readonly outcome: 'started' | 'inFlight'; readonly runId: string; readonly instanceId: string }> {
  const instanceId = promotionInstanceId(model, request.to);
  const inFlight = async () => {
    const info = await deps.orchestrations.info(instanceId);
    const runId = (info.input as { runId?: unknown } | undefined)?.runId;
    return info.state === 'running' && typeof runId === 'string'
      ? { outcome: 'inFlight' as const, runId, instanceId }
      : undefined;
  };
  const running = await inFlight();
  if (running) return running;
  const plan = await checkPromotion(deps, model, request.to, request.version);
  const input: PromotionInput = {
    model,
    to: request.to,
    version: plan.version,
    runId: `promote-${model}-${request.to}-${randomUUID().slice(0, 8)}`,
    ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await deps.orchestrations.startNew(PromotionOrchestrations.promote, instanceId, input);
      return { outcome: 'started', runId: input.runId, instanceId };
    } catch (error) {
      if (!(error instanceof InstanceExistsError)) throw error;
    }
    // Started meanwhile by a duplicate request (that one wins), or a finished one keeps the id (purged for reuse).
    const other = await inFlight();
    if (other) return other;
    await deps.orchestrations.purge(instanceId);
  }
  throw new InstanceExistsError(instanceId);
}

/**
 * The next stage's promotion after a release in a stage declaring `promotion: automatic`: the same start path as an
 * operator's request (so its checks, one-in-flight and the target's approval apply), requested by the releasing run.
 * A refusal (the stage moved on meanwhile, the catalog changed) is an answer, not a failure of the releasing run.
 */
export async function startAutomaticPromotion(
  deps: Parameters<typeof startPromotion>[0],
  input: AutoPromotionInput,
): Promise<AutoPromotionOutput> {
  try {
    const started = await startPromotion(deps, input.model, {
      to: input.to,
      version: input.version,
      requestedBy: `automatic after ${input.run.runId}`,
    });
    return { outcome: started.outcome, runId: started.runId };
  } catch (error) {
    if (error instanceof PromotionRefusedError || error instanceof ModelNotInCatalogError) {
      return { outcome: 'refused', reason: error.message };
    }
    throw error;
  }
}
