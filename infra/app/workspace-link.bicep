// Deployed into the Azure ML workspace's resource group (new or existing): lets the app identity drive the
// workspace and creates the workspace's Event Grid system topic. Outputs the workspace region for AZUREML_REGION.

param workspaceName string
param appPrincipalId string
param eventGridIdentityId string
param tags object = {}

@description('System topic name. A workspace can have only one system topic: name the existing one to adopt it.')
param systemTopicName string

var roles = loadJsonContent('built-in-roles.json')

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-10-01' existing = {
  name: workspaceName
}

resource dataScientist 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, appPrincipalId, roles['AzureML Data Scientist'])
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles['AzureML Data Scientist'])
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// A module, because a resource's location must be known when the deployment starts and the workspace's is not.
module systemTopic 'azureml-system-topic.bicep' = {
  name: 'azureml-system-topic'
  params: {
    name: systemTopicName
    location: workspace.location
    tags: tags
    workspaceId: workspace.id
    eventGridIdentityId: eventGridIdentityId
  }
}

output location string = workspace.location
output id string = workspace.id
output systemTopicName string = systemTopic.outputs.name
