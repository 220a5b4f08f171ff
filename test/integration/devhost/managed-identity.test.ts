import type { DevHost } from '../../../dev/host/dev-host';
import { nativeProcess } from '../../../dev/host/native-module';
import { createCredential } from '../../../src/azureml/credential';
import { startFixtureHost, withKey } from './fixture-host';

describe('dev host: managed identity endpoint', () => {
  let host: DevHost;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    ({ host } = await startFixtureHost('basic', { appSettings: { TICK_SCHEDULE: '0 */5 * * * *' }, timers: false }));
    // The app reads these from its environment, as the Functions platform sets them.
    for (const name of [
      'IDENTITY_ENDPOINT',
      'IDENTITY_HEADER',
      'MSI_ENDPOINT',
      'MSI_SECRET',
      'AZURE_CLIENT_SECRET',
      'AZURE_FEDERATED_TOKEN_FILE',
    ]) {
      saved[name] = process.env[name];
      delete process.env[name];
    }
    process.env.IDENTITY_ENDPOINT = host.managedIdentity.endpoint;
    process.env.IDENTITY_HEADER = host.managedIdentity.header;
  });
  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await host.close();
  });

  it("when the app's DefaultAzureCredential asks for an ARM token, then the host issues one for that audience", async () => {
    const token = await createCredential({ managedIdentityClientId: undefined }).getToken(
      'https://management.azure.com/.default',
    );
    if (!token) throw new Error('no token');
    expect(token.token.split('.')).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(token.token.split('.')[1] ?? '', 'base64url').toString()) as { aud: string };
    expect(claims.aud).toBe('https://management.azure.com');
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 30 * 60_000);
  });

  it('when the identity header is missing or wrong, then the endpoint refuses', async () => {
    const url = `${host.managedIdentity.endpoint}?resource=https://management.azure.com&api-version=2019-08-01`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { 'X-IDENTITY-HEADER': 'nope' } })).status).toBe(401);
    const ok = await fetch(url, { headers: { 'X-IDENTITY-HEADER': host.managedIdentity.header } });
    expect(await ok.json()).toMatchObject({ resource: 'https://management.azure.com', token_type: 'Bearer' });
  });

  it("when the app's settings pick a credential of their own, then the host offers no managed identity that would shadow it", async () => {
    const { host: own, logs } = await startFixtureHost('basic', {
      appSettings: { TICK_SCHEDULE: '0 */5 * * * *', AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential' },
      timers: false,
    });
    const saved = process.env.AZURE_TOKEN_CREDENTIALS;
    try {
      // The app's environment (the host process's): the setting is there, the host's identity endpoint is not.
      expect(nativeProcess.env.AZURE_TOKEN_CREDENTIALS).toBe('AzureCliCredential');
      expect(nativeProcess.env.IDENTITY_ENDPOINT).not.toBe(own.managedIdentity.endpoint);
      expect(logs.join('\n')).toContain('No managed identity endpoint');
      // The app's credential then asks the developer's login only, even with a managed identity endpoint around.
      process.env.AZURE_TOKEN_CREDENTIALS = 'AzureCliCredential';
      const outcome = await createCredential({ managedIdentityClientId: undefined })
        .getToken('https://management.azure.com/.default')
        .then(
          (token) => token?.token ?? '',
          () => 'unavailable',
        );
      const header = Buffer.from(outcome.split('.')[0] ?? '', 'base64url').toString();
      expect(header).not.toContain('"alg":"none"');
    } finally {
      if (saved === undefined) delete process.env.AZURE_TOKEN_CREDENTIALS;
      else process.env.AZURE_TOKEN_CREDENTIALS = saved;
      await own.close();
    }
  });
});

describe('dev host: managed identity across hosts in one process', () => {
  it("when a second host runs in the process a first one left, then the app's credential asks the second host", async () => {
    // MSAL keeps the managed identity source (and the tokens it got) per process: a worker hosts one app for life, a
    // test process several. A resource the first host never issued a token for makes the second app ask for one.
    const tokenAudience = async (resource: string): Promise<unknown> => {
      const { host } = await startFixtureHost('basic', {
        appSettings: { TICK_SCHEDULE: '0 */5 * * * *' },
        timers: false,
      });
      try {
        const url = `${host.url}/api/token?resource=${encodeURIComponent(resource)}`;
        const response = await fetch(withKey(url, host.keys.function));
        return { status: response.status, body: await response.json() };
      } finally {
        await host.close();
      }
    };
    for (const resource of ['https://management.azure.com', 'https://ml.azure.com']) {
      expect(await tokenAudience(resource)).toEqual({ status: 200, body: { aud: resource } });
    }
  });
});
