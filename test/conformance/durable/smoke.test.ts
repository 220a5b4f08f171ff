import { OrchestrationContext } from 'durable-functions';
import { Harness, startHarness, waitForFinish } from './harness';

describe('durable engine smoke', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness((rt) => {
      rt.registerActivity('hello', (input) => `Hello ${String(input)}`);
      rt.registerOrchestration('helloSeq', function* (context: OrchestrationContext) {
        const a: unknown = yield context.df.callActivity('hello', 'Tokyo');
        const b: unknown = yield context.df.callActivity('hello', 'Seattle');
        return [a, b];
      });
    });
  });
  afterAll(() => h.stop());

  it('when a sequence is started, then it completes with both results', async () => {
    const id = await h.client.startNew('helloSeq');
    const status = await waitForFinish(h.client, id);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual(['Hello Tokyo', 'Hello Seattle']);
  });
});
