/**
 * Composition root of batch scoring: builds its dependencies from the validated config once, and registers its
 * orchestrations, activities and schedule timers (the backfill operation is part of the operations API).
 */
import * as df from 'durable-functions';

import { type BatchDeps, registerBatchActivities } from '../activities/batch-activities';
import { createCredential } from '../azureml/credential';
import { createArmClient, createWorkspace } from '../azureml/workspace';
import { createStateStores } from '../state';
import { postgresPool } from '../storage/postgres-table';
import type { TokenCredential } from '@azure/identity';
import type { Pool } from 'pg';
import type { Catalog } from '../catalog';
import type { AppConfig } from '../config';
import type { AppContext } from './context';
import { registerBatchTimers } from '../functions/timer/batch-schedule';
import { BatchOrchestrations, batchChunkOrchestrator, batchRunOrchestrator } from '../orchestrations/batch-run';
import { armEndpointResolver } from '../services/batch/endpoint-resolver';
import { createBlobServiceClient } from '../storage/blob-service';
import { createTelemetry, type Telemetry } from '../telemetry';

/** The PostgreSQL pool for table outputs, built on first use; none when the server is not configured. */
function postgresOf(config: AppConfig, credential: TokenCredential): Pick<BatchDeps, 'postgres'> {
  const connection = config.postgres;
  if (!connection) return {};
  let pool: Pool | undefined;
  return { postgres: () => (pool ??= postgresPool(connection, credential)) };
}

export function buildBatchDeps(config: AppConfig, telemetry?: Telemetry, catalog?: Catalog): BatchDeps {
  const credential = createCredential(config);
  const lake = createBlobServiceClient(config.lakeStorage, credential);
  const arm = createArmClient(config, credential);
  const hostBlobs = createBlobServiceClient(config.hostStorage, credential);
  return {
    lake: (container) => lake.getContainerClient(container),
    ws: createWorkspace(config, credential, { arm }),
    submissions: createStateStores(hostBlobs.getContainerClient(config.stateContainer)).submissions,
    ...postgresOf(config, credential),
    resolver: armEndpointResolver(arm, {
      resourceGroup: config.azureml.resourceGroup,
      workspace: config.azureml.workspace,
      credential,
    }),
    telemetry: telemetry ?? createTelemetry(config.telemetry.connectionString, config.telemetry.entraAuthentication),
    ...(catalog ? { catalog } : {}),
  };
}

/**
 * Batch dependencies over the shared app context (one credential, one lake client, one ARM client and one telemetry
 * client for the whole app). Prefer this to `buildBatchDeps` in the app; `buildBatchDeps` stays for callers that
 * have only a config.
 */
export function batchDepsFrom(context: AppContext): BatchDeps {
  return {
    lake: (container) => context.lakeBlobs.getContainerClient(container),
    ws: context.workspace,
    submissions: context.state.submissions,
    ...postgresOf(context.config, context.credential),
    resolver: armEndpointResolver(context.workspace.arm, {
      resourceGroup: context.config.azureml.resourceGroup,
      workspace: context.config.azureml.workspace,
      credential: context.credential,
    }),
    telemetry: context.telemetry,
    catalog: context.catalog,
  };
}

/** Registers every batch-scoring function. `deps` is called on first activity use. */
export function registerBatchFunctions(options: { catalog: Catalog; deps: () => BatchDeps }): void {
  df.app.orchestration(BatchOrchestrations.run, batchRunOrchestrator);
  df.app.orchestration(BatchOrchestrations.chunk, batchChunkOrchestrator);
  registerBatchActivities(options.deps);
  registerBatchTimers(options.catalog);
}
