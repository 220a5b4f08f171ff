/**
 * DTFx history events in the JSON shape the Durable extension hands to out-of-process workers
 * (`JArray.FromObject(context.History)`: PascalCase `[DataMember]` names, numeric `EventType`).
 *
 * Sources: Azure/durabletask `src/DurableTask.Core/History/*.cs`; durable-functions 3.5.0
 * `lib/src/history/HistoryEventType.js` (the numbering the JS side reads). See docs/durable-engine.md.
 */

export enum EventType {
  ExecutionStarted = 0,
  ExecutionCompleted = 1,
  ExecutionFailed = 2,
  ExecutionTerminated = 3,
  TaskScheduled = 4,
  TaskCompleted = 5,
  TaskFailed = 6,
  SubOrchestrationInstanceCreated = 7,
  SubOrchestrationInstanceCompleted = 8,
  SubOrchestrationInstanceFailed = 9,
  TimerCreated = 10,
  TimerFired = 11,
  OrchestratorStarted = 12,
  OrchestratorCompleted = 13,
  EventSent = 14,
  EventRaised = 15,
  ContinueAsNew = 16,
  GenericEvent = 17,
  HistoryState = 18,
  ExecutionSuspended = 19,
  ExecutionResumed = 20,
}

/** DTFx `OrchestrationStatus` numbering (ExecutionCompleted.OrchestrationStatus). */
export enum OrchestrationStatus {
  Running = 0,
  Completed = 1,
  ContinuedAsNew = 2,
  Failed = 3,
  Canceled = 4,
  Terminated = 5,
  Pending = 6,
  Suspended = 7,
}

/** DTFx `FailureDetails` (PascalCase), used only when the structured failure shape is switched on. */
export interface FailureDetails {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string | null;
  InnerFailure?: FailureDetails | null;
  IsNonRetriable?: boolean;
}

export interface HistoryEvent {
  EventType: EventType;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Version?: string;
  /** JSON text. */
  Input?: string;
  /** JSON text. */
  Result?: string;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  Reason?: string;
  Details?: string;
  FailureDetails?: FailureDetails | null;
  InstanceId?: string;
  OrchestrationStatus?: OrchestrationStatus;
  /** ExecutionStarted: the instance and execution this history belongs to. */
  OrchestrationInstance?: { InstanceId: string; ExecutionId: string };
  /** ExecutionStarted of a sub-orchestration: its parent. */
  ParentInstance?: {
    Name: string;
    TaskScheduleId: number;
    OrchestrationInstance: { InstanceId: string; ExecutionId: string };
  } | null;
}

/** DTFx writes seven fractional digits (`DateTime` "o"); the JS side parses either. */
export function dtfxTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

export function parseTime(text: string): number {
  return new Date(text).getTime();
}

/** A new event with the DTFx defaults: `EventId` -1 (non-scheduling), not played yet. */
export function newEvent(type: EventType, at: Date, fields: Partial<HistoryEvent> = {}): HistoryEvent {
  return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: dtfxTime(at), ...fields };
}

export const SCHEDULING_EVENTS: ReadonlySet<EventType> = new Set([
  EventType.TaskScheduled,
  EventType.TimerCreated,
  EventType.SubOrchestrationInstanceCreated,
  EventType.EventSent,
]);

export const eventTypeName = (type: EventType): string => EventType[type] ?? `Unknown(${String(type)})`;
