// Read access for the identities Azure ML jobs and batch deployments run as, on the lake containers the catalog
// names: Storage Blob Data Reader on dataset containers, Storage Blob Data Contributor on batch containers (batch
// scoring output). With shared keys off, this is what lets a job read `azureml://datastores/<lake datastore>/...`
// (identity-based datastores: the job's compute identity reads the storage; docs/deploy.md, "How jobs read the lake").

param lakeStorageName string
param datasetContainers string[]
param batchContainers string[]

@description('Principal ids of the compute identities (compute clusters\' managed identities) that run training and batch jobs.')
param principalIds string[]

var roles = loadJsonContent('built-in-roles.json')
var readerPairs = flatten(map(principalIds, p => map(datasetContainers, c => { principalId: p, container: c })))
var writerPairs = flatten(map(principalIds, p => map(batchContainers, c => { principalId: p, container: c })))

resource lake 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: lakeStorageName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: lake
  name: 'default'
}

resource readerContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [
  for pair in readerPairs: {
    parent: blobService
    name: pair.container
  }
]

resource writerContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [
  for pair in writerPairs: {
    parent: blobService
    name: pair.container
  }
]

resource readers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (pair, i) in readerPairs: {
    name: guid(readerContainers[i].id, pair.principalId, roles['Storage Blob Data Reader'])
    scope: readerContainers[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles['Storage Blob Data Reader'])
      principalId: pair.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource writers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (pair, i) in writerPairs: {
    name: guid(writerContainers[i].id, pair.principalId, roles['Storage Blob Data Contributor'])
    scope: writerContainers[i]
    properties: {
      roleDefinitionId: subscriptionResourceId(
        'Microsoft.Authorization/roleDefinitions',
        roles['Storage Blob Data Contributor']
      )
      principalId: pair.principalId
      principalType: 'ServicePrincipal'
    }
  }
]
