import { liveDeployment, planTrafficShift, rollbackTraffic, sameTraffic } from '../../../src/services/retrain/traffic';

describe('traffic plans', () => {
  const current = { blue: 100, old: 0 };

  it('when blue/green, then one step puts 100 % on green and 0 on every other deployment', () => {
    expect(
      planTrafficShift({
        strategy: 'blueGreen',
        canarySteps: [10, 100],
        bakeTimeSeconds: 60,
        newDeployment: 'green',
        previousDeployment: 'blue',
        currentTraffic: current,
      }),
    ).toEqual([{ percent: 100, traffic: { blue: 0, old: 0, green: 100 }, bake: true }]);
  });

  it('when canary, then each step splits between new and previous and every map sums to 100', () => {
    const steps = planTrafficShift({
      strategy: 'canary',
      canarySteps: [10, 50, 100],
      bakeTimeSeconds: 0,
      newDeployment: 'green',
      previousDeployment: 'blue',
      currentTraffic: current,
    });
    expect(steps.map((s) => s.traffic)).toEqual([
      { blue: 90, old: 0, green: 10 },
      { blue: 50, old: 0, green: 50 },
      { blue: 0, old: 0, green: 100 },
    ]);
    expect(steps.every((s) => !s.bake)).toBe(true);
    for (const s of steps) expect(Object.values(s.traffic).reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('when there is no previous deployment, then canary is one step to 100 %', () => {
    expect(
      planTrafficShift({
        strategy: 'canary',
        canarySteps: [10, 100],
        bakeTimeSeconds: 5,
        newDeployment: 'green',
        previousDeployment: undefined,
        currentTraffic: {},
      }),
    ).toEqual([{ percent: 100, traffic: { green: 100 }, bake: true }]);
  });

  it('when rolling back, then the previous deployment gets 100 % and the new one 0', () => {
    expect(rollbackTraffic({ blue: 90, green: 10 }, 'green', 'blue')).toEqual({ blue: 100, green: 0 });
  });

  it('when the new deployment never got traffic, then the rollback map leaves it out (it may not exist)', () => {
    expect(rollbackTraffic({ blue: 100 }, 'green', 'blue')).toEqual({ blue: 100 });
    expect(sameTraffic(rollbackTraffic({ blue: 100 }, 'green', 'blue'), { blue: 100 })).toBe(true);
    expect(sameTraffic({ blue: 100, green: 0 }, { blue: 100 })).toBe(true);
    expect(sameTraffic({ blue: 90, green: 10 }, { blue: 100 })).toBe(false);
  });

  it('when rolling back the first release, then nothing gets traffic', () => {
    expect(rollbackTraffic({ green: 100 }, 'green', undefined)).toEqual({});
  });

  it('when asking for the live deployment, then the largest share wins and none means undefined', () => {
    expect(liveDeployment({ a: 10, b: 90 })).toBe('b');
    expect(liveDeployment({ a: 0 })).toBeUndefined();
    expect(liveDeployment({})).toBeUndefined();
  });
});
