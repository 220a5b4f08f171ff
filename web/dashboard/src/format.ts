/** Display helpers: times in UTC and durations as the CLI prints them (the same functions), numbers. */
import { duration as cliDuration, shortTime as cliShortTime } from '../../../src/cli/format';

export function shortTime(iso: string | undefined): string {
  return iso ? cliShortTime(iso) : '–';
}

export function clockTime(iso: string | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 19);
}

/** Milliseconds as `1h 02m`, `3m 05s`, `12s`, `850ms` (`–` when unknown). */
export function duration(ms: number): string {
  return Number.isFinite(ms) ? cliDuration(ms) : '–';
}

export function between(start: string | undefined, end: string | undefined, now: number = Date.now()): number {
  if (!start) return Number.NaN;
  const a = new Date(start).getTime();
  const b = end ? new Date(end).getTime() : now;
  return b - a;
}

export function number(value: number | undefined, digits = 3): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toPrecision(digits);
}

/**
 * `7d`, `24h`, `30m` → the ISO time that long ago, to the minute (so a live page asks for the same path between
 * polls instead of a new one each time); empty for anything else.
 */
export function sinceToIso(value: string, now: number = Date.now()): string {
  const m = /^(\d+)([mhd])$/.exec(value.trim());
  if (!m) return '';
  const unit = { m: 6e4, h: 36e5, d: 864e5 }[m[2] as 'm' | 'h' | 'd'];
  const minute = Math.floor(now / 6e4) * 6e4;
  return new Date(minute - Number(m[1]) * unit).toISOString();
}

/** The API query of a list page: its filters from the address (`since` becomes `from`), 100 to a page. */
export function listQuery(address: URLSearchParams, filters: readonly string[]): URLSearchParams {
  const query = new URLSearchParams({ pageSize: '100' });
  for (const k of filters) {
    const v = address.get(k);
    if (v) query.set(k, v);
  }
  const since = address.get('since');
  if (since) query.set('from', sinceToIso(since));
  return query;
}
