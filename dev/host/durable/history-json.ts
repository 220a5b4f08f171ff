import { pb, stringValue, timestampMs } from './core';
import { decodeEventName } from './classic/event-names';

const NAMES: Record<number, string> = {
  [pb.HistoryEvent.EventtypeCase.EXECUTIONSTARTED]: 'ExecutionStarted',
  [pb.HistoryEvent.EventtypeCase.EXECUTIONCOMPLETED]: 'ExecutionCompleted',
  [pb.HistoryEvent.EventtypeCase.EXECUTIONTERMINATED]: 'ExecutionTerminated',
  [pb.HistoryEvent.EventtypeCase.TASKSCHEDULED]: 'TaskScheduled',
  [pb.HistoryEvent.EventtypeCase.TASKCOMPLETED]: 'TaskCompleted',
  [pb.HistoryEvent.EventtypeCase.TASKFAILED]: 'TaskFailed',
  [pb.HistoryEvent.EventtypeCase.SUBORCHESTRATIONINSTANCECREATED]: 'SubOrchestrationInstanceCreated',
  [pb.HistoryEvent.EventtypeCase.SUBORCHESTRATIONINSTANCECOMPLETED]: 'SubOrchestrationInstanceCompleted',
  [pb.HistoryEvent.EventtypeCase.SUBORCHESTRATIONINSTANCEFAILED]: 'SubOrchestrationInstanceFailed',
  [pb.HistoryEvent.EventtypeCase.TIMERCREATED]: 'TimerCreated',
  [pb.HistoryEvent.EventtypeCase.TIMERFIRED]: 'TimerFired',
  [pb.HistoryEvent.EventtypeCase.ORCHESTRATORSTARTED]: 'OrchestratorStarted',
  [pb.HistoryEvent.EventtypeCase.ORCHESTRATORCOMPLETED]: 'OrchestratorCompleted',
  [pb.HistoryEvent.EventtypeCase.EVENTSENT]: 'EventSent',
  [pb.HistoryEvent.EventtypeCase.EVENTRAISED]: 'EventRaised',
  [pb.HistoryEvent.EventtypeCase.CONTINUEASNEW]: 'ContinueAsNew',
  [pb.HistoryEvent.EventtypeCase.EXECUTIONSUSPENDED]: 'ExecutionSuspended',
  [pb.HistoryEvent.EventtypeCase.EXECUTIONRESUMED]: 'ExecutionResumed',
  [pb.HistoryEvent.EventtypeCase.EXECUTIONREWOUND]: 'ExecutionRewound',
};

function iso(ts: unknown): string | undefined {
  const ms = timestampMs(ts);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

function json(value: string | undefined, withPayload: boolean): unknown {
  if (!withPayload || value === undefined || value === '') return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/**
 * History in the shape of the extension's `historyEvents` (EventType names, Timestamp, FunctionName/Name, inputs and
 * results when asked for). Informational only: field coverage is partial (see docs/durable-engine.md).
 */
export function historyToJson(history: readonly pb.HistoryEvent[], showOutput: boolean): Record<string, unknown>[] {
  return history.map((e) => {
    const out: Record<string, unknown> = {
      EventType: NAMES[e.getEventtypeCase()] ?? `Unknown(${e.getEventtypeCase()})`,
      EventId: e.getEventid(),
      Timestamp: iso(e.getTimestamp()),
    };
    const started = e.getExecutionstarted();
    if (started) {
      out.FunctionName = started.getName();
      out.Input = json(stringValue(started.getInput()), true);
    }
    const completed = e.getExecutioncompleted();
    if (completed) {
      out.Result = json(stringValue(completed.getResult()), showOutput);
      const f = completed.getFailuredetails();
      if (f) out.FailureDetails = { ErrorType: f.getErrortype(), ErrorMessage: f.getErrormessage() };
    }
    const scheduled = e.getTaskscheduled();
    if (scheduled) out.Name = scheduled.getName();
    const taskCompleted = e.getTaskcompleted();
    if (taskCompleted) {
      out.TaskScheduledId = taskCompleted.getTaskscheduledid();
      out.Result = json(stringValue(taskCompleted.getResult()), showOutput);
    }
    const taskFailed = e.getTaskfailed();
    if (taskFailed) {
      out.TaskScheduledId = taskFailed.getTaskscheduledid();
      const f = taskFailed.getFailuredetails();
      if (f) out.FailureDetails = { ErrorType: f.getErrortype(), ErrorMessage: f.getErrormessage() };
    }
    const subCreated = e.getSuborchestrationinstancecreated();
    if (subCreated) {
      out.Name = subCreated.getName();
      out.InstanceId = subCreated.getInstanceid();
    }
    const subCompleted = e.getSuborchestrationinstancecompleted();
    if (subCompleted) {
      out.TaskScheduledId = subCompleted.getTaskscheduledid();
      out.Result = json(stringValue(subCompleted.getResult()), showOutput);
    }
    const subFailed = e.getSuborchestrationinstancefailed();
    if (subFailed) {
      out.TaskScheduledId = subFailed.getTaskscheduledid();
      const f = subFailed.getFailuredetails();
      if (f) out.FailureDetails = { ErrorType: f.getErrortype(), ErrorMessage: f.getErrormessage() };
    }
    const timerCreated = e.getTimercreated();
    if (timerCreated) out.FireAt = iso(timerCreated.getFireat());
    const timerFired = e.getTimerfired();
    if (timerFired) {
      out.TimerId = timerFired.getTimerid();
      out.FireAt = iso(timerFired.getFireat());
    }
    const raised = e.getEventraised();
    if (raised) {
      out.Name = decodeEventName(raised.getName());
      out.Input = json(stringValue(raised.getInput()), showOutput);
    }
    return out;
  });
}
