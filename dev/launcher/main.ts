/**
 * `npm start`: the whole local platform in one process tree — local TLS certificates, Azurite, the Azure ML
 * emulator, the dev host (a child process, so it starts with NODE_EXTRA_CA_CERTS naming the local CA) and the blob
 * watcher that feeds Event Grid. Ctrl-C / SIGTERM stops everything in reverse order.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { seedLake } from '../demo/lake-seed';
import { type StorageEvents, readSubscriptions, startStorageEvents } from '../host/blob-watcher';
import { hostKeysFrom } from '../host/keys';
import { errorMessage } from '../host/log';
import { readLocalSettings } from '../host/settings';
import { extraCaCertsFile } from '../tools/ca-bundle';
import { helpText, type LauncherOptions, parseLauncherOptions } from './options';
import { pipeWithPrefix, portInUse, spawnNode, stopChild, waitForPort } from './processes';

const DEVSTORE_ACCOUNT = 'devstoreaccount1';
// The documented, public Azurite development account key.
const DEVSTORE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const LOCAL_IKEY = '00000000-0000-0000-0000-000000000000';

interface Certificates {
  caCertPath: string;
  certPath: string;
  keyPath: string;
}

interface CertsModule {
  ensureLocalCertificates(options?: { dir?: string }): Promise<Certificates>;
}

interface EmulatorModule {
  startAzureMlEmulator(
    options: Record<string, unknown>,
  ): Promise<{ url: string; port: number; close(): Promise<void> }>;
}

const log = (line: string): void => {
  process.stdout.write(`[launcher] ${line}\n`);
};

/** A sibling module of the compiled launcher, if it was built (components are developed independently). */
function optionalModule<T>(relative: string): T | undefined {
  const base = path.join(__dirname, '..', relative);
  if (!fs.existsSync(`${base}.js`) && !fs.existsSync(`${base}.ts`)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(base) as T;
}

function storageConnectionString(o: LauncherOptions): string {
  const base = 'http://127.0.0.1';
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEVSTORE_ACCOUNT}`,
    `AccountKey=${DEVSTORE_KEY}`,
    `BlobEndpoint=${base}:${o.blobPort}/${DEVSTORE_ACCOUNT}`,
    `QueueEndpoint=${base}:${o.queuePort}/${DEVSTORE_ACCOUNT}`,
    `TableEndpoint=${base}:${o.tablePort}/${DEVSTORE_ACCOUNT}`,
  ].join(';');
}

/**
 * App settings as the app should see them with the chosen ports: `UseDevelopmentStorage=true` only works on
 * Azurite's default ports, the emulator URL follows its port, and an empty Application Insights connection string
 * points at the dev host's ingestion sink.
 */
function appSettingsFor(
  o: LauncherOptions,
  values: Record<string, string>,
  emulatorUrl: string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  const defaultPorts = o.blobPort === 10000 && o.queuePort === 10001 && o.tablePort === 10002;
  for (const [name, value] of Object.entries(values)) {
    if (/^UseDevelopmentStorage=true$/i.test(value.trim()) && !defaultPorts) out[name] = storageConnectionString(o);
    else if (emulatorUrl && /^https:\/\/(127\.0\.0\.1|localhost):7443\/?$/.test(value.trim())) out[name] = emulatorUrl;
  }
  if (!values.APPLICATIONINSIGHTS_CONNECTION_STRING) {
    out.APPLICATIONINSIGHTS_CONNECTION_STRING = `InstrumentationKey=${LOCAL_IKEY};IngestionEndpoint=https://127.0.0.1:${o.hostHttpsPort}/`;
  }
  return out;
}

async function main(): Promise<number> {
  const projectDir = path.resolve(__dirname, '..', '..', '..');
  const parsed = parseLauncherOptions(process.argv.slice(2), process.env, projectDir);
  if (parsed === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const o = parsed;
  const stack: { name: string; stop: () => Promise<void> }[] = [];
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (why: string): Promise<void> => {
    shuttingDown ??= (async () => {
      log(`stopping (${why})`);
      for (const { name, stop } of stack.reverse()) {
        const began = Date.now();
        await stop().catch((e: unknown) => log(`${name} did not stop cleanly: ${errorMessage(e)}`));
        const took = Date.now() - began;
        if (took > 1000) log(`${name} took ${took} ms to stop`);
      }
      log('stopped');
    })();
    return shuttingDown;
  };
  let exitCode = 0;
  // Once started, a child that exits on its own takes the rest down: half a platform (a dev host without its storage,
  // say) would only answer with errors while looking alive.
  const stopWhenItExits = (child: ChildProcess, name: string): void => {
    child.on('exit', (code, signal) => {
      if (shuttingDown) return;
      log(`${name} exited unexpectedly (${signal ?? `code ${String(code)}`}); stopping everything`);
      exitCode = 1;
      process.kill(process.pid, 'SIGTERM');
    });
  };
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => void shutdown(signal).then(resolve));
    }
  });

  try {
    if (!fs.existsSync(o.appEntry)) throw new Error(`${o.appEntry} not found; build first (npm run build)`);
    const settings = readLocalSettings(o.appDir, o.settingsFile);
    log(`app settings from ${settings.file ? path.relative(projectDir, settings.file) : '(none)'}`);
    if (!o.demo) log(`app: ${o.appEntry} (function app directory ${o.appDir}; no demo data)`);
    const keys = hostKeysFrom(settings.devHost);

    // 1. Certificates for every local HTTPS endpoint (Azure ML emulator, the dev host's ingestion listener).
    const certsModule = optionalModule<CertsModule>('certs/local-ca');
    const certs = certsModule
      ? await certsModule.ensureLocalCertificates({ dir: path.join(o.stateDir, 'certs') })
      : undefined;
    if (!certs) log('dev/certs is not built: no local CA, HTTPS endpoints are disabled');

    // 2. Azurite.
    if (o.azurite) {
      for (const p of [o.blobPort, o.queuePort, o.tablePort]) {
        if (await portInUse(p))
          throw new Error(`port ${p} is in use (Azurite already running? use --no-azurite or other ports)`);
      }
      const azuriteBin = require.resolve('azurite/dist/src/azurite.js', { paths: [projectDir] });
      const location = path.join(o.stateDir, 'azurite');
      fs.mkdirSync(location, { recursive: true });
      // Through the guard, so Azurite exits with the launcher even if the launcher is killed outright.
      const azurite = spawnNode(
        path.join(__dirname, 'child-guard.js'),
        [
          azuriteBin,
          '--blobHost',
          '127.0.0.1',
          '--blobPort',
          String(o.blobPort),
          '--queueHost',
          '127.0.0.1',
          '--queuePort',
          String(o.queuePort),
          '--tableHost',
          '127.0.0.1',
          '--tablePort',
          String(o.tablePort),
          '--location',
          location,
          '--disableTelemetry',
          '--skipApiVersionCheck',
          '--silent',
        ],
        process.env,
        projectDir,
        true,
      );
      pipeWithPrefix(azurite, 'azurite');
      stack.push({ name: 'Azurite', stop: () => stopChild(azurite) });
      const azuriteExit = exitReason(azurite, 'Azurite');
      await Promise.all([o.blobPort, o.queuePort, o.tablePort].map((p) => waitForPort(p, 30_000, azuriteExit)));
      log(
        `Azurite: blob ${o.blobPort}, queue ${o.queuePort}, table ${o.tablePort} (data in ${path.relative(projectDir, location)}, pid ${String(azurite.pid)})`,
      );
      stopWhenItExits(azurite, 'Azurite');
      // Demo input for batch scoring: the day the daily schedule scores (yesterday), unless it is already there.
      if (o.demo) {
        const written = await seedLake({ connectionString: storageConnectionString(o) });
        log(
          written.length > 0
            ? `demo lake: seeded ${written.length} input files under lake/bike-demand/incoming/`
            : 'demo lake: input already present',
        );
      }
    }

    // 3. Azure ML emulator, delivering its events to the dev host's Event Grid webhook.
    let emulatorUrl: string | undefined;
    const emulatorModule = o.azureml ? optionalModule<EmulatorModule>('azureml-emulator/index') : undefined;
    if (o.azureml && !emulatorModule) log('Azure ML emulator: dev/azureml-emulator is not built, skipped');
    if (emulatorModule) {
      const subscriptions = fs.existsSync(o.subscriptionsFile)
        ? readSubscriptions(o.subscriptionsFile).subscriptions
        : [];
      const eventSubscribers = subscriptions
        .filter((s) => s.source === 'azureml')
        .map((s) => ({
          name: s.name.toUpperCase(),
          url: `http://127.0.0.1:${o.hostPort}/runtime/webhooks/eventgrid?functionName=${encodeURIComponent(s.functionName)}&code=${encodeURIComponent(keys.system.eventgrid_extension ?? '')}`,
        }));
      const emulator = await emulatorModule.startAzureMlEmulator({
        port: o.azuremlPort,
        stateDir: path.join(o.stateDir, 'azureml-emulator'),
        ...(certs ? { certs: { certPath: certs.certPath, keyPath: certs.keyPath } } : {}),
        azuriteConnectionString: storageConnectionString(o),
        eventSubscribers,
        seedDemo: o.demo,
        log: (line: string) => process.stdout.write(`[azureml] ${line}\n`),
      });
      emulatorUrl = emulator.url;
      stack.push({ name: 'Azure ML emulator', stop: () => emulator.close() });
      log(`Azure ML emulator: ${emulator.url}`);
    }

    // 4. The dev host, as a child so NODE_EXTRA_CA_CERTS is in place when its Node process starts.
    const hostEnv: NodeJS.ProcessEnv = {
      ...process.env,
      ...appSettingsFor(o, settings.values, emulatorUrl),
      ...(certs ? { NODE_EXTRA_CA_CERTS: extraCaCertsFile(certs.caCertPath) } : {}),
    };
    const hostArgs = [
      '--app',
      o.appEntry,
      '--project-dir',
      o.appDir,
      '--port',
      String(o.hostPort),
      '--state-dir',
      path.join(o.stateDir, 'devhost'),
    ];
    if (o.settingsFile) hostArgs.push('--settings', path.resolve(o.appDir, o.settingsFile));
    if (certs) hostArgs.push('--https-port', String(o.hostHttpsPort), '--cert', certs.certPath, '--key', certs.keyPath);
    const host = spawnNode(path.join(__dirname, '..', 'host', 'main.js'), hostArgs, hostEnv, projectDir, true);
    pipeWithPrefix(host, 'host');
    stack.push({ name: 'dev host', stop: () => stopChild(host) });
    await new Promise<void>((resolve, reject) => {
      host.once('message', () => resolve());
      host.once('exit', (code) => reject(new Error(`the dev host exited during startup (code ${String(code)})`)));
    });
    stopWhenItExits(host, 'the dev host');

    // 5. Blob changes → Event Grid → the app's storage-triggered functions.
    // The repository's subscriptions belong to its demo app; another app gets storage events from the ones it names.
    if (o.blobWatcher && o.azurite && (o.demo || o.subscriptionsGiven) && fs.existsSync(o.subscriptionsFile)) {
      const lake = settings.values.LAKE_STORAGE;
      const watched = !lake || /^UseDevelopmentStorage=true$/i.test(lake.trim()) ? storageConnectionString(o) : lake;
      const storageEvents: StorageEvents = await startStorageEvents({
        subscriptionsFile: o.subscriptionsFile,
        storageConnectionString: watched,
        hostUrl: `http://127.0.0.1:${o.hostPort}`,
        eventGridKey: keys.system.eventgrid_extension ?? '',
        stateFile: path.join(o.stateDir, 'blob-watcher', 'state.json'),
        pollIntervalMs: o.pollIntervalMs,
        // The catalog the app loads (an environment variable wins over local settings, as for the app itself).
        catalogPath: path.resolve(
          o.appDir,
          process.env.MLOPS_CATALOG_PATH ?? settings.values.MLOPS_CATALOG_PATH ?? 'catalog.json',
        ),
        log: (line) => process.stdout.write(`[events] ${line}\n`),
      });
      stack.push({ name: 'blob watcher', stop: () => storageEvents.stop() });
    }

    // A crash of the app is `kill -9` of these two; `npm start` on the same state resumes (docs/local-platform.md).
    log(`launcher pid ${process.pid}, dev host pid ${String(host.pid)}`);
    log(`ready: http://127.0.0.1:${o.hostPort}  (status: curl http://127.0.0.1:${o.hostPort}/admin/host/status)`);
    log(
      `MasterKey is DevHost.MasterKey in local.settings.json (default '${keys.master === 'local-master-key' ? 'local-master-key' : '<custom>'}')`,
    );
  } catch (error) {
    log(`startup failed: ${errorMessage(error)}`);
    await shutdown('startup failure');
    return 1;
  }
  await stopped;
  return exitCode;
}

function exitReason(child: ChildProcess, name: string): () => string | undefined {
  let reason: string | undefined;
  child.once('exit', (code) => (reason = `${name} exited with code ${String(code)}`));
  return () => reason;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
