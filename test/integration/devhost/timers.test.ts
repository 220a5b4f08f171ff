import { InMemoryScheduleMonitor } from '../../../dev/host/timers/schedule-monitor';
import { ManualClock } from '../../support/manual-clock';
import { waitFor } from '../../support/wait-for';
import { startFixtureHost } from './fixture-host';

interface TimerRecord {
  fn: string;
  timer: {
    isPastDue: boolean;
    schedule: { adjustForDST: boolean };
    scheduleStatus: { last: string; next: string; lastUpdated: string } | null;
  };
}

async function timerRecords(url: string): Promise<TimerRecord[]> {
  return ((await (await fetch(`${url}/api/records`)).json()) as { timers: TimerRecord[] }).timers;
}

describe('dev host: timer triggers', () => {
  it('when the host starts, then runOnStartup timers run once and the schedule comes from the %AppSetting% reference', async () => {
    const clock = new ManualClock('2026-03-02T10:00:30Z');
    const { host } = await startFixtureHost('basic', {
      appSettings: { TICK_SCHEDULE: '0 */5 * * * *' },
      clock,
      scheduleMonitor: new InMemoryScheduleMonitor(),
    });
    try {
      const records = await timerRecords(host.url);
      expect(records.filter((r) => r.fn === 'startup')).toHaveLength(1);
      expect(records.find((r) => r.fn === 'startup')?.timer).toMatchObject({
        isPastDue: false,
        schedule: { adjustForDST: true },
      });
      expect(records.filter((r) => r.fn === 'tick')).toHaveLength(0);

      // 10:05:00 is the next occurrence of "every 5 minutes"; the first tick fails on purpose, the schedule goes on.
      clock.advance(4 * 60_000 + 30_000);
      await waitFor(async () => (await timerRecords(host.url)).filter((r) => r.fn === 'tick').length === 1);
      await waitFor(() => clock.pending >= 2, { description: 'the next tick to be scheduled after the failure' });
      clock.advance(5 * 60_000);
      const ticks = await waitFor(async () => {
        const t = (await timerRecords(host.url)).filter((r) => r.fn === 'tick');
        return t.length === 2 ? t : undefined;
      });
      expect(ticks[1]?.timer.isPastDue).toBe(false);
      expect(ticks[1]?.timer.scheduleStatus).toMatchObject({
        last: '2026-03-02T10:05:00.000Z',
        next: '2026-03-02T10:15:00.000Z',
      });
      expect(host.invocations.filter((i) => i.functionName === 'tick').map((i) => i.outcome)).toEqual([
        'Failed',
        'Succeeded',
      ]);
    } finally {
      await host.close();
    }
  });

  it('when an occurrence was missed while the host was down, then the timer runs at startup with isPastDue', async () => {
    const monitor = new InMemoryScheduleMonitor();
    await monitor.set('tick', {
      last: '2026-03-02T09:55:00.000Z',
      next: '2026-03-02T10:00:00.000Z',
      lastUpdated: '2026-03-02T09:55:00.000Z',
    });
    const clock = new ManualClock('2026-03-02T10:07:00Z');
    const { host } = await startFixtureHost('basic', {
      appSettings: { TICK_SCHEDULE: '0 */5 * * * *' },
      clock,
      scheduleMonitor: monitor,
    });
    try {
      const tick = (await timerRecords(host.url)).find((r) => r.fn === 'tick');
      expect(tick?.timer.isPastDue).toBe(true);
      expect(tick?.timer.scheduleStatus?.last).toBe('2026-03-02T09:55:00.000Z');
      expect((await monitor.get('tick'))?.next).toBe('2026-03-02T10:10:00.000Z');
    } finally {
      await host.close();
    }
  });

  it('when the admin API runs a timer now, then it is invoked without waiting for its schedule', async () => {
    const clock = new ManualClock('2026-03-02T10:00:30Z');
    const { host } = await startFixtureHost('basic', {
      appSettings: { TICK_SCHEDULE: '0 0 0 1 1 *' },
      clock,
      scheduleMonitor: new InMemoryScheduleMonitor(),
    });
    try {
      const res = await fetch(`${host.url}/admin/functions/tick`, {
        method: 'POST',
        headers: { 'x-functions-key': host.keys.master, 'content-type': 'application/json' },
        body: JSON.stringify({ input: '' }),
      });
      expect(res.status).toBe(202);
      await waitFor(async () => (await timerRecords(host.url)).some((r) => r.fn === 'tick'));
    } finally {
      await host.close();
    }
  });

  it('when a timer is triggered while it is still running, then the second run waits for the first to finish', async () => {
    const clock = new ManualClock('2026-03-02T10:00:30Z');
    const { host } = await startFixtureHost('basic', {
      appSettings: { TICK_SCHEDULE: '0 0 0 1 1 *' },
      clock,
      scheduleMonitor: new InMemoryScheduleMonitor(),
    });
    const slowEvents = async (): Promise<string[]> =>
      (await timerRecords(host.url)).map((r) => r.fn).filter((fn) => fn.startsWith('slow'));
    const runNow = (): Promise<Response> =>
      fetch(`${host.url}/admin/functions/slow?code=${host.keys.master}`, { method: 'POST', body: '{}' });
    const release = async (): Promise<boolean> =>
      (await fetch(`${host.url}/api/release`, { method: 'POST' })).status === 200;
    try {
      expect((await runNow()).status).toBe(202);
      await waitFor(async () => (await slowEvents()).length === 1);
      expect((await runNow()).status).toBe(202);
      await waitFor(release, { description: 'the first run to be released' });
      await waitFor(release, { description: 'the second run to start and be released' });
      await waitFor(async () => (await slowEvents()).length === 4);
      expect(await slowEvents()).toEqual(['slow-start', 'slow-end', 'slow-start', 'slow-end']);
    } finally {
      await host.close();
    }
  });
});
