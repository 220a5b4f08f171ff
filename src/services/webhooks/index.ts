export {
  type AzureDevOpsInterpretation,
  interpretAzureDevOpsNotification,
  readAzureDevOpsEnvelope,
} from './azure-devops';
export * from './ci-event';
export { WebhookPayloadError } from './errors';
export { type GenericWebhookBody, genericWebhookSchema, interpretGenericBody } from './generic';
export { GITHUB_MAX_PUSH_COMMITS, type GitHubInterpretation, interpretGitHubDelivery } from './github';
export { branchMatches, firstMatchingPath, type MatchOutcome, matchModels, type ModelMatch } from './match';
export { describeIssues, parseJson } from './parse';
export {
  dedupeKeyFor,
  type ParameterValue,
  type RetrainSource,
  type RetrainTriggerOutcome,
  type RetrainTriggerRequest,
  type RetrainTriggerSubmitter,
} from './retrain-request';
