/**
 * The azd hooks of azure.yaml, in one cross-platform Node program (the posix and Windows hook entries both run it).
 *
 *   node dist/infra/scripts/azd-hooks.js preprovision | prepackage | postdeploy | predown
 *
 * @remarks azd passes the environment's values (`.azure/<env>/.env`, including the last provision's outputs) to
 * hooks as environment variables and re-reads the environment after each hook, so values set here with
 * `azd env set` reach the parameters of the provision that follows (azd `pkg/ext/hooks_runner.go`; parameters are
 * substituted after the `preprovision` hook, the template itself was compiled before it). Azure Resource Manager is
 * called with the token azd itself holds (`AzureDeveloperCliCredential`), so no Azure CLI is needed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { AzureDeveloperCliCredential, type TokenCredential } from '@azure/identity';

import { loadCatalog } from '../../src/catalog/load';
import { datasetFilters, renderDatasetFilters } from './dataset-filters';
import { stagePackage } from './package-app';

export class HookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HookError';
  }
}

/** The azd commands the hooks use. */
export interface Azd {
  envSet(name: string, value: string): void;
  provision(): boolean;
}

/** Minimal Azure Resource Manager client: absolute resource paths, JSON bodies; GET/DELETE of a missing resource is `undefined`/false. */
export interface Arm {
  get<T>(resourcePath: string, apiVersion: string): Promise<T | undefined>;
  post<T>(resourcePath: string, apiVersion: string, body?: unknown): Promise<T | undefined>;
  delete(resourcePath: string, apiVersion: string): Promise<boolean>;
}

export interface HookDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly root: string;
  readonly azd: Azd;
  readonly arm: Arm;
  readonly log: (line: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
}

export const API = {
  eventGrid: '2025-02-15',
  keyVault: '2023-07-01',
  web: '2024-04-01',
  /** configreferences is served from this version on (App Service REST, WebApps_GetAppSettingsKeyVaultReferences). */
  webConfigReferences: '2022-03-01',
  machineLearning: '2024-10-01',
  authorization: '2022-04-01',
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Real azd and ARM

export function realAzd(log: (line: string) => void): Azd {
  const run = (args: string[]): boolean => {
    log(`azd ${args.join(' ')}`);
    const result = spawnSync('azd', args, { stdio: 'inherit', shell: process.platform === 'win32' });
    return result.status === 0;
  };
  return {
    envSet: (name, value) => {
      // Not echoed: values may be long (JSON) and the command line is printed by azd itself on failure.
      const result = spawnSync('azd', ['env', 'set', name, value], {
        stdio: ['ignore', 'ignore', 'inherit'],
        shell: process.platform === 'win32',
      });
      if (result.status !== 0) throw new HookError(`azd env set ${name} failed`);
    },
    provision: () => run(['provision', '--no-prompt']),
  };
}

export class ArmClient implements Arm {
  constructor(
    private readonly credential: TokenCredential = new AzureDeveloperCliCredential(),
    private readonly endpoint = 'https://management.azure.com',
  ) {}

  private async request(method: string, resourcePath: string, apiVersion: string, body?: unknown): Promise<Response> {
    const token = await this.credential.getToken(`${this.endpoint}/.default`);
    if (!token) throw new HookError('no Azure Resource Manager token from azd; run `azd auth login`');
    const separator = resourcePath.includes('?') ? '&' : '?';
    return fetch(`${this.endpoint}${resourcePath}${separator}api-version=${apiVersion}`, {
      method,
      headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  private async json<T>(response: Response, what: string): Promise<T | undefined> {
    if (response.status === 404) return undefined;
    const text = await response.text();
    if (!response.ok) throw new HookError(`${what} answered ${response.status}: ${text.slice(0, 500)}`);
    return text ? (JSON.parse(text) as T) : undefined;
  }

  async get<T>(resourcePath: string, apiVersion: string): Promise<T | undefined> {
    return this.json<T>(await this.request('GET', resourcePath, apiVersion), `GET ${resourcePath}`);
  }

  async post<T>(resourcePath: string, apiVersion: string, body?: unknown): Promise<T | undefined> {
    return this.json<T>(await this.request('POST', resourcePath, apiVersion, body), `POST ${resourcePath}`);
  }

  async delete(resourcePath: string, apiVersion: string): Promise<boolean> {
    const response = await this.request('DELETE', resourcePath, apiVersion);
    if (response.status === 404 || response.status === 204) return response.status === 204;
    if (!response.ok)
      throw new HookError(
        `DELETE ${resourcePath} answered ${response.status}: ${(await response.text()).slice(0, 500)}`,
      );
    return true;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Names the template derives, computed the same way from the azd environment

interface ListResult<T> {
  value?: T[];
  nextLink?: string;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new HookError(`${name} is not set in the azd environment`);
  return value;
}

/** Where the workspace lives (main.bicep's mlSubscriptionId / mlResourceGroupName). */
export function workspaceLocation(env: NodeJS.ProcessEnv): {
  subscriptionId: string;
  resourceGroup: string;
  id: string;
} {
  const create = (env.CREATE_AZUREML_WORKSPACE ?? 'false').toLowerCase() === 'true';
  const subscriptionId = (!create && env.AZUREML_SUBSCRIPTION_ID) || required(env, 'AZURE_SUBSCRIPTION_ID');
  const resourceGroup =
    (!create && env.AZUREML_RESOURCE_GROUP) || env.AZURE_RESOURCE_GROUP || `rg-${required(env, 'AZURE_ENV_NAME')}`;
  const name = required(env, 'AZUREML_WORKSPACE_NAME');
  return {
    subscriptionId,
    resourceGroup,
    id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${name}`,
  };
}

async function listAll<T>(arm: Arm, resourcePath: string, apiVersion: string): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined = resourcePath;
  while (next) {
    const page: ListResult<T> | undefined = await arm.get<ListResult<T>>(next, apiVersion);
    items.push(...(page?.value ?? []));
    next = page?.nextLink
      ? new URL(page.nextLink).pathname + new URL(page.nextLink).search.replace(/[?&]api-version=[^&]*/, '')
      : undefined;
  }
  return items;
}

// ---------------------------------------------------------------------------------------------------------------
// preprovision

interface SystemTopic {
  id: string;
  name: string;
  tags?: Record<string, string>;
  properties?: { source?: string };
}

interface DeletedVault {
  name: string;
  properties?: { location?: string; tags?: Record<string, string>; purgeProtectionEnabled?: boolean };
}

/**
 * The workspace's Event Grid system topic, if one exists: a source can have only one. One created by this azd
 * environment (tag `azd-env-name`) stays managed by it; any other is adopted as is (not modified).
 */
export async function discoverSystemTopic(
  deps: HookDeps,
): Promise<{ name: string; resourceGroup: string } | undefined> {
  const workspace = workspaceLocation(deps.env);
  const topics = await listAll<SystemTopic>(
    deps.arm,
    `/subscriptions/${workspace.subscriptionId}/providers/Microsoft.EventGrid/systemTopics`,
    API.eventGrid,
  );
  const topic = topics.find((t) => (t.properties?.source ?? '').toLowerCase() === workspace.id.toLowerCase());
  if (!topic) return undefined;
  if (topic.tags?.['azd-env-name'] === deps.env.AZURE_ENV_NAME) return undefined;
  const resourceGroup = /\/resourceGroups\/([^/]+)\//i.exec(topic.id)?.[1] ?? workspace.resourceGroup;
  return { name: topic.name, resourceGroup };
}

/** A soft-deleted orchestrator vault of this environment and region, which the next deployment must recover. */
export async function findDeletedVault(deps: HookDeps): Promise<DeletedVault | undefined> {
  const subscriptionId = required(deps.env, 'AZURE_SUBSCRIPTION_ID');
  const vaults = await listAll<DeletedVault>(
    deps.arm,
    `/subscriptions/${subscriptionId}/providers/Microsoft.KeyVault/deletedVaults`,
    API.keyVault,
  );
  const location = (deps.env.AZURE_LOCATION ?? '').toLowerCase();
  return vaults.find(
    (v) =>
      v.name.startsWith('kv-mlops-') &&
      v.properties?.tags?.['azd-env-name'] === deps.env.AZURE_ENV_NAME &&
      (v.properties?.location ?? '').toLowerCase().replace(/\s/g, '') === location,
  );
}

export async function preprovision(deps: HookDeps): Promise<void> {
  // 1. Dataset filters from the catalog, handed to this provision as a parameter (the template was compiled before
  //    this hook ran, so a file read with loadJsonContent would only take effect one provision later).
  const outFile = path.join(deps.root, 'infra', 'generated', 'dataset-filters.json');
  const filters = datasetFilters(loadCatalog('catalog.json', deps.root));
  let current: unknown;
  try {
    current = JSON.parse(readFileSync(outFile, 'utf8')) as unknown;
  } catch {
    current = undefined; // missing or unreadable: written below
  }
  if (JSON.stringify(current) !== JSON.stringify(filters)) {
    writeFileSync(outFile, await renderDatasetFilters(filters, outFile));
    deps.log('catalog.json changed the dataset filters: wrote infra/generated/dataset-filters.json (commit it)');
  }
  deps.azd.envSet('MLOPS_DATASET_FILTERS', JSON.stringify(filters));

  // 2. The workspace's system topic: adopt one that exists instead of failing to create a second.
  const topic = await discoverSystemTopic(deps);
  deps.azd.envSet('AZUREML_SYSTEM_TOPIC_NAME', topic?.name ?? '');
  deps.azd.envSet('AZUREML_SYSTEM_TOPIC_RESOURCE_GROUP', topic?.resourceGroup ?? '');
  deps.log(
    topic
      ? `Azure ML workspace already has system topic ${topic.name} (resource group ${topic.resourceGroup}): adopting it`
      : 'Azure ML workspace system topic: managed by this environment',
  );

  // 3. A vault this environment left soft-deleted (azd down without --purge, or purge protection) is recovered.
  const deleted = await findDeletedVault(deps);
  deps.azd.envSet('KEY_VAULT_CREATE_MODE', deleted ? 'recover' : 'default');
  if (deleted) deps.log(`Key Vault ${deleted.name} is soft-deleted: this provision recovers it`);
}

// ---------------------------------------------------------------------------------------------------------------
// prepackage

export function prepackage(deps: HookDeps): void {
  stagePackage({ root: deps.root, log: deps.log, durableBackend: deps.env.DURABLE_BACKEND });
}

// ---------------------------------------------------------------------------------------------------------------
// postdeploy

interface ConfigReference {
  name?: string;
  properties?: { reference?: string; status?: string; details?: string };
}

export interface PostdeployOptions {
  readonly attempts?: number;
  readonly retryDelayMs?: number;
  /** How long Key Vault references may take to resolve. */
  readonly referenceDeadlineMs?: number;
}

/**
 * Creates the Event Grid subscriptions once the functions exist. The flag is recorded only after a provision with it
 * succeeded: a failure leaves it false, so the next `azd up` deploys (and can ship a fix) before trying again.
 * Right after a Flex deployment the host may still be indexing functions, and Event Grid then answers "Destination
 * endpoint not found": so it retries.
 */
export async function createEventSubscriptions(deps: HookDeps, options: PostdeployOptions = {}): Promise<void> {
  if ((deps.env.DEPLOY_EVENT_SUBSCRIPTIONS ?? 'false').toLowerCase() === 'true') return;
  const attempts = options.attempts ?? 6;
  deps.log('Functions are deployed; creating the Event Grid subscriptions.');
  deps.azd.envSet('DEPLOY_EVENT_SUBSCRIPTIONS', 'true');
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (deps.azd.provision()) return;
    if (attempt < attempts) {
      deps.log(`provision with the subscriptions failed (attempt ${attempt} of ${attempts}); retrying`);
      await deps.sleep(options.retryDelayMs ?? 30_000);
    }
  }
  deps.azd.envSet('DEPLOY_EVENT_SUBSCRIPTIONS', 'false');
  throw new HookError(
    `the Event Grid subscriptions could not be created after ${attempts} attempts; DEPLOY_EVENT_SUBSCRIPTIONS stays ` +
      'false, so the next `azd up` deploys first and tries again (see docs/deploy.md, "Troubleshooting")',
  );
}

/**
 * Makes App Service resolve the webhook secrets' Key Vault references now, and waits until each is resolved: a
 * reference resolved before the app identity's role had propagated would hand the app the literal
 * `@Microsoft.KeyVault(...)` text until the next refresh (about a day).
 */
export async function resolveKeyVaultReferences(deps: HookDeps, options: PostdeployOptions = {}): Promise<void> {
  const site =
    `/subscriptions/${required(deps.env, 'AZURE_SUBSCRIPTION_ID')}/resourceGroups/${required(deps.env, 'AZURE_RESOURCE_GROUP')}` +
    `/providers/Microsoft.Web/sites/${required(deps.env, 'AZURE_FUNCTION_APP_NAME')}`;
  const deadline = Date.now() + (options.referenceDeadlineMs ?? 600_000);
  for (;;) {
    await deps.arm.post(`${site}/config/configreferences/appsettings/refresh`, API.webConfigReferences);
    const references = await listAll<ConfigReference>(
      deps.arm,
      `${site}/config/configreferences/appsettings`,
      API.webConfigReferences,
    );
    const pending = references.filter((r) => r.properties?.status !== 'Resolved');
    if (pending.length === 0) {
      if (references.length > 0) deps.log(`Key Vault references resolved: ${references.map((r) => r.name).join(', ')}`);
      return;
    }
    const detail = pending
      .map(
        (r) =>
          `${r.name ?? '?'}: ${r.properties?.status ?? 'unknown'}${r.properties?.details ? ` (${r.properties.details})` : ''}`,
      )
      .join('; ');
    if (Date.now() >= deadline) {
      throw new HookError(
        `Key Vault references not resolved: ${detail}. The webhooks would verify against the literal reference text; ` +
          'check the app identity\'s "Key Vault Secrets User" assignment and run `azd deploy` again',
      );
    }
    deps.log(`waiting for Key Vault references (${detail})`);
    await deps.sleep(options.retryDelayMs ?? 30_000);
  }
}

export async function postdeploy(deps: HookDeps, options: PostdeployOptions = {}): Promise<void> {
  await createEventSubscriptions(deps, options);
  await resolveKeyVaultReferences(deps, options);
}

// ---------------------------------------------------------------------------------------------------------------
// predown

/**
 * Removes what this environment created outside its own resource group (the workspace side), which `azd down`
 * would leave behind: the run-events subscription, the lake datastores, the app identity's role on the workspace,
 * and the workspace system topic if this environment created it and nothing else subscribes to it. The ids come from
 * the last provision's output `WORKSPACE_SIDE_RESOURCE_IDS`.
 */
export async function predown(deps: HookDeps): Promise<void> {
  const raw = deps.env.WORKSPACE_SIDE_RESOURCE_IDS;
  if (!raw) {
    deps.log('no WORKSPACE_SIDE_RESOURCE_IDS in the azd environment (never provisioned?): nothing to remove');
    return;
  }
  const ids = (JSON.parse(raw) as unknown[]).filter((v): v is string => typeof v === 'string' && v !== '');
  const apiVersionFor = (id: string): string =>
    /\/providers\/Microsoft\.EventGrid\//i.test(id)
      ? API.eventGrid
      : /\/providers\/Microsoft\.Authorization\//i.test(id)
        ? API.authorization
        : API.machineLearning;
  const topics = ids.filter((id) => /\/systemTopics\/[^/]+$/i.test(id));
  for (const id of ids.filter((i) => !topics.includes(i))) {
    const removed = await deps.arm.delete(id, apiVersionFor(id));
    deps.log(`${removed ? 'deleted' : 'already gone'}: ${id}`);
  }
  for (const topic of topics) {
    const others = await listAll<{ id: string }>(deps.arm, `${topic}/eventSubscriptions`, API.eventGrid);
    if (others.length > 0) {
      deps.log(
        `kept system topic ${topic}: other environments still subscribe (${others.map((o) => o.id.split('/').pop()).join(', ')})`,
      );
      continue;
    }
    const removed = await deps.arm.delete(topic, API.eventGrid);
    deps.log(`${removed ? 'deleted' : 'already gone'}: ${topic}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------

export async function runHook(name: string, deps: HookDeps): Promise<void> {
  switch (name) {
    case 'preprovision':
      return preprovision(deps);
    case 'prepackage':
      return prepackage(deps);
    case 'postdeploy':
      return postdeploy(deps);
    case 'predown':
      return predown(deps);
    default:
      throw new HookError(`unknown hook ${name}; expected preprovision, prepackage, postdeploy or predown`);
  }
}

if (require.main === module) {
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  runHook(process.argv[2] ?? '', {
    env: process.env,
    root: process.cwd(),
    azd: realAzd(log),
    arm: new ArmClient(),
    log,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  }).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
