/** One `TimerListener` per timer-triggered function, from its binding (schedule, runOnStartup, useMonitor). */
import type { Invoker } from '../invoker';
import type { HostLogger } from '../log';
import type { RegisteredFunction } from '../registry';
import { resolveAppSettingReferences } from '../settings';
import type { Clock } from './clock';
import { parseSchedule } from './schedule';
import type { ScheduleMonitor } from './schedule-monitor';
import { TimerListener } from './timer-listener';

export interface TimerTriggerDeps {
  functions: readonly RegisteredFunction[];
  invoker: Invoker;
  /** App settings, for `%Setting%` schedules and WEBSITE_TIME_ZONE. */
  env: Record<string, string | undefined>;
  clock: Clock;
  monitor: ScheduleMonitor;
  logger: HostLogger;
}

/** @throws Error naming the function when its schedule is invalid or references a missing setting. */
export function createTimerListeners(deps: TimerTriggerDeps): TimerListener[] {
  return deps.functions.map((fn) => {
    const raw = typeof fn.trigger.schedule === 'string' ? fn.trigger.schedule : '';
    let schedule;
    try {
      schedule = parseSchedule(resolveAppSettingReferences(raw, deps.env), { timeZone: deps.env.WEBSITE_TIME_ZONE });
    } catch (error) {
      throw new Error(`Timer function '${fn.name}': ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    return new TimerListener({
      functionName: fn.name,
      schedule,
      runOnStartup: fn.trigger.runOnStartup === true,
      useMonitor: typeof fn.trigger.useMonitor === 'boolean' ? fn.trigger.useMonitor : undefined,
      clock: deps.clock,
      monitor: deps.monitor,
      logger: deps.logger,
      invoke: (timerInfo) => deps.invoker.invoke(fn, timerInfo, { triggerMetadata: { timer: timerInfo } }),
    });
  });
}
