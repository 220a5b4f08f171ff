// Deployed into the resource group of an Azure ML registry the app shares models through: AzureML Registry User
// ("can get registries, and read, write and delete assets within them"; Learn, "Manage access to Azure Machine
// Learning workspaces" and the built-in roles reference), the role Microsoft documents for using a registry's assets.

param registryName string
param appPrincipalId string

var roles = loadJsonContent('built-in-roles.json')

resource registry 'Microsoft.MachineLearningServices/registries@2024-10-01' existing = {
  name: registryName
}

resource registryUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, appPrincipalId, roles['AzureML Registry User'])
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles['AzureML Registry User'])
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}
