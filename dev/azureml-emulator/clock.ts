/**
 * The emulator's clock: every time-based progression (job states, LRO provisioning, token expiry) reads it.
 *
 * @remarks Time moves with the wall clock, optionally faster (`speed`), and can be paused or advanced by the control
 * API, so tests move jobs along deterministically instead of sleeping.
 */
export interface EmulatorClockOptions {
  /** Start time (ISO string or epoch ms); defaults to the wall clock. */
  readonly startTime?: string | number;
  /** Multiplier on elapsed wall time (default 1). 0 behaves like paused. */
  readonly speed?: number;
  /** Start paused: time moves only through `advance`. */
  readonly paused?: boolean;
}

export interface ClockState {
  readonly now: string;
  readonly paused: boolean;
  readonly speed: number;
}

export class EmulatorClock {
  private baseVirtualMs: number;
  private baseWallMs: number;
  private speed: number;
  private paused: boolean;
  private readonly listeners = new Set<() => void>();

  constructor(options: EmulatorClockOptions = {}) {
    const start = options.startTime === undefined ? Date.now() : new Date(options.startTime).getTime();
    if (Number.isNaN(start)) throw new RangeError(`Invalid clock startTime '${String(options.startTime)}'.`);
    this.baseVirtualMs = start;
    this.baseWallMs = Date.now();
    this.speed = checkSpeed(options.speed ?? 1);
    this.paused = options.paused ?? false;
  }

  now(): number {
    if (this.paused) return this.baseVirtualMs;
    return this.baseVirtualMs + Math.floor((Date.now() - this.baseWallMs) * this.speed);
  }

  nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`Cannot advance the clock by ${ms} ms.`);
    this.rebase();
    this.baseVirtualMs += ms;
    this.changed();
  }

  pause(): void {
    this.rebase();
    this.paused = true;
    this.changed();
  }

  resume(): void {
    this.rebase();
    this.paused = false;
    this.changed();
  }

  setSpeed(speed: number): void {
    this.rebase();
    this.speed = checkSpeed(speed);
    this.changed();
  }

  /** Back to the configured pace (reset): time keeps its current value so it never runs backwards. */
  restore(options: Pick<EmulatorClockOptions, 'paused' | 'speed'>): void {
    this.rebase();
    this.paused = options.paused ?? false;
    this.speed = checkSpeed(options.speed ?? 1);
    this.changed();
  }

  state(): ClockState {
    return { now: this.nowIso(), paused: this.paused, speed: this.speed };
  }

  /** Reading and pace to persist: `speed` is 0 while paused. */
  reading(): { now: number; speed: number; wallAt: number } {
    return { now: this.now(), speed: this.paused ? 0 : this.speed, wallAt: Date.now() };
  }

  /** Called after every manual change, so the engine re-evaluates due transitions at once. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private rebase(): void {
    this.baseVirtualMs = this.now();
    this.baseWallMs = Date.now();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/**
 * Clock options for a restart on persisted state: time carries on from the persisted reading, and the time the
 * emulator was down passed at the pace it had then (never backwards, so jobs are neither frozen nor replayed).
 */
export function resumedClockOptions(
  options: EmulatorClockOptions,
  saved: { now: number; speed: number; wallAt: number } | undefined,
  wallNow: number = Date.now(),
): EmulatorClockOptions {
  if (!saved) return options;
  return { ...options, startTime: saved.now + Math.max(0, wallNow - saved.wallAt) * saved.speed };
}

function checkSpeed(speed: number): number {
  if (!Number.isFinite(speed) || speed < 0) throw new RangeError(`Clock speed must be >= 0, got ${speed}.`);
  return speed;
}
