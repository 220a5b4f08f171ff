/**
 * CLI: `node dist/dev/azureml-emulator/main.js [--port 7443] [--state-dir .local/azureml-emulator] [--seed-demo] ...`
 * Runs the Azure ML workspace emulator until SIGINT/SIGTERM. See docs/azureml-emulator.md.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startAzureMlEmulator } from './index';

const USAGE = `Usage: azureml-emulator [options]
  --port <n>                 HTTPS port on 127.0.0.1 (default 7443, 0 = free port)
  --host <addr>              bind address (default 127.0.0.1)
  --state-dir <dir>          persist state here (default .local/azureml-emulator; --in-memory to disable)
  --in-memory                keep state in memory only
  --azurite <conn-string>    Azurite blob connection string (training data, seed data)
  --event-subscriber <url>   Event Grid webhook URL (repeatable)
  --seed-demo                create the bike-demand demo model, endpoints and pipelines
  --speed <x>                emulator clock speed multiplier (default 1)
  --lro-retry-after <s>      Retry-After seconds on LRO responses (default 1)
  --latency-profile <name>   fast (default) or azure: jobs and LROs take Azure-like minutes (pair with --speed)
  --loose                    accept unknown request fields
  --help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'state-dir': { type: 'string' },
      'in-memory': { type: 'boolean' },
      azurite: { type: 'string' },
      'event-subscriber': { type: 'string', multiple: true },
      'seed-demo': { type: 'boolean' },
      speed: { type: 'string' },
      'lro-retry-after': { type: 'string' },
      'latency-profile': { type: 'string' },
      loose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const number = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0)
      throw new RangeError(`--${name} must be a number >= 0, got '${value}'.`);
    return parsed;
  };
  const port = number('port', values.port);
  const speed = number('speed', values.speed);
  const retryAfter = number('lro-retry-after', values['lro-retry-after']);
  const profile = values['latency-profile'];
  if (profile !== undefined && profile !== 'fast' && profile !== 'azure')
    throw new RangeError(`--latency-profile must be fast or azure, got '${profile}'.`);
  const stateDir = values['in-memory']
    ? undefined
    : path.resolve(values['state-dir'] ?? path.join('.local', 'azureml-emulator'));
  const emulator = await startAzureMlEmulator({
    ...(port !== undefined ? { port } : {}),
    ...(values.host ? { host: values.host } : {}),
    ...(stateDir ? { stateDir } : {}),
    ...(values.azurite ? { azuriteConnectionString: values.azurite } : {}),
    eventSubscribers: (values['event-subscriber'] ?? []).map((url) => ({ url })),
    seedDemo: values['seed-demo'] ?? false,
    ...(speed !== undefined ? { clock: { speed } } : {}),
    ...(retryAfter !== undefined ? { lroRetryAfterSeconds: retryAfter } : {}),
    ...(profile !== undefined ? { latencyProfile: profile } : {}),
    loose: values.loose ?? false,
    log: (line) => console.error(`[azureml-emulator] ${line}`),
  });
  console.log(`Azure ML emulator listening on ${emulator.url}${stateDir ? ` (state: ${stateDir})` : ' (in memory)'}`);
  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  console.error(USAGE);
  process.exit(1);
});
