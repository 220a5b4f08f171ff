import path from 'node:path';

import type { TokenCredential } from '@azure/identity';
import type { BlobServiceClient } from '@azure/storage-blob';

import { createCredential } from '../azureml/credential';
import { type AzureMlWorkspace, createWorkspace } from '../azureml/workspace';
import { type WorkspaceResolver, workspaceResolver } from '../azureml/workspaces';
import { type Catalog, loadCatalog } from '../catalog';
import { type AppConfig, getConfig } from '../config';
import { createStateStores, type StateStores } from '../state';
import { createBlobServiceClient } from '../storage/blob-service';
import { createTelemetry, type Telemetry } from '../telemetry';

/**
 * The composition root's shared pieces, built once per process on first use: validated config, catalog, the one
 * credential, blob clients, the Azure ML workspace clients, the state stores and telemetry.
 */
export interface AppContext {
  readonly config: AppConfig;
  readonly catalog: Catalog;
  readonly credential: TokenCredential;
  readonly hostBlobs: BlobServiceClient;
  readonly lakeBlobs: BlobServiceClient;
  readonly workspace: AzureMlWorkspace;
  /** The workspace of a promotion stage (the app's own without coordinates). */
  readonly workspaces: WorkspaceResolver;
  readonly state: StateStores;
  readonly telemetry: Telemetry;
}

/** The function app root (host.json, catalog.json): dist/src/app → app root. */
export const APP_ROOT = path.resolve(__dirname, '..', '..', '..');

export function buildAppContext(config: AppConfig, options: { appRoot?: string; catalog?: Catalog } = {}): AppContext {
  const credential = createCredential(config);
  const hostBlobs = createBlobServiceClient(config.hostStorage, credential);
  const workspace = createWorkspace(config, credential);
  return {
    config,
    catalog: options.catalog ?? loadCatalog(config.catalogPath, options.appRoot ?? APP_ROOT),
    credential,
    hostBlobs,
    lakeBlobs: createBlobServiceClient(config.lakeStorage, credential),
    workspace,
    workspaces: workspaceResolver(config, credential, workspace),
    state: createStateStores(hostBlobs.getContainerClient(config.stateContainer)),
    telemetry: createTelemetry(config.telemetry.connectionString, config.telemetry.entraAuthentication),
  };
}

let cached: AppContext | undefined;

/** The process-wide context (config and catalog are validated here: invalid ones fail the first use loudly). */
export function getAppContext(): AppContext {
  cached ??= buildAppContext(getConfig());
  return cached;
}
