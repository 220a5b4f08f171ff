// Logic of the dashboard's pages that is not drawing: list queries from the address, throughput for the chart.
import { duration, listQuery, shortTime, sinceToIso } from '../../../web/dashboard/src/format';
import { manifestThroughput, throughput } from '../../../web/dashboard/src/throughput';

describe('dashboard list queries', () => {
  it('when a list page is filtered, then the API query carries its filters, since as from, and a page size', () => {
    const now = Date.parse('2026-11-22T12:34:56.789Z');
    jest.useFakeTimers({ now });
    try {
      const q = listQuery(new URLSearchParams('model=bike-demand&status=&since=24h&x=1'), ['model', 'status']);
      expect(Object.fromEntries(q)).toEqual({
        pageSize: '100',
        model: 'bike-demand',
        from: '2026-11-21T12:34:00.000Z',
      });
    } finally {
      jest.useRealTimers();
    }
  });

  it('when polls come within the same minute, then the since filter asks for the same time (a stable path)', () => {
    const a = sinceToIso('1h', Date.parse('2026-11-22T12:00:01Z'));
    expect(sinceToIso('1h', Date.parse('2026-11-22T12:00:59Z'))).toBe(a);
    expect(sinceToIso('1h', Date.parse('2026-11-22T12:01:00Z'))).not.toBe(a);
    expect(sinceToIso('soon')).toBe('');
  });

  it('when times and durations are shown, then they read as in the CLI, with a dash when unknown', () => {
    expect(shortTime('2026-11-22T10:00:00.000Z')).toBe('2026-11-22 10:00:00Z');
    expect(shortTime(undefined)).toBe('–');
    expect(duration(185_000)).toBe('3m 05s');
    expect(duration(Number.NaN)).toBe('–');
  });
});

describe('dashboard batch throughput', () => {
  it('when the page watched the rows grow, then each interval gives its rate', () => {
    expect(
      throughput([
        { t: 0, rows: 0 },
        { t: 2, rows: 1000 },
        { t: 2, rows: 1200 },
        { t: 6, rows: 3000 },
      ]),
    ).toEqual([
      { t: 2, rowsPerSecond: 500 },
      { t: 6, rowsPerSecond: 450 },
    ]);
  });

  it('when a published manifest has phase timings, then scoring runs at its average between planning and publishing', () => {
    const points = manifestThroughput({
      timings: { planSeconds: 1, scoreSeconds: 4, totalSeconds: 6 },
      throughput: { rowsPerSecond: 250 },
    });
    expect(points).toEqual([
      { t: 0, rowsPerSecond: 0 },
      { t: 1, rowsPerSecond: 0 },
      { t: 1, rowsPerSecond: 250 },
      { t: 5, rowsPerSecond: 250 },
      { t: 5, rowsPerSecond: 0 },
      { t: 6, rowsPerSecond: 0 },
    ]);
    expect(manifestThroughput({ timings: {} })).toEqual([]);
    expect(manifestThroughput(undefined)).toEqual([]);
  });
});
