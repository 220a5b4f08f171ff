import { decideArrival, decideCompletion, type LaneState } from '../../../src/services/retrain/coalesce';

const arriving = (id: string, occurredAt = '2026-11-20T10:00:00Z', receivedAt = occurredAt) => ({
  triggerId: id,
  occurredAt,
  receivedAt,
  runId: id,
  instanceId: 'retrain-m',
});

describe('coalescing', () => {
  it('when the lane is free, then the trigger starts a run', () => {
    const d = decideArrival({}, arriving('t1'), 'coalesce');
    expect(d).toMatchObject({ action: 'start', run: { runId: 't1', instanceId: 'retrain-m' } });
  });

  it('when a run is active and nothing waits, then the trigger becomes the follow-up', () => {
    const lane: LaneState = { active: { runId: 't1', triggerId: 't1', instanceId: 'retrain-m', since: 'x' } };
    const d = decideArrival(lane, arriving('t2'), 'coalesce');
    expect(d).toMatchObject({
      action: 'queue',
      superseded: undefined,
      cancelActive: false,
      lane: { pending: { triggerId: 't2' } },
    });
  });

  it('when the policy is cancel, then queuing asks to cancel the active run', () => {
    const lane: LaneState = { active: { runId: 't1', triggerId: 't1', instanceId: 'retrain-m', since: 'x' } };
    expect(decideArrival(lane, arriving('t2'), 'cancel')).toMatchObject({ action: 'queue', cancelActive: true });
  });

  it('when a newer trigger arrives while one waits, then it replaces the waiting one', () => {
    const lane: LaneState = {
      active: { runId: 't1', triggerId: 't1', instanceId: 'retrain-m', since: 'x' },
      pending: { triggerId: 't2', occurredAt: '2026-11-20T10:00:00Z', receivedAt: '2026-11-20T10:00:00Z' },
    };
    expect(decideArrival(lane, arriving('t3', '2026-11-20T10:05:00Z'), 'coalesce')).toMatchObject({
      action: 'queue',
      superseded: 't2',
      lane: { pending: { triggerId: 't3' } },
    });
  });

  it('when an older trigger arrives late while a newer one waits, then it folds into the waiting one', () => {
    const lane: LaneState = {
      active: { runId: 't1', triggerId: 't1', instanceId: 'retrain-m', since: 'x' },
      pending: { triggerId: 't3', occurredAt: '2026-11-20T10:05:00Z', receivedAt: '2026-11-20T10:05:00Z' },
    };
    expect(decideArrival(lane, arriving('t2', '2026-11-20T10:01:00Z', '2026-11-20T10:06:00Z'), 'coalesce')).toEqual({
      action: 'fold',
      into: 't3',
    });
  });

  it('when the same trigger is submitted again, then nothing changes', () => {
    const lane: LaneState = {
      active: { runId: 't1', triggerId: 't1', instanceId: 'retrain-m', since: 'x' },
      pending: { triggerId: 't2', occurredAt: 'a', receivedAt: 'a' },
    };
    expect(decideArrival(lane, arriving('t1'), 'coalesce')).toEqual({ action: 'already', as: 'active' });
    expect(decideArrival(lane, arriving('t2'), 'coalesce')).toEqual({ action: 'already', as: 'pending' });
  });

  it('when the active run completes with a follow-up waiting, then the follow-up takes the lane in the same write', () => {
    const lane: LaneState = {
      active: { runId: 't1', triggerId: 't1', instanceId: 'retrain-m', since: 'x' },
      pending: { triggerId: 't3', occurredAt: 'a', receivedAt: 'a' },
    };
    const d = decideCompletion(lane, 't1', { runId: 't3', instanceId: 'retrain-m', since: 'now' });
    expect(d).toEqual({
      action: 'continue',
      next: { runId: 't3', triggerId: 't3', instanceId: 'retrain-m', since: 'now' },
      lane: { active: { runId: 't3', triggerId: 't3', instanceId: 'retrain-m', since: 'now' }, pending: undefined },
    });
  });

  it('when the active run completes with nothing waiting, then the lane is released', () => {
    const lane: LaneState = { active: { runId: 't1', triggerId: 't1', instanceId: 'retrain-m', since: 'x' } };
    expect(decideCompletion(lane, 't1', { runId: '-', instanceId: '-', since: '-' })).toMatchObject({
      action: 'release',
    });
  });

  it('when a run that does not own the lane completes, then nothing changes', () => {
    const lane: LaneState = { active: { runId: 't9', triggerId: 't9', instanceId: 'retrain-m', since: 'x' } };
    expect(decideCompletion(lane, 't1', { runId: '-', instanceId: '-', since: '-' })).toEqual({ action: 'none' });
    expect(decideCompletion({}, 't1', { runId: '-', instanceId: '-', since: '-' })).toEqual({ action: 'none' });
  });
});
