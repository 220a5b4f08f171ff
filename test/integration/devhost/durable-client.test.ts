import type { DevHost } from '../../../dev/host/dev-host';
import { waitFor } from '../../support/wait-for';
import { startFixtureHost } from './fixture-host';

interface CheckStatus {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  purgeHistoryDeleteUri: string;
}

interface Status {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
}

describe('dev host: durable functions through the real DurableClient', () => {
  let host: DevHost;

  beforeAll(async () => {
    ({ host } = await startFixtureHost('durable', { timers: false }));
  });
  afterAll(async () => {
    await host.close();
  });

  const api = (p: string): string => `${host.url}/api/${p}`;
  const status = async (id: string): Promise<Status> =>
    (await (await fetch(api(`manage/${id}/status`))).json()) as Status;

  it('when a client function starts an orchestration without an id, then createCheckStatusResponse points at this host', async () => {
    const res = await fetch(api('start'), { method: 'POST', body: JSON.stringify('Ada') });
    expect(res.status).toBe(202);
    const body = (await res.json()) as CheckStatus;
    expect(body.id).toMatch(/^[0-9a-f]{32}$/);
    expect(res.headers.get('location')).toBe(body.statusQueryGetUri);
    expect(body.statusQueryGetUri.startsWith(`${host.url}/runtime/webhooks/durabletask/instances/${body.id}?`)).toBe(
      true,
    );

    // The management URLs work as given (they carry the durable system key).
    const viaUrl = await waitFor(async () => {
      const s = (await (await fetch(body.statusQueryGetUri)).json()) as Status;
      return s.runtimeStatus === 'Running' ? s : undefined;
    });
    expect(viaUrl).toMatchObject({ name: 'greeter', instanceId: body.id, input: 'Ada' });
    expect((await fetch(body.statusQueryGetUri.replace(/code=[^&]+/, 'code=wrong'))).status).toBe(401);
  });

  it('when the orchestration gets its event, then it completes with the activity result, and activities got a real context', async () => {
    const id = `order-${Date.now()}`;
    expect((await fetch(api(`start/${id}`), { method: 'POST', body: JSON.stringify('Grace') })).status).toBe(202);
    expect((await status(id)).instanceId).toBe(id);
    await waitFor(async () => ((await (await fetch(api('activityContexts'))).json()) as unknown[]).length > 0);
    expect((await fetch(api(`manage/${id}/approve`), { method: 'POST' })).status).toBe(202);
    const done = await waitFor(async () => {
      const s = await status(id);
      return s.runtimeStatus === 'Completed' ? s : undefined;
    });
    expect(done.output).toEqual({ greeting: 'Hello, Grace!', approval: { by: 'tester' } });
    const contexts = (await (await fetch(api('activityContexts'))).json()) as {
      functionName: string;
      invocationId: string;
    }[];
    expect(contexts[0]?.functionName).toBe('greet');
    expect(
      host.invocations.some(
        (r) => r.functionName === 'greet' && r.trigger === 'activityTrigger' && r.outcome === 'Succeeded',
      ),
    ).toBe(true);

    const purged = (await (await fetch(api(`manage/${id}/purge`), { method: 'POST' })).json()) as {
      instancesDeleted: number;
    };
    expect(purged.instancesDeleted).toBe(1);
  });

  it('when an instance id is already running, then a second start is refused with 409', async () => {
    const id = `dup-${Date.now()}`;
    expect((await fetch(api(`start/${id}`), { method: 'POST', body: JSON.stringify('x') })).status).toBe(202);
    const again = await fetch(api(`start-twice/${id}`), { method: 'POST' });
    expect(again.status).toBe(409);
    expect(await again.text()).toMatch(/409/);
  });

  it('when a running instance is terminated, then its status says Terminated', async () => {
    const id = `term-${Date.now()}`;
    await fetch(api(`start/${id}`), { method: 'POST', body: JSON.stringify('y') });
    expect((await fetch(api(`manage/${id}/terminate`), { method: 'POST' })).status).toBe(202);
    await waitFor(async () => (await status(id)).runtimeStatus === 'Terminated');
  });

  it('when an Event Grid client function runs, then it gets a durable client too and starts the orchestration', async () => {
    const id = `e${Date.now()}`;
    const res = await fetch(
      `${host.url}/runtime/webhooks/eventgrid?functionName=startFromEvent&code=${host.keys.system.eventgrid_extension ?? ''}`,
      {
        method: 'POST',
        headers: { 'aeg-event-type': 'Notification', 'content-type': 'application/json' },
        body: JSON.stringify([
          { id, subject: 'datasets/new.csv', eventType: 'Microsoft.Storage.BlobCreated', data: {} },
        ]),
      },
    );
    expect(res.status).toBe(202);
    expect(await status(`evt-${id}`)).toMatchObject({ name: 'greeter', input: 'datasets/new.csv' });
  });
});
