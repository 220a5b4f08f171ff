import { toRetrainTrigger } from '../../../src/functions/webhooks/submitter';
import type { RetrainTriggerRequest } from '../../../src/services/webhooks';

const base: RetrainTriggerRequest = {
  model: 'bike-demand',
  source: 'github',
  deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  dedupeKey: 'github:72d3162e-cc78-11e3-81ab-4c9367dc0958:bike-demand',
  reason: 'push',
  receivedAt: '2026-11-22T12:00:00.000Z',
  git: {
    provider: 'github',
    repository: 'contoso/bike-demand',
    sha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
    ref: 'refs/heads/main',
    ciRunUrl: 'https://github.com/contoso/bike-demand/compare/a...b',
  },
};

describe('webhook requests → retrain triggers', () => {
  it('when a CI delivery is mapped, then it is a git trigger deduplicated by provider and delivery id', () => {
    expect(toRetrainTrigger(base)).toEqual({
      model: 'bike-demand',
      source: 'git',
      dedupe: { kind: 'webhook', provider: 'github', deliveryId: base.deliveryId },
      occurredAt: base.receivedAt,
      eventId: base.deliveryId,
      git: {
        repository: 'contoso/bike-demand',
        sha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
        branch: 'main',
        ciRun: 'https://github.com/contoso/bike-demand/compare/a...b',
        provider: 'github',
      },
      requestedBy: 'github webhook',
    });
  });

  it('when a manual request is mapped, then its request id is the dedupe key and the caller is kept', () => {
    const { git: _git, ...noGit } = base;
    expect(toRetrainTrigger({ ...noGit, source: 'manual', deliveryId: 'req-7', requestedBy: 'mona' })).toMatchObject({
      source: 'manual',
      dedupe: { kind: 'manual', requestId: 'req-7' },
      requestedBy: 'mona',
    });
  });

  it('when parameter overrides are requested, then they travel into the trigger', () => {
    expect(toRetrainTrigger({ ...base, parameters: { alpha: 0.5, warm: true } })).toMatchObject({
      parameters: { alpha: 0.5, warm: true },
    });
    expect(toRetrainTrigger(base)).not.toHaveProperty('parameters');
  });
});
