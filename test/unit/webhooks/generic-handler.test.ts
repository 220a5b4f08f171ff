import { genericWebhook } from '../../../src/functions/webhooks';
import { signGeneric } from '../../../src/security';
import { webhookCatalog } from './fixtures/catalog';
import { harness, SECRETS } from './fixtures/harness';

const catalog = webhookCatalog();
const path = 'webhooks/generic';
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

function headers(body: string, options: { at?: number; delivery?: string; secret?: string } = {}) {
  return {
    'content-type': 'application/json',
    'x-mlops-delivery': options.delivery ?? 'jenkins-build-42',
    ...signGeneric(options.secret ?? SECRETS.generic, body, (options.at ?? NOW) / 1000),
  };
}

const validBody = JSON.stringify({
  models: ['bike-demand'],
  git: {
    repository: 'contoso/bike-demand',
    sha: 'A1B2C3D4E5F6',
    ref: 'refs/heads/main',
    ciRunUrl: 'https://ci.example/job/42/',
  },
  parameters: { alpha: 0.3 },
  reason: 'Jenkins build 42',
});

describe('POST /api/webhooks/generic', () => {
  it('when a signed, current request names a model, then 202 and SHA, parameters and reason are submitted', async () => {
    const h = harness(catalog, { now: () => NOW });
    const answer = await h.post(genericWebhook, path, validBody, headers(validBody));
    expect(answer.status).toBe(202);
    expect(h.submitter.requests).toEqual([
      expect.objectContaining({
        model: 'bike-demand',
        source: 'generic',
        dedupeKey: 'generic:jenkins-build-42:bike-demand',
        reason: 'Jenkins build 42',
        parameters: { alpha: 0.3 },
        git: {
          provider: 'generic',
          repository: 'contoso/bike-demand',
          sha: 'a1b2c3d4e5f6',
          ref: 'refs/heads/main',
          ciRunUrl: 'https://ci.example/job/42/',
        },
      }),
    ]);
  });

  it('when the same X-Mlops-Delivery is sent again (re-signed), then 200 with the original instance', async () => {
    const h = harness(catalog, { now: () => NOW });
    await h.post(genericWebhook, path, validBody, headers(validBody));
    const again = await h.post(genericWebhook, path, validBody, headers(validBody, { at: NOW + 60_000 }));
    expect(again).toMatchObject({ status: 200, body: { duplicate: true, runIds: ['run-1'] } });
  });

  it('when a captured request is replayed after the 300 s window, then 401 and nothing starts', async () => {
    const h = harness(catalog, { now: () => NOW });
    const old = await h.post(genericWebhook, path, validBody, headers(validBody, { at: NOW - 301_000 }));
    expect(old.status).toBe(401);
    expect(JSON.stringify(old.body)).toContain('outside the accepted window');
    const future = await h.post(genericWebhook, path, validBody, headers(validBody, { at: NOW + 301_000 }));
    expect(future.status).toBe(401);
    expect(h.submitter.requests).toHaveLength(0);
  });

  it('when the signature is wrong, then 401; when the delivery header is missing, then 400', async () => {
    const h = harness(catalog, { now: () => NOW });
    expect((await h.post(genericWebhook, path, validBody, headers(validBody, { secret: 'nope' }))).status).toBe(401);
    const { 'x-mlops-delivery': _omit, ...noDelivery } = headers(validBody);
    expect((await h.post(genericWebhook, path, validBody, noDelivery)).status).toBe(400);
    expect(h.submitter.requests).toHaveLength(0);
  });

  it('when the body fails the schema or names an unknown model, then 400 names the problem', async () => {
    const h = harness(catalog, { now: () => NOW });
    const unknown = JSON.stringify({ models: ['ghost'] });
    expect((await h.post(genericWebhook, path, unknown, headers(unknown))).body).toMatchObject({
      type: 'urn:mlops:problem:invalid-webhook-payload',
      errors: [{ field: 'body.models', message: 'unknown model(s) ghost' }],
    });
    const bad = JSON.stringify({ models: 'bike-demand' });
    const answer = await h.post(genericWebhook, path, bad, headers(bad));
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('body.models');
    const undeclared = JSON.stringify({ models: ['bike-demand', 'churn'], parameters: { epochs: 3 } });
    expect(await h.post(genericWebhook, path, undeclared, headers(undeclared))).toMatchObject({
      status: 400,
      body: {
        type: 'urn:mlops:problem:invalid-webhook-payload',
        errors: [
          {
            field: 'body.parameters.epochs',
            message: 'not a training parameter of bike-demand (catalog training.parameters)',
          },
          {
            field: 'body.parameters.epochs',
            message: 'not a training parameter of churn (catalog training.parameters)',
          },
        ],
      },
    });
    expect(h.submitter.requests).toHaveLength(0);
  });

  it('when GENERIC_WEBHOOK_SECRET is not set, then 503', async () => {
    const h = harness(catalog, { now: () => NOW, settings: { genericSecret: undefined } });
    expect((await h.post(genericWebhook, path, validBody, headers(validBody))).status).toBe(503);
  });

  it('when requests are processed, then the secret and signatures never reach logs or telemetry', async () => {
    const h = harness(catalog, { now: () => NOW });
    const good = headers(validBody);
    await h.post(genericWebhook, path, validBody, good);
    await h.post(genericWebhook, path, validBody, headers(validBody, { secret: 'x', delivery: 'd2' }));
    expect(h.rec.text()).not.toContain(SECRETS.generic);
    expect(h.rec.text()).not.toContain(good['x-mlops-signature'].slice(7));
  });
});
