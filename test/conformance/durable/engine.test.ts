// The dispatch loop around the in-memory backend: bounded activity concurrency, batching that lets a 10,000-wide
// fan-out finish, control operations while activities are in flight, long timers, and failure containment.
import { OrchestrationContext } from 'durable-functions';
import { Harness, startHarness, waitFor, waitForFinish, waitForStatus } from './harness';

/** A latch tests open explicitly, so "in flight" is a state, not a timing guess. */
class Gate {
  private release!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.release = resolve));
  open(): void {
    this.release();
  }
}

describe('durable dispatch loop', () => {
  describe('with a concurrency limit of 4', () => {
    let h: Harness;
    let gate = new Gate();
    let running = 0;
    let maxRunning = 0;
    let started = 0;

    beforeAll(async () => {
      h = await startHarness(
        (rt) => {
          rt.registerActivity('square', (input) => (input as number) * (input as number));
          rt.registerActivity('gated', async (input) => {
            started++;
            running++;
            maxRunning = Math.max(maxRunning, running);
            await gate.opened;
            running--;
            return input;
          });
          rt.registerOrchestration('fanOut', function* (context: OrchestrationContext) {
            const n = context.df.getInput<number>();
            const tasks = [];
            for (let i = 0; i < n; i++) tasks.push(context.df.callActivity('square', i));
            const results = (yield context.df.Task.all(tasks)) as number[];
            return { count: results.length, sum: results.reduce((a, b) => a + b, 0), last: results[n - 1] };
          });
          rt.registerOrchestration('gatedFanOut', function* (context: OrchestrationContext) {
            const n = context.df.getInput<number>();
            const tasks = [];
            for (let i = 0; i < n; i++) tasks.push(context.df.callActivity('gated', i));
            tasks.push(context.df.waitForExternalEvent('extra'));
            return (yield context.df.Task.all(tasks)) as unknown[];
          });
        },
        { maxConcurrentActivityFunctions: 4 },
      );
    });
    afterAll(async () => {
      gate.open();
      await h.stop();
    });

    beforeEach(() => {
      gate = new Gate();
      running = 0;
      maxRunning = 0;
      started = 0;
    });

    it('when 12 blocking activities are scheduled, then exactly 4 run at a time', async () => {
      const id = await h.client.startNew('gatedFanOut', { input: 12 });
      await waitFor(() => (started === 4 ? true : undefined), '4 activities to start');
      expect(running).toBe(4);
      // Control operations are served while activities are in flight.
      await h.client.raiseEvent(id, 'extra', 'e');
      gate.open();
      const status = await waitForFinish(h.client, id);
      expect(status.runtimeStatus).toBe('Completed');
      expect(maxRunning).toBe(4);
      expect((status.output as unknown[]).length).toBe(13);
    });

    it('when an instance is terminated while its activities are in flight, then it ends Terminated at once', async () => {
      const id = await h.client.startNew('gatedFanOut', { input: 8 });
      await waitFor(() => (started === 4 ? true : undefined), 'activities to start');
      await h.client.terminate(id, 'stop it');
      const status = await waitForStatus(h.client, id, 'Terminated');
      expect(status.output).toBe('stop it');
      expect(running).toBe(4); // still blocked: termination did not wait for them
      gate.open();
    });

    it('when an instance is suspended and resumed while activities are in flight, then it still completes', async () => {
      const id = await h.client.startNew('gatedFanOut', { input: 6 });
      await waitFor(() => (started === 4 ? true : undefined), 'activities to start');
      await h.client.suspend(id, 'pause');
      await waitForStatus(h.client, id, 'Suspended');
      await h.client.raiseEvent(id, 'extra', 'x');
      gate.open();
      await waitFor(() => (started === 6 && running === 0 ? true : undefined), 'all activities to finish');
      expect((await h.client.getStatus(id)).runtimeStatus).toBe('Suspended');
      await h.client.resume(id, 'go on');
      const status = await waitForFinish(h.client, id);
      expect(status.runtimeStatus).toBe('Completed');
    });

    it('when an orchestration fans out to 10,000 activities, then it completes with every result', async () => {
      const n = 10_000;
      const id = await h.client.startNew('fanOut', { input: n });
      const status = await waitForFinish(h.client, id, 240_000);
      expect(status.runtimeStatus).toBe('Completed');
      let sum = 0;
      for (let i = 0; i < n; i++) sum += i * i;
      expect(status.output).toEqual({ count: n, sum, last: (n - 1) * (n - 1) });
    }, 300_000);
  });
});

describe('stale work from an earlier execution', () => {
  let h: Harness;
  const gates = new Map<string, Gate>();
  const gate = (key: string): Gate => {
    let g = gates.get(key);
    if (!g) gates.set(key, (g = new Gate()));
    return g;
  };

  beforeAll(async () => {
    h = await startHarness((rt) => {
      rt.registerActivity('gatedEcho', async (input) => {
        await gate(String(input)).opened;
        return input;
      });
      // Generation 0 races an activity against an event and continues as new when the event wins; generation 1
      // schedules its own activity, which gets the same task id.
      rt.registerOrchestration('abandonActivity', function* (context: OrchestrationContext) {
        const generation = context.df.getInput<number>() ?? 0;
        if (generation === 0) {
          context.df.setCustomStatus('generation 0');
          const slow = context.df.callActivity('gatedEcho', `${context.df.instanceId}-old`);
          yield context.df.Task.any([slow, context.df.waitForExternalEvent('skip')]);
          context.df.continueAsNew(1);
          return undefined;
        }
        context.df.setCustomStatus('generation 1');
        return (yield context.df.callActivity('gatedEcho', `${context.df.instanceId}-new`)) as unknown;
      });
      // Generation 0 cancels a short timer (id 1) and continues as new; generation 1 waits on a long timer (id 1).
      rt.registerOrchestration('abandonTimer', function* (context: OrchestrationContext) {
        const generation = context.df.getInput<number>() ?? 0;
        const now = context.df.currentUtcDateTime.getTime();
        // Generation 0's timer must still be pending when 'skip' arrives, and fire while generation 1 waits.
        const timer = context.df.createTimer(new Date(now + (generation === 0 ? 1000 : 60_000)));
        const event = context.df.waitForExternalEvent(generation === 0 ? 'skip' : 'finish');
        context.df.setCustomStatus(`generation ${generation}`);
        const winner: unknown = yield context.df.Task.any([timer, event]);
        if (winner === event) timer.cancel();
        if (generation === 0) {
          context.df.continueAsNew(1);
          return undefined;
        }
        return winner === event ? 'event' : 'timer';
      });
    });
  });
  afterAll(async () => {
    for (const g of gates.values()) g.open();
    await h.stop();
  });

  async function waitForCustomStatus(id: string, expected: string): Promise<void> {
    await waitFor(async () => ((await h.client.getStatus(id)).customStatus === expected ? true : undefined), expected);
  }

  // DTFx ends an execution (continue-as-new included) only when no task is open (TaskOrchestrationExecutor,
  // `!HasOpenTasks`): the activity's result reaches the execution that scheduled it, never the new one.
  it('when an execution continues as new while its activity is still running, then it waits for that activity, and the new execution gets only its own result', async () => {
    const id = await h.client.startNew('abandonActivity', { instanceId: 'stale-activity', input: 0 });
    await waitForCustomStatus(id, 'generation 0');
    const episodes = h.runtime.stats().episodes;
    await h.client.raiseEvent(id, 'skip', true);
    await waitFor(() => (h.runtime.stats().episodes > episodes ? true : undefined), 'the episode with the event');
    expect(await h.client.getStatus(id)).toMatchObject({ runtimeStatus: 'Running', customStatus: 'generation 0' });
    const dropped = h.runtime.stats().staleEventsDropped;
    gate(`${id}-old`).open();
    await waitForCustomStatus(id, 'generation 1');
    gate(`${id}-new`).open();
    const status = await waitForFinish(h.client, id);
    expect(status.output).toBe(`${id}-new`);
    expect(h.runtime.stats().staleEventsDropped).toBe(dropped);
  });

  it("when a cancelled timer of the previous execution fires, then it does not fire the new execution's timer", async () => {
    const id = await h.client.startNew('abandonTimer', { instanceId: 'stale-timer', input: 0 });
    await waitForCustomStatus(id, 'generation 0');
    const dropped = h.runtime.stats().staleEventsDropped;
    await h.client.raiseEvent(id, 'skip', true);
    await waitForCustomStatus(id, 'generation 1');
    await waitFor(() => (h.runtime.stats().staleEventsDropped > dropped ? true : undefined), 'the stale timer');
    expect((await h.client.getStatus(id)).runtimeStatus).toBe('Running');
    await h.client.raiseEvent(id, 'finish', true);
    const status = await waitForFinish(h.client, id);
    expect(status.output).toBe('event');
  }, 20_000);
});

describe('durable timers and failure containment', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness((rt) => {
      rt.registerActivity('echo', (input) => input);
      rt.registerOrchestration('monthLongTimeout', function* (context: OrchestrationContext) {
        const thirtyDays = 30 * 24 * 60 * 60 * 1000;
        const timeout = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + thirtyDays));
        const event = context.df.waitForExternalEvent('done');
        const winner: unknown = yield context.df.Task.any([timeout, event]);
        if (winner === event) timeout.cancel();
        return winner === event ? 'event' : 'timer';
      });
      rt.registerOrchestration('quick', function* (context: OrchestrationContext) {
        return (yield context.df.callActivity('echo', 'ok')) as unknown;
      });
    });
  });
  afterAll(() => h.stop());

  it('when a 30-day timer races an event, then the timer does not fire early and the event wins', async () => {
    const id = await h.client.startNew('monthLongTimeout');
    await waitForStatus(h.client, id, 'Running');
    await h.client.raiseEvent(id, 'done', true);
    const status = await waitForFinish(h.client, id);
    expect(status.output).toBe('event');
  }, 20_000);

  it('when there is no work, then the loop parks instead of spinning', async () => {
    await waitFor(() => (h.runtime.stats().parked ? true : undefined), 'the loop to park');
    const rounds = h.runtime.stats().rounds;
    // A setImmediate spin loop would advance `rounds` on every one of these turns of the event loop.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(h.runtime.stats().rounds).toBe(rounds);
    expect(h.runtime.stats().parked).toBe(true);
  });
});
