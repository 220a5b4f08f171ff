// Key Vault in RBAC mode holding the webhook secrets. A secret is written only when its value is given, so
// `azd provision` never blanks a secret that was set another way (see "Rotating webhook secrets" in docs/deploy.md).

param name string
param location string
param tags object = {}
param logAnalyticsWorkspaceId string

@description('Purge protection keeps a deleted vault (and its name) for the retention period; `azd down --purge` cannot remove it.')
param purgeProtection bool = false

@description('recover: bring back this environment\'s soft-deleted vault (the preprovision hook detects it); a vault name stays taken while it is soft-deleted.')
@allowed(['default', 'recover'])
param createMode string = 'default'

@description('Secret name -> value. Empty values are skipped.')
@secure()
param secrets object = {}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    createMode: createMode
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource secretValues 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [
  for secret in items(secrets): if (!empty(secret.value)) {
    parent: vault
    name: secret.key
    properties: {
      value: secret.value
      contentType: 'text/plain'
    }
  }
]

resource vaultDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vault
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      { categoryGroup: 'audit', enabled: true }
    ]
    metrics: [
      { category: 'AllMetrics', enabled: true }
    ]
  }
}

output name string = vault.name
output id string = vault.id
output vaultUri string = vault.properties.vaultUri
