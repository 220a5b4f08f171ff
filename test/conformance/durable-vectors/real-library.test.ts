// Use (a) of the golden vectors: for every case, the handler durable-functions 3.5 really registers (obtained through
// the @azure/functions-core contract and invoked through the dev host's Invoker) returns, for the case's trigger
// payload and our re-authored orchestrator, exactly the state the vector recorded. This pins the library the app
// runs on in Azure, and checks that each re-authored orchestrator is the one the vector describes, before the
// engine's extension emulator is driven with the same orchestrators (use (b), see episodes.ts).
import {
  registerRealOrchestrations,
  type OrchestrationRun,
  type RealOrchestrationApp,
} from '../../support/durable/real-handler';
import { loadCases, payloadOf, type ExpectedState, type HandlerOutcome, type VectorCase } from './cases';
import { vectorOrchestrators } from './orchestrators';

const cases = loadCases();
const casesAtV3 = cases.filter((c) => c.atSchemaV3 !== undefined);

let app: RealOrchestrationApp;

beforeAll(async () => {
  app = await registerRealOrchestrations(vectorOrchestrators);
});
afterAll(() => app.release());

/** The run as the vector records it: outcome plus the state as JSON (from the return value or `$OutOfProcData$`). */
function observed(run: OrchestrationRun): { outcome: string; state: unknown } {
  return { outcome: run.outcome, state: JSON.parse(JSON.stringify(run.state ?? null)) as unknown };
}

async function expectVector(
  c: VectorCase,
  overrides: Record<string, unknown>,
  handler: HandlerOutcome,
  expected: ExpectedState,
): Promise<OrchestrationRun> {
  const run = await app.run(c.orchestrator, payloadOf(c, overrides));
  expect(observed(run)).toEqual({ outcome: handler.outcome, state: expected });
  if (run.outcome === 'threw') {
    expect(run.messageBeforeOutOfProcData.startsWith(handler.messageBeforeOutOfProcData ?? '')).toBe(true);
  }
  return run;
}

describe('durable-functions golden vectors: the real registered handler', () => {
  it('the fixture holds 134 cases with unique ids, and every orchestrator they name is registered', () => {
    expect(cases).toHaveLength(134);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    const missing = [...new Set(cases.map((c) => c.orchestrator))].filter((name) => !app.registry.get(name));
    expect(missing).toEqual([]);
  });

  it('the handler under test is the library wrapper registered as an orchestrationTrigger, not the raw generator', () => {
    const fn = app.orchestration('SayHelloWithActivity');
    expect(fn.trigger.type).toBe('orchestrationTrigger');
    expect(fn.callback).not.toBe(vectorOrchestrators(app.durableFunctions).SayHelloWithActivity);
    expect(fn.callback.constructor.name).not.toBe('GeneratorFunction');
  });

  test.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const run = await expectVector(c, {}, c.handler, c.expected);
    const df = run.context.df;
    expect({
      instanceId: df.instanceId,
      parentInstanceId: df.parentInstanceId,
      isReplaying: df.isReplaying,
      currentUtcDateTime: df.currentUtcDateTime.toISOString(),
    }).toEqual(c.contextAfterRun);
  });

  describe('rerun at schema V3 (upperSchemaVersionNew: 2, as a current extension sends)', () => {
    test.each(casesAtV3.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
      const v3 = c.atSchemaV3!;
      await expectVector(c, v3.triggerOverrides, v3.handler, v3.expected);
    });
  });
});
