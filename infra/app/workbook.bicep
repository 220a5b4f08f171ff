// Application Insights workbook for the orchestrator. The content lives in workbook.json (edit it in the portal's
// Advanced editor and paste it back); every event and metric name in it is checked by the infra consistency test.

param displayName string = 'MLOps orchestrator'
param location string
param tags object = {}
param applicationInsightsId string

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(applicationInsightsId, 'mlops-orchestrator-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    version: 'Notebook/1.0'
    // The workbooks RP stores sourceId lower-cased; sending it so avoids a perpetual what-if difference.
    sourceId: toLower(applicationInsightsId)
    serializedData: replace(loadTextContent('workbook.json'), '__APPLICATION_INSIGHTS_ID__', applicationInsightsId)
  }
}

output id string = workbook.id
