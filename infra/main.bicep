// Entry point for `azd up` / `azd provision`: the MLOps orchestrator and everything it needs, in one resource group,
// wired to an Azure ML workspace (existing by default). Every parameter is documented in docs/deploy.md.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; also seeds the unique suffix of every resource name.')
param environmentName string

@minLength(1)
@description('Region of the orchestrator\'s resources. Must offer the Flex Consumption plan.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group to create or reuse; default rg-<environmentName>.')
param resourceGroupName string = ''

@minLength(3)
@maxLength(33)
@description('Azure ML workspace the orchestrator drives (existing unless createAzureMlWorkspace); Azure requires ^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$.')
param azureMlWorkspaceName string

@description('Resource group of the workspace; default: the orchestrator\'s resource group.')
param azureMlResourceGroupName string = ''

@description('Subscription of the workspace; default: the deployment subscription.')
param azureMlSubscriptionId string = ''

@description('Create the workspace (with its storage account and Key Vault) instead of referencing an existing one.')
param createAzureMlWorkspace bool = false

@description('An existing Event Grid system topic of the workspace to adopt (a workspace can have only one); the preprovision hook finds it. Empty: this environment creates and owns evgt-mlw-<token>.')
param azureMlSystemTopicName string = ''

@description('Resource group of the adopted system topic; default: the workspace\'s.')
param azureMlSystemTopicResourceGroup string = ''

@description('Principal ids of the identities Azure ML jobs and batch deployments run as (compute clusters\' managed identities); they get read access on the dataset containers and write access on the batch containers.')
param azureMlComputePrincipalIds string[] = []

@description('Workspaces of promotion stages besides the app\'s own (catalog stages[].workspace): objects {subscriptionId, resourceGroup, workspace}. The app identity gets AzureML Data Scientist on each.')
param promotionWorkspaces array = []

@description('Azure ML registries the app shares models through: objects {subscriptionId, resourceGroup, name}. The app identity gets AzureML Registry User on each.')
param azureMlRegistries array = []

@description('Dataset filters and lake containers derived from catalog.json. The preprovision hook passes them (MLOPS_DATASET_FILTERS) because azd compiles the template before that hook runs; default: the committed file.')
param datasetFilters object = loadJsonContent('generated/dataset-filters.json')

@description('Durable Functions backend: AzureStorage (task hub in the host storage account) or DurableTaskScheduler (managed, identity-based). See docs/deploy.md.')
@allowed(['AzureStorage', 'DurableTaskScheduler'])
param durableBackend string = 'AzureStorage'

@description('Durable Task Scheduler SKU (durableBackend DurableTaskScheduler).')
@allowed(['Consumption', 'Dedicated'])
param durableTaskSchedulerSku string = 'Consumption'

@description('Create the Event Grid subscriptions. Event Grid requires the target functions to exist, so the first provision (before any code is deployed) runs with false and the postdeploy hook provisions again with true.')
param deployEventSubscriptions bool = false

@secure()
@description('GitHub webhook secret; empty leaves Key Vault and the app setting alone.')
param githubWebhookSecret string = ''

@description('User name the Azure DevOps service hook sends (basic auth).')
param azureDevOpsWebhookUsername string = ''

@secure()
@description('Password the Azure DevOps service hook sends (basic auth).')
param azureDevOpsWebhookPassword string = ''

@secure()
@description('HMAC secret of the generic/Jenkins webhook.')
param genericWebhookSecret string = ''

@allowed([512, 2048, 4096])
@description('Memory of each Flex Consumption instance.')
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
@description('Upper bound on Flex Consumption instances.')
param maximumInstanceCount int = 100

@description('Application Insights accepts only Microsoft Entra-authenticated telemetry. Leave false until the app\'s telemetry module authenticates its exporter (see docs/deploy.md).')
param appInsightsEntraAuthOnly bool = false

@minValue(30)
@maxValue(730)
param logAnalyticsRetentionDays int = 30

@description('Daily Log Analytics ingestion cap in GB; -1 means no cap.')
param logAnalyticsDailyCapGb int = -1

@description('E-mail address for alert notifications; empty: alerts fire without notifications.')
param alertEmailAddress string = ''

@minValue(60)
@description('Batch-scoring runs longer than this raise the batch alert.')
param batchDurationAlertSeconds int = 3600

@description('Deny scm/ftp basic publishing credentials on the function app.')
param disableBasicPublishingCredentials bool = true

@description('Enable Key Vault purge protection (recommended for production; `azd down --purge` then cannot remove the vault).')
param keyVaultPurgeProtection bool = false

@description('recover when this environment\'s vault is soft-deleted (set by the preprovision hook).')
@allowed(['default', 'recover'])
param keyVaultCreateMode string = 'default'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var rgName = !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
var mlSubscriptionId = !createAzureMlWorkspace && !empty(azureMlSubscriptionId)
  ? azureMlSubscriptionId
  : subscription().subscriptionId
var mlResourceGroupName = !createAzureMlWorkspace && !empty(azureMlResourceGroupName)
  ? azureMlResourceGroupName
  : rgName
var functionAppName = 'func-mlops-${resourceToken}'
var deploymentContainerName = 'app-package-${take(resourceToken, 7)}'
var stateContainerName = 'mlops-state'
var datasetsContainerName = 'datasets'
var lakeContainerName = 'lake'
var deadLetterContainerName = 'deadletters'
var catalogContainers = datasetFilters
var adoptSystemTopic = !empty(azureMlSystemTopicName)
var systemTopicName = adoptSystemTopic ? azureMlSystemTopicName : 'evgt-mlw-${resourceToken}'
var systemTopicResourceGroup = adoptSystemTopic && !empty(azureMlSystemTopicResourceGroup)
  ? azureMlSystemTopicResourceGroup
  : mlResourceGroupName
var runEventsSubscriptionName = 'azureml-run-events-${resourceToken}'
var lakeStorageName = 'stmlopsl${resourceToken}'
var lakeDatastoreContainers = union(catalogContainers.containers, catalogContainers.batchContainers)
var durableTaskHubName = 'mlopshub'
var webhookSecrets = {
  'github-webhook-secret': githubWebhookSecret
  'azure-devops-webhook-password': azureDevOpsWebhookPassword
  'generic-webhook-secret': genericWebhookSecret
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: rgName
  location: location
  tags: tags
}

module identities 'app/identities.bicep' = {
  name: 'identities'
  scope: rg
  params: {
    appIdentityName: 'id-mlops-${resourceToken}'
    eventGridIdentityName: 'id-mlops-eg-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-mlops-${resourceToken}'
    applicationInsightsName: 'appi-mlops-${resourceToken}'
    location: location
    tags: tags
    retentionInDays: logAnalyticsRetentionDays
    dailyQuotaGb: logAnalyticsDailyCapGb
    entraAuthOnly: appInsightsEntraAuthOnly
  }
}

module hostStorage 'app/storage.bicep' = {
  name: 'host-storage'
  scope: rg
  params: {
    name: 'stmlopsh${resourceToken}'
    location: location
    tags: tags
    containers: [deploymentContainerName, stateContainerName]
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module lakeStorage 'app/storage.bicep' = {
  name: 'lake-storage'
  scope: rg
  params: {
    name: lakeStorageName
    location: location
    tags: tags
    isHnsEnabled: true
    containers: union(
      [datasetsContainerName, lakeContainerName, deadLetterContainerName],
      catalogContainers.containers,
      catalogContainers.batchContainers
    )
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module keyVault 'app/key-vault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    name: 'kv-mlops-${resourceToken}'
    location: location
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    purgeProtection: keyVaultPurgeProtection
    createMode: keyVaultCreateMode
    secrets: webhookSecrets
  }
}

module newWorkspace 'app/workspace.bicep' = if (createAzureMlWorkspace) {
  name: 'azureml-workspace'
  scope: rg
  params: {
    name: azureMlWorkspaceName
    location: location
    tags: tags
    storageAccountName: 'stmlopsw${resourceToken}'
    keyVaultName: 'kv-mlw-${resourceToken}'
    applicationInsightsId: monitoring.outputs.applicationInsightsId
  }
}

module workspaceLink 'app/workspace-link.bicep' = {
  // Unique per environment: several environments may deploy into the workspace's resource group at once.
  name: 'azureml-workspace-link-${resourceToken}'
  scope: resourceGroup(mlSubscriptionId, mlResourceGroupName)
  params: {
    workspaceName: azureMlWorkspaceName
    appPrincipalId: identities.outputs.appIdentityPrincipalId
    eventGridIdentityId: identities.outputs.eventGridIdentityId
    tags: tags
    systemTopicName: systemTopicName
    createSystemTopic: !adoptSystemTopic
    deploymentSuffix: resourceToken
    lakeStorageName: lakeStorage.outputs.name
    datastoreContainers: lakeDatastoreContainers
  }
  dependsOn: [
    newWorkspace
  ]
}

// Promotion stages in other workspaces, and registries: the same identity releases there (docs/deploy.md).
module stageAccess 'app/stage-access.bicep' = [
  for (stage, i) in promotionWorkspaces: {
    name: 'promotion-stage-${i}-${resourceToken}'
    scope: resourceGroup(stage.subscriptionId, stage.resourceGroup)
    params: {
      workspaceName: stage.workspace
      appPrincipalId: identities.outputs.appIdentityPrincipalId
    }
  }
]

module registryAccess 'app/registry-access.bicep' = [
  for (registry, i) in azureMlRegistries: {
    name: 'azureml-registry-${i}-${resourceToken}'
    scope: resourceGroup(registry.subscriptionId, registry.resourceGroup)
    params: {
      registryName: registry.name
      appPrincipalId: identities.outputs.appIdentityPrincipalId
    }
  }
]

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    hostStorageName: hostStorage.outputs.name
    lakeStorageName: lakeStorage.outputs.name
    deadLetterContainerName: deadLetterContainerName
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appPrincipalId: identities.outputs.appIdentityPrincipalId
    eventGridPrincipalId: identities.outputs.eventGridIdentityPrincipalId
  }
}

module lakeAccess 'app/lake-access.bicep' = {
  name: 'lake-access'
  scope: rg
  params: {
    lakeStorageName: lakeStorage.outputs.name
    datasetContainers: catalogContainers.containers
    batchContainers: catalogContainers.batchContainers
    principalIds: azureMlComputePrincipalIds
  }
}

module durableTaskScheduler 'app/durable-task-scheduler.bicep' = if (durableBackend == 'DurableTaskScheduler') {
  name: 'durable-task-scheduler'
  scope: rg
  params: {
    name: 'dts-mlops-${resourceToken}'
    location: location
    tags: tags
    taskHubName: durableTaskHubName
    appPrincipalId: identities.outputs.appIdentityPrincipalId
    skuName: durableTaskSchedulerSku
  }
}

@description('Also deploy an Azure Database for PostgreSQL Flexible Server (Entra authentication only) for batch.table outputs.')
param deployPostgres bool = false

module postgres 'app/postgres.bicep' = if (deployPostgres) {
  name: 'postgres'
  scope: rg
  params: {
    name: 'psql-mlops-${resourceToken}'
    location: location
    tags: tags
    appPrincipalId: identities.outputs.appIdentityPrincipalId
    appIdentityName: 'id-mlops-${resourceToken}'
  }
}

module functionApp 'app/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-mlops-${resourceToken}'
    location: location
    tags: tags
    identityId: identities.outputs.appIdentityId
    identityClientId: identities.outputs.appIdentityClientId
    hostStorageName: hostStorage.outputs.name
    hostBlobEndpoint: hostStorage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    stateContainerName: stateContainerName
    lakeStorageName: lakeStorage.outputs.name
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultUri: keyVault.outputs.vaultUri
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    azureMlSubscriptionId: mlSubscriptionId
    azureMlResourceGroupName: mlResourceGroupName
    azureMlWorkspaceName: azureMlWorkspaceName
    azureMlRegion: workspaceLink.outputs.location
    githubWebhookConfigured: !empty(githubWebhookSecret)
    azureDevOpsWebhookConfigured: !empty(azureDevOpsWebhookPassword)
    azureDevOpsWebhookUsername: azureDevOpsWebhookUsername
    genericWebhookConfigured: !empty(genericWebhookSecret)
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    disableBasicPublishingCredentials: disableBasicPublishingCredentials
    durableBackend: durableBackend
    durableTaskSchedulerEndpoint: durableBackend == 'DurableTaskScheduler' ? durableTaskScheduler!.outputs.endpoint : ''
    durableTaskHubName: durableBackend == 'DurableTaskScheduler' ? durableTaskHubName : ''
    postgresHost: deployPostgres ? postgres!.outputs.host : ''
    postgresDatabase: deployPostgres ? postgres!.outputs.databaseName : ''
    postgresUser: deployPostgres ? postgres!.outputs.user : ''
  }
  dependsOn: [
    rbac
  ]
}

module lakeEvents 'app/lake-events.bicep' = {
  name: 'lake-events'
  scope: rg
  params: {
    systemTopicName: 'evgt-lake-${resourceToken}'
    location: location
    tags: tags
    lakeStorageId: lakeStorage.outputs.id
    functionAppId: functionApp.outputs.id
    eventGridIdentityId: identities.outputs.eventGridIdentityId
    deadLetterContainerName: deadLetterContainerName
    deploySubscription: deployEventSubscriptions
    filters: datasetFilters
  }
  dependsOn: [
    rbac
  ]
}

module azureMlEvents 'app/azureml-events.bicep' = if (deployEventSubscriptions) {
  name: 'azureml-events-${resourceToken}'
  scope: resourceGroup(mlSubscriptionId, systemTopicResourceGroup)
  params: {
    systemTopicName: systemTopicName
    subscriptionName: runEventsSubscriptionName
    deadLetter: !adoptSystemTopic
    functionAppId: functionApp.outputs.id
    eventGridIdentityId: identities.outputs.eventGridIdentityId
    deadLetterStorageId: lakeStorage.outputs.id
    deadLetterContainerName: deadLetterContainerName
  }
  dependsOn: [
    rbac
  ]
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    namePrefix: 'mlops-${resourceToken}'
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    alertEmailAddress: alertEmailAddress
    batchDurationAlertSeconds: batchDurationAlertSeconds
  }
}

module workbook 'app/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_ORCHESTRATOR_BASE_URL string = 'https://${functionApp.outputs.defaultHostName}'
output LAKE_STORAGE_ACCOUNT_NAME string = lakeStorage.outputs.name
output HOST_STORAGE_ACCOUNT_NAME string = hostStorage.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZUREML_REGION string = workspaceLink.outputs.location
output EVENT_SUBSCRIPTIONS_DEPLOYED bool = deployEventSubscriptions
output DURABLE_BACKEND_DEPLOYED string = durableBackend
// What `azd down` would leave on the workspace side; the predown hook deletes these (subscription first, topic last).
output WORKSPACE_SIDE_RESOURCE_IDS string[] = concat(
  deployEventSubscriptions
    ? [
        resourceId(
          mlSubscriptionId,
          systemTopicResourceGroup,
          'Microsoft.EventGrid/systemTopics/eventSubscriptions',
          systemTopicName,
          runEventsSubscriptionName
        )
      ]
    : [],
  workspaceLink.outputs.datastoreIds,
  [workspaceLink.outputs.roleAssignmentId],
  adoptSystemTopic ? [] : [workspaceLink.outputs.createdSystemTopicId]
)
