import { mapLimit } from '../../../src/services/batch/map-limit';

/** A call that resolves when the test says so, to observe what is in flight. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('mapLimit', () => {
  it('when more items than the limit are mapped, then at most the limit run at once and results keep the order', async () => {
    const gates = Array.from({ length: 7 }, gate);
    let inFlight = 0;
    let peak = 0;
    const done = mapLimit([0, 1, 2, 3, 4, 5, 6], 3, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await gates[i]?.opened;
      inFlight--;
      return i * 10;
    });
    // Finish them out of order: later items first.
    for (const i of [2, 1, 0, 5, 4, 3, 6]) {
      await Promise.resolve();
      gates[i]?.open();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await done).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(peak).toBe(3);
  });

  it('when a call fails, then the whole rejects with its error', async () => {
    await expect(
      mapLimit([1, 2, 3], 2, (i) => (i === 2 ? Promise.reject(new Error('two failed')) : Promise.resolve(i))),
    ).rejects.toThrow('two failed');
  });

  it('when there is nothing to map, then the result is empty', async () => {
    expect(await mapLimit([], 4, () => Promise.resolve(1))).toEqual([]);
  });
});
