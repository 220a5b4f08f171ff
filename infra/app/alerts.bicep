// Scheduled-query alert rules on the orchestrator's custom events and metrics (names from
// src/telemetry/names.ts; the infra consistency test checks every name used here).

param namePrefix string
param location string
param tags object = {}
param applicationInsightsId string

@description('E-mail address for alert notifications; empty: the rules fire without notifying anyone.')
param alertEmailAddress string = ''

@description('A batch-scoring run that takes longer than this many seconds raises the batch alert.')
@minValue(60)
param batchDurationAlertSeconds int = 3600

@description('How often each rule runs and how far back it looks (ISO 8601). Shorter is faster and costs more.')
@allowed(['PT5M', 'PT10M', 'PT15M', 'PT30M', 'PT1H'])
param evaluationFrequency string = 'PT15M'

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmailAddress)) {
  name: '${namePrefix}-ag'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take('mlops${uniqueString(namePrefix)}', 12)
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmailAddress
        useCommonAlertSchema: true
      }
    ]
  }
}

var rules = [
  {
    name: 'retrain-failed'
    displayName: 'MLOps: retrain failed'
    description: 'A retrain orchestration failed (training, gate evaluation, registration or deployment).'
    severity: 2
    query: 'customEvents | where name == "RetrainFailed" | extend model = tostring(customDimensions.model), instanceId = tostring(customDimensions.instanceId)'
  }
  {
    name: 'deployment-rolled-back'
    displayName: 'MLOps: deployment rolled back'
    description: 'A new model deployment failed its checks and traffic went back to the previous deployment.'
    severity: 2
    query: 'customEvents | where name == "DeploymentRolledBack" | extend model = tostring(customDimensions.model), deployment = tostring(customDimensions.deployment)'
  }
  {
    name: 'batch-failed-or-slow'
    displayName: 'MLOps: batch scoring failed or over its duration threshold'
    description: 'A batch-scoring run failed (more failed mini-batches than its errorThreshold) or took longer than ${batchDurationAlertSeconds} s.'
    severity: 1
    query: 'union (customEvents | where name == "BatchFailed" | extend model = tostring(customDimensions.model)), (customMetrics | where name == "BatchDurationSeconds" and value > ${batchDurationAlertSeconds} | extend model = tostring(customDimensions.model))'
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: '${namePrefix}-${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        applicationInsightsId
      ]
      evaluationFrequency: evaluationFrequency
      windowSize: evaluationFrequency
      autoMitigate: false
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            dimensions: [
              {
                name: 'model'
                operator: 'Include'
                values: ['*']
              }
            ]
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroups: empty(alertEmailAddress) ? [] : [actionGroup.id]
      }
    }
  }
]

output alertRuleNames string[] = [for (rule, i) in rules: alertRules[i].name]
