/**
 * Command line entry of the dev host (the launcher runs it as a child process).
 *
 *   node dist/dev/host/main.js [--app <entry>] [--project-dir <dir>] [--port <n>] [--settings <file>]
 *                              [--https-port <n> --cert <pem> --key <pem>] [--state-dir <dir>]
 *
 * Environment equivalents: DEVHOST_APP, DEVHOST_PROJECT_DIR, DEVHOST_PORT, DEVHOST_SETTINGS, DEVHOST_HTTPS_PORT,
 * DEVHOST_CERT, DEVHOST_KEY, DEVHOST_STATE_DIR. Flags win over the environment.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';

import { startDevHost } from './dev-host';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      app: { type: 'string' },
      'project-dir': { type: 'string' },
      port: { type: 'string' },
      settings: { type: 'string' },
      'https-port': { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      'state-dir': { type: 'string' },
    },
  });
  const env = process.env;
  const projectDir = path.resolve(values['project-dir'] ?? env.DEVHOST_PROJECT_DIR ?? process.cwd());
  const app = values.app ?? env.DEVHOST_APP ?? projectDir;
  const port = values.port ?? env.DEVHOST_PORT;
  const httpsPort = values['https-port'] ?? env.DEVHOST_HTTPS_PORT;
  const cert = values.cert ?? env.DEVHOST_CERT;
  const key = values.key ?? env.DEVHOST_KEY;
  const host = await startDevHost({
    appEntry: app,
    projectDir,
    settingsFile: values.settings ?? env.DEVHOST_SETTINGS,
    port: port === undefined ? undefined : Number(port),
    https:
      httpsPort !== undefined && cert && key ? { port: Number(httpsPort), certPath: cert, keyPath: key } : undefined,
    stateDir: values['state-dir'] ?? env.DEVHOST_STATE_DIR,
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`Dev host stopping (${signal})\n`);
    host.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // The launcher talks to us over IPC when it spawned us that way; a closed channel means it is gone, and so is the
  // reader of our output pipes: writing there must not crash the host while it stops.
  process.on('disconnect', () => {
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
    stop('parent exited');
  });
  if (process.send) process.send({ type: 'ready', url: host.url, httpsUrl: host.httpsUrl, port: host.port });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
