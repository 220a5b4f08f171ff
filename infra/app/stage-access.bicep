// Deployed into the resource group of a promotion stage's workspace (another resource group or subscription): lets
// the app identity release promoted versions there (register the copy, create endpoints and deployments, shift
// traffic, read logs, list endpoint keys) with the same least-privilege role it has on its own workspace.

param workspaceName string
param appPrincipalId string

var roles = loadJsonContent('built-in-roles.json')

resource stageWorkspace 'Microsoft.MachineLearningServices/workspaces@2024-10-01' existing = {
  name: workspaceName
}

resource stageDataScientist 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(stageWorkspace.id, appPrincipalId, roles['AzureML Data Scientist'])
  scope: stageWorkspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles['AzureML Data Scientist'])
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}
