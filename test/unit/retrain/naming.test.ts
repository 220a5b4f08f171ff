import { DEPLOYMENT_NAME, deploymentNameFor, trainingJobNameFor } from '../../../src/services/retrain/naming';

describe('deployment naming', () => {
  it('when the version is a plain number, then the name is <model>-v<version>', () => {
    expect(deploymentNameFor('bike-demand', '7')).toBe('bike-demand-v7');
  });

  it.each([
    ['bike-demand', '7'],
    ['Bike_Demand.Model', '12'],
    ['9lives', '1'],
    ['a-very-long-model-name-that-goes-on-and-on', '123'],
    ['m', '2026-11-20T10:00:00.000Z'],
    ['m', 'x'.repeat(100)],
    ['___', '1'],
  ])('when model %s has version %s, then the name is valid', (model, version) => {
    const name = deploymentNameFor(model, version);
    expect(name).toMatch(DEPLOYMENT_NAME);
    expect(name.length).toBeGreaterThanOrEqual(3);
    expect(name.length).toBeLessThanOrEqual(32);
  });

  it('when versions differ only in characters the name cannot hold, then the names still differ', () => {
    expect(deploymentNameFor('m', '1.2')).not.toBe(deploymentNameFor('m', '1-2'));
    expect(deploymentNameFor('m', 'A')).not.toBe(deploymentNameFor('m', 'a'));
    expect(deploymentNameFor('m', `${'9'.repeat(40)}1`)).not.toBe(deploymentNameFor('m', `${'9'.repeat(40)}2`));
  });

  it('when called twice, then the name is the same (deterministic)', () => {
    expect(deploymentNameFor('bike-demand', '1.2')).toBe(deploymentNameFor('bike-demand', '1.2'));
  });

  it('when versions 1..500 are named, then all names are unique', () => {
    const names = new Set(
      Array.from({ length: 500 }, (_, i) => deploymentNameFor('a-very-long-model-name-here', String(i + 1))),
    );
    expect(names.size).toBe(500);
  });

  it('when the version is empty, then it is a RangeError', () => {
    expect(() => deploymentNameFor('m', '')).toThrow(RangeError);
  });

  it('when a job name is derived from a trigger id, then it is a valid, deterministic Azure ML name', () => {
    const name = trainingJobNameFor('Bike Demand', 't0123456789abcdef01234567');
    expect(name).toBe('mlops-bike-demand-t0123456789abcdef01234567');
    expect(name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/);
  });
});
