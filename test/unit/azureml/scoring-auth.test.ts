import { cachedScoringSecrets, epochMs, type FreshSecret } from '../../../src/azureml/scoring-auth';

describe('scoring secrets: cached with their refresh time, renewed once after a 401', () => {
  let clock = 0;
  let issued = 0;
  const fetch = (refreshInMs: number) => (): Promise<FreshSecret> =>
    Promise.resolve({ secret: `token-${++issued}`, authMode: 'AMLToken', refreshAt: clock + refreshInMs });
  beforeEach(() => {
    clock = 1_000_000;
    issued = 0;
  });

  it('when the refresh time has not come, then the cached secret is used; once it has, a new one is fetched before use', async () => {
    const secrets = cachedScoringSecrets(fetch(30 * 60_000), () => clock);
    expect(await secrets.get('ep')).toBe('token-1');
    clock += 29 * 60_000;
    expect(await secrets.get('ep')).toBe('token-1');
    clock += 60_000;
    expect(await secrets.get('ep')).toBe('token-2');
  });

  it('when many requests report the same stale secret, then one new secret is fetched, not one each', async () => {
    const secrets = cachedScoringSecrets(fetch(3_600_000), () => clock);
    const stale = await secrets.get('ep');
    secrets.refresh('ep', stale);
    expect(await secrets.get('ep')).toBe('token-2');
    secrets.refresh('ep', stale); // a late 401 with the old secret: the new one stays
    expect(await secrets.get('ep')).toBe('token-2');
    expect(issued).toBe(2);
  });

  it('when a fetch fails, then the next get tries again', async () => {
    let fail = true;
    const secrets = cachedScoringSecrets(
      () => {
        if (fail) return Promise.reject(new Error('ARM unavailable'));
        return fetch(60_000)();
      },
      () => clock,
    );
    await expect(secrets.get('ep')).rejects.toThrow('ARM unavailable');
    fail = false;
    expect(await secrets.get('ep')).toBe('token-1');
  });

  it('when token times arrive as epoch seconds (or milliseconds), then they become epoch ms; 0 means unknown', () => {
    expect(epochMs(1_795_000_000)).toBe(1_795_000_000_000);
    expect(epochMs(1_795_000_000_000)).toBe(1_795_000_000_000);
    expect(epochMs(0)).toBeUndefined();
  });
});
