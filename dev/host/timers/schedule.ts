/**
 * Timer schedules: six-field NCRONTAB expressions (`{second} {minute} {hour} {day} {month} {day-of-week}`) or,
 * as on App Service plans, a TimeSpan `hh:mm:ss` interval.
 */
import { Cron } from 'croner';

export interface Schedule {
  readonly expression: string;
  /** The first occurrence strictly after `after`, or undefined when there is none. */
  next(after: Date): Date | undefined;
}

const TIME_SPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/;

/**
 * @param options.timeZone IANA zone the schedule is read in (Azure: `WEBSITE_TIME_ZONE`, default UTC there; the
 * machine's zone here when absent).
 */
export function parseSchedule(expression: string, options: { timeZone?: string } = {}): Schedule {
  const trimmed = expression.trim();
  const span = TIME_SPAN.exec(trimmed);
  if (span) {
    const ms = (((Number(span[1] ?? 0) * 24 + Number(span[2])) * 60 + Number(span[3])) * 60 + Number(span[4])) * 1000;
    if (ms <= 0) throw new Error(`Invalid timer schedule '${expression}': the interval must be positive`);
    return { expression: trimmed, next: (after) => new Date(after.getTime() + ms) };
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(
      `Invalid timer schedule '${expression}': NCRONTAB needs 6 fields ({second} {minute} {hour} {day} {month} {day-of-week})`,
    );
  }
  // NCrontab requires both day-of-month and day-of-week to match when both are restricted (croner: domAndDow).
  const cron = new Cron(trimmed, {
    paused: true,
    domAndDow: true,
    ...(options.timeZone ? { timezone: options.timeZone } : {}),
  });
  return {
    expression: trimmed,
    next: (after) => cron.nextRun(after) ?? undefined,
  };
}

/**
 * The gap between the next two occurrences; the Functions timer uses a schedule monitor only when it is at least a
 * minute.
 */
export function recurrenceIntervalMs(schedule: Schedule, from: Date): number | undefined {
  const a = schedule.next(from);
  const b = a ? schedule.next(a) : undefined;
  return a && b ? b.getTime() - a.getTime() : undefined;
}
