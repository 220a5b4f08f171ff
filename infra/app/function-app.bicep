// The orchestrator: a Flex Consumption function app (Node.js 22) running as the user-assigned identity, with
// identity-based connections only. `appSettings` below is the one place that decides what the app reads; the infra
// consistency test compares it with src/config/settings.ts.

param name string
param planName string
param location string
param tags object = {}

@description('azd service name (azure.yaml) the app is tagged with, so `azd deploy` finds it.')
param serviceName string = 'orchestrator'

param identityId string
param identityClientId string

param hostStorageName string
param hostBlobEndpoint string
param deploymentContainerName string
param stateContainerName string
param lakeStorageName string

param applicationInsightsConnectionString string
param keyVaultUri string
param logAnalyticsWorkspaceId string

param azureMlSubscriptionId string
param azureMlResourceGroupName string
param azureMlWorkspaceName string
param azureMlRegion string

@description('Which webhook secrets exist in Key Vault; only those get an app setting (an unresolvable reference would be used verbatim).')
param githubWebhookConfigured bool = false
param azureDevOpsWebhookConfigured bool = false
param genericWebhookConfigured bool = false
param azureDevOpsWebhookUsername string = ''

@description('Durable Functions backend; with DurableTaskScheduler the package\'s host.json uses the azureManaged provider (infra/scripts/package-app.ts).')
@allowed(['AzureStorage', 'DurableTaskScheduler'])
param durableBackend string = 'AzureStorage'

@description('Durable Task Scheduler endpoint and task hub (durableBackend DurableTaskScheduler only).')
param durableTaskSchedulerEndpoint string = ''
param durableTaskHubName string = ''

@description('Azure Database for PostgreSQL for batch.table outputs (empty: none); the app logs in as its identity.')
param postgresHost string = ''
param postgresDatabase string = ''
param postgresUser string = ''

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Set the scm/ftp basic publishing credential policies to deny (Flex has no FTP endpoint; azd deploys with Entra ID).')
param disableBasicPublishingCredentials bool = true

@description('App setting value that App Service resolves from Key Vault (latest version) with keyVaultReferenceIdentity.')
func keyVaultReference(vaultUri string, secretName string) string => '@Microsoft.KeyVault(SecretUri=${vaultUri}secrets/${secretName})'

var appSettings = union(
  {
    // Host storage (Functions runtime, Durable Functions task hub, the app's trigger ledger), identity-based.
    AzureWebJobsStorage__accountName: hostStorageName
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    MLOPS_STATE_CONTAINER: stateContainerName
    // Data lake, identity-based: the app's own blob client authenticates with AZURE_CLIENT_ID. (No Functions binding
    // uses this connection, so the host-side __credential/__clientId companions are not set.)
    LAKE_STORAGE__accountName: lakeStorageName
    // DefaultAzureCredential picks the user-assigned identity.
    AZURE_CLIENT_ID: identityClientId
    AZUREML_SUBSCRIPTION_ID: azureMlSubscriptionId
    AZUREML_RESOURCE_GROUP: azureMlResourceGroupName
    AZUREML_WORKSPACE_NAME: azureMlWorkspaceName
    AZUREML_REGION: azureMlRegion
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  },
  githubWebhookConfigured ? { GITHUB_WEBHOOK_SECRET: keyVaultReference(keyVaultUri, 'github-webhook-secret') } : {},
  azureDevOpsWebhookConfigured
    ? {
        AZURE_DEVOPS_WEBHOOK_USERNAME: azureDevOpsWebhookUsername
        AZURE_DEVOPS_WEBHOOK_PASSWORD: keyVaultReference(keyVaultUri, 'azure-devops-webhook-password')
      }
    : {},
  genericWebhookConfigured ? { GENERIC_WEBHOOK_SECRET: keyVaultReference(keyVaultUri, 'generic-webhook-secret') } : {},
  empty(postgresHost)
    ? {}
    : {
        BATCH_POSTGRES_HOST: postgresHost
        BATCH_POSTGRES_DATABASE: postgresDatabase
        BATCH_POSTGRES_USER: postgresUser
        BATCH_POSTGRES_SSL: 'require'
      },
  durableBackend == 'DurableTaskScheduler'
    ? {
        // Read by the Durable extension (host.json storageProvider.connectionStringName and hubName %TASKHUB_NAME%).
        DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
        TASKHUB_NAME: durableTaskHubName
      }
    : {}
)

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
}

resource appSettingsConfig 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: appSettings
}

resource scmPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = if (disableBasicPublishingCredentials) {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = if (disableBasicPublishingCredentials) {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource siteDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: site
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      { category: 'FunctionAppLogs', enabled: true }
    ]
    metrics: [
      { category: 'AllMetrics', enabled: true }
    ]
  }
}

output name string = site.name
output id string = site.id
output defaultHostName string = site.properties.defaultHostName
