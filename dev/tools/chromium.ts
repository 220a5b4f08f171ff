/**
 * Headless Chromium for the dashboard's browser tests and screenshots: Debian's `chromium` package driven by
 * playwright-core (no browser download; `.ci/run` installs the package when it is missing).
 */
import fs from 'node:fs';

import { type Browser, chromium } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/**
 * This machine's network is closed: without the background-networking flags Chromium keeps trying Google's
 * services at every start. --no-sandbox because CI runs as root.
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** CHROMIUM_PATH, else the Debian package's binary. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const found = [env.CHROMIUM_PATH, ...CANDIDATES].find((p): p is string => Boolean(p) && fs.existsSync(p ?? ''));
  if (!found) {
    throw new Error(
      "No Chromium found: install Debian's package (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH",
    );
  }
  return found;
}

/** A headless Chromium; playwright gives each launch a new, empty profile and removes it on close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_FLAGS });
}
