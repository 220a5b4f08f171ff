// Shared environment of the batch-scoring integration and orchestration tests: Azurite, the Azure ML emulator with
// the seeded bike-demand online endpoint, and the real activity dependencies pointed at both.
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';

import {
  RESOURCE_GROUP,
  type RunningAzureMlEmulator,
  startAzureMlEmulator,
  SUBSCRIPTION_ID,
  WORKSPACE,
} from '../../../dev/azureml-emulator';
import { generateBikeDemandCsv } from '../../../dev/demo/bike-data';
import type { BatchDeps } from '../../../src/activities/batch-activities';
import { parseCatalog, type BatchSpec } from '../../../src/catalog';
import { armEndpointResolver } from '../../../src/services/batch/endpoint-resolver';
import type { CommonDimensions, Telemetry } from '../../../src/telemetry';
import { type AzuriteBlob, startAzuriteBlob } from '../../support/azurite';

export const staticCredential: TokenCredential = {
  getToken: (): Promise<AccessToken> =>
    Promise.resolve({ token: 'local-test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

export interface RecordedTelemetry extends Telemetry {
  readonly events: { name: string; dimensions: CommonDimensions; measurements?: Record<string, number> }[];
  readonly metrics: { name: string; value: number }[];
}

export function recordingTelemetry(): RecordedTelemetry {
  const events: RecordedTelemetry['events'] = [];
  const metrics: RecordedTelemetry['metrics'] = [];
  return {
    events,
    metrics,
    trackEvent: (name, dimensions, measurements) => events.push({ name, dimensions, measurements }),
    trackMetric: (name, value) => metrics.push({ name, value }),
    trackException: () => undefined,
    flush: () => Promise.resolve(),
  };
}

export interface BatchEnv {
  readonly azurite: AzuriteBlob;
  readonly emulator: RunningAzureMlEmulator;
  readonly lake: ContainerClient;
  readonly deps: BatchDeps;
  readonly telemetry: RecordedTelemetry;
  control(method: string, path: string, body?: unknown): Promise<Response>;
  stop(): Promise<void>;
}

export async function startBatchEnv(): Promise<BatchEnv> {
  const azurite = await startAzuriteBlob();
  const emulator = await startAzureMlEmulator({
    port: 0,
    azuriteConnectionString: azurite.connectionString,
    seedDemo: true,
    lroRetryAfterSeconds: 0,
  });
  const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  const lake = service.getContainerClient('lake');
  await lake.createIfNotExists();
  const arm = new AzureMachineLearningWorkspaces(staticCredential, SUBSCRIPTION_ID, { endpoint: emulator.url });
  const telemetry = recordingTelemetry();
  const deps: BatchDeps = {
    lake: (name) => service.getContainerClient(name),
    resolver: armEndpointResolver(arm, { resourceGroup: RESOURCE_GROUP, workspace: WORKSPACE }),
    telemetry,
  };
  return {
    azurite,
    emulator,
    lake,
    deps,
    telemetry,
    control: (method, path, body) =>
      fetch(`${emulator.url}/_emulator${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    async stop() {
      await emulator.close();
      await azurite.stop();
    },
  };
}

/** The catalog's batch spec for bike-demand with test overrides (prefixes unique per test). */
export function bikeSpec(overrides: Partial<BatchSpec> & { inputPrefix: string; outputPrefix: string }): BatchSpec {
  const catalog = parseCatalog({
    models: [
      {
        name: 'bike-demand',
        training: {
          kind: 'batchEndpoint',
          endpoint: 'bike-demand-train',
          experiment: 'e',
          datasetInput: 'training_data',
        },
        gate: { metrics: [{ name: 'rmse', goal: 'minimize' }] },
        registry: { modelName: 'bike-demand' },
        deployment: { endpoint: 'bike-demand', smokeSample: {} },
        batch: { inputPrefix: overrides.inputPrefix, outputPrefix: overrides.outputPrefix },
      },
    ],
  });
  const base = catalog.models[0]?.batch as BatchSpec;
  return { ...base, ...overrides };
}

/** Uploads bike-demand CSV files with the given row counts under `<prefix>date=<date>/`. */
export async function seedCsv(
  lake: ContainerClient,
  prefix: string,
  date: string,
  rowCounts: readonly number[],
  seed = 1,
): Promise<number> {
  let total = 0;
  for (const [i, rows] of rowCounts.entries()) {
    const text = generateBikeDemandCsv({ rows, seed: seed + i });
    await lake
      .getBlockBlobClient(`${prefix}date=${date}/part-${String(i).padStart(3, '0')}.csv`)
      .upload(text, Buffer.byteLength(text));
    total += rows;
  }
  return total;
}

export async function blobText(lake: ContainerClient, name: string): Promise<string> {
  return (await lake.getBlobClient(name).downloadToBuffer()).toString('utf8');
}

export async function listNames(lake: ContainerClient, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const b of lake.listBlobsFlat({ prefix })) names.push(b.name.slice(prefix.length));
  return names.sort();
}

let counter = 0;
/** Unique input/output prefixes per test. */
export function uniquePrefixes(label: string): { inputPrefix: string; outputPrefix: string } {
  counter += 1;
  const base = `t${process.pid}-${counter}-${label}/`;
  return { inputPrefix: `${base}incoming/`, outputPrefix: `${base}scores/` };
}
