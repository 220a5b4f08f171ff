import { ConfigError, loadConfig, requiredSettingNames, settingNames } from '../../../src/config';

const valid = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  LAKE_STORAGE: 'UseDevelopmentStorage=true',
  AZUREML_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
  AZUREML_RESOURCE_GROUP: 'local',
  AZUREML_WORKSPACE_NAME: 'local',
  AZUREML_REGION: 'local',
};

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected ConfigError');
}

describe('loadConfig', () => {
  it('when all required settings are valid, then defaults fill the rest', () => {
    const config = loadConfig(valid);
    expect(config.azureml).toEqual({
      subscriptionId: valid.AZUREML_SUBSCRIPTION_ID,
      resourceGroup: 'local',
      workspace: 'local',
      region: 'local',
      armEndpoint: 'https://management.azure.com',
      dataPlaneEndpoint: 'https://local.api.azureml.ms',
      apiVersion: '2025-12-01',
    });
    expect(config.hostStorage).toEqual({ kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' });
    expect(config.catalogPath).toBe('catalog.json');
    expect(config.stateContainer).toBe('mlops-state');
    expect(config.webhooks).toEqual({ githubSecret: undefined, azureDevOps: undefined, genericSecret: undefined });
    expect(config.warnings).toEqual([]);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('when AZUREML_API_VERSION is a preview or malformed, then loading fails naming it; a stable one is used as given', () => {
    expect(problemsOf({ ...valid, AZUREML_API_VERSION: '2025-10-01-preview' })).toEqual([
      expect.stringMatching(/^AZUREML_API_VERSION: must be a stable api-version/),
    ]);
    expect(problemsOf({ ...valid, AZUREML_API_VERSION: 'latest' })).toHaveLength(1);
    expect(loadConfig({ ...valid, AZUREML_API_VERSION: '2026-07-01' }).azureml.apiVersion).toBe('2026-07-01');
  });

  it('when storage is identity-based, then the blob endpoint is derived from the account name', () => {
    const config = loadConfig({
      ...valid,
      AzureWebJobsStorage: undefined,
      AzureWebJobsStorage__accountName: 'hostacct',
      LAKE_STORAGE: '',
      LAKE_STORAGE__blobServiceUri: 'https://lake.blob.core.usgovcloudapi.net/',
    });
    expect(config.hostStorage).toEqual({ kind: 'identity', blobServiceUri: 'https://hostacct.blob.core.windows.net' });
    expect(config.lakeStorage).toEqual({
      kind: 'identity',
      blobServiceUri: 'https://lake.blob.core.usgovcloudapi.net',
    });
  });

  it('when settings are missing or invalid, then every problem is reported by setting name', () => {
    const problems = problemsOf({
      ...valid,
      AZUREML_SUBSCRIPTION_ID: 'not-a-guid',
      AZUREML_WORKSPACE_NAME: undefined,
      AZUREML_ARM_ENDPOINT: 'http://127.0.0.1:7443',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^AZUREML_SUBSCRIPTION_ID: /),
        expect.stringMatching(/^AZUREML_WORKSPACE_NAME: /),
        expect.stringMatching(/^AZUREML_ARM_ENDPOINT: must be an https:\/\/ URL/),
      ]),
    );
    expect(problems).toHaveLength(3);
  });

  it('when no storage connection is configured, then the message names both ways to set it', () => {
    expect(problemsOf({ ...valid, LAKE_STORAGE: undefined })).toEqual([
      'LAKE_STORAGE: missing; set LAKE_STORAGE (connection string) or LAKE_STORAGE__accountName (managed identity)',
    ]);
  });

  it('when only one half of the Azure DevOps basic auth is set, then startup fails naming both settings', () => {
    expect(problemsOf({ ...valid, AZURE_DEVOPS_WEBHOOK_USERNAME: 'hook' })).toEqual([
      expect.stringContaining('AZURE_DEVOPS_WEBHOOK_USERNAME/AZURE_DEVOPS_WEBHOOK_PASSWORD'),
    ]);
  });

  it('when a Key Vault reference could not be resolved, then the setting counts as not set and a warning names it', () => {
    const config = loadConfig({
      ...valid,
      GITHUB_WEBHOOK_SECRET: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/github-webhook-secret/)',
    });
    expect(config.webhooks.githubSecret).toBeUndefined();
    expect(config.warnings).toEqual([
      'GITHUB_WEBHOOK_SECRET: the Key Vault reference could not be resolved; treated as not set',
    ]);
  });

  it('lists the required settings without defaults', () => {
    expect(requiredSettingNames.sort()).toEqual(
      ['AZUREML_REGION', 'AZUREML_RESOURCE_GROUP', 'AZUREML_SUBSCRIPTION_ID', 'AZUREML_WORKSPACE_NAME'].sort(),
    );
    expect(settingNames).toContain('MLOPS_CATALOG_PATH');
  });
});
