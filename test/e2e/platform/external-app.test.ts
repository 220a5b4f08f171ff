// A user's own JavaScript Functions app served by `npm start -- --app <folder>`: the launcher reads that app's
// host.json and settings, seeds no demo data, and the Durable engine shows the app what Azure would.
import path from 'node:path';

import { type LaunchedPlatform, launchPlatform } from '../../support/launcher';
import { waitFor } from '../../support/wait-for';

const APP = path.resolve(__dirname, '..', '..', 'fixtures', 'apps', 'external-durable');
const MASTER_KEY = 'local-master-key';

jest.setTimeout(180_000);

interface Status {
  runtimeStatus: string;
  customStatus: unknown;
  output: unknown;
}

async function statusOf(platform: LaunchedPlatform, id: string): Promise<Status> {
  const res = await fetch(
    `${platform.hostUrl}/runtime/webhooks/durabletask/instances/${id}?code=${encodeURIComponent(MASTER_KEY)}`,
  );
  return (await res.json()) as Status;
}

const start = (platform: LaunchedPlatform, name: string, id: string): Promise<Response> =>
  fetch(`${platform.hostUrl}/api/start/${name}/${id}`, { method: 'POST' });

describe('an external app on the local platform', () => {
  let platform: LaunchedPlatform | undefined;
  afterAll(async () => {
    await platform?.stop();
  });

  it("when it runs, then it gets its own host.json hub, Azure's failure shape, no status after setCustomStatus(0) and hooks per episode", async () => {
    platform = await launchPlatform({ args: ['--app', APP, '--no-azureml'] });
    const output = platform.output.join('');
    expect(output).not.toMatch(/demo lake: seeded/);
    expect((await start(platform, 'probe', 'probe-1')).status).toBe(202);
    const done = await waitFor(
      async () => {
        const s = await statusOf(platform as LaunchedPlatform, 'probe-1');
        return s.runtimeStatus === 'Completed' ? s : undefined;
      },
      { timeoutMs: 30_000, description: 'the probe to finish' },
    );
    // Legacy shape: a plain Error whose message is the TaskFailed Reason and Details (no TaskFailedError).
    expect(done.output).toMatchObject({ isTaskFailedError: false, name: 'Error' });
    expect(String((done.output as { message: string }).message)).toMatch(
      /^Activity function 'fails' failed: {2}the model file is missing \n /,
    );
    // setCustomStatus(0) is not sent by durable-functions; the last non-null status stays.
    expect(done.customStatus).toBe('started');
    const hooks = (await (await fetch(`${platform.hostUrl}/api/hooks`)).json()) as { functionName: string }[];
    expect(hooks.filter((h) => h.functionName === 'probe').length).toBeGreaterThanOrEqual(2);
    // The hub named in the app's host.json holds the state.
    expect(output).not.toMatch(/Durable state is kept in memory/);
  });

  it('when the launcher is killed with SIGKILL and started again, then its instances resume', async () => {
    const first = platform ?? (await launchPlatform({ args: ['--app', APP, '--no-azureml'] }));
    expect((await start(first, 'survivor', 'survivor-1')).status).toBe(202);
    await waitFor(async () => ((await statusOf(first, 'survivor-1')).runtimeStatus === 'Running' ? true : undefined), {
      timeoutMs: 30_000,
      description: 'the survivor to wait for its event',
    });
    await first.kill();
    platform = await launchPlatform({ args: ['--app', APP, '--no-azureml'], resume: { stateDir: first.stateDir } });
    const res = await fetch(
      `${platform.hostUrl}/runtime/webhooks/durabletask/instances/survivor-1/raiseEvent/go?code=${encodeURIComponent(MASTER_KEY)}`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"after the crash"' },
    );
    expect(res.status).toBe(202);
    const done = await waitFor(
      async () => {
        const s = await statusOf(platform as LaunchedPlatform, 'survivor-1');
        return s.runtimeStatus === 'Completed' ? s : undefined;
      },
      { timeoutMs: 30_000, description: 'the survivor to finish after the restart' },
    );
    expect(done.output).toEqual({ go: 'after the crash' });
  });
});
