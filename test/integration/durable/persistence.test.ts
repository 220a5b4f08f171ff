// The local Durable engine keeps its state in Azure Storage tables (Azurite), laid out like the Azure Storage
// provider, and a new engine over the same tables resumes every instance: timers re-armed, pending events
// delivered, activities without a committed result run again (at-least-once, as in Azure).
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import type { OrchestrationContext } from 'durable-functions';

import { DurableRuntime, TablePersistence } from '../../../dev/host/durable';
import { type DurableFunctionSet, serveDurableSet } from '../../../dev/host/durable-registration';
import { type AzuriteStorage, startAzuriteStorage } from '../../support/azurite';
import { waitFor } from '../../support/wait-for';

jest.setTimeout(60_000);

const HUB = 'PersistHub';
let storage: AzuriteStorage;

/** Activity runs per key, across both engines. */
const runs = new Map<string, number>();
/** Activities that hang until released (the "crash" leaves them without a committed result). */
const gates = new Map<string, () => void>();

function register(fns: DurableFunctionSet): void {
  fns.registerActivity('gated', async (input) => {
    const key = String(input);
    runs.set(key, (runs.get(key) ?? 0) + 1);
    if ((runs.get(key) ?? 0) === 1) await new Promise<void>((resolve) => gates.set(key, resolve));
    return `done ${key}`;
  });
  fns.registerActivity('echo', (input) => input);
  fns.registerOrchestration('resumable', function* (context: OrchestrationContext) {
    const first: unknown = yield context.df.callActivity('echo', 'one');
    context.df.setCustomStatus('waiting for go');
    const go: unknown = yield context.df.waitForExternalEvent('go');
    const fireAt = new Date(context.df.currentUtcDateTime.getTime() + 300);
    yield context.df.createTimer(fireAt);
    context.df.setCustomStatus('running gated');
    const gated: unknown = yield context.df.callActivity('gated', context.df.instanceId);
    return { first, go, gated, timerAfter: context.df.currentUtcDateTime.getTime() >= fireAt.getTime() };
  });
}

function persistence(): TablePersistence {
  const conn = storage.connectionString;
  return new TablePersistence({
    hubName: HUB,
    table: (name) => TableClient.fromConnectionString(conn, name, { allowInsecureConnection: true }),
    largeMessages: BlobServiceClient.fromConnectionString(conn).getContainerClient(
      `${HUB.toLowerCase()}-largemessages`,
    ),
  });
}

async function engine(): Promise<DurableRuntime> {
  const runtime = new DurableRuntime({
    taskHubName: HUB,
    maxConcurrentActivityFunctions: 4,
    log: () => undefined,
    persistence: persistence(),
  });
  await serveDurableSet(runtime, register);
  await runtime.start();
  return runtime;
}

const call = async (
  runtime: DurableRuntime,
  method: string,
  path: string,
  body = '',
): Promise<{ status: number; json: unknown }> => {
  const res = await runtime.handleHttp(
    { method, path, query: new URLSearchParams(), headers: { 'content-type': 'application/json' }, body },
    'http://127.0.0.1',
  );
  return { status: res.status, json: res.body ? (JSON.parse(res.body) as unknown) : undefined };
};

const statusOf = async (
  runtime: DurableRuntime,
  id: string,
): Promise<{ runtimeStatus: string; customStatus: unknown; output: unknown }> =>
  (await call(runtime, 'GET', `/instances/${id}`)).json as {
    runtimeStatus: string;
    customStatus: unknown;
    output: unknown;
  };

beforeAll(async () => {
  storage = await startAzuriteStorage();
});
afterAll(async () => {
  for (const release of gates.values()) release();
  await storage.stop();
});

describe('durable state in Azurite tables', () => {
  it('when the engine is replaced mid-run, then the instance resumes: event delivered, timer re-armed, unfinished activity run again', async () => {
    const first = await engine();
    expect((await call(first, 'POST', '/orchestrators/resumable/persist-1')).status).toBe(202);
    await waitFor(
      async () => ((await statusOf(first, 'persist-1')).customStatus === 'waiting for go' ? true : undefined),
      {
        description: 'the first wait',
      },
    );
    expect((await call(first, 'POST', '/instances/persist-1/raiseEvent/go', '"now"')).status).toBe(202);
    await waitFor(
      async () => ((await statusOf(first, 'persist-1')).customStatus === 'running gated' ? true : undefined),
      {
        description: 'the gated activity to start',
      },
    );
    await waitFor(() => (runs.get('persist-1') === 1 ? true : undefined), { description: 'the gated activity to run' });
    // The "crash": the first engine is abandoned with its activity unfinished; nothing more of it is committed.
    await first.stop();

    const second = await engine();
    const done = await waitFor(
      async () => {
        const s = await statusOf(second, 'persist-1');
        return s.runtimeStatus === 'Completed' ? s : undefined;
      },
      { description: 'the instance to finish on the second engine' },
    );
    expect(done.output).toEqual({ first: 'one', go: 'now', gated: 'done persist-1', timerAfter: true });
    expect(runs.get('persist-1')).toBe(2);
    await second.stop();
  }, 60_000);

  it('when the state is read with Storage tools, then instances and history rows are where the Azure Storage provider keeps them', async () => {
    const conn = storage.connectionString;
    const instances = TableClient.fromConnectionString(conn, `${HUB}Instances`, { allowInsecureConnection: true });
    const row = await instances.getEntity<{ RuntimeStatus: string; Name: string }>('persist-1', '');
    expect(row.RuntimeStatus).toBe('Completed');
    expect(row.Name).toBe('resumable');
    const history = TableClient.fromConnectionString(conn, `${HUB}History`, { allowInsecureConnection: true });
    const types: string[] = [];
    for await (const e of history.listEntities<{ EventType: string }>({
      queryOptions: { filter: "PartitionKey eq 'persist-1'" },
    })) {
      types.push(e.EventType);
    }
    expect(types[0]).toBe('OrchestratorStarted');
    expect(types).toContain('ExecutionStarted');
    expect(types).toContain('TimerFired');
    expect(types.filter((t) => t === 'ExecutionCompleted')).toHaveLength(1);
  });
});
