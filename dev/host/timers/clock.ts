/**
 * Time as the timer scheduler sees it. The system clock in the host; tests use a manual clock they advance, so no
 * test waits for wall-clock minutes.
 */
export interface Clock {
  now(): Date;
  /** Calls `fn` once `ms` have passed on this clock. */
  setTimer(fn: () => void, ms: number): { cancel(): void };
}

// setTimeout overflows above ~24.8 days; long waits are chunked (the Functions timer does the same).
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => new Date(),
  setTimer(fn, ms) {
    let handle: NodeJS.Timeout;
    const due = Date.now() + ms;
    const arm = (): void => {
      const remaining = due - Date.now();
      handle = setTimeout(remaining > MAX_TIMEOUT_MS ? arm : fn, Math.max(0, Math.min(remaining, MAX_TIMEOUT_MS)));
      handle.unref?.();
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  },
};
