import { classifyRunStatus, nextPoll, pollDelaySeconds, pollSchedule } from '../../../src/services/retrain/polling';

const policy = { initialIntervalSeconds: 10, maxIntervalSeconds: 60, backoffCoefficient: 2 };

describe('polling backoff', () => {
  it('when attempts grow, then delays double up to the cap', () => {
    expect([0, 1, 2, 3, 4, 10].map((a) => pollDelaySeconds(a, policy))).toEqual([10, 20, 40, 60, 60, 60]);
  });

  it('when the next check would pass the deadline, then it is clamped to the deadline and flagged', () => {
    const now = new Date('2026-11-20T10:00:00Z');
    const deadline = new Date('2026-11-20T10:00:15Z');
    expect(nextPoll(now, 0, policy, deadline)).toEqual({ at: new Date('2026-11-20T10:00:10Z'), atDeadline: false });
    expect(nextPoll(now, 1, policy, deadline)).toEqual({ at: deadline, atDeadline: true });
  });

  it('when the whole schedule is listed, then it ends exactly at the timeout', () => {
    expect(pollSchedule(policy, 200)).toEqual([10, 30, 70, 130, 190, 200]);
  });

  it('when the attempt is negative, then it is a RangeError', () => {
    expect(() => pollDelaySeconds(-1, policy)).toThrow(RangeError);
  });

  it.each([
    ['Completed', 'completed'],
    ['completed', 'completed'],
    ['FINISHED', 'completed'],
    ['Failed', 'failed'],
    ['failed', 'failed'],
    ['Canceled', 'canceled'],
    ['Cancelled', 'canceled'],
    ['Running', 'running'],
    ['NotResponding', 'running'],
    [undefined, 'running'],
  ])('when the status is %s, then it is %s', (status, phase) => {
    expect(classifyRunStatus(status)).toBe(phase);
  });
});
