/**
 * A day's scores in a table of Azure Database for PostgreSQL, replaced per date in one transaction.
 *
 * @remarks Authentication: the app's Entra identity. The password of every new connection is an access token for
 * `https://ossrdbms-aad.database.windows.net/.default` from the app's credential (managed identity in Azure; Learn
 * "Connect with managed identity to Azure Database for PostgreSQL - Flexible Server"), so nothing secret is
 * configured. Locally the same code sends the dev host's token; the test and dev clusters accept loopback
 * connections without checking it (pg_hba `trust`), see docs/batch-scoring.md "Table output".
 */
import type { TokenCredential } from '@azure/identity';
import { Pool, type PoolClient } from 'pg';

import type { PostgresConnection } from '../config/config';

export const POSTGRES_ENTRA_SCOPE = 'https://ossrdbms-aad.database.windows.net/.default';

export interface TableTarget {
  readonly schema: string;
  readonly name: string;
  readonly dateColumn: string;
}

type Cell = string | number | boolean | null;

/** A pool whose connections log in with a fresh Entra token (tokens expire after about an hour). */
export function postgresPool(connection: PostgresConnection, credential: TokenCredential): Pool {
  return new Pool({
    host: connection.host,
    port: connection.port,
    database: connection.database,
    user: connection.user,
    ssl: connection.ssl ? { rejectUnauthorized: true } : false,
    max: 4,
    idleTimeoutMillis: 30_000,
    password: async () => {
      const token = await credential.getToken(POSTGRES_ENTRA_SCOPE);
      if (!token) throw new Error('no Entra token for Azure Database for PostgreSQL');
      return token.token;
    },
  });
}

const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;

/** PostgreSQL binds at most 65535 parameters per statement. */
const MAX_PARAMETERS = 60_000;

/**
 * Replaces the rows of `date` with `rows`, in one transaction: concurrent runs of the same date and table are
 * serialised by an advisory lock, readers see the old day or the new one, and a failure leaves the old rows. A
 * missing table is created: the date column, `run_id`, then the output columns (`numericColumns` as double
 * precision, the others as text); an existing table keeps its own types (parameters are cast to them).
 */
export async function replaceDay(
  pool: Pool,
  target: TableTarget,
  day: { readonly date: string; readonly runId: string },
  columns: readonly string[],
  numericColumns: readonly string[],
  batches: AsyncIterable<readonly (readonly Cell[])[]>,
): Promise<number> {
  const table = `${quote(target.schema)}.${quote(target.name)}`;
  const names = [target.dateColumn, 'run_id', ...columns];
  const client: PoolClient = await pool.connect();
  let written = 0;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${target.schema}.${target.name}:${day.date}`]);
    const definitions = [
      `${quote(target.dateColumn)} date NOT NULL`,
      'run_id text NOT NULL',
      ...columns.map((c) => `${quote(c)} ${numericColumns.includes(c) ? 'double precision' : 'text'}`),
    ];
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (${definitions.join(', ')})`);
    await client.query(`DELETE FROM ${table} WHERE ${quote(target.dateColumn)} = $1`, [day.date]);
    const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / names.length));
    const insert = async (rows: readonly (readonly Cell[])[]): Promise<void> => {
      const values: Cell[] = [];
      const tuples = rows.map((row) => {
        const placeholders = names.map((_, i) => `$${values.length + i + 1}`);
        values.push(day.date, day.runId, ...columns.map((_, i) => row[i] ?? null));
        return `(${placeholders.join(', ')})`;
      });
      await client.query(`INSERT INTO ${table} (${names.map(quote).join(', ')}) VALUES ${tuples.join(', ')}`, values);
      written += rows.length;
    };
    for await (const batch of batches) {
      for (let i = 0; i < batch.length; i += perStatement) await insert(batch.slice(i, i + perStatement));
    }
    await client.query('COMMIT');
    return written;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
