// Deployed into the Azure ML workspace's resource group (new or existing): lets the app identity drive the workspace,
// registers the lake's containers as identity-based datastores (jobs read datasets through them), and creates the
// workspace's Event Grid system topic unless an existing one is adopted. Outputs the workspace region for
// AZUREML_REGION and the ids the predown hook removes on `azd down`.

param workspaceName string
param appPrincipalId string
param eventGridIdentityId string
param tags object = {}

@description('System topic name. A workspace can have only one system topic.')
param systemTopicName string

@description('Create the system topic (false: an existing topic is adopted and left as it is).')
param createSystemTopic bool = true

@description('Suffix of the nested deployment names, so environments sharing this resource group do not collide.')
param deploymentSuffix string

@description('The data lake account; each container below becomes the datastore <account>_<container> (hyphens as underscores).')
param lakeStorageName string
param datastoreContainers string[]

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

// Identity-based (no stored credential): a job reads through it with the identity it runs as, which lake-access.bicep
// grants the container roles. The naming rule is src/azureml/datasets.ts `lakeDatastoreName`.
resource datastores 'Microsoft.MachineLearningServices/workspaces/datastores@2024-10-01' = [
  for container in datastoreContainers: {
    parent: workspace
    name: replace('${lakeStorageName}_${container}', '-', '_')
    properties: {
      datastoreType: 'AzureDataLakeGen2'
      accountName: lakeStorageName
      filesystem: container
      endpoint: environment().suffixes.storage
      protocol: 'https'
      credentials: {
        credentialsType: 'None'
      }
      serviceDataAccessAuthIdentity: 'None'
      description: 'Data lake container ${container} of the MLOps orchestrator (identity-based access)'
      tags: tags
    }
  }
]

// A module, because a resource's location must be known when the deployment starts and the workspace's is not.
module systemTopic 'azureml-system-topic.bicep' = if (createSystemTopic) {
  name: 'azureml-system-topic-${deploymentSuffix}'
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
output roleAssignmentId string = dataScientist.id
output datastoreIds string[] = [for (container, i) in datastoreContainers: datastores[i].id]
output createdSystemTopicId string = createSystemTopic ? resourceId('Microsoft.EventGrid/systemTopics', systemTopicName) : ''
