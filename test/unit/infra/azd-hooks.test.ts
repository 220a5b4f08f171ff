import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  type Arm,
  type Azd,
  createEventSubscriptions,
  type HookDeps,
  predown,
  preprovision,
  resolveKeyVaultReferences,
} from '../../../infra/scripts/azd-hooks';
import { datasetFilters } from '../../../infra/scripts/dataset-filters';
import { loadCatalog } from '../../../src/catalog/load';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** A recording azd whose provisions succeed or fail in the given order. */
class FakeAzd implements Azd {
  readonly calls: string[] = [];
  readonly env = new Map<string, string>();
  constructor(private readonly provisionResults: boolean[] = []) {}
  envSet(name: string, value: string): void {
    this.calls.push(`env set ${name}=${value.length > 40 ? '<json>' : value}`);
    this.env.set(name, value);
  }
  provision(): boolean {
    this.calls.push('provision');
    return this.provisionResults.shift() ?? false;
  }
}

/** An ARM double: GET answers from a table (path → body or a list of bodies served in turn), DELETE is recorded. */
class FakeArm implements Arm {
  readonly calls: string[] = [];
  constructor(
    private readonly gets: Record<string, unknown> = {},
    private readonly existing = new Set<string>(),
  ) {}
  get<T>(resourcePath: string, apiVersion: string): Promise<T | undefined> {
    this.calls.push(`GET ${resourcePath}?api-version=${apiVersion}`);
    const answer = this.gets[resourcePath];
    // A list of answers is served in turn; its last answer repeats.
    const queue = Array.isArray(answer) ? (answer as unknown[]) : undefined;
    const value: unknown = queue ? (queue.length > 1 ? queue.shift() : queue[0]) : answer;
    return Promise.resolve(value as T | undefined);
  }
  post<T>(resourcePath: string): Promise<T | undefined> {
    this.calls.push(`POST ${resourcePath}`);
    return Promise.resolve(undefined);
  }
  delete(resourcePath: string): Promise<boolean> {
    this.calls.push(`DELETE ${resourcePath}`);
    return Promise.resolve(this.existing.delete(resourcePath));
  }
}

const baseEnv = {
  AZURE_ENV_NAME: 'mlops-dev',
  AZURE_SUBSCRIPTION_ID: 'sub-1',
  AZURE_LOCATION: 'swedencentral',
  AZURE_RESOURCE_GROUP: 'rg-mlops-dev',
  AZURE_FUNCTION_APP_NAME: 'func-mlops-abc',
  AZUREML_WORKSPACE_NAME: 'ws',
  AZUREML_RESOURCE_GROUP: 'rg-ml',
};

function deps(azd: Azd, arm: Arm, env: NodeJS.ProcessEnv = baseEnv, root = repoRoot): HookDeps & { lines: string[] } {
  const lines: string[] = [];
  return { env, root, azd, arm, log: (l) => lines.push(l), sleep: () => Promise.resolve(), lines };
}

describe('postdeploy: Event Grid subscriptions after the first deploy', () => {
  test('when the functions are still being indexed, then it retries and records the flag only as set before success', async () => {
    const azd = new FakeAzd([false, false, true]);
    await createEventSubscriptions(deps(azd, new FakeArm()), { attempts: 5 });
    expect(azd.calls).toEqual(['env set DEPLOY_EVENT_SUBSCRIPTIONS=true', 'provision', 'provision', 'provision']);
  });

  test('when every attempt fails, then the flag goes back to false so the next azd up deploys first', async () => {
    const azd = new FakeAzd([false, false, false]);
    await expect(createEventSubscriptions(deps(azd, new FakeArm()), { attempts: 3 })).rejects.toThrow(
      'DEPLOY_EVENT_SUBSCRIPTIONS stays false',
    );
    expect(azd.calls.at(-1)).toBe('env set DEPLOY_EVENT_SUBSCRIPTIONS=false');
    expect(azd.env.get('DEPLOY_EVENT_SUBSCRIPTIONS')).toBe('false');
  });

  test('when the subscriptions already exist, then nothing is provisioned again', async () => {
    const azd = new FakeAzd();
    await createEventSubscriptions(deps(azd, new FakeArm(), { ...baseEnv, DEPLOY_EVENT_SUBSCRIPTIONS: 'true' }));
    expect(azd.calls).toEqual([]);
  });
});

describe('postdeploy: Key Vault references resolved before the hook succeeds', () => {
  const site = '/subscriptions/sub-1/resourceGroups/rg-mlops-dev/providers/Microsoft.Web/sites/func-mlops-abc';
  const reference = (status: string) => ({
    value: [{ name: 'GITHUB_WEBHOOK_SECRET', properties: { status, details: 'role not yet effective' } }],
  });

  test('when a reference resolves only after the role has propagated, then it refreshes until it is resolved', async () => {
    const arm = new FakeArm({
      [`${site}/config/configreferences/appsettings`]: [reference('AccessToKeyVaultDenied'), reference('Resolved')],
    });
    const d = deps(new FakeAzd(), arm);
    await resolveKeyVaultReferences(d, { retryDelayMs: 0 });
    expect(arm.calls.filter((c) => c.startsWith('POST'))).toEqual([
      `POST ${site}/config/configreferences/appsettings/refresh`,
      `POST ${site}/config/configreferences/appsettings/refresh`,
    ]);
    expect(d.lines).toContain('Key Vault references resolved: GITHUB_WEBHOOK_SECRET');
  });

  test('when a reference never resolves, then the hook fails naming the setting and its status', async () => {
    const arm = new FakeArm({ [`${site}/config/configreferences/appsettings`]: reference('AccessToKeyVaultDenied') });
    await expect(resolveKeyVaultReferences(deps(new FakeAzd(), arm), { referenceDeadlineMs: 0 })).rejects.toThrow(
      'Key Vault references not resolved: GITHUB_WEBHOOK_SECRET: AccessToKeyVaultDenied (role not yet effective)',
    );
  });
});

describe('preprovision', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'preprovision-'));
    mkdirSync(path.join(root, 'infra', 'generated'), { recursive: true });
    cpSync(path.join(repoRoot, 'catalog.json'), path.join(root, 'catalog.json'));
    const generated = path.join('infra', 'generated', 'dataset-filters.json');
    cpSync(path.join(repoRoot, generated), path.join(root, generated));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });
  const workspaceId =
    '/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws';
  const topics = (tag: string) => ({
    value: [
      {
        id: '/subscriptions/sub-1/resourceGroups/rg-other/providers/Microsoft.EventGrid/systemTopics/unrelated',
        name: 'unrelated',
        properties: { source: '/subscriptions/sub-1/resourceGroups/x/providers/Microsoft.Storage/storageAccounts/y' },
      },
      {
        id: '/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.EventGrid/systemTopics/evgt-mlw-first',
        name: 'evgt-mlw-first',
        tags: { 'azd-env-name': tag },
        properties: { source: workspaceId.toUpperCase() },
      },
    ],
  });

  test("when the workspace already has another environment's topic, then it is adopted; the filters go in as a parameter", async () => {
    const azd = new FakeAzd();
    const arm = new FakeArm({
      '/subscriptions/sub-1/providers/Microsoft.EventGrid/systemTopics': topics('mlops-first'),
    });
    await preprovision(deps(azd, arm, baseEnv, root));
    expect(azd.env.get('AZUREML_SYSTEM_TOPIC_NAME')).toBe('evgt-mlw-first');
    expect(azd.env.get('AZUREML_SYSTEM_TOPIC_RESOURCE_GROUP')).toBe('rg-ml');
    expect(JSON.parse(azd.env.get('MLOPS_DATASET_FILTERS') ?? '')).toEqual(
      datasetFilters(loadCatalog('catalog.json', root)),
    );
    expect(azd.env.get('KEY_VAULT_CREATE_MODE')).toBe('default');
  });

  test("when the topic is this environment's own, then it stays managed (not adopted)", async () => {
    const azd = new FakeAzd();
    const arm = new FakeArm({ '/subscriptions/sub-1/providers/Microsoft.EventGrid/systemTopics': topics('mlops-dev') });
    await preprovision(deps(azd, arm, baseEnv, root));
    expect(azd.env.get('AZUREML_SYSTEM_TOPIC_NAME')).toBe('');
  });

  test('when this environment left its vault soft-deleted, then the provision recovers it', async () => {
    const azd = new FakeAzd();
    const arm = new FakeArm({
      '/subscriptions/sub-1/providers/Microsoft.KeyVault/deletedVaults': {
        value: [
          {
            name: 'kv-mlops-other',
            properties: { location: 'swedencentral', tags: { 'azd-env-name': 'someone-else' } },
          },
          {
            name: 'kv-mlops-abc',
            properties: {
              location: 'swedencentral',
              tags: { 'azd-env-name': 'mlops-dev' },
              purgeProtectionEnabled: true,
            },
          },
        ],
      },
    });
    await preprovision(deps(azd, arm, baseEnv, root));
    expect(azd.env.get('KEY_VAULT_CREATE_MODE')).toBe('recover');
  });
});

describe('predown: nothing left on the workspace side', () => {
  const topic = '/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.EventGrid/systemTopics/evgt-mlw-abc';
  const subscription = `${topic}/eventSubscriptions/azureml-run-events-abc`;
  const datastore =
    '/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws/datastores/stmlopslabc_datasets';
  const role =
    '/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws/providers/Microsoft.Authorization/roleAssignments/1234';
  const env = { ...baseEnv, WORKSPACE_SIDE_RESOURCE_IDS: JSON.stringify([subscription, datastore, role, topic]) };

  test('when the environment created the topic and nobody else subscribes, then everything is deleted, topic last', async () => {
    const arm = new FakeArm(
      { [`${topic}/eventSubscriptions`]: { value: [] } },
      new Set([subscription, datastore, role, topic]),
    );
    await predown(deps(new FakeAzd(), arm, env));
    expect(arm.calls.filter((c) => c.startsWith('DELETE'))).toEqual([
      `DELETE ${subscription}`,
      `DELETE ${datastore}`,
      `DELETE ${role}`,
      `DELETE ${topic}`,
    ]);
  });

  test('when another environment still subscribes to the topic, then the topic is kept', async () => {
    const arm = new FakeArm({
      [`${topic}/eventSubscriptions`]: { value: [{ id: `${topic}/eventSubscriptions/azureml-run-events-xyz` }] },
    });
    const d = deps(new FakeAzd(), arm, env);
    await predown(d);
    expect(arm.calls).not.toContain(`DELETE ${topic}`);
    expect(d.lines).toContain(
      `kept system topic ${topic}: other environments still subscribe (azureml-run-events-xyz)`,
    );
  });
});
