import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { type DevHost, type DevHostOptions, startDevHost } from '../../dev/host/dev-host';

export interface TestDevHost {
  host: DevHost;
  /** Every line the host logged, in order. */
  logs: string[];
}

/**
 * Starts the dev host in this process on a free port, with a throw-away state directory and its log captured.
 * `appEntry` defaults to the compiled product app (dist/src/index.js; build first). Close it with `host.close()`.
 *
 * @remarks App settings given here are written to the process environment (the app reads them there) for as long as
 * the host runs; closing it puts the environment back.
 */
export async function startTestDevHost(options: Partial<DevHostOptions> = {}): Promise<TestDevHost> {
  const root = path.resolve(__dirname, '..', '..');
  const logs: string[] = [];
  const host = await startDevHost({
    appEntry: path.join(root, 'dist', 'src', 'index.js'),
    projectDir: root,
    port: 0,
    stateDir: fs.mkdtempSync(path.join(os.tmpdir(), 'devhost-state-')),
    log: (line) => logs.push(line),
    ...options,
  });
  return { host, logs };
}
