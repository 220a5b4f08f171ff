import { z } from 'zod';

/**
 * The operations API contract: request and response schemas shared by the handlers, the OpenAPI document and the
 * `mlops` CLI (which imports the types only).
 */

const modelName = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/, 'must be a model name from the catalog')
  .describe('Model name from the catalog');

/** Run kinds and statuses as the run records (src/state/runs.ts) keep them, plus `canceled` (ops cancel). */
export const runKinds = ['retrain', 'rollback', 'promotion'] as const;
export const runStatuses = [
  'queued',
  'running',
  'awaitingApproval',
  'succeeded',
  'rejected',
  'rolledBack',
  'failed',
  'superseded',
  'canceled',
] as const;
export const stageStatuses = ['running', 'succeeded', 'failed', 'skipped', 'pending'] as const;

/** Run listings come from the run records; a queued run has none yet (see GET ops/triggers?fate=coalesced). */
export const listedRunStatuses = runStatuses.filter((s) => s !== 'queued') as [
  Exclude<(typeof runStatuses)[number], 'queued'>,
  ...Exclude<(typeof runStatuses)[number], 'queued'>[],
];

export const triggerFates = [
  'received',
  'started',
  'coalesced',
  'superseded',
  'canceled',
  'duplicate',
  'ignored',
] as const;

export type RunKind = (typeof runKinds)[number];
export type GitLineage = z.infer<typeof gitLineageSchema>;
export type RunStatus = (typeof runStatuses)[number];

const parameterValue = z.union([z.string(), z.number(), z.boolean()]);

export const gitLineageSchema = z.object({
  provider: z.string().optional().describe('github, azureDevOps or generic'),
  repository: z.string(),
  sha: z.string().optional(),
  ref: z.string().optional().describe('Branch or ref'),
  ciRunUrl: z.string().optional(),
});

export const runSummarySchema = z.object({
  runId: z.string().describe('Run id (equals the id of the trigger that started it)'),
  instanceId: z.string().describe('Orchestration instance executing the run (retrain-<model> for retrains)'),
  model: z.string(),
  kind: z.enum(runKinds),
  status: z.enum(runStatuses),
  createdAt: z.string().describe('ISO 8601: when the run started'),
  updatedAt: z.string().describe('ISO 8601'),
  finishedAt: z.string().optional(),
  triggerId: z.string().optional(),
  trigger: z
    .object({
      source: z.string(),
      reason: z.string().optional(),
      git: gitLineageSchema.optional(),
      parameters: z
        .record(z.string(), parameterValue)
        .optional()
        .describe('Training parameter overrides the trigger asked for'),
    })
    .optional(),
  azureMlJob: z.string().optional(),
  azureMlJobUrl: z.string().optional().describe('The training job in Azure ML studio'),
  modelVersion: z.string().optional(),
  stage: z.string().optional().describe('Promotion runs: the stage the version was promoted to'),
  fromStage: z.string().optional().describe('Promotion runs: the stage it came from'),
});

export const runStageSchema = z.object({
  name: z.string().describe('e.g. submitTraining, waitForRun, gate, register, approval, deploy'),
  status: z.enum(stageStatuses),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  detail: z.string().optional(),
});

export const runDetailSchema = runSummarySchema.extend({
  stages: z.array(runStageSchema),
  error: z.string().optional(),
});

export const runPageSchema = z.object({
  runs: z.array(runSummarySchema),
  continuationToken: z.string().optional().describe('Pass back to get the next page; absent on the last page'),
});

const csv = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(values)).min(1));

export const listRunsQuerySchema = z.object({
  model: modelName.optional(),
  kind: csv(runKinds)
    .optional()
    .describe(`Comma-separated: ${runKinds.join(', ')}`),
  status: csv(listedRunStatuses)
    .optional()
    .describe(`Comma-separated: ${listedRunStatuses.join(', ')}`),
  from: z.iso.datetime({ offset: true }).optional().describe('Created at or after (ISO 8601)'),
  to: z.iso.datetime({ offset: true }).optional().describe('Created before (ISO 8601)'),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
  continuationToken: z.string().min(1).max(4096).optional(),
});

export type ListRunsQuery = z.output<typeof listRunsQuerySchema>;

export const triggerSchema = z.object({
  triggerId: z.string().describe('Also the id of the run it starts'),
  model: z.string(),
  source: z.string().describe('dataset, git, schedule or manual'),
  fate: z.enum(triggerFates).describe('What became of the trigger'),
  receivedAt: z.string().describe('ISO 8601'),
  occurredAt: z.string().describe('ISO 8601: when its input came into existence (decides "newest" on coalescing)'),
  runId: z.string().optional().describe('The run it started, or for a duplicate the original run'),
  relatedTriggerId: z
    .string()
    .optional()
    .describe('duplicate: the trigger that first claimed the key; superseded: the trigger that replaced it'),
  dataset: z.object({ uri: z.string(), eTag: z.string(), dataAsset: z.string().optional() }).optional(),
  git: gitLineageSchema.optional(),
  parameters: z.record(z.string(), parameterValue).optional(),
  requestedBy: z.string().optional(),
  history: z.array(z.object({ at: z.string(), fate: z.enum(triggerFates), note: z.string().optional() })),
});

export const triggerPageSchema = z.object({
  triggers: z.array(triggerSchema),
  continuationToken: z.string().optional().describe('Pass back to get the next page; absent on the last page'),
});

export const listTriggersQuerySchema = z.object({
  model: modelName.optional(),
  fate: csv(triggerFates)
    .optional()
    .describe(`Comma-separated: ${triggerFates.join(', ')}`),
  from: z.iso.datetime({ offset: true }).optional().describe('Received at or after (ISO 8601)'),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
  continuationToken: z.string().min(1).max(4096).optional(),
});

export type ListTriggersQuery = z.output<typeof listTriggersQuerySchema>;
export type TriggerView = z.infer<typeof triggerSchema>;
export type TriggerPage = z.infer<typeof triggerPageSchema>;

export const retrainRequestSchema = z
  .object({
    parameters: z.record(z.string().min(1), parameterValue).optional().describe('Training parameter overrides'),
    reason: z.string().max(500).optional(),
    requestId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/)
      .optional()
      .describe('Idempotency key: the same id never starts a second run'),
    requestedBy: z.string().max(200).optional(),
  })
  .strict();

export const decisionRequestSchema = z
  .object({
    comment: z.string().max(1000).optional(),
    decidedBy: z.string().max(200).optional(),
  })
  .strict();

export const rollbackRequestSchema = z
  .object({
    stage: z
      .string()
      .max(32)
      .optional()
      .describe("Promotion stage whose endpoint is rolled back (default: the model's own)"),
    reason: z.string().max(500).optional(),
    requestedBy: z.string().max(200).optional(),
  })
  .strict();

export const promoteRequestSchema = z
  .object({
    to: z.string().min(1).max(32).describe('Target stage (the stage after the one the version is live in)'),
    version: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9\-_.]{0,63}$/)
      .optional()
      .describe('Version to promote; it must be the one live in the source stage (default: that one)'),
    requestedBy: z.string().max(200).optional(),
  })
  .strict();

export const cancelRequestSchema = z.object({ reason: z.string().max(500).optional() }).strict();

export const triggerAcceptedSchema = z.object({
  outcome: z.enum(['started', 'queued', 'duplicate']),
  runId: z.string(),
  instanceId: z.string(),
  triggerId: z.string(),
  statusUrl: z.string(),
});

export const operationAcceptedSchema = z.object({
  runId: z.string(),
  operation: z.enum(['approve', 'reject', 'rollback', 'cancel', 'promote']),
  statusUrl: z.string(),
  detail: z.string().optional(),
});

export const deploymentLogsQuerySchema = z.object({
  deployment: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/)
    .optional()
    .describe("Default: the deployment serving the model's traffic"),
  container: z
    .enum(['StorageInitializer', 'InferenceServer'])
    .optional()
    .describe('Default: both (model download, then scoring server)'),
  tail: z.coerce.number().int().min(1).max(5000).default(200).describe('Lines per container'),
});

export type DeploymentLogsQuery = z.output<typeof deploymentLogsQuerySchema>;

export const deploymentLogsSchema = z.object({
  model: z.string(),
  endpoint: z.string(),
  deployment: z.string(),
  source: z
    .enum(['live', 'failureReport'])
    .describe('live: read from Azure ML now; failureReport: kept by the run whose release failed (deployment deleted)'),
  runId: z.string().optional().describe('failureReport: the run that kept the logs'),
  logs: z
    .record(z.string(), z.string())
    .describe('Container name → log text (failureReport: one entry, "report", with both containers)'),
});

export const scoreRequestSchema = z
  .object({
    body: z.unknown().optional().describe("Request body for the model; default: the catalog's deployment.smokeSample"),
    deployment: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/)
      .optional()
      .describe('Pin one deployment (azureml-model-deployment); default: traffic routing'),
  })
  .strict();

export const scoreResultSchema = z.object({
  model: z.string(),
  endpoint: z.string(),
  scoringUri: z.string(),
  deployment: z.string().optional().describe('The deployment that answered, when the endpoint says'),
  status: z.number().int().describe("The endpoint's HTTP status"),
  latencyMs: z.number().optional(),
  body: z.unknown().optional().describe("The model's answer"),
  error: z.string().optional(),
});

export type DeploymentLogs = z.infer<typeof deploymentLogsSchema>;
export type ScoreRequestBody = z.infer<typeof scoreRequestSchema>;
export type ScoreResult = z.infer<typeof scoreResultSchema>;

export const problemSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), problems: z.array(z.string()).optional() }),
});

export type RunSummary = z.infer<typeof runSummarySchema>;
export type RunStage = z.infer<typeof runStageSchema>;
export type RunDetail = z.infer<typeof runDetailSchema>;
export type RunPage = z.infer<typeof runPageSchema>;
export type RetrainRequestBody = z.infer<typeof retrainRequestSchema>;
export type DecisionRequestBody = z.infer<typeof decisionRequestSchema>;
export type RollbackRequestBody = z.infer<typeof rollbackRequestSchema>;
export type PromoteRequestBody = z.infer<typeof promoteRequestSchema>;
export type CancelRequestBody = z.infer<typeof cancelRequestSchema>;
export type TriggerAccepted = z.infer<typeof triggerAcceptedSchema>;
export type OperationAccepted = z.infer<typeof operationAcceptedSchema>;
export type Problem = z.infer<typeof problemSchema>;
