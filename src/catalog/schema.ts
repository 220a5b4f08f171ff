import { z } from 'zod';

import { assetReferenceHint, COMPUTE_REFERENCE_HINT, isAssetReference, isComputeReference } from './references';

/**
 * The model catalog: which models exist, what triggers them, how they are trained, gated, deployed and
 * batch-scored. One JSON file, validated at startup with field-level errors.
 */

/** Azure ML resource names (jobs, endpoints, deployments, models) share this pattern. */
const amlName = z
  .string()
  .regex(
    /^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/,
    'must start with a letter or digit and use only letters, digits, - and _',
  );

/** Online endpoint names are stricter: 3-32 characters, letters, digits and hyphens, starting with a letter. */
const endpointName = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/, 'must be 3-32 letters, digits or hyphens, starting with a letter');

const containerName = z
  .string()
  .regex(
    /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/,
    'must be a valid blob container name (3-63 lowercase letters, digits, hyphens)',
  );

/** Six-field NCRONTAB: second minute hour day month day-of-week. */
const ncrontab = z
  .string()
  .trim()
  .refine(
    (s) => s.split(/\s+/).length === 6,
    'must be a six-field NCRONTAB expression (second minute hour day month day-of-week)',
  );

/** An asset version the REST API takes as an ARM id (resolved from the short form by the Azure ML client). */
const assetReference = (collection: 'components' | 'environments' | 'codes') =>
  z.string().refine((value) => isAssetReference(collection, value), assetReferenceHint(collection));

const prefix = z.string().refine((s) => !s.startsWith('/'), 'must not start with /');

const parameters = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({});

const pollingSchema = z
  .object({
    initialIntervalSeconds: z.number().int().min(1).default(30),
    maxIntervalSeconds: z.number().int().min(1).default(600),
    backoffCoefficient: z.number().min(1).max(10).default(2),
  })
  .refine((p) => p.maxIntervalSeconds >= p.initialIntervalSeconds, {
    message: 'must be >= initialIntervalSeconds',
    path: ['maxIntervalSeconds'],
  });

const trainingCommon = {
  experiment: amlName,
  parameters,
  /** Name of the pipeline parameter / job input that receives the dataset URI. */
  datasetInput: z.string().min(1),
  /** How the dataset is passed to a v2 job input: one file (`uri_file`) or its folder (`uri_folder`). */
  datasetInputType: z.enum(['uri_file', 'uri_folder']).default('uri_file'),
  /** Name of the job output that holds the trained model (used as the registered model's URI). */
  modelOutput: z.string().min(1).default('model'),
  /**
   * Name of the pipeline step (child job) whose MLflow run logs the gate's metrics. Default: the submitted job's own
   * run when it has them all, else the one step run below it that has them all.
   */
  metricsStep: z.string().min(1).optional(),
  timeoutMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(120),
  polling: pollingSchema.prefault({}),
};

const trainingSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('publishedPipeline'),
    /** Id of the v1 PipelineEndpoint (the default version is submitted). */
    pipelineEndpointId: z.string().min(1),
    /**
     * How the published pipeline takes the dataset: `dataPath` (a DataPath PipelineParameter, sent in
     * `DataPathAssignments` as datastore + relative path; needs an `azureml://datastores/<ds>/paths/<p>` dataset URI)
     * or `parameter` (a string PipelineParameter holding the URI, which the pipeline's own step reads).
     */
    datasetAssignment: z.enum(['dataPath', 'parameter']).default('dataPath'),
    ...trainingCommon,
  }),
  z.object({
    kind: z.literal('batchEndpoint'),
    /** Batch endpoint with a pipeline component deployment. */
    endpoint: endpointName,
    /** Deployment to invoke; default: the endpoint's default deployment. */
    deployment: amlName.optional(),
    ...trainingCommon,
  }),
  z.object({
    kind: z.literal('pipelineJob'),
    /** The pipeline component version to run as a pipeline job (sent as its ARM id). */
    componentId: assetReference('components'),
    /** Compute for the pipeline (settings.default_compute, sent as its ARM id). */
    compute: z.string().refine(isComputeReference, COMPUTE_REFERENCE_HINT).optional(),
    ...trainingCommon,
  }),
]);

const datasetTrigger = z.object({
  container: containerName,
  prefix: prefix.default(''),
  suffix: z.string().default(''),
});

const gitTrigger = z.object({
  /** owner/name (GitHub) or project/repository (Azure DevOps). */
  repository: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'must be owner/name'),
  branches: z.array(z.string().min(1)).min(1).default(['main']),
  /** Glob patterns (minimatch syntax) of changed paths that trigger a retrain; empty = any change. */
  paths: z.array(z.string().min(1)).default([]),
  /** Also retrain when a CI workflow/pipeline run of this repository completes successfully. */
  onWorkflowRun: z.boolean().default(false),
  /**
   * What a push does when the webhook cannot say which paths changed (GitHub cut the commit list, force pushes,
   * Azure DevOps pushes): `match` retrains (a redundant run is cheaper than a missed one; the gate guards the
   * release), `ignore` does not. Only matters when `paths` is not empty.
   */
  unknownPaths: z.enum(['match', 'ignore']).default('match'),
  /**
   * Azure Repos repository id (GUID). Azure Pipelines run notifications of Azure Repos name the repository only by
   * id; set it to act on those runs.
   */
  repositoryId: z.string().min(1).optional(),
});

const scheduleTrigger = z.object({
  name: amlName,
  schedule: ncrontab,
});

const triggersSchema = z.object({
  datasets: z.array(datasetTrigger).default([]),
  git: z.array(gitTrigger).default([]),
  schedules: z.array(scheduleTrigger).default([]),
  /** What happens to a run in flight when a newer trigger arrives: coalesce (follow-up run) or cancel it. */
  onSupersede: z.enum(['coalesce', 'cancel']).default('coalesce'),
});

const gateMetric = z.object({
  name: z.string().min(1),
  /** Which way is better. */
  goal: z.enum(['minimize', 'maximize']),
  /** Absolute bound the candidate must meet (<= for minimize, >= for maximize). */
  threshold: z.number().optional(),
  /**
   * Required improvement over the champion; relative (0.01 = 1 %) or absolute. 0 = at least as good; a negative
   * value tolerates that much regression (-0.05 = at most 5 % worse), for metrics that are noisy between fits.
   */
  minImprovement: z.number().default(0),
  improvement: z.enum(['relative', 'absolute']).default('relative'),
  /** Compare with the champion at all (false: thresholds only). */
  compareToChampion: z.boolean().default(true),
});

const gateSchema = z.object({
  metrics: z.array(gateMetric).min(1),
});

/** Model types a managed online deployment serves without an environment and a scoring script (no-code deployment). */
export const NO_CODE_MODEL_TYPES: readonly string[] = ['mlflow_model'];

const registrySchema = z.object({
  modelName: amlName,
  /**
   * How the model is served, and the type of the training job's model output and of the registered version:
   * `mlflow_model` (an MLflow model folder with an MLmodel file; no-code deployment) or `custom_model` (any files;
   * the deployment needs `environmentId` and `codeConfiguration`, i.e. a scoring script).
   */
  modelType: z.enum(['mlflow_model', 'custom_model']).default('mlflow_model'),
  /** Data asset under which each uploaded dataset is registered as a version (lineage); default `<model>-data`. */
  dataAssetName: amlName.optional(),
});

const deploymentSchema = z
  .object({
    endpoint: endpointName,
    /**
     * How callers authenticate to the endpoint when the app creates it: `Key` (endpoint keys), `AMLToken` (endpoint
     * tokens that expire) or `AADToken` (Entra tokens for https://ml.azure.com). An existing endpoint keeps its own.
     */
    authMode: z.enum(['Key', 'AMLToken', 'AADToken']).default('Key'),
    strategy: z.enum(['blueGreen', 'canary']).default('blueGreen'),
    /** Traffic percentages for canary steps, increasing, ending at 100. */
    canarySteps: z.array(z.number().int().min(1).max(100)).default([10, 50, 100]),
    bakeTimeSeconds: z.number().int().min(0).default(300),
    /** Probe requests sent to the new deployment after each bake; their error share is compared with maxErrorRate. */
    bakeProbeRequests: z.number().int().min(1).max(1000).default(20),
    /** How long the new deployment may take to provision before the release is rolled back. */
    provisioningTimeoutMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(60),
    /** Interval between provisioning-state checks (durable timer). */
    provisioningPollSeconds: z.number().int().min(1).max(3600).default(15),
    /** Canary aborts when the new deployment's error rate during a bake exceeds this share. */
    maxErrorRate: z.number().min(0).max(1).default(0.01),
    /** Environment version the deployment runs in (ARM id, registry id or azureml:<name>:<version>); custom models. */
    environmentId: assetReference('environments').optional(),
    /** Scoring script: code asset version + the script's path inside it; custom models (optional for MLflow). */
    codeConfiguration: z.object({ codeId: assetReference('codes'), scoringScript: z.string().min(1) }).optional(),
    // The next four and appInsightsEnabled change the new deployment only when set: otherwise it keeps what the live
    // deployment has (operators' settings survive releases), and Azure's defaults apply to a first release
    // (Standard_DS3_v2, 1 instance, PT5S, 1 request per instance).
    instanceType: z.string().min(1).optional(),
    instanceCount: z.number().int().min(1).optional(),
    requestTimeoutMs: z.number().int().min(100).max(180000).optional(),
    maxConcurrentRequestsPerInstance: z.number().int().min(1).optional(),
    /** Application Insights for the model's requests (the deployment's `appInsightsEnabled`). */
    appInsightsEnabled: z.boolean().optional(),
    /**
     * Request body of the smoke test, latency and bake probes, in the shape the model takes (MLflow `input_data`, or
     * `{"data": [...]}` for a scoring script); a 2xx with a JSON object or list (also JSON-encoded as a string) passes.
     */
    smokeSample: z.unknown().refine((v) => v !== undefined, 'is required'),
    latency: z
      .object({
        requests: z.number().int().min(1).max(1000).default(20),
        p95BudgetMs: z.number().int().min(1).default(1000),
        /** New deployment's p95 may be at most this multiple of the live deployment's p95. */
        maxRatioToLive: z.number().min(1).default(1.5),
      })
      .prefault({}),
    /** Deployments kept besides the live one (older ones are deleted). */
    retention: z.number().int().min(0).default(1),
    /** What to do with a deployment that failed its checks. */
    onFailure: z.enum(['delete', 'keep']).default('delete'),
    approval: z
      .object({
        required: z.boolean().default(false),
        timeoutMinutes: z
          .number()
          .int()
          .min(1)
          .default(24 * 60),
      })
      .prefault({}),
  })
  .superRefine((d, ctx) => {
    const steps = d.canarySteps;
    for (let i = 1; i < steps.length; i++) {
      if ((steps[i] ?? 0) <= (steps[i - 1] ?? 0)) {
        ctx.addIssue({ code: 'custom', message: 'must be strictly increasing', path: ['canarySteps', i] });
      }
    }
    if (steps[steps.length - 1] !== 100) {
      ctx.addIssue({ code: 'custom', message: 'must end at 100', path: ['canarySteps'] });
    }
  });

/**
 * A threshold in the unit Azure ML users know: failed records (tabular input, like a parallel job over a tabular
 * dataset), failed files (file input), or failed mini-batches (the product's own unit). A bare number is mini-batches,
 * as before; -1 tolerates any number.
 */
const errorThresholdSchema = z.union([
  z.number().int().min(-1),
  z.object({ records: z.number().int().min(-1) }).strict(),
  z.object({ files: z.number().int().min(-1) }).strict(),
  z.object({ miniBatches: z.number().int().min(-1) }).strict(),
]);

/** Where a batch run scores: a managed online endpoint (durable fan-out) or an Azure ML batch endpoint (a job). */
const scorerSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('onlineEndpoint'),
    /** Online endpoint to score through; default: the model's deployment endpoint. */
    endpoint: endpointName.optional(),
    /** Pin a deployment (azureml-model-deployment); default: traffic routing. */
    deployment: amlName.optional(),
  }),
  z.object({
    kind: z.literal('batchEndpoint'),
    /** Batch endpoint with a model deployment (a parallel job scores the day's input). */
    endpoint: endpointName,
    /** Deployment to invoke; default: the endpoint's default deployment. */
    deployment: amlName.optional(),
    /** Name of the job input that receives the day's data (any name works for model deployments). */
    inputName: amlName.default('input_data'),
    /** Name of the job output the deployment writes its `outputFileName` to (`score` for model deployments). */
    outputName: amlName.default('score'),
    /** Datastore through which the job reads and writes the lake; default `<account>_<container>` (identity-based). */
    datastore: amlName.optional(),
    timeoutMinutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(180),
    polling: pollingSchema.prefault({}),
  }),
]);

/** What a run scores: the date's lake partition, or a registered data asset version. */
const inputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('lakePartition') }),
  z.object({
    kind: z.literal('dataAsset'),
    /** Data asset name (a uri_folder or uri_file version pointing into the lake). */
    name: amlName,
    /** A pinned version, or `latest` (the newest version when the run starts). */
    version: z.string().min(1).default('latest'),
  }),
]);

/** A PostgreSQL identifier the app can quote safely: lower-case letters, digits and _, starting with a letter or _. */
const pgIdentifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a PostgreSQL identifier: lower-case letters, digits and _ (at most 63)');

/** A day's scores also written to a table of Azure Database for PostgreSQL (BATCH_POSTGRES_* settings). */
const tableSchema = z.object({
  schema: pgIdentifier.default('public'),
  name: pgIdentifier,
  /** Column holding the scored date; a run replaces exactly the rows of its date. */
  dateColumn: pgIdentifier.default('score_date'),
});

const batchSchema = z
  .object({
    /** NCRONTAB; default daily at 02:00 UTC. */
    schedule: ncrontab.default('0 0 2 * * *'),
    container: containerName.default('lake'),
    /** Input partitions live under `<inputPrefix>date=YYYY-MM-DD/` (required unless `input` is a data asset). */
    inputPrefix: prefix.optional(),
    /** Also write the day's scores to this PostgreSQL table (replaced per date in one transaction, after the threshold). */
    table: tableSchema.optional(),
    /** What a run scores: the date's lake partition (default) or a registered data asset version. */
    input: inputSchema.default({ kind: 'lakePartition' }),
    /** Output is published to `<outputPrefix>date=YYYY-MM-DD/`. */
    outputPrefix: prefix,
    /** `tabular`: mini-batches of rows; `files`: mini-batches of whole files. */
    inputMode: z.enum(['tabular', 'files']).default('tabular'),
    /** Rows (tabular) or files (files) per mini-batch. */
    miniBatchSize: z.number().int().min(1).default(10000),
    /**
     * Failures tolerated before the run fails (and publishes nothing): a number of mini-batches, or `{records: n}`
     * (tabular), `{files: n}` (files) or `{miniBatches: n}`; -1 tolerates any number.
     */
    errorThreshold: errorThresholdSchema.default(0),
    /** Mini-batches in flight for the whole run. */
    maxParallel: z.number().int().min(1).max(1000).default(8),
    maxRetries: z.number().int().min(0).max(10).default(3),
    retryIntervalSeconds: z.number().int().min(1).default(5),
    /** Rows per scoring request and concurrent requests per mini-batch. */
    requestRows: z.number().int().min(1).max(100000).default(500),
    requestConcurrency: z.number().int().min(1).max(64).default(4),
    outputFormat: z.enum(['csv', 'parquet']).default('csv'),
    /** `appendRow`: one combined output file; `parts`: one part per mini-batch. */
    outputMode: z.enum(['parts', 'appendRow']).default('parts'),
    /** Name of the prediction column added to the output. */
    predictionColumn: z.string().min(1).default('prediction'),
    /** Name of the column with the model version (`<model>:<version>`) that scored each row. */
    modelVersionColumn: z.string().min(1).default('model_version'),
    /** Columns sent to the model (default: every input column); all input columns are kept in the output. */
    features: z.array(z.string().min(1)).min(1).optional(),
    /**
     * How requests carry rows: `inputDataSplit` (MLflow `{"input_data": {"columns", "data"}}`), `inputDataRecords`
     * (MLflow `{"input_data": [{…}]}`) or `dataRecords` (`{"data": [{…}]}`, classic scoring scripts).
     */
    requestFormat: z.enum(['inputDataSplit', 'inputDataRecords', 'dataRecords']).default('inputDataSplit'),
    /**
     * Types of CSV columns (`string`, `number`, `boolean`); undeclared columns are numbers when they look numeric.
     * Declare IDs as `string` to keep leading zeros (`007`) in requests and in the output.
     */
    columnTypes: z.record(z.string().min(1), z.enum(['string', 'number', 'boolean'])).default({}),
    /** Timeout of one scoring request. */
    requestTimeoutMs: z.number().int().min(100).max(180000).default(30000),
    /** Which partition a scheduled run scores: the slot's UTC date plus this many days (-1: yesterday). */
    dateOffsetDays: z.number().int().min(-31).max(0).default(-1),
    /** Where rows are scored; without `kind`, an online endpoint (the product's original scorer). */
    scorer: z
      .preprocess(
        (v) => (isPlainObject(v) && v['kind'] === undefined ? { ...v, kind: 'onlineEndpoint' } : v),
        scorerSchema,
      )
      .prefault({}),
  })
  .superRefine((b, ctx) => {
    if (b.input.kind === 'lakePartition' && b.inputPrefix === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'is required to score the lake partition <inputPrefix>date=YYYY-MM-DD/ (or set input to a data asset)',
        path: ['inputPrefix'],
      });
    }
    const unit = thresholdUnit(b.errorThreshold);
    if (unit === 'records' && b.inputMode !== 'tabular') {
      ctx.addIssue({
        code: 'custom',
        message: 'counts failed records, which needs inputMode tabular (use files with inputMode files)',
        path: ['errorThreshold', 'records'],
      });
    }
    if (unit === 'files' && b.inputMode !== 'files') {
      ctx.addIssue({
        code: 'custom',
        message: 'counts failed files, which needs inputMode files (use records with inputMode tabular)',
        path: ['errorThreshold', 'files'],
      });
    }
  });

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type ErrorThresholdUnit = 'records' | 'files' | 'miniBatches';

/** The unit of a catalog `errorThreshold` (a bare number counts mini-batches). */
export function thresholdUnit(t: z.infer<typeof errorThresholdSchema>): ErrorThresholdUnit {
  if (typeof t === 'number' || 'miniBatches' in t) return 'miniBatches';
  return 'records' in t ? 'records' : 'files';
}

/** The limit of a catalog `errorThreshold`, in its unit; -1 = any number. */
export function thresholdLimit(t: z.infer<typeof errorThresholdSchema>): number {
  if (typeof t === 'number') return t;
  return 'records' in t ? t.records : 'files' in t ? t.files : t.miniBatches;
}

/** The sections retraining needs, in the order users write them. */
export const RETRAIN_SECTIONS = ['training', 'gate', 'registry', 'deployment'] as const;

/** An Azure ML registry (ARM coordinates; name pattern from the 2025-12-01 spec's RegistryNameParameter). */
const registryCoordinatesSchema = z.object({
  subscriptionId: z.string().regex(/^[0-9a-fA-F-]{36}$/, 'must be a subscription id (GUID)'),
  resourceGroup: z.string().regex(/^[-\w._()]{1,90}$/, 'must be a resource group name'),
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9\-_]{2,32}$/, 'must be a registry name (3-33 letters, digits, - or _)'),
});

/** A workspace in another resource group or subscription (ARM coordinates). */
const workspaceCoordinatesSchema = z.object({
  subscriptionId: z.string().regex(/^[0-9a-fA-F-]{36}$/, 'must be a subscription id (GUID)'),
  resourceGroup: z.string().regex(/^[-\w._()]{1,90}$/, 'must be a resource group name'),
  workspace: amlName,
});

/**
 * One environment of a model's promotion path (dev → staging → prod). The first stage is where retrains release (the
 * model's own `deployment`, in the app's workspace); each later stage receives a version released in the stage before
 * it through a promotion, and releases it on its own endpoint with its own checks and approval.
 */
const stageSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be 1-32 lowercase letters, digits or hyphens'),
  /** The stage's workspace; default: the app's workspace (AZUREML_* settings). */
  workspace: workspaceCoordinatesSchema.optional(),
  /**
   * How a promoted version reaches this stage's workspace: through this Azure ML registry (the version is created in
   * the registry, and the stage's deployment names it `azureml://registries/<name>/models/<model>/versions/<v>`);
   * without one, it is copied into the stage's workspace with lineage to the source (none needed in the same
   * workspace).
   */
  registry: registryCoordinatesSchema.optional(),
  /**
   * Overrides of the model's `deployment` for this stage's release (endpoint, strategy, checks, approval, ...); unset
   * fields keep the model's values. Validated merged with them.
   */
  deployment: z.record(z.string(), z.unknown()).default({}),
  /** Promotion from this stage to the next: started by an operator (`manual`) or after each release here. */
  promotion: z.enum(['manual', 'automatic']).default('manual'),
});

export const modelSchema = z
  .object({
    name: amlName,
    description: z.string().default(''),
    training: trainingSchema.optional(),
    triggers: triggersSchema.prefault({}),
    gate: gateSchema.optional(),
    registry: registrySchema.optional(),
    deployment: deploymentSchema.optional(),
    batch: batchSchema.optional(),
    /** Ordered environments a released version is promoted through; none: one stage (the model's deployment). */
    stages: z.array(stageSchema).optional(),
  })
  .superRefine((m, ctx) => {
    // Capabilities and the sections each needs: retraining (training, gate, registry, deployment), batch scoring
    // (batch, plus an endpoint to score through). A score-only entry has only batch.
    const present = RETRAIN_SECTIONS.filter((s) => m[s] !== undefined);
    if (present.length > 0 && present.length < RETRAIN_SECTIONS.length) {
      for (const section of RETRAIN_SECTIONS.filter((s) => m[s] === undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: `is required: retraining needs training, gate, registry and deployment (this entry has ${present.join(', ')}); a score-only model has only batch`,
          path: [section],
        });
      }
    }
    if (present.length === 0 && !m.batch) {
      ctx.addIssue({
        code: 'custom',
        message:
          'is required: a model either retrains (training, gate, registry and deployment) or scores (batch), or both',
        path: ['batch'],
      });
    }
    if (present.length < RETRAIN_SECTIONS.length) {
      const t = m.triggers;
      const kinds = (['datasets', 'git', 'schedules'] as const).filter((k) => t[k].length > 0);
      for (const kind of kinds) {
        ctx.addIssue({
          code: 'custom',
          message:
            'start retraining, which needs training, gate, registry and deployment; a score-only model has no triggers (batch.schedule runs its scoring)',
          path: ['triggers', kind],
        });
      }
    }
    if (m.batch?.scorer.kind === 'onlineEndpoint' && !m.batch.scorer.endpoint && !m.deployment) {
      ctx.addIssue({
        code: 'custom',
        message:
          'is required for a score-only model: name the online endpoint to score through (or use kind batchEndpoint)',
        path: ['batch', 'scorer', 'endpoint'],
      });
    }
    if (m.stages && !m.deployment) {
      ctx.addIssue({
        code: 'custom',
        message:
          'apply to a model that retrains and releases (training, gate, registry and deployment); a score-only model has no stages',
        path: ['stages'],
      });
    }
    if (!m.registry || !m.deployment) return;
    stageProblems({ deployment: m.deployment, stages: m.stages }, ctx);
    // Managed online deployments serve only MLflow models without code; any other model needs both (Learn:
    // "Deploy MLflow models to online endpoints", no-code deployment).
    if (!NO_CODE_MODEL_TYPES.includes(m.registry.modelType)) {
      for (const field of ['environmentId', 'codeConfiguration'] as const) {
        if (!m.deployment[field]) {
          ctx.addIssue({
            code: 'custom',
            message: `is required for a ${m.registry.modelType}: only MLflow models deploy without an environment and a scoring script`,
            path: ['deployment', field],
          });
        }
      }
    } else if (m.deployment.codeConfiguration && !m.deployment.environmentId) {
      ctx.addIssue({
        code: 'custom',
        message: 'is required with codeConfiguration: a scoring script runs in an environment you name',
        path: ['deployment', 'environmentId'],
      });
    }
  });

/** Merges a stage's deployment overrides over the model's deployment and validates the result. */
export function mergedStageDeployment(
  base: z.infer<typeof deploymentSchema>,
  overrides: Readonly<Record<string, unknown>>,
): ReturnType<typeof deploymentSchema.safeParse> {
  return deploymentSchema.safeParse({ ...base, ...overrides });
}

function stageProblems(
  m: { deployment: z.infer<typeof deploymentSchema>; stages?: z.infer<typeof stageSchema>[] | undefined },
  ctx: z.core.$RefinementCtx,
): void {
  const stages = m.stages;
  if (!stages) return;
  if (stages.length < 2) {
    ctx.addIssue({ code: 'custom', message: 'must list at least two stages (or none)', path: ['stages'] });
  }
  const first = stages[0];
  if (first?.workspace || first?.registry || Object.keys(first?.deployment ?? {}).length > 0) {
    // The first stage is where retrains release: the model's own deployment in the app's workspace.
    ctx.addIssue({
      code: 'custom',
      message:
        "the first stage is the model's own deployment in the app's workspace: set workspace and deployment on the model instead",
      path: ['stages', 0],
    });
  }
  const names = new Map<string, number>();
  const endpoints = new Map<string, number>();
  stages.forEach((stage, i) => {
    const seen = names.get(stage.name);
    if (seen !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `duplicate stage name (also stages[${seen}])`,
        path: ['stages', i, 'name'],
      });
    } else names.set(stage.name, i);
    const merged = mergedStageDeployment(m.deployment, stage.deployment);
    if (!merged.success) {
      for (const issue of merged.error.issues) {
        ctx.addIssue({ code: 'custom', message: issue.message, path: ['stages', i, 'deployment', ...issue.path] });
      }
      return;
    }
    // Online endpoint names are unique per Azure region (they name the scoring host), so stages never share one.
    const endpoint = merged.data.endpoint.toLowerCase();
    const other = endpoints.get(endpoint);
    if (other !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `must differ from stages[${other}]'s endpoint (online endpoint names are unique per Azure region)`,
        path: ['stages', i, 'deployment', 'endpoint'],
      });
    } else endpoints.set(endpoint, i);
  });
}

export const catalogSchema = z.object({
  $schema: z.string().optional(),
  models: z.array(modelSchema).min(1),
});

export type Catalog = z.infer<typeof catalogSchema>;
/** Any catalog entry: it retrains, scores in batch, or both. */
export type CatalogModel = z.infer<typeof modelSchema>;
export type TrainingSpec = NonNullable<CatalogModel['training']>;
export type GateSpec = NonNullable<CatalogModel['gate']>;
export type RegistrySpec = NonNullable<CatalogModel['registry']>;
export type DeploymentSpec = NonNullable<CatalogModel['deployment']>;
/** An entry that retrains: it has all of training, gate, registry and deployment (the retrain path's view). */
export type ModelEntry = CatalogModel & {
  readonly training: TrainingSpec;
  readonly gate: GateSpec;
  readonly registry: RegistrySpec;
  readonly deployment: DeploymentSpec;
};
export type DatasetTrigger = CatalogModel['triggers']['datasets'][number];
export type GitTrigger = CatalogModel['triggers']['git'][number];
export type GateMetricSpec = GateSpec['metrics'][number];
export type BatchSpec = NonNullable<CatalogModel['batch']>;
export type BatchScorerSpec = BatchSpec['scorer'];
export type BatchErrorThreshold = BatchSpec['errorThreshold'];

/** Whether an entry retrains (schema validation guarantees all four sections or none). */
export function isRetrainable(model: CatalogModel): model is ModelEntry {
  return RETRAIN_SECTIONS.every((s) => model[s] !== undefined);
}

/** The entries that retrain. */
export function retrainModels(catalog: Catalog): ModelEntry[] {
  return catalog.models.filter(isRetrainable);
}
export type StageSpec = NonNullable<CatalogModel['stages']>[number];
export type WorkspaceCoordinatesSpec = z.infer<typeof workspaceCoordinatesSchema>;
export type RegistryCoordinatesSpec = z.infer<typeof registryCoordinatesSchema>;
