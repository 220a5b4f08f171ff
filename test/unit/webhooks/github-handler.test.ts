import { randomUUID } from 'node:crypto';

import { gitHubWebhook } from '../../../src/functions/webhooks';
import { signatureHeader } from '../../../src/security';
import { webhookCatalog } from './fixtures/catalog';
import { harness, SECRETS } from './fixtures/harness';
import { gitHubPing, gitHubPush, gitHubWorkflowRun, HEAD_SHA } from './fixtures/payloads';

const catalog = webhookCatalog();

function signedHeaders(event: string, body: string | Buffer, options: { secret?: string; delivery?: string } = {}) {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/044aadd',
    'x-github-event': event,
    'x-github-delivery': options.delivery ?? randomUUID(),
    'x-github-hook-id': '292430182',
    'x-hub-signature-256': signatureHeader(options.secret ?? SECRETS.github, body),
  };
}

describe('POST /api/webhooks/github', () => {
  it('when a signed push touches a model path, then 202 names the started run, its status URL and the lineage', async () => {
    const h = harness(catalog);
    const body = JSON.stringify(gitHubPush());
    const delivery = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

    const answer = await h.post(gitHubWebhook, 'webhooks/github', body, signedHeaders('push', body, { delivery }));

    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({
      deliveryId: delivery,
      instanceIds: ['retrain-bike-demand'],
      runIds: ['run-1'],
      runs: [
        {
          model: 'bike-demand',
          outcome: 'started',
          runId: 'run-1',
          instanceId: 'retrain-bike-demand',
          statusUrl: 'http://127.0.0.1:7071/api/ops/runs/run-1',
        },
      ],
    });
    expect(answer.headers.location).toBe('http://127.0.0.1:7071/api/ops/runs/run-1');
    expect(h.submitter.requests).toEqual([
      expect.objectContaining({
        model: 'bike-demand',
        source: 'github',
        deliveryId: delivery,
        dedupeKey: `github:${delivery}:bike-demand`,
        git: {
          provider: 'github',
          repository: 'contoso/bike-demand',
          sha: HEAD_SHA,
          ref: 'refs/heads/main',
          ciRunUrl: expect.stringContaining('https://github.com/contoso/bike-demand/compare/') as unknown,
        },
      }),
    ]);
  });

  it('when the same delivery arrives again, then 200 returns the original instance id and nothing new starts', async () => {
    const h = harness(catalog);
    const body = JSON.stringify(gitHubPush());
    const headers = signedHeaders('push', body);
    const first = await h.post(gitHubWebhook, 'webhooks/github', body, headers);
    const second = await h.post(gitHubWebhook, 'webhooks/github', body, headers);

    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ duplicate: true, runIds: ['run-1'], runs: [{ outcome: 'duplicate' }] });
    expect(h.submitter.started()).toBe(1);
  });

  it('when 20 copies of one delivery arrive at once, then exactly one run starts and all name it', async () => {
    const h = harness(catalog);
    const body = JSON.stringify(gitHubPush());
    const headers = signedHeaders('push', body);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => h.post(gitHubWebhook, 'webhooks/github', body, headers)),
    );
    expect(h.submitter.started()).toBe(1);
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(19);
    expect(new Set(answers.flatMap((a) => a.body.runIds as string[]))).toEqual(new Set(['run-1']));
  });

  it('when the signature was made with another secret, then 401 and nothing is submitted', async () => {
    const h = harness(catalog);
    const body = JSON.stringify(gitHubPush());
    const answer = await h.post(
      gitHubWebhook,
      'webhooks/github',
      body,
      signedHeaders('push', body, { secret: 'wrong' }),
    );
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({
      type: 'urn:mlops:problem:unauthorized',
      title: 'The request is not authorized',
      status: 401,
      detail: 'Webhook rejected: the signature does not match the body.',
    });
    expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(h.rec.telemetry).toContainEqual(
      expect.objectContaining({
        name: 'WebhookRejected',
        dimensions: expect.objectContaining({ status: '401' }) as unknown,
      }),
    );
    expect(h.submitter.requests).toHaveLength(0);
  });

  it('when the signature is truncated or missing, then 401 and nothing is submitted', async () => {
    const h = harness(catalog);
    const body = JSON.stringify(gitHubPush());
    const truncated = signedHeaders('push', body);
    truncated['x-hub-signature-256'] = truncated['x-hub-signature-256'].slice(0, 40);
    const { 'x-hub-signature-256': _omit, ...unsigned } = signedHeaders('push', body);

    expect((await h.post(gitHubWebhook, 'webhooks/github', body, truncated)).body).toMatchObject({
      detail: expect.stringContaining('not of the form sha256=') as unknown,
    });
    expect((await h.post(gitHubWebhook, 'webhooks/github', body, unsigned)).status).toBe(401);
    expect(h.submitter.requests).toHaveLength(0);
  });

  it('when the body was re-serialised after signing (whitespace changed), then 401: the raw bytes are what counts', async () => {
    const h = harness(catalog);
    const signedBody = JSON.stringify(gitHubPush(), null, 2);
    const sentBody = JSON.stringify(gitHubPush());
    const answer = await h.post(gitHubWebhook, 'webhooks/github', sentBody, signedHeaders('push', signedBody));
    expect(answer.status).toBe(401);
  });

  it('when Content-Length announces more than 1 MiB, then 413 before anything else', async () => {
    const h = harness(catalog);
    const body = JSON.stringify(gitHubPush());
    const answer = await h.post(gitHubWebhook, 'webhooks/github', body, {
      ...signedHeaders('push', body),
      'content-length': String(1024 * 1024 + 1),
    });
    expect(answer.status).toBe(413);
    expect(h.submitter.requests).toHaveLength(0);
  });

  it('when the body is over 1 MiB without a Content-Length, then the bytes read are counted and 413 answers', async () => {
    const h = harness(catalog);
    const payload = gitHubPush();
    const body = JSON.stringify({ ...payload, padding: 'x'.repeat(1024 * 1024) });
    const answer = await h.post(gitHubWebhook, 'webhooks/github', body, signedHeaders('push', body));
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ type: 'urn:mlops:problem:payload-too-large', errors: [{ field: 'body' }] });
    expect(h.submitter.requests).toHaveLength(0);
  });

  it('when the signed body is not JSON, then 400 names the problem and nothing is submitted', async () => {
    const h = harness(catalog);
    const body = '{"ref": "refs/heads/main", ';
    const answer = await h.post(gitHubWebhook, 'webhooks/github', body, signedHeaders('push', body));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      type: 'urn:mlops:problem:invalid-webhook-payload',
      errors: [{ field: 'body', message: expect.stringContaining('not valid JSON') as unknown }],
    });
    expect(h.submitter.requests).toHaveLength(0);
  });

  it('when a signed push lacks required fields, then 400 names each field', async () => {
    const h = harness(catalog);
    const body = JSON.stringify({ ref: 'refs/heads/main', commits: [] });
    const answer = await h.post(gitHubWebhook, 'webhooks/github', body, signedHeaders('push', body));
    expect(answer.status).toBe(400);
    expect((answer.body.errors as { field: string }[]).map((e) => e.field)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^push\.after/), expect.stringMatching(/^push\.repository/)]),
    );
    expect(h.rec.telemetry).toContainEqual(
      expect.objectContaining({
        name: 'WebhookRejected',
        dimensions: expect.objectContaining({ reason: 'invalid-webhook-payload', status: '400' }) as unknown,
      }),
    );
  });

  it('when X-GitHub-Delivery is missing, then 400 (redeliveries could not be recognised)', async () => {
    const h = harness(catalog);
    const body = JSON.stringify(gitHubPush());
    const { 'x-github-delivery': _omit, ...headers } = signedHeaders('push', body);
    const answer = await h.post(gitHubWebhook, 'webhooks/github', body, headers);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      type: 'urn:mlops:problem:invalid-webhook-header',
      errors: [{ field: 'header.X-GitHub-Delivery' }],
    });
  });

  it('when GitHub pings, then 200 pong', async () => {
    const h = harness(catalog);
    const body = JSON.stringify(gitHubPing());
    const answer = await h.post(gitHubWebhook, 'webhooks/github', body, signedHeaders('ping', body));
    expect(answer).toMatchObject({ status: 200, body: { pong: true, hookId: 109948940 } });
  });

  it('when the event is unsupported or matches no model, then 202 {"ignored": reason} and nothing is submitted', async () => {
    const h = harness(catalog);
    const issues = JSON.stringify({ action: 'opened' });
    expect(await h.post(gitHubWebhook, 'webhooks/github', issues, signedHeaders('issues', issues))).toMatchObject({
      status: 202,
      body: { ignored: "GitHub event 'issues' is not supported (push, workflow_run, ping)" },
    });
    const docsOnly = JSON.stringify(gitHubPush({ commits: [{ modified: ['docs/index.md'] }] }));
    const answer = await h.post(gitHubWebhook, 'webhooks/github', docsOnly, signedHeaders('push', docsOnly));
    expect(answer.status).toBe(202);
    expect(answer.body.ignored).toEqual(expect.stringContaining('no model matches'));
    expect(Object.keys(answer.body)).toEqual(['ignored']);
    expect(h.submitter.requests).toHaveLength(0);
    expect(h.rec.telemetry).toContainEqual(expect.objectContaining({ name: 'TriggerIgnored' }));
  });

  it('when a workflow run succeeds, then models with onWorkflowRun start with the run URL as CI run', async () => {
    const h = harness(catalog);
    const body = JSON.stringify(gitHubWorkflowRun());
    const answer = await h.post(gitHubWebhook, 'webhooks/github', body, signedHeaders('workflow_run', body));
    expect(answer.status).toBe(202);
    expect(h.submitter.requests[0]).toMatchObject({
      model: 'churn',
      git: { ciRunUrl: 'https://github.com/contoso/bike-demand/actions/runs/30433642', sha: HEAD_SHA },
    });
  });

  it('when GitHub sends form-encoded payload=…, then the signature covers the form body and the JSON is read', async () => {
    const h = harness(catalog);
    const body = new URLSearchParams({ payload: JSON.stringify(gitHubPush()) }).toString();
    const headers = { ...signedHeaders('push', body), 'content-type': 'application/x-www-form-urlencoded' };
    expect((await h.post(gitHubWebhook, 'webhooks/github', body, headers)).status).toBe(202);
  });

  it('when GITHUB_WEBHOOK_SECRET is not set, then 503 says so and nothing is submitted', async () => {
    const h = harness(catalog, { settings: { githubSecret: undefined } });
    const body = JSON.stringify(gitHubPush());
    const answer = await h.post(gitHubWebhook, 'webhooks/github', body, signedHeaders('push', body));
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({
      type: 'urn:mlops:problem:webhook-not-configured',
      status: 503,
      detail: expect.stringContaining('GITHUB_WEBHOOK_SECRET') as unknown,
    });
    expect(h.submitter.requests).toHaveLength(0);
  });

  it('when deliveries are accepted or rejected, then neither the secret nor any signature appears in logs or telemetry', async () => {
    const h = harness(catalog);
    const body = JSON.stringify(gitHubPush());
    const good = signedHeaders('push', body);
    const bad = signedHeaders('push', body, { secret: 'wrong-secret' });
    await h.post(gitHubWebhook, 'webhooks/github', body, good);
    await h.post(gitHubWebhook, 'webhooks/github', body, bad);
    await h.post(gitHubWebhook, 'webhooks/github', '{not json', signedHeaders('push', '{not json'));

    const text = h.rec.text();
    expect(h.rec.logs.length).toBeGreaterThan(0);
    expect(h.rec.telemetry.length).toBeGreaterThan(0);
    expect(text).not.toContain(SECRETS.github);
    expect(text).not.toContain(good['x-hub-signature-256'].slice('sha256='.length));
    expect(text).not.toContain(bad['x-hub-signature-256'].slice('sha256='.length));
    expect(text).not.toMatch(/sha256=[0-9a-f]{64}/);
  });
});
