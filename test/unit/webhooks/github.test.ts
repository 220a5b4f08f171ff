import {
  GITHUB_MAX_PUSH_COMMITS,
  interpretGitHubDelivery,
  matchModels,
  WebhookPayloadError,
} from '../../../src/services/webhooks';
import { webhookCatalog } from './fixtures/catalog';
import { gitHubPing, gitHubPush, gitHubWorkflowRun, HEAD_SHA } from './fixtures/payloads';

const catalog = webhookCatalog();

function matchedNames(eventName: string, payload: unknown): string[] {
  const result = interpretGitHubDelivery(eventName, payload);
  if (result.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
  return matchModels(catalog, result.event).matches.map((m) => m.model.name);
}

describe('GitHub deliveries', () => {
  it('when a ping arrives, then it is recognised with its hook id', () => {
    expect(interpretGitHubDelivery('ping', gitHubPing())).toEqual({ kind: 'ping', hookId: 109948940 });
  });

  it('when a push to main changes a file under the model glob, then that model matches with the SHA and compare URL', () => {
    const result = interpretGitHubDelivery('push', gitHubPush());
    expect(result).toMatchObject({
      kind: 'event',
      event: {
        kind: 'push',
        provider: 'github',
        repository: 'contoso/bike-demand',
        ref: 'refs/heads/main',
        branch: 'main',
        sha: HEAD_SHA,
        changedPaths: ['models/bike-demand/train.py'],
        ciRunUrl: expect.stringContaining('/compare/') as unknown,
      },
    });
    expect(matchedNames('push', gitHubPush())).toEqual(['bike-demand']);
  });

  it('when the paths are spread over added, modified and removed of several commits, then all of them count', () => {
    const payload = gitHubPush({
      commits: [{ added: ['docs/readme.md'] }, { removed: ['shared/features.py'] }, { modified: ['README.md'] }],
    });
    // Repository comparison is case-insensitive (the churn entry spells it Contoso/Bike-Demand).
    expect(matchedNames('push', payload)).toEqual(['churn']);
  });

  it('when no changed path matches any glob, then nothing matches and the misses say why', () => {
    const event = interpretGitHubDelivery('push', gitHubPush({ commits: [{ modified: ['docs/index.md'] }] }));
    if (event.kind !== 'event') throw new Error('expected event');
    const outcome = matchModels(catalog, event.event);
    expect(outcome.matches).toEqual([]);
    expect(outcome.misses.join('\n')).toContain('no changed path matches models/bike-demand/**');
  });

  it('when the push goes to another branch, then only models listing that branch (or a matching glob) match', () => {
    const payload = gitHubPush({ ref: 'refs/heads/release/2.0', commits: [{ modified: ['models/churn/x.py'] }] });
    expect(matchedNames('push', payload)).toEqual(['churn']);
    const feature = gitHubPush({ ref: 'refs/heads/feature/x', commits: [{ modified: ['models/churn/x.py'] }] });
    expect(matchedNames('push', feature)).toEqual([]);
  });

  it('when a dot file changes, then globs with ** include it', () => {
    expect(matchedNames('push', gitHubPush({ commits: [{ modified: ['models/bike-demand/.env.sample'] }] }))).toEqual([
      'bike-demand',
    ]);
  });

  it('when GitHub cut the commit list, then the paths are unknown and each model follows its unknownPaths policy', () => {
    const commits = Array.from({ length: GITHUB_MAX_PUSH_COMMITS }, () => ({ modified: ['docs/a.md'] }));
    const result = interpretGitHubDelivery('push', gitHubPush({ commits }));
    expect(result).toMatchObject({ kind: 'event', event: { changedPaths: undefined } });
    // bike-demand: unknownPaths=match (default); churn: unknownPaths=ignore.
    expect(matchedNames('push', gitHubPush({ commits }))).toEqual(['bike-demand']);
  });

  it('when a force push has no commit list, then the paths are unknown', () => {
    expect(interpretGitHubDelivery('push', gitHubPush({ forced: true, commits: [] }))).toMatchObject({
      event: { changedPaths: undefined, unknownPathsReason: 'force push without a commit list' },
    });
  });

  it('when a tag is pushed or a branch deleted, then the delivery is ignored with a reason', () => {
    expect(interpretGitHubDelivery('push', gitHubPush({ ref: 'refs/tags/v1' }))).toEqual({
      kind: 'ignored',
      reason: 'push to refs/tags/v1 is not a branch',
    });
    expect(
      interpretGitHubDelivery('push', gitHubPush({ deleted: true, after: '0'.repeat(40), commits: [] })),
    ).toMatchObject({ kind: 'ignored', reason: 'branch main was deleted' });
  });

  it('when a workflow run completes with success, then models with onWorkflowRun match', () => {
    const result = interpretGitHubDelivery('workflow_run', gitHubWorkflowRun());
    expect(result).toMatchObject({
      kind: 'event',
      event: {
        kind: 'workflowRun',
        branch: 'main',
        sha: HEAD_SHA,
        workflow: 'CI',
        ciRunUrl: 'https://github.com/contoso/bike-demand/actions/runs/30433642',
      },
    });
    expect(matchedNames('workflow_run', gitHubWorkflowRun())).toEqual(['churn']);
  });

  it('when a workflow run is requested, in progress or did not succeed, then it is ignored', () => {
    expect(interpretGitHubDelivery('workflow_run', gitHubWorkflowRun({ action: 'requested' }))).toMatchObject({
      kind: 'ignored',
    });
    expect(interpretGitHubDelivery('workflow_run', gitHubWorkflowRun({ conclusion: 'failure' }))).toEqual({
      kind: 'ignored',
      reason: "workflow run concluded 'failure', not 'success'",
    });
  });

  it('when the event is not supported, then it is ignored naming the event', () => {
    expect(interpretGitHubDelivery('issues', {})).toEqual({
      kind: 'ignored',
      reason: "GitHub event 'issues' is not supported (push, workflow_run, ping)",
    });
  });

  it('when a push lacks required fields, then a WebhookPayloadError names them', () => {
    const payload = { ...gitHubPush(), after: 'not-a-sha', repository: {} };
    expect(() => interpretGitHubDelivery('push', payload)).toThrow(WebhookPayloadError);
    try {
      interpretGitHubDelivery('push', payload);
    } catch (err) {
      expect((err as WebhookPayloadError).problems).toEqual(
        expect.arrayContaining([
          'push.after: must be a 40-character commit SHA',
          expect.stringContaining('push.repository.full_name') as unknown,
        ]),
      );
    }
  });
});
