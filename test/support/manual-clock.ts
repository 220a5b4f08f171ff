/**
 * A clock tests move by hand: `advance(ms)` fires every timer that falls due, in time order. Matches the
 * `{ now(), setTimer(fn, ms) }` shape schedulers take as an injectable clock.
 */
export class ManualClock {
  private current: number;
  private readonly timers: { due: number; fn: () => void; id: number }[] = [];
  private nextId = 0;

  constructor(start: Date | string) {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  setTimer(fn: () => void, ms: number): { cancel(): void } {
    const id = this.nextId++;
    this.timers.push({ due: this.current + Math.max(0, ms), fn, id });
    return {
      cancel: () => {
        const i = this.timers.findIndex((t) => t.id === id);
        if (i >= 0) this.timers.splice(i, 1);
      },
    };
  }

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.timers.length;
  }

  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.timers.sort((a, b) => a.due - b.due || a.id - b.id);
      const first = this.timers[0];
      if (!first || first.due > target) break;
      this.timers.shift();
      this.current = first.due;
      first.fn();
    }
    this.current = target;
  }
}
