import { azureDevOpsWebhook } from '../../../src/functions/webhooks';
import { basicAuthHeader } from '../../../src/security';
import { webhookCatalog } from './fixtures/catalog';
import { harness, SECRETS } from './fixtures/harness';
import { azureDevOpsBuildComplete, azureDevOpsPush, azureDevOpsRunStateChanged, HEAD_SHA } from './fixtures/payloads';

const catalog = webhookCatalog();
const path = 'webhooks/azure-devops';
const auth = (credentials: { username: string; password: string } = SECRETS.azureDevOps) => ({
  'content-type': 'application/json; charset=utf-8',
  authorization: basicAuthHeader(credentials),
});

describe('POST /api/webhooks/azure-devops', () => {
  it('when a git.push arrives with the right basic-auth credentials, then 202 and the push SHA travels as lineage', async () => {
    const h = harness(catalog);
    const answer = await h.post(azureDevOpsWebhook, path, JSON.stringify(azureDevOpsPush()), auth());
    expect(answer.status).toBe(202);
    expect(h.submitter.requests).toEqual([
      expect.objectContaining({
        model: 'bike-demand',
        source: 'azureDevOps',
        dedupeKey: 'azureDevOps:03c164c2-8912-4d5e-8009-3707d5f83734:bike-demand',
        git: expect.objectContaining({
          repository: 'contoso/bike-demand',
          sha: HEAD_SHA,
          ref: 'refs/heads/main',
        }) as unknown,
      }),
    ]);
  });

  it('when the same notification is delivered again, then 200 with the original instance id', async () => {
    const h = harness(catalog);
    const body = JSON.stringify(azureDevOpsBuildComplete());
    await h.post(azureDevOpsWebhook, path, body, auth());
    const again = await h.post(azureDevOpsWebhook, path, body, auth());
    expect(again).toMatchObject({ status: 200, body: { duplicate: true, runIds: ['run-1'] } });
    expect(h.submitter.started()).toBe(1);
  });

  it('when a pipeline run completes successfully, then models with onWorkflowRun start', async () => {
    const h = harness(catalog);
    const answer = await h.post(azureDevOpsWebhook, path, JSON.stringify(azureDevOpsRunStateChanged()), auth());
    expect(answer.status).toBe(202);
    expect(h.submitter.requests.map((r) => r.model)).toEqual(['churn']);
  });

  it('when the password or user is wrong or credentials are missing, then 401 with a challenge and nothing is submitted', async () => {
    const h = harness(catalog);
    const body = JSON.stringify(azureDevOpsPush());
    const wrong = await h.post(azureDevOpsWebhook, path, body, auth({ ...SECRETS.azureDevOps, password: 'guess' }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toContain('Basic');
    expect((await h.post(azureDevOpsWebhook, path, body, auth({ ...SECRETS.azureDevOps, username: 'x' }))).status).toBe(
      401,
    );
    expect((await h.post(azureDevOpsWebhook, path, body, { 'content-type': 'application/json' })).status).toBe(401);
    expect(h.submitter.requests).toHaveLength(0);
    expect(h.rec.text()).not.toContain(SECRETS.azureDevOps.password);
    expect(h.rec.text()).not.toContain(auth()['authorization'].slice(6));
  });

  it('when the body is not JSON, lacks an id or is over 1 MiB, then 400/400/413', async () => {
    const h = harness(catalog);
    expect((await h.post(azureDevOpsWebhook, path, '<xml/>', auth())).status).toBe(400);
    const { id: _i, notificationId: _n, ...anonymous } = azureDevOpsPush();
    const noId = await h.post(azureDevOpsWebhook, path, JSON.stringify(anonymous), auth());
    expect(noId.status).toBe(400);
    expect(JSON.stringify(noId.body)).toContain('notificationId');
    const big = JSON.stringify({ ...azureDevOpsPush(), filler: 'y'.repeat(1024 * 1024) });
    expect((await h.post(azureDevOpsWebhook, path, big, auth())).status).toBe(413);
    expect(h.submitter.requests).toHaveLength(0);
  });

  it('when the event is not supported or the build failed, then 202 ignored', async () => {
    const h = harness(catalog);
    const other = JSON.stringify({ id: 'e1', eventType: 'workitem.updated', resource: {} });
    expect((await h.post(azureDevOpsWebhook, path, other, auth())).body).toEqual({
      ignored: expect.stringContaining('workitem.updated') as unknown,
    });
    const failed = JSON.stringify(azureDevOpsBuildComplete({ result: 'failed' }));
    expect(await h.post(azureDevOpsWebhook, path, failed, auth())).toMatchObject({
      status: 202,
      body: { ignored: expect.any(String) as unknown },
    });
    expect(h.submitter.requests).toHaveLength(0);
  });

  it('when the credentials are not configured, then 503 names both settings', async () => {
    const h = harness(catalog, { settings: { azureDevOps: undefined } });
    const answer = await h.post(azureDevOpsWebhook, path, JSON.stringify(azureDevOpsPush()), auth());
    expect(answer.status).toBe(503);
    expect(JSON.stringify(answer.body)).toMatch(/AZURE_DEVOPS_WEBHOOK_USERNAME.*AZURE_DEVOPS_WEBHOOK_PASSWORD/);
  });
});
