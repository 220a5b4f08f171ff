// The Azure ML workspace's Event Grid system topic, with the Event Grid identity used for dead-lettering.

param name string
param location string
param tags object = {}
param workspaceId string
param eventGridIdentityId string

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${eventGridIdentityId}': {}
    }
  }
  properties: {
    source: workspaceId
    topicType: 'Microsoft.MachineLearningServices.Workspaces'
  }
}

output name string = systemTopic.name
