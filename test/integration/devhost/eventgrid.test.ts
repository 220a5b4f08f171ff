import type { DevHost } from '../../../dev/host/dev-host';
import { startFixtureHost } from './fixture-host';

interface Recorded {
  events: { event: { id: string }; triggerMetadata: Record<string, unknown> }[];
}

describe('dev host: Event Grid webhook', () => {
  let host: DevHost;

  beforeAll(async () => {
    ({ host } = await startFixtureHost('basic', { appSettings: { TICK_SCHEDULE: '0 */5 * * * *' }, timers: false }));
  });
  afterAll(async () => {
    await host.close();
  });

  const webhook = (fn: string, key: string | null = host.keys.system.eventgrid_extension ?? null): string =>
    `${host.url}/runtime/webhooks/eventgrid?functionName=${fn}${key === null ? '' : `&code=${key}`}`;
  const post = (url: string, type: string, body: unknown): Promise<Response> =>
    fetch(url, {
      method: 'POST',
      headers: { 'aeg-event-type': type, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const recorded = async (): Promise<Recorded> => (await (await fetch(`${host.url}/api/records`)).json()) as Recorded;

  const gridEvent = (id: string, data: Record<string, unknown> = {}): Record<string, unknown> => ({
    id,
    topic: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a',
    subject: `/blobServices/default/containers/c/blobs/${id}.csv`,
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: '2026-01-01T00:00:00.0000000Z',
    data,
    dataVersion: '',
    metadataVersion: '1',
  });

  it('when the system key is missing or wrong, then 401; an unknown function gives 404', async () => {
    expect((await post(webhook('onEvent', null), 'Notification', [])).status).toBe(401);
    expect((await post(webhook('onEvent', 'wrong'), 'Notification', [])).status).toBe(401);
    const unknown = await post(webhook('nope'), 'Notification', []);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe("cannot find function: 'nope'");
  });

  it('when Event Grid validates a subscription (both schemas), then the code is echoed and nothing is invoked', async () => {
    const before = (await recorded()).events.length;
    const eg = await post(webhook('onEvent'), 'SubscriptionValidation', [
      {
        ...gridEvent('v1'),
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        data: { validationCode: 'abc-123' },
      },
    ]);
    expect(eg.status).toBe(200);
    expect(await eg.json()).toEqual({ validationResponse: 'abc-123' });
    const ce = await post(webhook('onEvent'), 'SubscriptionValidation', {
      specversion: '1.0',
      type: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      source: 'x',
      id: 'v2',
      data: JSON.stringify({ validationCode: 'ce-456' }),
    });
    expect(await ce.json()).toEqual({ validationResponse: 'ce-456' });
    expect((await recorded()).events.length).toBe(before);
  });

  it('when a CloudEvents abuse-protection OPTIONS request arrives, then the allowed origin is answered', async () => {
    const res = await fetch(webhook('onEvent'), {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
  });

  it('when a batch of Event Grid events is delivered, then each is one invocation and the answer is 202', async () => {
    const res = await post(webhook('onEvent'), 'Notification', [gridEvent('b1'), gridEvent('b2')]);
    expect(res.status).toBe(202);
    const events = (await recorded()).events.filter((e) => ['b1', 'b2'].includes(e.event.id));
    expect(events.map((e) => e.event.id).sort()).toEqual(['b1', 'b2']);
    expect(events[0]?.event).toMatchObject({ eventType: 'Microsoft.Storage.BlobCreated', metadataVersion: '1' });
    expect(events[0]?.triggerMetadata).toMatchObject({
      eventType: 'Microsoft.Storage.BlobCreated',
      sys: { methodName: 'onEvent' },
    });
  });

  it('when a single CloudEvent object is delivered, then it reaches the handler unchanged', async () => {
    const cloudEvent = {
      specversion: '1.0',
      type: 'Custom.Thing',
      source: '/my/source',
      id: 'ce1',
      time: '2026-01-01T00:00:00Z',
      data: { x: 1 },
    };
    expect((await post(webhook('onEvent'), 'Notification', cloudEvent)).status).toBe(202);
    expect((await recorded()).events.find((e) => e.event.id === 'ce1')?.event).toEqual(cloudEvent);
  });

  it('when one event of a batch fails, then the answer is 500 and the other events still ran', async () => {
    const res = await post(webhook('onEvent'), 'Notification', [gridEvent('f1', { fail: true }), gridEvent('f2')]);
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('event f1 failed on purpose');
    expect((await recorded()).events.some((e) => e.event.id === 'f2')).toBe(true);
  });

  it('when the aeg-event-type header is missing, then 400; Unsubscribe gives 202', async () => {
    expect((await fetch(webhook('onEvent'), { method: 'POST', body: '[]' })).status).toBe(400);
    expect((await post(webhook('onEvent'), 'Unsubscribe', [])).status).toBe(202);
  });
});
