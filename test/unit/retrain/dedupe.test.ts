import { dedupeKey, scheduleSlot, triggerIdFor } from '../../../src/services/retrain/dedupe';

describe('dedupe keys', () => {
  it('when two events name the same blob and ETag (quoted or not, with or without SAS), then the keys are equal', () => {
    const a = dedupeKey({ kind: 'blob', url: 'https://a/c/x.csv', eTag: '"0x1"' });
    const b = dedupeKey({ kind: 'blob', url: 'https://a/c/x.csv?sig=1', eTag: '0x1' });
    expect(a).toBe(b);
  });

  it('when the same name is uploaded again (new ETag), then the key differs', () => {
    expect(dedupeKey({ kind: 'blob', url: 'https://a/c/x.csv', eTag: '0x1' })).not.toBe(
      dedupeKey({ kind: 'blob', url: 'https://a/c/x.csv', eTag: '0x2' }),
    );
  });

  it('when keys come from webhooks, commits, schedules and manual requests, then each kind is distinct', () => {
    const keys = [
      dedupeKey({ kind: 'webhook', provider: 'GitHub', deliveryId: 'd1' }),
      dedupeKey({ kind: 'commit', repository: 'O/R', sha: 'ABC' }),
      dedupeKey({ kind: 'schedule', schedule: 'nightly', slot: '2026-11-20T02:00:00Z' }),
      dedupeKey({ kind: 'manual', requestId: 'r1' }),
    ];
    expect(new Set(keys).size).toBe(4);
    expect(keys[0]).toBe('webhook:github:d1');
    expect(keys[1]).toBe('commit:o/r@abc');
  });

  it('when the trigger id is derived, then it is deterministic per model and key', () => {
    expect(triggerIdFor('m', 'k')).toBe(triggerIdFor('m', 'k'));
    expect(triggerIdFor('m', 'k')).not.toBe(triggerIdFor('n', 'k'));
    expect(triggerIdFor('m', 'k')).toMatch(/^t[0-9a-f]{24}$/);
  });

  it('when a timer fires late within the same minute, then the schedule slot is the same', () => {
    expect(scheduleSlot(new Date('2026-11-20T02:00:00.000Z'))).toBe('2026-11-20T02:00:00.000Z');
    expect(scheduleSlot(new Date('2026-11-20T02:00:41.700Z'))).toBe('2026-11-20T02:00:00.000Z');
    expect(scheduleSlot(new Date('2026-11-20T02:01:00.000Z'))).toBe('2026-11-20T02:01:00.000Z');
  });
});
