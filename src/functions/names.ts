/**
 * Names of the functions the app registers.
 *
 * @remarks Infra (Event Grid subscriptions, alerts) and tests refer to functions by name; keeping the names here
 * lets the consistency test check them against what the app actually registers.
 */
export const FunctionNames = {
  /** Event Grid: Microsoft.Storage.BlobCreated from the data lake. */
  datasetUploaded: 'datasetUploaded',
  /** Event Grid: Microsoft.MachineLearningServices.RunCompleted / RunStatusChanged from the workspace. */
  azuremlRunEvents: 'azuremlRunEvents',
} as const;

export type FunctionName = (typeof FunctionNames)[keyof typeof FunctionNames];
