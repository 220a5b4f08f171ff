// A StorageV2 account reachable only with Microsoft Entra ID (no shared keys, no anonymous blobs, TLS 1.2),
// its blob containers, and diagnostic settings of its blob service.

@description('Storage account name (3-24 lowercase letters and digits).')
param name string

param location string
param tags object = {}

@description('true for the data lake (ADLS Gen2 hierarchical namespace).')
param isHnsEnabled bool = false

@description('Blob containers to create.')
param containers string[] = []

@description('Log Analytics workspace that receives the blob service logs.')
param logAnalyticsWorkspaceId string

@description('Also log reads (StorageRead). Off by default: the Functions host reads host storage constantly.')
param logReads bool = false

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    isHnsEnabled: isHnsEnabled
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for container in containers: {
    parent: blobService
    name: container
    properties: {
      publicAccess: 'None'
    }
  }
]

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: blobService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: concat(
      [
        { category: 'StorageWrite', enabled: true }
        { category: 'StorageDelete', enabled: true }
      ],
      logReads ? [{ category: 'StorageRead', enabled: true }] : []
    )
    metrics: [
      { category: 'Transaction', enabled: true }
    ]
  }
}

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
