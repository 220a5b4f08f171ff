// Registrations captured from the app's own durable-functions module run unmodified on the local engine, including
// tasks produced by the builders `df.app.activity/orchestration` return.
import * as df from 'durable-functions';
import { OrchestrationContext } from 'durable-functions';
import { captureDurableRegistrations, CapturedDurable } from '../../../dev/host/durable';
import { Harness, startHarness, waitForFinish } from './harness';

describe('captureDurableRegistrations', () => {
  let captured: CapturedDurable;
  let h: Harness;
  let builderReturnedFunctions = false;
  const flakyCalls = new Map<string, number>();

  beforeAll(async () => {
    // Outside a Functions host @azure/functions warns that it skips the registration; the capture still sees it.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    captured = captureDurableRegistrations(df);
    try {
      const shout = df.app.activity('capShout', { handler: (input: unknown) => String(input).toUpperCase() });
      const flaky = df.app.activity('capFlaky', {
        handler: (input: unknown) => {
          const n = (flakyCalls.get(String(input)) ?? 0) + 1;
          flakyCalls.set(String(input), n);
          if (n === 1) throw new Error('first call fails');
          return n;
        },
      });
      const child = df.app.orchestration('capChild', function* (context: OrchestrationContext) {
        return (yield shout(context.df.getInput())) as unknown;
      });
      df.app.orchestration('capParent', function* (context: OrchestrationContext) {
        const shouted: unknown = yield shout('quiet string');
        const retried: unknown = yield flaky(context.df.instanceId).withRetry(new df.RetryOptions(5, 3));
        const fromChild: unknown = yield child('from child', `${context.df.instanceId}-child`);
        const many = (yield context.df.Task.all([shout('a'), shout('b')])) as unknown[];
        return { shouted, retried, fromChild, many };
      });
      df.app.entity('capCounter', () => undefined);
      builderReturnedFunctions = typeof shout === 'function' && typeof child === 'function';
    } finally {
      captured.restore();
      warn.mockRestore();
    }
    h = await startHarness((rt) => {
      for (const [name, fn] of captured.orchestrations) rt.registerOrchestration(name, fn);
      for (const [name, handler] of captured.activities) rt.registerActivity(name, handler);
    });
  });
  afterAll(() => h.stop());

  it('when the app registers durable functions, then raw handlers are recorded and builders are still returned', () => {
    expect([...captured.orchestrations.keys()].sort()).toEqual(['capChild', 'capParent']);
    expect([...captured.activities.keys()].sort()).toEqual(['capFlaky', 'capShout']);
    expect([...captured.entities.keys()]).toEqual(['capCounter']);
    expect(builderReturnedFunctions).toBe(true);
  });

  it('when a captured orchestrator yields builder tasks, then they run as activity, retry and sub-orchestration', async () => {
    const id = await h.client.startNew('capParent');
    const status = await waitForFinish(h.client, id);
    expect(status.output).toEqual({ shouted: 'QUIET STRING', retried: 2, fromChild: 'FROM CHILD', many: ['A', 'B'] });
    expect((await h.client.getStatus(`${id}-child`)).runtimeStatus).toBe('Completed');
  });

  it('when restore is called, then df.app functions are the originals again', () => {
    const original = { orchestration: df.app.orchestration, activity: df.app.activity, entity: df.app.entity };
    const again = captureDurableRegistrations(df);
    expect(df.app.orchestration).not.toBe(original.orchestration);
    again.restore();
    expect({ orchestration: df.app.orchestration, activity: df.app.activity, entity: df.app.entity }).toEqual(original);
  });
});
