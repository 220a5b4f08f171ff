import path from 'node:path';
import { gzipSync } from 'node:zlib';

import { ensureLocalCertificates } from '../../../dev/certs/local-ca';
import type { DevHost } from '../../../dev/host/dev-host';
import { createTelemetry } from '../../../src/telemetry';
import { startFixtureHost } from './fixture-host';

interface Envelope {
  iKey: string;
  data: { baseType: string; baseData: Record<string, unknown> };
}

describe('dev host: Application Insights ingestion sink', () => {
  let host: DevHost;

  beforeAll(async () => {
    // run-jest names the CA in NODE_EXTRA_CA_CERTS; the server certificate next to it is signed by that CA.
    const extraCa = process.env.NODE_EXTRA_CA_CERTS;
    const certs = await ensureLocalCertificates(extraCa ? { dir: path.dirname(extraCa) } : {});
    ({ host } = await startFixtureHost('basic', {
      appSettings: { TICK_SCHEDULE: '0 */5 * * * *' },
      timers: false,
      https: { port: 0, certPath: certs.certPath, keyPath: certs.keyPath },
    }));
  });
  afterAll(async () => {
    await host.close();
  });

  const query = async (qs: string): Promise<Envelope[]> =>
    (await (
      await fetch(`${host.url}/admin/telemetry?${qs}`, { headers: { 'x-functions-key': host.keys.master } })
    ).json()) as Envelope[];

  it('when the real SDK tracks an event, a metric and an exception, then the sink stores them and they can be queried', async () => {
    const iKey = '00000000-0000-0000-0000-0000000000a1';
    const telemetry = createTelemetry(`InstrumentationKey=${iKey};IngestionEndpoint=${host.httpsUrl ?? ''}/`);
    telemetry.trackEvent('TrainingSubmitted', { model: 'churn', job: 'job-1', triggerId: undefined }, { attempt: 1 });
    telemetry.trackMetric('StageDurationMs', 42, { model: 'churn' });
    telemetry.trackException(new Error('training blew up'), { model: 'churn' });
    await telemetry.flush();

    const events = await query('name=TrainingSubmitted&type=event');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      iKey,
      data: {
        baseType: 'EventData',
        baseData: {
          name: 'TrainingSubmitted',
          properties: { model: 'churn', job: 'job-1' },
          measurements: { attempt: 1 },
        },
      },
    });
    expect(events[0]?.data.baseData.properties).not.toHaveProperty('triggerId');
    const metrics = await query('name=StageDurationMs&type=metric');
    expect(metrics[0]?.data.baseData).toMatchObject({
      metrics: [expect.objectContaining({ name: 'StageDurationMs', value: 42 })],
      properties: { model: 'churn' },
    });
    const exceptions = await query('type=exception');
    expect(exceptions[0]?.data.baseData).toMatchObject({
      exceptions: [expect.objectContaining({ typeName: 'Error', message: 'training blew up' })],
    });
    expect(await query('name=TrainingSubmitted&type=metric')).toEqual([]);
  });

  it('when the telemetry query has no master key, then 401', async () => {
    expect((await fetch(`${host.url}/admin/telemetry`)).status).toBe(401);
  });

  it('when there is no connection string, then telemetry is a silent no-op', async () => {
    const telemetry = createTelemetry(undefined);
    telemetry.trackEvent('RetrainStarted', { model: 'none' });
    await expect(telemetry.flush()).resolves.toBeUndefined();
    expect(await query('name=RetrainStarted')).toEqual([]);
  });

  it('when an older SDK posts gzipped newline-delimited envelopes over HTTP, then they are stored too', async () => {
    const line = (name: string): string =>
      JSON.stringify({
        name: 'Microsoft.ApplicationInsights.Event',
        iKey: 'k',
        data: { baseType: 'EventData', baseData: { ver: 2, name } },
      });
    const res = await fetch(`${host.url}/v2/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-json-stream', 'content-encoding': 'gzip' },
      body: gzipSync(`${line('GzipOne')}\n${line('GzipTwo')}\n`),
    });
    expect(await res.json()).toEqual({ itemsReceived: 2, itemsAccepted: 2, errors: [] });
    expect(await query('name=GzipTwo&type=event')).toHaveLength(1);
  });
});
