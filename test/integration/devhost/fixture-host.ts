import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';

import { type DevHost, type DevHostOptions, startDevHost } from '../../../dev/host/dev-host';

export const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'apps');

/** Starts the dev host on a free port for a fixture app under test/fixtures/apps, collecting its log lines. */
export async function startFixtureHost(
  fixture: string,
  options: Partial<DevHostOptions> = {},
): Promise<{ host: DevHost; logs: string[] }> {
  const logs: string[] = [];
  const appDir = path.join(FIXTURES, fixture);
  const host = await startDevHost({
    appEntry: appDir,
    projectDir: appDir,
    port: 0,
    stateDir: fs.mkdtempSync(path.join(os.tmpdir(), 'devhost-state-')),
    log: (line) => logs.push(line),
    ...options,
  });
  return { host, logs };
}

export function withKey(url: string, key: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}code=${encodeURIComponent(key)}`;
}
