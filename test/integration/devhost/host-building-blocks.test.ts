import { hostKeysFrom, isAuthorized } from '../../../dev/host/keys';
import { redact } from '../../../dev/host/log';
import { compareRoutes, RouteTemplate } from '../../../dev/host/http/route-template';
import { parseSchedule, recurrenceIntervalMs } from '../../../dev/host/timers/schedule';

describe('dev host building blocks', () => {
  it('when route templates use defaults, multiple constraints and literal affixes, then matching follows ASP.NET rules', () => {
    expect(new RouteTemplate('reports/{year:int:min(2000)}/{kind=summary}').match('/reports/2024')).toEqual({
      params: { year: '2024', kind: 'summary' },
    });
    expect(new RouteTemplate('reports/{year:int:min(2000)}').match('/reports/1999')).toBeUndefined();
    expect(new RouteTemplate('files/{name}.{ext:alpha}').match('/files/data.csv')).toEqual({
      params: { name: 'data', ext: 'csv' },
    });
    expect(new RouteTemplate('Orders/{id:guid}').match('/orders/3f2504e0-4f89-11d3-9a0c-0305e82c3301')).toBeDefined();
    expect(new RouteTemplate('codes/{c:regex(^[a-z]{{2}}$)}').match('/codes/ab')).toBeDefined();
    const ordered = ['items/{*rest}', 'items/{id}', 'items/{id:int}', 'items/new']
      .map((t) => new RouteTemplate(t))
      .sort(compareRoutes);
    expect(ordered.map((r) => r.template)).toEqual(['items/new', 'items/{id:int}', 'items/{id}', 'items/{*rest}']);
  });

  it('when an NCRONTAB schedule restricts both day-of-month and day-of-week, then both must match (unlike classic cron)', () => {
    // 13th of the month that is also a Friday, at 09:30:15.
    const schedule = parseSchedule('15 30 9 13 * Fri');
    expect(schedule.next(new Date('2026-01-01T00:00:00'))?.toString()).toBe(new Date('2026-02-13T09:30:15').toString());
    expect(recurrenceIntervalMs(parseSchedule('*/10 * * * * *'), new Date('2026-01-01T00:00:00'))).toBe(10_000);
    expect(parseSchedule('00:05:00').next(new Date('2026-01-01T00:00:00Z'))?.toISOString()).toBe(
      '2026-01-01T00:05:00.000Z',
    );
    expect(() => parseSchedule('*/5 * * * *')).toThrow(/6 fields/);
  });

  it('when keys are checked, then the master key grants every level and system keys only their extension', () => {
    const keys = hostKeysFrom({ MasterKey: 'm', FunctionKey: 'f', SystemKeys: { eventgrid_extension: 'eg' } });
    expect(isAuthorized(keys, 'anonymous', undefined)).toBe(true);
    expect(isAuthorized(keys, 'function', 'f')).toBe(true);
    expect(isAuthorized(keys, 'admin', 'f')).toBe(false);
    expect(isAuthorized(keys, 'admin', 'm')).toBe(true);
    expect(isAuthorized(keys, 'system', 'eg', 'eventgrid_extension')).toBe(true);
    expect(isAuthorized(keys, 'system', 'eg', 'durabletask_extension')).toBe(false);
    expect(isAuthorized(keys, 'system', 'm', 'durabletask_extension')).toBe(true);
  });

  it('when a log line carries keys, signatures or tokens, then they are masked', () => {
    const line = redact(
      'GET /api/x?code=abc123&sig=zzz x-functions-key: k1 Authorization: Bearer eyJ.a.b AccountKey=secret==;',
    );
    expect(line).not.toMatch(/abc123|zzz|k1|eyJ|secret/);
    expect(line).toContain('code=***');
  });
});
