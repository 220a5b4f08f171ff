// The extension emulator (dev/host/durable/extension-replay.ts) on hand-built histories, for the DTFx behaviours the
// golden vectors do not pin (their histories leave instance ids and the activity input encoding open) or pin only in
// one case. Each test fails on the emulator before the change it names.
import { EventType, type HistoryEvent, newEvent } from '../../../dev/host/durable/dtfx';
import {
  activityInputValue,
  AZURE_STORAGE_TIMERS,
  replayEpisode,
  type ReplayResult,
} from '../../../dev/host/durable/extension-replay';
import { type Action, ActionType, type OrchestratorState } from '../../../dev/host/durable/orchestrator-state';

const T0 = Date.parse('2024-03-01T09:00:00.000Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);

/** History builder: `episode(s)` opens an episode at T0+s; events follow; `close()` ends it. */
class History {
  readonly events: HistoryEvent[] = [];
  private clock = at(0);

  episode(seconds: number): this {
    this.clock = at(seconds);
    this.events.push(newEvent(EventType.OrchestratorStarted, this.clock));
    return this;
  }

  add(type: EventType, fields: Partial<HistoryEvent> = {}): this {
    this.events.push(newEvent(type, this.clock, fields));
    return this;
  }

  close(): this {
    return this.add(EventType.OrchestratorCompleted);
  }

  /** ExecutionStarted of execution `executionId` of instance `instanceId`. */
  started(instanceId = 'parent', executionId = 'exec-1'): this {
    return this.add(EventType.ExecutionStarted, {
      Name: 'Orchestrator',
      OrchestrationInstance: { InstanceId: instanceId, ExecutionId: executionId },
    });
  }
}

function replay(history: History, actions: Action[], done: Partial<OrchestratorState> = {}): ReplayResult {
  return replayEpisode({
    orchestratorName: 'Orchestrator',
    instanceId: 'parent',
    history: history.events,
    state: { isDone: false, actions: [actions], schemaVersion: 2, ...done },
    settings: AZURE_STORAGE_TIMERS,
    functionExists: () => true,
    now: at(100),
  });
}

const activity = (name: string, input?: unknown): Action => ({
  actionType: ActionType.CallActivity,
  functionName: name,
  ...(input === undefined ? {} : { input }),
});

const scheduled = (result: ReplayResult): Partial<HistoryEvent>[] =>
  result.scheduled.map(({ EventType: type, EventId, Name, Input, InstanceId, FireAt }) => ({
    EventType: type,
    EventId,
    ...(Name === undefined ? {} : { Name }),
    ...(Input === undefined ? {} : { Input }),
    ...(InstanceId === undefined ? {} : { InstanceId }),
    ...(FireAt === undefined ? {} : { FireAt: new Date(FireAt).toISOString() }),
  }));

describe('extension emulator: DTFx details', () => {
  it('when an OrchestratorStarted is earlier than the one before, then the retry timer is dated from it (DTFx assigns CurrentUtcDateTime, it does not keep the maximum)', () => {
    const retry: Action = {
      actionType: ActionType.CallActivityWithRetry,
      functionName: 'Flaky',
      retryOptions: { firstRetryIntervalInMilliseconds: 5000, maxNumberOfAttempts: 3 },
    };
    const history = new History()
      .episode(10)
      .started()
      .add(EventType.TaskScheduled, { EventId: 0, Name: 'Flaky' })
      .close()
      .episode(30)
      .add(EventType.TaskFailed, { TaskScheduledId: 0, Reason: 'boom', Details: '' })
      .add(EventType.TimerCreated, { EventId: 1, FireAt: at(35).toISOString() })
      .close()
      .episode(40)
      .add(EventType.TimerFired, { TimerId: 1 })
      .add(EventType.TaskScheduled, { EventId: 2, Name: 'Flaky' })
      .close()
      // Another host's clock, 20 s behind.
      .episode(20)
      .add(EventType.TaskFailed, { TaskScheduledId: 2, Reason: 'boom', Details: '' });
    expect(scheduled(replay(history, [retry]))).toEqual([
      { EventType: EventType.TimerCreated, EventId: 3, FireAt: at(25).toISOString() },
    ]);
  });

  it('when a sub-orchestration is called without an instance id, then it is named "<executionId>:<sequence id>" (DTFx CreateSubOrchestrationInstanceCore), and no input is a JSON null', () => {
    const history = new History().episode(0).started('parent', 'exec-7');
    const result = replay(history, [
      {
        actionType: ActionType.WhenAll,
        compoundActions: [
          { actionType: ActionType.CallSubOrchestrator, functionName: 'Child', input: { n: 1 } },
          { actionType: ActionType.CallSubOrchestrator, functionName: 'Child', instanceId: 'chosen' },
          { actionType: ActionType.CallSubOrchestrator, functionName: 'Child', instanceId: '' },
        ],
      },
    ]);
    expect(scheduled(result)).toEqual([
      {
        EventType: EventType.SubOrchestrationInstanceCreated,
        EventId: 0,
        Name: 'Child',
        Input: '{"n":1}',
        InstanceId: 'exec-7:0',
      },
      {
        EventType: EventType.SubOrchestrationInstanceCreated,
        EventId: 1,
        Name: 'Child',
        Input: 'null',
        InstanceId: 'chosen',
      },
      {
        EventType: EventType.SubOrchestrationInstanceCreated,
        EventId: 2,
        Name: 'Child',
        Input: 'null',
        InstanceId: 'exec-7:2',
      },
    ]);
  });

  it('when an activity is scheduled, then its Input is the parameter array DTFx serializes, and the activity gets the one value back', () => {
    const history = new History().episode(0).started();
    // durable-functions has already JSON-encoded the string input once more.
    const result = replay(history, [
      {
        actionType: ActionType.WhenAll,
        compoundActions: [
          activity('Hello', '"Tokyo"'),
          activity('Size', { path: 'a' }),
          activity('NoInput'),
          activity('List', [1]),
        ],
      },
    ]);
    const inputs = result.scheduled.map((e) => e.Input);
    expect(inputs).toEqual(['["\\"Tokyo\\""]', '[{"path":"a"}]', '[null]', '[[1]]']);
    expect(inputs.map(activityInputValue)).toEqual(['Tokyo', { path: 'a' }, null, [1]]);
    // Work items written before the array form still read back.
    expect(activityInputValue('"\\"Tokyo\\""')).toBe('Tokyo');
  });

  describe('completion waits for open tasks (TaskOrchestrationExecutor: only when !HasOpenTasks)', () => {
    const race: Action = { actionType: ActionType.WhenAny, compoundActions: [activity('A'), activity('B')] };
    const raced = (): History =>
      new History()
        .episode(0)
        .started()
        .add(EventType.TaskScheduled, { EventId: 0, Name: 'A' })
        .add(EventType.TaskScheduled, { EventId: 1, Name: 'B' })
        .close()
        .episode(5)
        .add(EventType.TaskCompleted, { TaskScheduledId: 0, Result: '"a"' });

    it('when the orchestrator returns while a Task.any loser is still open, then the instance keeps running until it completes', () => {
      expect(replay(raced(), [race], { isDone: true, output: 'a' }).outcome).toEqual({ kind: 'running' });
      const later = raced().close().episode(9).add(EventType.TaskCompleted, { TaskScheduledId: 1, Result: '"b"' });
      expect(replay(later, [race], { isDone: true, output: 'a' }).outcome).toEqual({ kind: 'completed', output: 'a' });
    });

    it('when the orchestrator fails while a task is open, then the failure is applied only once the task completes', () => {
      expect(replay(raced(), [race], { error: 'bad' }).outcome).toEqual({ kind: 'running' });
    });

    it('when the losing timer was canceled, then it is not open and the orchestration completes at once', () => {
      const approval: Action = {
        actionType: ActionType.WhenAny,
        compoundActions: [
          { actionType: ActionType.WaitForExternalEvent, externalEventName: 'Approval' },
          { actionType: ActionType.CreateTimer, fireAt: at(3600).toISOString(), isCanceled: true },
        ],
      };
      const history = new History()
        .episode(0)
        .started()
        .add(EventType.TimerCreated, { EventId: 0, FireAt: at(3600).toISOString() })
        .close()
        .episode(5)
        .add(EventType.EventRaised, { Name: 'Approval', Input: 'true' });
      expect(replay(history, [approval], { isDone: true, output: 'approved' }).outcome).toEqual({
        kind: 'completed',
        output: 'approved',
      });
    });
  });
});
