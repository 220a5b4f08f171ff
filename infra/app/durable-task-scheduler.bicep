// Optional Durable Functions backend: a Durable Task Scheduler with one task hub, reached by the app identity
// (identity-based only; role Durable Task Data Contributor on the task hub). Chosen with durableBackend (azd
// DURABLE_BACKEND); docs/deploy.md, "Durable Functions backend", says when.

param name string
param location string
param tags object = {}
param taskHubName string
param appPrincipalId string

@allowed(['Consumption', 'Dedicated'])
param skuName string = 'Consumption'

var roles = loadJsonContent('built-in-roles.json')

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    ipAllowlist: ['0.0.0.0/0']
    sku: {
      name: skuName
    }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
  properties: {}
}

resource taskHubContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(taskHub.id, appPrincipalId, roles['Durable Task Data Contributor'])
  scope: taskHub
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles['Durable Task Data Contributor']
    )
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
