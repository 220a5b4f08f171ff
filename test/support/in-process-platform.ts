import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { type RunningAzureMlEmulator, startAzureMlEmulator } from '../../dev/azureml-emulator';
import { type DevHost, startDevHost } from '../../dev/host/dev-host';
import { type AzuriteBlob, startAzuriteBlob } from './azurite';

export interface InProcessPlatform {
  readonly azurite: AzuriteBlob;
  readonly emulator: RunningAzureMlEmulator;
  readonly host: DevHost;
  /** The host's state directory (throw-away). */
  readonly dir: string;
  stop(): Promise<void>;
}

const root = path.resolve(__dirname, '..', '..');

/**
 * Azurite, the seeded Azure ML emulator and the dev host running the compiled product app, all in this process on
 * free ports (what `npm start` runs, minus the blob watcher and timers). `appSettings` add to or override the
 * wiring settings.
 */
export async function startInProcessPlatform(options: {
  name: string;
  appSettings?: Record<string, string>;
  log?: (line: string) => void;
}): Promise<InProcessPlatform> {
  const azurite = await startAzuriteBlob();
  const emulator = await startAzureMlEmulator({
    port: 0,
    azuriteConnectionString: azurite.connectionString,
    seedDemo: true,
    lroRetryAfterSeconds: 0,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${options.name}-`));
  const host = await startDevHost({
    appEntry: root,
    projectDir: root,
    port: 0,
    timers: false,
    stateDir: dir,
    log: options.log ?? (() => {}),
    appSettings: {
      AzureWebJobsStorage: azurite.connectionString,
      LAKE_STORAGE: azurite.connectionString,
      AZUREML_ARM_ENDPOINT: emulator.url,
      AZUREML_DATAPLANE_ENDPOINT: emulator.url,
      APPLICATIONINSIGHTS_CONNECTION_STRING: '',
      ...options.appSettings,
    },
  });
  return {
    azurite,
    emulator,
    host,
    dir,
    stop: async () => {
      await host.close();
      await emulator.close();
      await azurite.stop();
    },
  };
}
