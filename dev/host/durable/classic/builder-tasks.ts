import { readRetryOptions } from './retry';
import { ActivityTask, ClassicTask, SubOrchestrationTask } from './tasks';

// durable-functions' ActionType values carried by the tasks its `df.app.activity/orchestration` builders return.
const CALL_ACTIVITY = 0;
const CALL_ACTIVITY_WITH_RETRY = 1;
const CALL_SUB_ORCHESTRATOR = 2;
const CALL_SUB_ORCHESTRATOR_WITH_RETRY = 3;

/**
 * Tasks from durable-functions' registered builders (`const t = df.app.activity(...); yield t(input)`) carry only an
 * action description; they become the equivalent classic task. Their own getters are not updated (use the value
 * the yield returns), a documented difference.
 */
function fromBuilderTask(value: unknown): ClassicTask | undefined {
  const action = (value as { actionObj?: Record<string, unknown> } | null)?.actionObj;
  if (!action || typeof action.functionName !== 'string') return undefined;
  const name = action.functionName;
  // CallActivityAction JSON-encodes string inputs itself (Utils.processInput); undo that once.
  const activityInput = (): unknown =>
    typeof action.input === 'string' ? (JSON.parse(action.input) as unknown) : action.input;
  const instanceId = typeof action.instanceId === 'string' ? action.instanceId : undefined;
  const version = typeof action.version === 'string' ? action.version : undefined;
  switch (action.actionType) {
    case CALL_ACTIVITY:
      return new ActivityTask(name, activityInput());
    case CALL_ACTIVITY_WITH_RETRY:
      return new ActivityTask(name, activityInput(), readRetryOptions(action.retryOptions));
    case CALL_SUB_ORCHESTRATOR:
      return new SubOrchestrationTask(name, action.input, instanceId, version);
    case CALL_SUB_ORCHESTRATOR_WITH_RETRY:
      return new SubOrchestrationTask(name, action.input, instanceId, version, readRetryOptions(action.retryOptions));
    default:
      return undefined;
  }
}

/** Maps what v3 code yields (or passes to Task.all/any) to classic tasks; one builder task → one classic task. */
export class TaskResolver {
  private readonly builderTasks = new WeakMap<object, ClassicTask>();

  resolve(value: unknown): ClassicTask | undefined {
    if (value instanceof ClassicTask) return value;
    if (typeof value !== 'object' || value === null) return undefined;
    let task = this.builderTasks.get(value);
    if (!task) {
      task = fromBuilderTask(value);
      if (task) this.builderTasks.set(value, task);
    }
    return task;
  }
}
