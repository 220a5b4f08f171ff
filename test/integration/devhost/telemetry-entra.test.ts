/**
 * Telemetry with Microsoft Entra ID: the app's exporter authenticates with its managed identity when
 * APPLICATIONINSIGHTS_AUTHENTICATION_STRING is set, and the dev host's sink, like Application Insights with local
 * authentication disabled, accepts only that; with the key path allowed it accepts both.
 */
import path from 'node:path';

import { ensureLocalCertificates } from '../../../dev/certs/local-ca';
import type { DevHost } from '../../../dev/host/dev-host';
import { authenticate } from '../../../dev/host/telemetry-sink';
import { loadConfig } from '../../../src/config';
import { createTelemetry } from '../../../src/telemetry';
import { waitFor } from '../../support/wait-for';
import { startFixtureHost } from './fixture-host';

describe('dev host: Entra-authenticated telemetry', () => {
  let host: DevHost;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    const extraCa = process.env.NODE_EXTRA_CA_CERTS;
    const certs = await ensureLocalCertificates(extraCa ? { dir: path.dirname(extraCa) } : {});
    ({ host } = await startFixtureHost('basic', {
      appSettings: { TICK_SCHEDULE: '0 */5 * * * *' },
      timers: false,
      https: { port: 0, certPath: certs.certPath, keyPath: certs.keyPath },
    }));
    // The exporter's ManagedIdentityCredential reads the platform's endpoint from this (jest) process's environment.
    for (const name of ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER']) saved[name] = process.env[name];
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
  beforeEach(() => {
    host.telemetry.clear();
    host.telemetry.setEntraAuthOnly(false);
  });

  const connectionString = (): string =>
    `InstrumentationKey=00000000-0000-0000-0000-0000000000e1;IngestionEndpoint=${host.httpsUrl ?? ''}/`;

  test('when the authentication string is set, then the events arrive with a managed-identity token for Azure Monitor', async () => {
    host.telemetry.setEntraAuthOnly(true);
    const clientId = '33333333-3333-3333-3333-333333333333';
    const config = loadConfig({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      LAKE_STORAGE: 'UseDevelopmentStorage=true',
      AZUREML_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
      AZUREML_RESOURCE_GROUP: 'rg',
      AZUREML_WORKSPACE_NAME: 'ws',
      AZUREML_REGION: 'local',
      APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString(),
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${clientId};Authorization=AAD`,
    });
    expect(config.telemetry.entraAuthentication).toEqual({ clientId });
    const telemetry = createTelemetry(config.telemetry.connectionString, config.telemetry.entraAuthentication);
    telemetry.trackEvent('RetrainStarted', { model: 'entra' });
    await telemetry.flush();
    await waitFor(() => host.telemetry.query({ name: 'RetrainStarted' }).length === 1, { timeoutMs: 10_000 });
    expect(host.telemetry.authenticationLog()).toEqual([
      { kind: 'entra', clientId, audience: expect.stringMatching(/^https:\/\/monitor\.azure\.com\/?$/) as unknown },
    ]);
  });

  test('when only the instrumentation key is sent to an Entra-only resource, then the sink refuses it and stores nothing', async () => {
    host.telemetry.setEntraAuthOnly(true);
    const telemetry = createTelemetry(connectionString());
    telemetry.trackEvent('RetrainStarted', { model: 'key-only' });
    await telemetry.flush();
    await waitFor(() => host.telemetry.authenticationLog().length > 0, { timeoutMs: 10_000 });
    expect(host.telemetry.authenticationLog()[0]).toEqual({
      kind: 'refused',
      reason: expect.stringContaining('only Microsoft Entra ID') as unknown,
    });
    expect(host.telemetry.query({ name: 'RetrainStarted' })).toEqual([]);
  });

  test('when local authentication is allowed, then the instrumentation key alone is accepted too', async () => {
    const telemetry = createTelemetry(connectionString());
    telemetry.trackEvent('RetrainStarted', { model: 'key' });
    await telemetry.flush();
    await waitFor(() => host.telemetry.query({ name: 'RetrainStarted' }).length === 1, { timeoutMs: 10_000 });
    expect(host.telemetry.authenticationLog()).toEqual([{ kind: 'instrumentationKey' }]);
  });

  test('when a token is for another audience or expired, then it is refused even without Entra-only mode', () => {
    const token = (claims: object): string =>
      `Bearer e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    const now = 1_800_000_000;
    expect(authenticate(token({ aud: 'https://management.azure.com/', exp: now + 60 }), false, now)).toEqual({
      kind: 'refused',
      reason: "the token's audience https://management.azure.com/ is not https://monitor.azure.com",
    });
    expect(authenticate(token({ aud: 'https://monitor.azure.com', exp: now }), false, now)).toEqual({
      kind: 'refused',
      reason: 'the token has expired',
    });
    expect(authenticate('Basic abc', false, now)).toMatchObject({ kind: 'refused' });
  });
});
