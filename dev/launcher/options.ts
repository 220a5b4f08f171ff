/**
 * Launcher settings: command-line flags, each with an environment-variable equivalent (flags win).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

export interface LauncherOptions {
  projectDir: string;
  appEntry: string;
  /** The function app directory: host.json and local.settings(.sample).json are read from here, as Core Tools does. */
  appDir: string;
  /** The repository's own app: demo data is seeded and the repository's event subscriptions apply. */
  demo: boolean;
  /** Event subscriptions were named (flag or environment): they apply to whatever app is served. */
  subscriptionsGiven: boolean;
  settingsFile: string | undefined;
  stateDir: string;
  hostPort: number;
  hostHttpsPort: number;
  blobPort: number;
  queuePort: number;
  tablePort: number;
  azuremlPort: number;
  azurite: boolean;
  azureml: boolean;
  blobWatcher: boolean;
  subscriptionsFile: string;
  pollIntervalMs: number;
}

/** Flag → environment variable, and the default. Printed by --help and listed in docs/local-platform.md. */
export const LAUNCHER_SETTINGS = [
  ['--port', 'DEVHOST_PORT', '7071', 'dev host HTTP port (functions, admin, webhooks)'],
  ['--https-port', 'DEVHOST_HTTPS_PORT', '7072', 'dev host HTTPS port (same routes; Application Insights ingestion)'],
  ['--blob-port', 'AZURITE_BLOB_PORT', '10000', 'Azurite blob port'],
  ['--queue-port', 'AZURITE_QUEUE_PORT', '10001', 'Azurite queue port'],
  ['--table-port', 'AZURITE_TABLE_PORT', '10002', 'Azurite table port'],
  ['--azureml-port', 'AZUREML_EMULATOR_PORT', '7443', 'Azure ML emulator HTTPS port'],
  ['--state-dir', 'LOCAL_STATE_DIR', '.local', 'local state: certs, Azurite data, emulator state, timers'],
  [
    '--app',
    'DEVHOST_APP',
    'dist/src/index.js',
    'compiled app: an entry file, or a folder with host.json and package.json "main" (then its host.json and settings apply and no demo data is seeded)',
  ],
  ['--settings', 'DEVHOST_SETTINGS', 'local.settings.json, else local.settings.sample.json', 'app settings file'],
  [
    '--subscriptions',
    'EVENT_SUBSCRIPTIONS_FILE',
    'dev/launcher/event-subscriptions.json',
    'local Event Grid subscriptions',
  ],
  ['--poll-interval', 'BLOB_WATCHER_POLL_MS', '500', 'blob watcher poll interval (ms)'],
  ['--no-azurite', 'LAUNCH_AZURITE=false', 'on', 'do not start Azurite (use one already running)'],
  ['--no-azureml', 'LAUNCH_AZUREML=false', 'on', 'do not start the Azure ML emulator'],
  ['--no-blob-watcher', 'LAUNCH_BLOB_WATCHER=false', 'on', 'do not turn blob changes into Event Grid events'],
] as const;

function port(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new RangeError(
      `${name} must be a port number (1-65535; fixed ports, the components are told each other's addresses before they start), got '${value}'`,
    );
  return n;
}

function enabled(flagOff: boolean | undefined, envValue: string | undefined): boolean {
  if (flagOff) return false;
  return envValue === undefined ? true : !/^(false|0|no|off)$/i.test(envValue);
}

export function parseLauncherOptions(
  argv: string[],
  env: NodeJS.ProcessEnv,
  projectDir: string,
): LauncherOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      port: { type: 'string' },
      'https-port': { type: 'string' },
      'blob-port': { type: 'string' },
      'queue-port': { type: 'string' },
      'table-port': { type: 'string' },
      'azureml-port': { type: 'string' },
      'state-dir': { type: 'string' },
      app: { type: 'string' },
      settings: { type: 'string' },
      subscriptions: { type: 'string' },
      'poll-interval': { type: 'string' },
      'no-azurite': { type: 'boolean' },
      'no-azureml': { type: 'boolean' },
      'no-blob-watcher': { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  const fromRoot = (p: string): string => path.resolve(projectDir, p);
  const defaultEntry = fromRoot('dist/src/index.js');
  const appEntry = fromRoot(values.app ?? env.DEVHOST_APP ?? 'dist/src/index.js');
  const demo = appEntry === defaultEntry;
  return {
    projectDir,
    appEntry,
    appDir: demo ? projectDir : functionAppDirectory(appEntry),
    demo,
    subscriptionsGiven: (values.subscriptions ?? env.EVENT_SUBSCRIPTIONS_FILE) !== undefined,
    settingsFile: values.settings ?? env.DEVHOST_SETTINGS,
    stateDir: fromRoot(values['state-dir'] ?? env.LOCAL_STATE_DIR ?? '.local'),
    hostPort: port(values.port ?? env.DEVHOST_PORT, 7071, 'DEVHOST_PORT'),
    hostHttpsPort: port(values['https-port'] ?? env.DEVHOST_HTTPS_PORT, 7072, 'DEVHOST_HTTPS_PORT'),
    blobPort: port(values['blob-port'] ?? env.AZURITE_BLOB_PORT, 10000, 'AZURITE_BLOB_PORT'),
    queuePort: port(values['queue-port'] ?? env.AZURITE_QUEUE_PORT, 10001, 'AZURITE_QUEUE_PORT'),
    tablePort: port(values['table-port'] ?? env.AZURITE_TABLE_PORT, 10002, 'AZURITE_TABLE_PORT'),
    azuremlPort: port(values['azureml-port'] ?? env.AZUREML_EMULATOR_PORT, 7443, 'AZUREML_EMULATOR_PORT'),
    azurite: enabled(values['no-azurite'], env.LAUNCH_AZURITE),
    azureml: enabled(values['no-azureml'], env.LAUNCH_AZUREML),
    blobWatcher: enabled(values['no-blob-watcher'], env.LAUNCH_BLOB_WATCHER),
    subscriptionsFile: fromRoot(
      values.subscriptions ?? env.EVENT_SUBSCRIPTIONS_FILE ?? 'dev/launcher/event-subscriptions.json',
    ),
    pollIntervalMs: Number(values['poll-interval'] ?? env.BLOB_WATCHER_POLL_MS ?? 500),
  };
}

/** The folder itself, or the nearest folder above the entry file that holds a host.json (else the entry's own). */
function functionAppDirectory(entry: string): string {
  if (fs.existsSync(entry) && fs.statSync(entry).isDirectory()) return entry;
  for (let dir = path.dirname(entry); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'host.json'))) return dir;
    if (path.dirname(dir) === dir) return path.dirname(entry);
  }
}

export function helpText(): string {
  const rows = LAUNCHER_SETTINGS.map(
    ([flag, env, def, what]) => `  ${flag.padEnd(18)} ${env.padEnd(28)} ${what} (default: ${def})`,
  );
  return [
    'Usage: npm start -- [flags]   (node dist/dev/launcher/main.js [flags])',
    '',
    '  flag               environment',
    ...rows,
  ].join('\n');
}
