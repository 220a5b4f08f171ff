// The table output against a real PostgreSQL server (Debian's package, a throw-away cluster): a day's rows are
// replaced in one transaction, other days stay, a failed write leaves the old rows, and the password is the
// credential's Entra token for Azure Database for PostgreSQL.
import type { AccessToken, TokenCredential } from '@azure/identity';
import type { Pool } from 'pg';

import { POSTGRES_ENTRA_SCOPE, postgresPool, replaceDay } from '../../../src/storage/postgres-table';
import { type LocalPostgres, startPostgres } from '../../support/postgres';

jest.setTimeout(120_000);

let pg: LocalPostgres;
let pool: Pool;
const scopes: string[] = [];
const credential: TokenCredential = {
  getToken: (scope): Promise<AccessToken> => {
    scopes.push(...(Array.isArray(scope) ? scope : [scope]));
    return Promise.resolve({ token: 'entra-token-for-postgres', expiresOnTimestamp: Date.now() + 3_600_000 });
  },
};

beforeAll(async () => {
  // The cluster's password is the token the credential hands out: the app logs in only by sending it.
  pg = await startPostgres({ password: 'entra-token-for-postgres' });
  pool = postgresPool({ host: pg.host, port: pg.port, database: pg.database, user: pg.user, ssl: false }, credential);
});

afterAll(async () => {
  await pool?.end();
  await pg?.stop();
});

async function* batches<T>(...items: T[][]): AsyncGenerator<T[]> {
  for (const item of items) yield await Promise.resolve(item);
}

const target = { schema: 'public', name: 'bike_scores', dateColumn: 'score_date' };
const columns = ['station', 'prediction'];

async function day(date: string): Promise<{ station: string; prediction: number; run_id: string }[]> {
  const result = await pool.query<{ station: string; prediction: number; run_id: string }>(
    'SELECT station, prediction, run_id FROM public.bike_scores WHERE score_date = $1 ORDER BY station',
    [date],
  );
  return result.rows;
}

describe('PostgreSQL table output', () => {
  it('when a day is written twice, then the second run replaces exactly that day and other days stay', async () => {
    expect(
      await replaceDay(
        pool,
        target,
        { date: '2026-12-01', runId: 'r1' },
        columns,
        ['prediction'],
        batches([
          ['007', 1.5],
          ['008', 2.5],
        ]),
      ),
    ).toBe(2);
    await replaceDay(pool, target, { date: '2026-12-02', runId: 'r1' }, columns, ['prediction'], batches([['009', 9]]));
    const written = await replaceDay(
      pool,
      target,
      { date: '2026-12-01', runId: 'r2' },
      columns,
      ['prediction'],
      batches([['007', 3]], [['010', 4]]),
    );
    expect(written).toBe(2);
    expect(await day('2026-12-01')).toEqual([
      { station: '007', prediction: 3, run_id: 'r2' },
      { station: '010', prediction: 4, run_id: 'r2' },
    ]);
    expect(await day('2026-12-02')).toEqual([{ station: '009', prediction: 9, run_id: 'r1' }]);
    expect(scopes).toContain(POSTGRES_ENTRA_SCOPE);
  });

  it('when the token is not the one the server expects, then the login is refused', async () => {
    const wrong: TokenCredential = {
      getToken: () => Promise.resolve({ token: 'someone-else', expiresOnTimestamp: Date.now() + 3_600_000 }),
    };
    const other = postgresPool(
      { host: pg.host, port: pg.port, database: pg.database, user: pg.user, ssl: false },
      wrong,
    );
    await expect(other.query('SELECT 1')).rejects.toThrow(/password authentication failed/);
    await other.end();
  });

  it('when a write fails midway, then the transaction rolls back and the day keeps its earlier rows', async () => {
    await replaceDay(pool, target, { date: '2026-12-03', runId: 'ok' }, columns, ['prediction'], batches([['001', 1]]));
    async function* failing(): AsyncGenerator<(string | number)[][]> {
      yield await Promise.resolve([['002', 2]]);
      throw new Error('the staged part could not be read');
    }
    await expect(
      replaceDay(pool, target, { date: '2026-12-03', runId: 'broken' }, columns, ['prediction'], failing()),
    ).rejects.toThrow('could not be read');
    expect(await day('2026-12-03')).toEqual([{ station: '001', prediction: 1, run_id: 'ok' }]);
  });
});
