/**
 * Programmatic entry point of the Azure ML workspace emulator (see docs/azureml-emulator.md).
 *
 * @example
 * const emulator = await startAzureMlEmulator({ port: 0, lroRetryAfterSeconds: 0 });
 * const client = new AzureMachineLearningWorkspaces(credential, SUBSCRIPTION_ID, { endpoint: emulator.url });
 */
import { AzureMlEmulator, type AzureMlEmulatorOptions } from './server';

export { RESOURCE_GROUP, SUBSCRIPTION_ID, WORKSPACE, REGION, WORKSPACE_ID } from './arm';
export type { EmulatorClockOptions } from './clock';
export type { DeliveryRecord, EventGridEvent, EventSubscriber } from './events';
export type { ScoringCall } from './handlers/scoring';
export {
  BIKE_DEMAND_BATCH_DEPLOYMENT,
  BIKE_DEMAND_BATCH_ENDPOINT,
  BIKE_DEMAND_COMPONENT_ID,
  BIKE_DEMAND_DATA_ASSET,
  BIKE_DEMAND_DATASET_CONTAINER,
  BIKE_DEMAND_DATASET_PATH,
  BIKE_DEMAND_MODEL,
  BIKE_DEMAND_ONLINE_DEPLOYMENT,
  BIKE_DEMAND_ONLINE_ENDPOINT,
  BIKE_DEMAND_PIPELINE_ENDPOINT_ID,
  BIKE_DEMAND_SEED_JOB,
  DEMO_PROD_WORKSPACE,
  DEMO_REGISTRY,
} from './seed';
export type { RegistryRef, WorkspaceRef } from './workspaces';
export { DEFAULT_STEPS, type AzureMlEmulatorOptions } from './server';
export type { StepDurations } from './state';

export interface RunningAzureMlEmulator {
  /** `https://127.0.0.1:<port>`: the ARM `endpoint` and the host of every data plane. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  /** Clears all state (and the state file); re-seeds when `seedDemo` was set. */
  reset(): Promise<void>;
}

export async function startAzureMlEmulator(options: AzureMlEmulatorOptions = {}): Promise<RunningAzureMlEmulator> {
  const emulator = await AzureMlEmulator.create(options);
  const { url, port } = await emulator.start();
  return { url, port, close: () => emulator.close(), reset: () => emulator.reset() };
}
