/** Display helpers: times in UTC (as the CLI prints them), durations, numbers. */

export function shortTime(iso: string | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function clockTime(iso: string | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 19);
}

/** Milliseconds as `1h 02m`, `3m 05s`, `12s`, `850ms`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
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

/** `7d`, `24h`, `30m` → the ISO time that long ago; empty for anything else. */
export function sinceToIso(value: string, now: number = Date.now()): string {
  const m = /^(\d+)([mhd])$/.exec(value.trim());
  if (!m) return '';
  const unit = { m: 6e4, h: 36e5, d: 864e5 }[m[2] as 'm' | 'h' | 'd'];
  return new Date(now - Number(m[1]) * unit).toISOString();
}
