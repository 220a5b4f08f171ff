/**
 * A throw-away PostgreSQL cluster from Debian's `postgresql` package: `initdb` into a temp dir and `pg_ctl` on a
 * free loopback port, so no test depends on a system service. With `password`, the cluster's role has that password
 * and pg_hba asks for it (scram-sha-256): a test gives its credential's token, so the Entra-token-as-password path is
 * checked; without, loopback connections are trusted (docs/batch-scoring.md, "Table output").
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { freePorts } from './free-port';

const run = promisify(execFile);

export interface LocalPostgres {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  stop(): Promise<void>;
}

/** The directory of initdb/pg_ctl: on PATH, else Debian's /usr/lib/postgresql/<version>/bin. */
async function binDir(): Promise<string> {
  try {
    const { stdout } = await run('sh', ['-c', 'command -v initdb']);
    if (stdout.trim()) return path.dirname(stdout.trim());
  } catch {
    // not on PATH
  }
  const versions = (await readdir('/usr/lib/postgresql')).sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('PostgreSQL is not installed (apt-get install postgresql; .ci/run does it)');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

export async function startPostgres(options: { password?: string } = {}): Promise<LocalPostgres> {
  const bin = await binDir();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pg-test-'));
  const data = path.join(dir, 'data');
  const [port] = await freePorts(1);
  // initdb refuses to run as root: run the server as the package's postgres user.
  const asRoot = process.getuid?.() === 0;
  const exec = async (tool: string, args: string[]): Promise<void> => {
    const command = path.join(bin, tool);
    if (asRoot) await run('runuser', ['-u', 'postgres', '--', command, ...args]);
    else await run(command, args);
  };
  const uid = asRoot ? Number((await run('id', ['-u', 'postgres'])).stdout.trim()) : -1;
  const gid = asRoot ? Number((await run('id', ['-g', 'postgres'])).stdout.trim()) : -1;
  if (asRoot) {
    await chown(dir, uid, gid);
    await chmod(dir, 0o700);
  }
  const auth = ['-A', 'trust'];
  if (options.password !== undefined) {
    const pwfile = path.join(dir, 'pwfile');
    await writeFile(pwfile, `${options.password}\n`, { mode: 0o600 });
    if (asRoot) await chown(pwfile, uid, gid);
    auth.splice(0, 2, '-A', 'scram-sha-256', '--pwfile', pwfile);
  }
  await exec('initdb', ['-D', data, '-U', 'postgres', ...auth, '--no-sync', '-E', 'UTF8']);
  await exec('pg_ctl', [
    '-D',
    data,
    '-l',
    path.join(dir, 'server.log'),
    '-w',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off`,
    'start',
  ]);
  return {
    host: '127.0.0.1',
    port: port as number,
    user: 'postgres',
    database: 'postgres',
    async stop() {
      await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
