// Optional: a new Azure ML workspace with the dependencies it requires (storage account, Key Vault, Application
// Insights). Used only when createAzureMlWorkspace is true; by default an existing workspace is referenced.

param name string
param location string
param tags object = {}
param storageAccountName string
param keyVaultName string
param applicationInsightsId string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    // The workspace's default datastores are created with account-key credentials, so shared keys stay enabled
    // on this account (and only on this one). The orchestrator never uses it.
    allowSharedKeyAccess: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
  }
}

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-10-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Basic'
    tier: 'Basic'
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    friendlyName: name
    storageAccount: storage.id
    keyVault: vault.id
    applicationInsights: applicationInsightsId
    publicNetworkAccess: 'Enabled'
  }
}

output name string = workspace.name
output id string = workspace.id
