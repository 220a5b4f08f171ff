import type { DevHost } from '../../../dev/host/dev-host';
import { nativeProcess } from '../../../dev/host/native-module';
import { waitFor } from '../../support/wait-for';
import { startFixtureHost } from './fixture-host';

describe('dev host: admin API', () => {
  let host: DevHost;

  beforeAll(async () => {
    ({ host } = await startFixtureHost('basic', { appSettings: { TICK_SCHEDULE: '0 */5 * * * *' }, timers: false }));
  });
  afterAll(async () => {
    await host.close();
  });

  it('when the host status is asked for without a key, then it is Running; the function list needs the master key', async () => {
    const res = await fetch(`${host.url}/admin/host/status`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: 'Running' });
    expect((await fetch(`${host.url}/admin/functions`)).status).toBe(401);
    expect((await fetch(`${host.url}/admin/functions?code=${host.keys.function}`)).status).toBe(401);
  });

  it('when functions are listed, then each comes with its trigger type', async () => {
    const res = await fetch(`${host.url}/admin/functions?code=${host.keys.master}`);
    const list = (await res.json()) as { name: string; trigger: string; invoke_url_template: string | null }[];
    expect(list).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'hello',
          trigger: 'httpTrigger',
          invoke_url_template: `${host.url}/api/hello/{name?}`,
        }),
        expect.objectContaining({ name: 'onEvent', trigger: 'eventGridTrigger' }),
        expect.objectContaining({ name: 'tick', trigger: 'timerTrigger' }),
      ]),
    );
  });

  it('when an event function is run through the admin API, then it gets the input as its trigger value', async () => {
    const res = await fetch(`${host.url}/admin/functions/onEvent?code=${host.keys.master}`, {
      method: 'POST',
      body: JSON.stringify({ input: JSON.stringify({ id: 'admin-1', eventType: 'X', data: {} }) }),
    });
    expect(res.status).toBe(202);
    await waitFor(async () => {
      const records = (await (await fetch(`${host.url}/api/records`)).json()) as {
        events: { event: { id: string } }[];
      };
      return records.events.some((e) => e.event.id === 'admin-1');
    });
  });
});

describe('dev host: app settings', () => {
  it('when a host stops, then the app settings it put into the environment are gone and earlier values are back', async () => {
    const env = nativeProcess.env;
    env.MLOPS_TEST_KEPT = 'before';
    delete env.MLOPS_TEST_ADDED;
    const { host } = await startFixtureHost('basic', {
      appSettings: { TICK_SCHEDULE: '0 */5 * * * *', MLOPS_TEST_KEPT: 'during', MLOPS_TEST_ADDED: 'during' },
      timers: false,
    });
    expect([env.MLOPS_TEST_KEPT, env.MLOPS_TEST_ADDED]).toEqual(['during', 'during']);
    await host.close();
    expect(env.MLOPS_TEST_KEPT).toBe('before');
    expect(env.MLOPS_TEST_ADDED).toBeUndefined();
    expect(env.TICK_SCHEDULE).toBeUndefined();
    delete env.MLOPS_TEST_KEPT;
  });
});
