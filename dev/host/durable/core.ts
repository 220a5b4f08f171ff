// The one place that reaches into @microsoft/durabletask-js. The package has no `exports` map, so the
// executor, registry and composite task are deep imports (internal to 0.4.0; pinned as a devDependency).
export {
  InMemoryOrchestrationBackend,
  NoOpLogger,
  OrchestrationContext,
  RetryPolicy,
  Task,
  TaskFailedError as CoreTaskFailedError,
  TimerTask as CoreTimerTask,
} from '@microsoft/durabletask-js';
export type { OrchestrationInstance, ActivityWorkItem } from '@microsoft/durabletask-js/dist/testing/in-memory-backend';
export { OrchestrationExecutor } from '@microsoft/durabletask-js/dist/worker/orchestration-executor';
export { ActivityExecutor } from '@microsoft/durabletask-js/dist/worker/activity-executor';
export { Registry } from '@microsoft/durabletask-js/dist/worker/registry';
export { CompositeTask } from '@microsoft/durabletask-js/dist/task/composite-task';
export { CompletableTask } from '@microsoft/durabletask-js/dist/task/completable-task';
export * as pb from '@microsoft/durabletask-js/dist/proto/orchestrator_service_pb';
export * as pbh from '@microsoft/durabletask-js/dist/utils/pb-helper.util';

// The generated protobuf types refer to google-protobuf well-known types (Timestamp, StringValue) whose typings are not
// installed; these two readers give their values a type.
/** Milliseconds of a protobuf Timestamp, if set. */
export function timestampMs(ts: unknown): number | undefined {
  return (ts as { toDate(): Date } | undefined)?.toDate().getTime();
}

/** The value of a protobuf StringValue wrapper, if set. */
export function stringValue(wrapper: unknown): string | undefined {
  return (wrapper as { getValue(): string } | undefined)?.getValue();
}
