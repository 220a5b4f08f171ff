import { RetrainEvents, type RunStatusEvent } from '../services/retrain/contracts';
import { LineageTags } from '../services/retrain/lineage';
import type { StateStores } from '../state';
import type { OrchestrationClient } from './orchestration-client';

const RUN_EVENTS = [
  'Microsoft.MachineLearningServices.RunCompleted',
  'Microsoft.MachineLearningServices.RunStatusChanged',
];

export type RunEventOutcome =
  | { readonly delivered: true; readonly instanceId: string; readonly jobName: string; readonly status: string }
  | { readonly delivered: false; readonly reason: string };

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * An Azure ML `RunCompleted`/`RunStatusChanged` event: find the orchestration waiting for that run (job tag
 * `mlops.orchestration.instanceId`, else the submission index) and raise `AzureMlRunStatus` on it. The orchestration
 * confirms the state with a GET, so an event is only a wake-up call; unknown or finished runs are acknowledged.
 */
export async function handleAzureMlRunEvent(
  deps: { readonly state: StateStores; readonly orchestrations: OrchestrationClient },
  event: unknown,
): Promise<RunEventOutcome> {
  const e = record(event);
  const type = typeof e?.eventType === 'string' ? e.eventType : typeof e?.type === 'string' ? e.type : '';
  if (!RUN_EVENTS.includes(type))
    return { delivered: false, reason: `event type ${type || '(none)'} is not a run event` };
  const data = record(e?.data);
  const jobName = typeof data?.runId === 'string' ? data.runId : undefined;
  if (!jobName) return { delivered: false, reason: 'event has no data.runId' };
  const status =
    typeof data?.runStatus === 'string' ? data.runStatus : type.endsWith('RunCompleted') ? 'Completed' : 'Unknown';
  const tags = record(data?.runTags);
  let instanceId =
    typeof tags?.[LineageTags.instanceId] === 'string' ? (tags[LineageTags.instanceId] as string) : undefined;
  instanceId ??= (await deps.state.submissions.byJobName(jobName))?.instanceId;
  if (!instanceId) return { delivered: false, reason: `run ${jobName} was not started by the orchestrator` };
  const payload: RunStatusEvent = { jobName, status };
  const raised = await deps.orchestrations.raiseEvent(instanceId, RetrainEvents.runStatus, payload);
  return raised
    ? { delivered: true, instanceId, jobName, status }
    : { delivered: false, reason: `orchestration ${instanceId} is not running` };
}
