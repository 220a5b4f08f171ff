/**
 * Runs one timer-triggered function on its schedule, with the Functions timer's rules: `runOnStartup`, past-due
 * detection through the schedule monitor, one invocation at a time (occurrences missed while a run is in progress
 * are skipped, not queued), and failures never stop the schedule.
 */
import { errorMessage, type HostLogger } from '../log';
import type { Clock } from './clock';
import { recurrenceIntervalMs, type Schedule } from './schedule';
import type { ScheduleMonitor, ScheduleStatus } from './schedule-monitor';

/** What the v4 handler receives (the library camelCases the host's payload). */
export interface TimerInfo {
  isPastDue: boolean;
  schedule: { adjustForDST: boolean };
  scheduleStatus: ScheduleStatus | null;
}

export interface TimerListenerOptions {
  functionName: string;
  schedule: Schedule;
  runOnStartup: boolean;
  /** Binding `useMonitor`; undefined = the default (on for recurrences of a minute or more). */
  useMonitor: boolean | undefined;
  clock: Clock;
  monitor: ScheduleMonitor;
  logger: HostLogger;
  invoke: (timer: TimerInfo) => Promise<unknown>;
}

const MIN_DATE = '0001-01-01T00:00:00.000Z';

export class TimerListener {
  private timer: { cancel(): void } | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly useMonitor: boolean;
  private status: ScheduleStatus | null = null;

  constructor(private readonly options: TimerListenerOptions) {
    const interval = recurrenceIntervalMs(options.schedule, options.clock.now());
    this.useMonitor = options.useMonitor ?? (interval !== undefined && interval >= 60_000);
  }

  get name(): string {
    return this.options.functionName;
  }

  async start(): Promise<void> {
    const { clock, monitor, schedule, functionName } = this.options;
    const now = clock.now();
    let isPastDue = false;
    if (this.useMonitor) {
      const recorded = await monitor.get(functionName);
      if (recorded) {
        this.status = recorded;
        isPastDue = new Date(recorded.next).getTime() < now.getTime();
      } else {
        this.status = { last: MIN_DATE, next: iso(schedule.next(now)), lastUpdated: now.toISOString() };
        await monitor.set(functionName, this.status);
      }
    }
    if (isPastDue || this.options.runOnStartup) {
      this.options.logger.info(`Timer '${functionName}' runs at startup (${isPastDue ? 'past due' : 'runOnStartup'})`);
      await this.run(isPastDue, now);
    }
    this.scheduleNext();
  }

  /** Invokes the function now (admin "run now"); waits behind a run in progress. */
  fireNow(): Promise<void> {
    return this.run(false, this.options.clock.now());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    const now = this.options.clock.now();
    const next = this.options.schedule.next(now);
    if (!next) return;
    this.timer = this.options.clock.setTimer(() => {
      void this.run(false, next).then(() => this.scheduleNext());
    }, next.getTime() - now.getTime());
  }

  private run(isPastDue: boolean, occurrence: Date): Promise<void> {
    const run = this.running.then(() => this.invokeOnce(isPastDue, occurrence));
    this.running = run;
    return run;
  }

  private async invokeOnce(isPastDue: boolean, occurrence: Date): Promise<void> {
    const { clock, monitor, schedule, functionName, logger } = this.options;
    const now = clock.now();
    const next = iso(schedule.next(now));
    const status: ScheduleStatus | null = this.useMonitor
      ? { last: this.status?.last ?? MIN_DATE, next, lastUpdated: now.toISOString() }
      : null;
    try {
      await this.options.invoke({ isPastDue, schedule: { adjustForDST: true }, scheduleStatus: status });
    } catch (error) {
      // The invoker already logged the failure; the schedule carries on.
      logger.warn(`Timer '${functionName}' invocation failed; the schedule continues: ${errorMessage(error)}`);
    }
    if (this.useMonitor) {
      this.status = { last: occurrence.toISOString(), next, lastUpdated: clock.now().toISOString() };
      await monitor
        .set(functionName, this.status)
        .catch((e: unknown) => logger.warn(`Timer '${functionName}': cannot persist its status: ${errorMessage(e)}`));
    }
  }
}

function iso(date: Date | undefined): string {
  return (date ?? new Date(8.64e15)).toISOString();
}
