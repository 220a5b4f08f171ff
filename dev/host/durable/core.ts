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
