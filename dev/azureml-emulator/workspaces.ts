/**
 * Several workspaces (and registries) on one emulator, as one Azure AD tenant has workspaces in several resource
 * groups and subscriptions: each workspace owns its jobs, models, data, endpoints and MLflow runs.
 *
 * @remarks A request's workspace comes from its ARM route (`/subscriptions/{s}/resourceGroups/{rg}/.../workspaces/{ws}`);
 * the server runs the handler inside that workspace's scope (AsyncLocalStorage), and the state store hands out the
 * scope's collections, so handlers and the engine read `store.data.jobs` etc. as if there were one workspace. Work
 * that outlives the request (training, model loads) keeps the scope it started in (async context propagates); the
 * engine's background tick enters each workspace's scope in turn.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export const SUBSCRIPTION_ID = '00000000-0000-0000-0000-000000000000';
export const RESOURCE_GROUP = 'local';
export const WORKSPACE = 'local';
export const PROVIDER = 'Microsoft.MachineLearningServices';

export interface WorkspaceRef {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspace: string;
}

export interface RegistryRef {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
}

/** The workspace every emulator serves (the app's own, `AZUREML_*` defaults). */
export const DEFAULT_WORKSPACE: WorkspaceRef = {
  subscriptionId: SUBSCRIPTION_ID,
  resourceGroup: RESOURCE_GROUP,
  workspace: WORKSPACE,
};

/** ARM names compare case-insensitively. */
export function workspaceKey(ref: WorkspaceRef): string {
  return `${ref.subscriptionId}/${ref.resourceGroup}/${ref.workspace}`.toLowerCase();
}

export const DEFAULT_WORKSPACE_KEY = workspaceKey(DEFAULT_WORKSPACE);

export function workspaceArmId(ref: WorkspaceRef): string {
  return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/${PROVIDER}/workspaces/${ref.workspace}`;
}

export function registryArmId(ref: RegistryRef): string {
  return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/${PROVIDER}/registries/${ref.name}`;
}

const scope = new AsyncLocalStorage<WorkspaceRef>();

/** The workspace of the request or background step being served; the default workspace outside any. */
export function currentWorkspace(): WorkspaceRef {
  return scope.getStore() ?? DEFAULT_WORKSPACE;
}

export function inWorkspace<T>(ref: WorkspaceRef, fn: () => T): T {
  return scope.run(ref, fn);
}
