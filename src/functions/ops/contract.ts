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
export const runKinds = ['retrain', 'rollback'] as const;
export const runStatuses = [
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

export type RunKind = (typeof runKinds)[number];
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
    })
    .optional(),
  azureMlJob: z.string().optional(),
  modelVersion: z.string().optional(),
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
  status: csv(runStatuses)
    .optional()
    .describe(`Comma-separated: ${runStatuses.join(', ')}`),
  from: z.iso.datetime({ offset: true }).optional().describe('Created at or after (ISO 8601)'),
  to: z.iso.datetime({ offset: true }).optional().describe('Created before (ISO 8601)'),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
  continuationToken: z.string().min(1).max(4096).optional(),
});

export type ListRunsQuery = z.output<typeof listRunsQuerySchema>;

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
    reason: z.string().max(500).optional(),
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
  operation: z.enum(['approve', 'reject', 'rollback', 'cancel']),
  statusUrl: z.string(),
  detail: z.string().optional(),
});

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
export type CancelRequestBody = z.infer<typeof cancelRequestSchema>;
export type TriggerAccepted = z.infer<typeof triggerAcceptedSchema>;
export type OperationAccepted = z.infer<typeof operationAcceptedSchema>;
export type Problem = z.infer<typeof problemSchema>;
