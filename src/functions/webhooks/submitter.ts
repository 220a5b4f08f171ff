import type { RetrainTriggerRequest, RetrainTriggerSubmitter } from '../../services/webhooks';
import { branchOf } from '../../services/webhooks';
import type { RetrainTrigger } from '../../triggers/model';
import { type SubmitDeps, submitRetrainTrigger } from '../../triggers/submit';

/** Maps a webhook / ops request onto the trigger model of src/triggers. */
export function toRetrainTrigger(request: RetrainTriggerRequest): RetrainTrigger {
  const git = request.git;
  return {
    model: request.model,
    source: request.source === 'manual' || !git ? 'manual' : 'git',
    dedupe:
      request.source === 'manual'
        ? { kind: 'manual', requestId: request.deliveryId }
        : { kind: 'webhook', provider: request.source, deliveryId: request.deliveryId },
    occurredAt: request.receivedAt,
    eventId: request.deliveryId,
    ...(git
      ? {
          git: {
            repository: git.repository,
            sha: git.sha,
            branch: branchOf(git.ref) ?? git.ref,
            ciRun: git.ciRunUrl,
            provider: git.provider,
          },
        }
      : {}),
    requestedBy: request.requestedBy ?? (request.source === 'manual' ? undefined : `${request.source} webhook`),
    ...(request.parameters && Object.keys(request.parameters).length > 0 ? { parameters: request.parameters } : {}),
  };
}

/**
 * The one start/coalesce path (`submitRetrainTrigger`) behind this area's port. Dedupe is the trigger ledger's
 * `If-None-Match: *` marker per model and key, so concurrent redeliveries start one run.
 */
export function retrainSubmitter(deps: SubmitDeps): RetrainTriggerSubmitter {
  return async (request) => {
    const result = await submitRetrainTrigger(deps, toRetrainTrigger(request));
    return {
      outcome: result.outcome,
      runId: result.runId,
      instanceId: result.instanceId,
      triggerId: result.triggerId,
    };
  };
}
