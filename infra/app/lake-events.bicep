// Event Grid system topic on the data lake and the subscription that delivers committed dataset blobs to the
// `datasetUploaded` function. The subject filters come from the catalog (generated/dataset-filters.json, written
// by the preprovision hook and passed in as a parameter); see "How the Event Grid filters follow the catalog" in docs/deploy.md.

param systemTopicName string
param location string
param tags object = {}
param lakeStorageId string
param functionAppId string
param eventGridIdentityId string
param deadLetterContainerName string

@description('false on the very first provision: Event Grid validates that the function exists, which it does only after `azd deploy`.')
param deploySubscription bool

@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 10

@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

@description('Dataset filters from the catalog (main.bicep datasetFilters: the preprovision hook\'s value, else the committed infra/generated/dataset-filters.json).')
param filters object

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: systemTopicName
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${eventGridIdentityId}': {}
    }
  }
  properties: {
    source: lakeStorageId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource datasetSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (deploySubscription && !empty(filters.subjectBeginsWith)) {
  parent: systemTopic
  name: 'dataset-uploaded'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionAppId}/functions/datasetUploaded'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      enableAdvancedFilteringOnArrays: true
      advancedFilters: concat(
        [
          {
            operatorType: 'StringIn'
            key: 'data.api'
            values: filters.apis
          }
          {
            operatorType: 'StringBeginsWith'
            key: 'subject'
            values: filters.subjectBeginsWith
          }
        ],
        empty(filters.subjectEndsWith)
          ? []
          : [
              {
                operatorType: 'StringEndsWith'
                key: 'subject'
                values: filters.subjectEndsWith
              }
            ]
      )
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: eventGridIdentityId
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: lakeStorageId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output systemTopicName string = systemTopic.name
output subscriptionDeployed bool = deploySubscription && !empty(filters.subjectBeginsWith)
