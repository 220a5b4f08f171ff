import {
  interpretAzureDevOpsNotification,
  matchModels,
  readAzureDevOpsEnvelope,
  WebhookPayloadError,
} from '../../../src/services/webhooks';
import { webhookCatalog } from './fixtures/catalog';
import { azureDevOpsBuildComplete, azureDevOpsPush, azureDevOpsRunStateChanged, HEAD_SHA } from './fixtures/payloads';

const catalog = webhookCatalog();

function matched(payload: unknown): string[] {
  const result = interpretAzureDevOpsNotification(payload);
  if (result.kind !== 'events') throw new Error(`expected events, got ${JSON.stringify(result)}`);
  return result.events.flatMap((e) => matchModels(catalog, e).matches.map((m) => m.model.name));
}

describe('Azure DevOps notifications', () => {
  it('when a notification arrives, then its event id is the redelivery key (else subscription + notificationId)', () => {
    expect(readAzureDevOpsEnvelope(azureDevOpsPush())).toEqual({
      eventType: 'git.push',
      deliveryId: '03c164c2-8912-4d5e-8009-3707d5f83734',
    });
    const { id: _id, ...withoutId } = azureDevOpsPush();
    expect(readAzureDevOpsEnvelope(withoutId).deliveryId).toBe('00000000-0000-0000-0000-000000000000:3');
  });

  it('when a git.push updates main, then it is a push named project/repository with unknown paths', () => {
    expect(interpretAzureDevOpsNotification(azureDevOpsPush())).toMatchObject({
      kind: 'events',
      events: [
        {
          kind: 'push',
          provider: 'azureDevOps',
          repository: 'contoso/bike-demand',
          branch: 'main',
          sha: HEAD_SHA,
          changedPaths: undefined,
          ciRunUrl: `https://dev.azure.com/contoso/contoso/_git/bike-demand/commit/${HEAD_SHA}`,
        },
      ],
    });
    // bike-demand has path globs with unknownPaths=match; churn says ignore.
    expect(matched(azureDevOpsPush())).toEqual(['bike-demand']);
  });

  it('when a git.push only deletes a branch or pushes a tag, then it is ignored', () => {
    expect(interpretAzureDevOpsNotification(azureDevOpsPush({ newObjectId: '0'.repeat(40) }))).toMatchObject({
      kind: 'ignored',
    });
    expect(interpretAzureDevOpsNotification(azureDevOpsPush({ ref: 'refs/tags/v1' }))).toMatchObject({
      kind: 'ignored',
    });
  });

  it('when a build completes successfully, then models with onWorkflowRun on that repository match', () => {
    expect(interpretAzureDevOpsNotification(azureDevOpsBuildComplete())).toMatchObject({
      events: [
        {
          kind: 'workflowRun',
          repository: 'contoso/bike-demand',
          sha: HEAD_SHA,
          workflow: 'bike-demand-ci',
          ciRunUrl: 'https://dev.azure.com/contoso/contoso/_build/results?buildId=2727068',
        },
      ],
    });
    expect(matched(azureDevOpsBuildComplete())).toEqual(['churn']);
  });

  it('when a build failed or partially succeeded, then it is ignored', () => {
    expect(interpretAzureDevOpsNotification(azureDevOpsBuildComplete({ result: 'failed' }))).toEqual({
      kind: 'ignored',
      reason: "build result 'failed', not 'succeeded'",
    });
    expect(interpretAzureDevOpsNotification(azureDevOpsBuildComplete({ result: 'partiallySucceeded' }))).toMatchObject({
      kind: 'ignored',
    });
  });

  it('when a build.complete has the XAML-era shape, then ref and SHA come from sourceGetVersion', () => {
    const payload = azureDevOpsBuildComplete();
    const resource = payload.resource as Record<string, unknown>;
    delete resource.sourceBranch;
    delete resource.sourceVersion;
    resource.status = 'succeeded';
    delete resource.result;
    resource.sourceGetVersion = `LG:refs/heads/main:${HEAD_SHA}`;
    expect(interpretAzureDevOpsNotification(payload)).toMatchObject({ events: [{ branch: 'main', sha: HEAD_SHA }] });
  });

  it('when a pipeline run of an Azure Repos repository succeeds, then it matches by repository id', () => {
    expect(interpretAzureDevOpsNotification(azureDevOpsRunStateChanged())).toMatchObject({
      events: [{ kind: 'workflowRun', repository: undefined, repositoryId: '278d5cd2-584d-4b63-824a-2ba458937249' }],
    });
    expect(matched(azureDevOpsRunStateChanged())).toEqual(['churn']);
  });

  it('when a pipeline run of a GitHub repository succeeds, then it matches by full name', () => {
    expect(matched(azureDevOpsRunStateChanged({ fullName: 'contoso/bike-demand' }))).toEqual(['churn']);
    expect(matched(azureDevOpsRunStateChanged({ fullName: 'someone/else' }))).toEqual([]);
  });

  it('when a pipeline run is still in progress or failed, then it is ignored', () => {
    expect(interpretAzureDevOpsNotification(azureDevOpsRunStateChanged({ state: 'inProgress' }))).toMatchObject({
      kind: 'ignored',
    });
    expect(interpretAzureDevOpsNotification(azureDevOpsRunStateChanged({ result: 'failed' }))).toMatchObject({
      kind: 'ignored',
    });
  });

  it('when the event type is not supported, then it is ignored naming it', () => {
    expect(interpretAzureDevOpsNotification({ id: 'x', eventType: 'workitem.created', resource: {} })).toMatchObject({
      kind: 'ignored',
      reason: expect.stringContaining("'workitem.created'") as unknown,
    });
  });

  it('when the notification has no id or no eventType, then it is a payload error', () => {
    expect(() => readAzureDevOpsEnvelope({ eventType: 'git.push' })).toThrow(WebhookPayloadError);
    expect(() => readAzureDevOpsEnvelope({ id: 'x' })).toThrow(/eventType/);
    expect(() => interpretAzureDevOpsNotification({ id: 'x', eventType: 'git.push', resource: {} })).toThrow(
      /resource\.refUpdates/,
    );
  });
});
