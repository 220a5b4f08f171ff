/**
 * `npm start` runs Azurite through `dev/launcher/child-guard` so that Azurite exits when the launcher dies, even of
 * SIGKILL. Azurite plays Azure Storage, which does not lose a write it acknowledged when a client crashes: Azurite
 * keeps its databases in memory between saves every 5 s, so the guard must let it shut down (and save) rather than
 * cut it off.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';

import { DEVSTORE_ACCOUNT, DEVSTORE_KEY } from '../../support/azurite';
import { anyPortInUse, freePorts } from '../../support/free-port';
import { waitFor } from '../../support/wait-for';

jest.setTimeout(60_000);

const root = path.resolve(__dirname, '..', '..', '..');
const GUARD = path.join(root, 'dist', 'dev', 'launcher', 'child-guard.js');

/** A stand-in for the launcher: starts the guard with Azurite as the launcher does (pipes + IPC) and reports ready. */
const PARENT = `
const { spawn } = require('node:child_process');
const [guard, azurite, ...args] = process.argv.slice(1);
const child = spawn(process.execPath, [guard, azurite, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
child.stdout.on('data', (chunk) => { if (String(chunk).includes('Table service is successfully listening')) process.send('ready'); });
child.stderr.resume();
`;

describe('launcher child guard', () => {
  let location: string;
  let ports: [number, number, number];
  let launcher: ChildProcess | undefined;

  const startLauncher = async (): Promise<ChildProcess> => {
    const azurite = require.resolve('azurite/dist/src/azurite.js', { paths: [root] });
    const [blob, queue, table] = ports.map(String) as [string, string, string];
    const args = ['--blobPort', blob, '--queuePort', queue, '--tablePort', table, '--location', location];
    const child = spawn(
      process.execPath,
      ['-e', PARENT, GUARD, azurite, ...args, '--disableTelemetry', '--skipApiVersionCheck'],
      { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
    );
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the stand-in launcher exited (${String(code)})`)));
    });
    launcher = child;
    return child;
  };

  const kill = async (child: ChildProcess): Promise<void> => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await waitFor(async () => !(await anyPortInUse(ports)), {
      timeoutMs: 20_000,
      description: 'Azurite to exit with its launcher',
    });
  };

  beforeEach(async () => {
    location = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-azurite-'));
    ports = (await freePorts(3)) as [number, number, number];
  });
  afterEach(async () => {
    if (launcher && launcher.exitCode === null && launcher.signalCode === null) await kill(launcher);
    fs.rmSync(location, { recursive: true, force: true });
  });

  it('when the launcher is killed with SIGKILL right after Azurite acknowledged writes, then Azurite exits and the writes are there after a restart', async () => {
    const first = await startLauncher();
    const connection = [
      `DefaultEndpointsProtocol=http;AccountName=${DEVSTORE_ACCOUNT};AccountKey=${DEVSTORE_KEY}`,
      `BlobEndpoint=http://127.0.0.1:${ports[0]}/${DEVSTORE_ACCOUNT}`,
      `TableEndpoint=http://127.0.0.1:${ports[2]}/${DEVSTORE_ACCOUNT}`,
    ].join(';');
    const blobs = BlobServiceClient.fromConnectionString(connection).getContainerClient('guarded');
    const table = TableClient.fromConnectionString(connection, 'GuardedTable', { allowInsecureConnection: true });
    await blobs.create();
    await blobs.getBlockBlobClient('state.json').upload('{"ok":true}', 11);
    await table.createTable();
    await table.createEntity({ partitionKey: 'instance-1', rowKey: '', runtimeStatus: 'Running' });

    await kill(first);
    await startLauncher();

    expect((await blobs.getBlockBlobClient('state.json').downloadToBuffer()).toString()).toBe('{"ok":true}');
    expect(await table.getEntity('instance-1', '')).toMatchObject({ runtimeStatus: 'Running' });
  });
});
