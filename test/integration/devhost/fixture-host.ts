import path from 'node:path';

import type { DevHostOptions } from '../../../dev/host/dev-host';
import { startTestDevHost, type TestDevHost } from '../../support/dev-host';

export const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'apps');

/** Starts the dev host on a free port for a fixture app under test/fixtures/apps. */
export function startFixtureHost(fixture: string, options: Partial<DevHostOptions> = {}): Promise<TestDevHost> {
  const appDir = path.join(FIXTURES, fixture);
  return startTestDevHost({ appEntry: appDir, projectDir: appDir, ...options });
}

export function withKey(url: string, key: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}code=${encodeURIComponent(key)}`;
}
