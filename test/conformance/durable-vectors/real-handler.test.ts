// The real-handler helper (test/support/durable/real-handler.ts): what it registers is durable-functions' own
// handler, invoked like any function of the dev host (hooks included), and a thrown orchestration failure is taken
// apart the way the extension does (`$OutOfProcData$`).
import {
  ORCHESTRATION_TRIGGER,
  OUT_OF_PROC_DATA_MARKER,
  registerRealOrchestrations,
  splitOutOfProcData,
  type RealOrchestrationApp,
} from '../../support/durable/real-handler';

const T0 = '2024-03-01T09:00:00.000Z';
const firstEpisode = (name: string, input: unknown): Record<string, unknown> => ({
  instanceId: 'helper-1',
  isReplaying: false,
  upperSchemaVersion: 1,
  upperSchemaVersionNew: 2,
  input,
  history: [
    { EventType: 12, EventId: -1, IsPlayed: false, Timestamp: T0 },
    { EventType: 0, EventId: -1, IsPlayed: false, Timestamp: T0, Name: name, Input: JSON.stringify(input) },
  ],
});

describe('registerRealOrchestrations', () => {
  let app: RealOrchestrationApp;
  const hookSaw: string[] = [];

  beforeAll(async () => {
    app = await registerRealOrchestrations((_df, functions) => {
      functions.app.hook.preInvocation((context) => {
        const invocation = context.invocationContext;
        hookSaw.push(`${invocation.functionName}:${invocation.options.trigger.type}`);
      });
      return {
        Greet: function* (context) {
          return (yield context.df.callActivity('Hello', context.df.getInput())) as unknown;
        },
        // eslint-disable-next-line require-yield -- fails before its first step, on purpose
        Fails: function* () {
          throw new Error('boom');
        },
      };
    });
  });
  afterAll(() => app.release());

  it('when an orchestration is registered, then the registry holds it as an orchestrationTrigger', () => {
    expect(app.orchestration('Greet').trigger.type).toBe(ORCHESTRATION_TRIGGER);
    expect(() => app.orchestration('Nope')).toThrow(/No orchestration named 'Nope'/);
  });

  it('when the handler returns, then the state and context.df are reported and preInvocation hooks ran', async () => {
    const run = await app.run('Greet', firstEpisode('Greet', 'Tokyo'));
    expect(run.outcome).toBe('returned');
    expect(JSON.parse(JSON.stringify(run.state))).toEqual({
      isDone: false,
      actions: [[{ actionType: 0, functionName: 'Hello', input: '"Tokyo"' }]],
      schemaVersion: 2,
    });
    expect(run.context.df.instanceId).toBe('helper-1');
    expect(hookSaw).toContain('Greet:orchestrationTrigger');
  });

  it('when the orchestrator throws, then the state after $OutOfProcData$ and the context are reported', async () => {
    const run = await app.run('Fails', firstEpisode('Fails', null));
    expect(run.outcome).toBe('threw');
    if (run.outcome !== 'threw') return;
    expect(run.messageBeforeOutOfProcData).toBe('false');
    expect(run.state).toMatchObject({ isDone: false, error: 'boom' });
    expect(run.context.df.currentUtcDateTime.toISOString()).toBe(T0);
  });
});

describe('splitOutOfProcData', () => {
  it('splits at the marker and parses the state; a message without the marker gives undefined', () => {
    expect(splitOutOfProcData(`false${OUT_OF_PROC_DATA_MARKER}{"isDone":false}`)).toEqual({
      before: 'false',
      state: { isDone: false },
    });
    expect(splitOutOfProcData('plain failure')).toBeUndefined();
  });
});
