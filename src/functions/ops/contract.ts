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
  stage: z
    .string()
    .optional()
    .describe(
      "The promotion stage the run acted on: a promotion's target stage; a retrain's, the model's first stage; a rollback's, the stage it rolled back (models with stages)",
    ),
  fromStage: z.string().optional().describe('Promotion runs: the stage it came from'),
});

export const runStageSchema = z.object({
  name: z.string().describe('e.g. submitTraining, waitForRun, gate, register, approval, deploy'),
  status: z.enum(stageStatuses),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  detail: z.string().optional(),
});

export const gateCheckSchema = z.object({
  metric: z.string(),
  candidate: z.number().optional().describe("The candidate's value"),
  champion: z.number().optional().describe("The champion's value (the version serving 100 % traffic)"),
  passed: z.boolean(),
  notes: z.array(z.string()).describe('One sentence per check made on this metric'),
});

export const gateViewSchema = z.object({
  decision: z.enum(['accepted', 'rejected']),
  reasons: z.array(z.string()),
  championVersion: z.string().optional().describe('The version the candidate was compared with'),
  checks: z.array(gateCheckSchema).describe('Candidate vs champion, metric by metric'),
});

export const datasetLineageSchema = z.object({
  uri: z.string(),
  eTag: z.string().optional(),
  dataAsset: z.string().optional().describe('<name>:<version> of the registered data asset'),
});

export const runLineageSchema = z.object({
  triggerId: z.string(),
  instanceId: z.string(),
  dataset: datasetLineageSchema.optional(),
  git: gitLineageSchema.optional(),
  azureMlJob: z.string().optional(),
  metricsRun: z.string().optional().describe('The MLflow run the gate read its metrics from'),
  registeredModel: z.object({ name: z.string(), version: z.string() }).optional(),
  parameters: z.record(z.string(), parameterValue).optional(),
  coalescedTriggers: z.array(z.string()).describe('Triggers folded into this run'),
});

export const failureReportSchema = z.object({
  stage: z.string(),
  errorType: z.string(),
  message: z.string(),
  deploymentLogs: z.string().optional().describe("Tail of the failed deployment's logs (a release that failed)"),
});

export const runDetailSchema = runSummarySchema.extend({
  stages: z.array(runStageSchema),
  error: z.string().optional().describe('One line: <stage>: <errorType>: <message>'),
  metrics: z.record(z.string(), z.number()).optional().describe("The candidate's metrics"),
  gate: gateViewSchema.optional(),
  lineage: runLineageSchema.optional(),
  approval: z
    .object({
      status: z.enum(['pending', 'approved', 'rejected', 'timedOut']),
      by: z.string().optional(),
      comment: z.string().optional(),
      at: z.string().optional(),
    })
    .optional(),
  deployment: z
    .object({
      endpoint: z.string(),
      name: z.string(),
      previous: z.string().optional(),
      traffic: z.record(z.string(), z.number()).optional(),
      outcome: z.enum(['succeeded', 'rolledBack']).optional(),
      checks: z.array(z.string()).optional(),
    })
    .optional(),
  failure: failureReportSchema.optional(),
  followUp: z.string().optional().describe("The run that took the model's lane when this one finished"),
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
      .describe(
        "Promotion stage whose endpoint is rolled back (default: the model's own); the deployment, if named, is one of that endpoint's",
      ),
    deployment: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/)
      .optional()
      .describe(
        'Deployment to put back; default: the provisioned one with the highest model version below the live one',
      ),
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

// ---- models and endpoints -------------------------------------------------------------------------------------

const lastRunSchema = z.object({
  runId: z.string(),
  kind: z.enum(runKinds),
  status: z.enum(runStatuses),
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  modelVersion: z.string().optional(),
});

export const modelSummarySchema = z.object({
  model: z.string().describe('Catalog name'),
  description: z.string().optional(),
  registeredName: z.string().describe('Name of the model in the Azure ML registry'),
  endpoint: z.string().describe('Online endpoint the model is released to'),
  liveVersion: z.string().optional().describe('Version served by the deployment with the largest traffic share'),
  liveDeployment: z.string().optional(),
  latestVersion: z.string().optional().describe('Newest registered version (may be rejected by the gate)'),
  versions: z.number().int().describe('Registered versions'),
  approvalRequired: z.boolean(),
  batch: z.boolean().describe('The model has a batch scoring section'),
  lastRun: lastRunSchema.optional(),
  stages: z
    .array(
      z.object({
        stage: z.string(),
        endpoint: z.string(),
        workspace: z
          .string()
          .optional()
          .describe("<subscription>/<resource group>/<workspace> of the stage; absent: the app's workspace"),
        registry: z.string().optional().describe('Registry versions reach the stage through'),
        promotion: z.enum(['manual', 'automatic']),
        liveVersion: z
          .string()
          .optional()
          .describe('Version serving the stage (its deployment with the largest share)'),
        liveDeployment: z.string().optional(),
      }),
    )
    .optional()
    .describe('Promotion stages in order (models that declare stages), each with what it serves now'),
});

export const modelListSchema = z.object({ models: z.array(modelSummarySchema) });

export const modelVersionSchema = z.object({
  version: z.string(),
  createdAt: z.string().optional(),
  live: z.boolean().describe('Serves the largest traffic share of the endpoint'),
  deployments: z
    .array(z.object({ deployment: z.string(), trafficPercent: z.number() }))
    .describe('Deployments of the endpoint serving this version'),
  gate: z
    .object({
      decision: z.string().optional().describe('accepted or rejected'),
      reasons: z.string().optional(),
      championVersion: z.string().optional(),
    })
    .optional(),
  approval: z.string().optional(),
  metrics: z.record(z.string(), z.number()).describe('Metrics recorded on the version (the gate read them)'),
  lineage: z.object({
    runId: z.string().optional(),
    triggerId: z.string().optional(),
    triggerSource: z.string().optional(),
    instanceId: z.string().optional(),
    azureMlJob: z.string().optional(),
    dataset: datasetLineageSchema.optional(),
    git: gitLineageSchema.optional(),
    parameters: z.string().optional().describe('Training parameter overrides (JSON)'),
  }),
  managed: z.boolean().describe('Registered by this orchestrator (carries its lineage tags)'),
});

export const modelDetailSchema = modelSummarySchema.omit({ versions: true }).extend({
  versions: z.array(modelVersionSchema).describe('Newest first'),
  runs: z.array(lastRunSchema).describe('Recent runs of the model, newest first'),
});

export const endpointDeploymentSchema = z.object({
  deployment: z.string(),
  model: z.string().optional().describe('Registered model name the deployment serves'),
  modelVersion: z.string().optional(),
  provisioningState: z.string(),
  trafficPercent: z.number(),
  createdAt: z.string().optional(),
  managed: z.boolean().describe('Created by this orchestrator'),
});

export const endpointSummarySchema = z.object({
  endpoint: z.string(),
  models: z.array(z.string()).describe('Catalog models released to or scoring through this endpoint'),
  exists: z.boolean().describe('false: the endpoint is in the catalog but not (yet) in the workspace'),
  provisioningState: z.string().optional(),
  authMode: z.string().optional(),
  scoringUri: z.string().optional(),
  traffic: z.record(z.string(), z.number()).describe('Deployment → traffic percent'),
  liveDeployment: z.string().optional(),
});

export const endpointListSchema = z.object({ endpoints: z.array(endpointSummarySchema) });

export const endpointDetailSchema = endpointSummarySchema.extend({
  deployments: z.array(endpointDeploymentSchema),
});

export type ModelSummary = z.infer<typeof modelSummarySchema>;
export type ModelList = z.infer<typeof modelListSchema>;
export type ModelVersionView = z.infer<typeof modelVersionSchema>;
export type ModelDetail = z.infer<typeof modelDetailSchema>;
export type EndpointSummary = z.infer<typeof endpointSummarySchema>;
export type EndpointList = z.infer<typeof endpointListSchema>;
export type EndpointDetail = z.infer<typeof endpointDetailSchema>;
export type EndpointDeployment = z.infer<typeof endpointDeploymentSchema>;

// ---- batch runs --------------------------------------------------------------------------------------------------

/** What a batch run is doing or how it ended (from the orchestration's state and the run's progress). */
export const batchRunStatuses = ['pending', 'running', 'published', 'failed', 'skipped', 'canceled'] as const;
export const batchPhases = ['planning', 'scoring', 'publishing', 'published', 'failed', 'skipped'] as const;

export type BatchRunStatusName = (typeof batchRunStatuses)[number];

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a calendar date YYYY-MM-DD');

export const batchProgressSchema = z.object({
  miniBatches: z.object({
    total: z.number().int().describe('0 while planning'),
    done: z.number().int().describe('Scored'),
    failed: z.number().int(),
  }),
  rows: z.object({
    scored: z.number().int(),
    total: z.number().int().optional().describe('Input rows (known once published or abandoned)'),
  }),
  rowsPerSecond: z
    .number()
    .optional()
    .describe('Rows scored per second of the scoring phase (from the manifest once published)'),
  percent: z.number().describe('Mini-batches settled (done + failed) of total, 0-100'),
});

export const batchRunSummarySchema = z.object({
  runId: z.string().describe('Orchestration instance id: batch-<model>-<date> (one run per model and date)'),
  model: z.string(),
  date: z.string().describe('Partition date scored (YYYY-MM-DD)'),
  status: z.enum(batchRunStatuses),
  phase: z.enum(batchPhases).optional(),
  trigger: z.string().optional().describe('schedule:<slot> or backfill:<request id>'),
  attemptId: z.string().optional().describe("The attempt's run id (staging folder; changes when a date is re-run)"),
  createdAt: z.string(),
  updatedAt: z.string(),
  progress: batchProgressSchema,
  errorThreshold: z.number().optional(),
  output: z.string().optional().describe('Published prefix (date=YYYY-MM-DD/)'),
  reason: z.string().optional(),
});

export const batchManifestSchema = z
  .record(z.string(), z.unknown())
  .describe('The published _manifest.json (docs/batch-scoring.md): rows, mini-batches, failures, timings, throughput');

export const batchRunDetailSchema = batchRunSummarySchema.extend({
  failures: z
    .array(z.object({ key: z.string(), rows: z.number().int(), reason: z.string() }))
    .describe('Failed mini-batches with reasons (from the manifest or the abandoned run)'),
  manifest: batchManifestSchema.optional().describe('Present once the run published'),
  manifestUrl: z.string().optional().describe('Blob URL of the manifest'),
});

export const batchRunPageSchema = z.object({
  runs: z.array(batchRunSummarySchema),
  continuationToken: z.string().optional().describe('Pass back to get the next page; absent on the last page'),
});

export const listBatchRunsQuerySchema = z.object({
  model: modelName.optional(),
  status: csv(batchRunStatuses)
    .optional()
    .describe(`Comma-separated: ${batchRunStatuses.join(', ')}`),
  from: z.iso.datetime({ offset: true }).optional().describe('Created at or after (ISO 8601)'),
  to: z.iso.datetime({ offset: true }).optional().describe('Created before (ISO 8601)'),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
  continuationToken: z.string().min(1).max(4096).optional(),
});

export const backfillRequestSchema = z
  .object({
    date: isoDay.optional().describe('One date'),
    from: isoDay.optional().describe('First date of a range (with optional to)'),
    to: isoDay.optional().describe('Last date of the range (inclusive; default: from)'),
    replace: z.boolean().default(true).describe("Terminate a running run of a date and replace that date's output"),
  })
  .strict();

export const backfillAcceptedSchema = z.object({
  model: z.string(),
  replace: z.boolean(),
  runs: z.array(
    z.object({
      date: z.string(),
      runId: z.string().describe('The batch run (instance id)'),
      action: z.enum(['started', 'replaced', 'alreadyRunning', 'alreadyCompleted']),
      statusUrl: z.string().describe('GET ops/batch/runs/{runId}'),
    }),
  ),
});

export type BatchProgress = z.infer<typeof batchProgressSchema>;
export type BatchRunSummary = z.infer<typeof batchRunSummarySchema>;
export type BatchRunDetail = z.infer<typeof batchRunDetailSchema>;
export type BatchRunPage = z.infer<typeof batchRunPageSchema>;
export type ListBatchRunsQuery = z.output<typeof listBatchRunsQuerySchema>;
export type BackfillRequestBody = z.input<typeof backfillRequestSchema>;
export type BackfillAccepted = z.infer<typeof backfillAcceptedSchema>;

// ---- errors ------------------------------------------------------------------------------------------------------

/**
 * Every error of every HTTP edge is an RFC 9457 problem (`application/problem+json`); `type` names the kind of
 * error and never changes (docs/operations.md lists them).
 */
export const problemSchema = z.object({
  type: z.string().describe('URI of the error kind, e.g. urn:mlops:problem:invalid-request'),
  title: z.string().describe('Short summary of the error kind (the same for every occurrence)'),
  status: z.number().int().describe('The HTTP status'),
  detail: z.string().describe('What went wrong with this request'),
  errors: z
    .array(
      z.object({
        field: z.string().describe('e.g. query.status, body.parameters.lr, path.runId'),
        message: z.string(),
      }),
    )
    .optional()
    .describe('The offending fields (invalid requests)'),
  invocationId: z.string().optional().describe('500: the invocation to look up in the logs; nothing else'),
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
