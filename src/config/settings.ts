import { z } from 'zod';

/**
 * Every app setting the orchestrator reads, with its documentation.
 *
 * @remarks This table is the single source of truth: `loadConfig` validates against it, the README and
 * `local.settings.sample.json` document it, and the infra consistency test checks that the Bicep app settings
 * set exactly these names.
 */
const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/**
 * The Azure ML management api-version the app is written against and tested with.
 *
 * @remarks 2025-12-01 is the newest stable version whose whole Microsoft.MachineLearningServices spec and
 * `x-ms-examples` the team verified (azure-rest-api-specs `stable/2025-12-01/mfe.json` and `examples/`); the local
 * conformance fixtures are its examples. Newer stables exist in the specs (2026-03-01, 2026-05-01, 2026-07-01), but
 * api-versions roll out region by region and none adds a field this app uses; a pinned version that every region
 * serves beats the newest. @azure/arm-machinelearning 2.1.1 would otherwise send its built-in 2022-10-01, which lacks
 * `mirrorTraffic`, `startupProbe` and `dataCollector`.
 */
export const PINNED_AZUREML_API_VERSION = '2025-12-01';

/** Values @azure/identity's DefaultAzureCredential accepts in AZURE_TOKEN_CREDENTIALS (lower case). */
const TOKEN_CREDENTIAL_CHOICES = [
  'dev',
  'prod',
  'environmentcredential',
  'workloadidentitycredential',
  'managedidentitycredential',
  'azureclicredential',
  'azuredeveloperclicredential',
  'azurepowershellcredential',
  'visualstudiocodecredential',
];

const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https:// URL' });
const anyUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

export const settingsSchema = z.object({
  AzureWebJobsStorage: optionalText.describe(
    'Host storage connection string (local: UseDevelopmentStorage=true). In Azure use AzureWebJobsStorage__accountName instead. The orchestrator also keeps its trigger ledger and dedupe markers here.',
  ),
  AzureWebJobsStorage__accountName: optionalText.describe(
    'Host storage account name for identity-based connections (Azure). Used when AzureWebJobsStorage is not set.',
  ),
  AzureWebJobsStorage__blobServiceUri: optionalText
    .pipe(anyUrl.optional())
    .describe('Overrides the blob endpoint of the host storage account (identity-based; sovereign clouds).'),
  LAKE_STORAGE: optionalText.describe(
    'Data lake connection string (local: UseDevelopmentStorage=true). In Azure use LAKE_STORAGE__accountName.',
  ),
  LAKE_STORAGE__accountName: optionalText.describe(
    'Data lake storage account name for identity-based access (Azure). Holds the datasets and lake containers.',
  ),
  LAKE_STORAGE__blobServiceUri: optionalText
    .pipe(anyUrl.optional())
    .describe('Overrides the blob endpoint of the data lake account (identity-based).'),
  AZURE_CLIENT_ID: optionalText.describe(
    'Client id of the user-assigned managed identity used for Azure ML and storage, or of the service principal when AZURE_CLIENT_SECRET is set. Empty: system-assigned identity / developer login.',
  ),
  AZURE_TENANT_ID: optionalText.describe(
    'Tenant of the service principal (with AZURE_CLIENT_ID and AZURE_CLIENT_SECRET) the app signs in as instead of a managed identity; read by DefaultAzureCredential (docs/azureml-setup.md §3).',
  ),
  AZURE_CLIENT_SECRET: optionalText.describe(
    'Secret of that service principal (a Key Vault reference in Azure). Set it only where a managed identity is impossible.',
  ),
  AZURE_TOKEN_CREDENTIALS: optionalText
    .pipe(
      z
        .string()
        .refine(
          (v) => TOKEN_CREDENTIAL_CHOICES.includes(v.toLowerCase()),
          `must be dev, prod or one of EnvironmentCredential, WorkloadIdentityCredential, ManagedIdentityCredential, AzureCliCredential, AzureDeveloperCliCredential, AzurePowerShellCredential, VisualStudioCodeCredential`,
        )
        .optional(),
    )
    .describe(
      'Which credentials DefaultAzureCredential tries. Empty: the whole chain (in Azure: the managed identity). `dev` (or `AzureCliCredential`, …): your own login, e.g. to run `npm start` against a real workspace (the dev host then offers no managed identity); `EnvironmentCredential`: the service principal above only.',
    ),
  AZUREML_SUBSCRIPTION_ID: z
    .uuid({ error: 'must be a subscription GUID' })
    .describe('Subscription of the Azure ML workspace.'),
  AZUREML_RESOURCE_GROUP: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .describe('Resource group of the Azure ML workspace.'),
  AZUREML_WORKSPACE_NAME: z.string().trim().min(1, 'must not be empty').describe('Name of the Azure ML workspace.'),
  AZUREML_REGION: z
    .string()
    .trim()
    .regex(/^[a-z0-9]+$/, 'must be an Azure region name such as westeurope')
    .describe('Region of the workspace; used to build the data-plane host https://<region>.api.azureml.ms.'),
  AZUREML_ARM_ENDPOINT: z
    .string()
    .trim()
    .default('https://management.azure.com')
    .pipe(httpsUrl)
    .describe('Azure Resource Manager endpoint for the Azure ML management plane.'),
  AZUREML_DATAPLANE_ENDPOINT: optionalText
    .pipe(httpsUrl.optional())
    .describe(
      'Azure ML data-plane endpoint (MLflow tracking, v1 pipelines, run history). Default: https://<AZUREML_REGION>.api.azureml.ms.',
    ),
  AZUREML_API_VERSION: optionalText
    .transform((v) => v ?? PINNED_AZUREML_API_VERSION)
    .pipe(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a stable api-version such as 2025-12-01 (no -preview)'))
    .describe(
      `api-version of every Azure ML management-plane call (SDK and raw). Default: the pinned stable ${PINNED_AZUREML_API_VERSION} (why: docs/azureml-emulator.md "api-version"); change it only to a stable version the workspace's region already serves.`,
    ),
  APPLICATIONINSIGHTS_CONNECTION_STRING: optionalText.describe(
    'Application Insights connection string. Empty: telemetry is not exported (a warning is logged at startup).',
  ),
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: optionalText
    .pipe(
      z
        .string()
        .regex(
          /^(?=(?:.*;)?\s*Authorization\s*=\s*AAD\s*(?:;|$))(?:\s*[A-Za-z]+\s*=\s*[^;]*;?)+$/i,
          'must be Authorization=AAD, optionally with ;ClientId=<managed identity client id>',
        )
        .optional(),
    )
    .describe(
      'Microsoft Entra authentication of the telemetry exporter: Authorization=AAD[;ClientId=<user-assigned identity client id>]. The app then sends its custom events with a managed-identity token (needed when the component has local authentication disabled). Empty: instrumentation-key ingestion.',
    ),
  MLOPS_CATALOG_PATH: z
    .string()
    .trim()
    .min(1)
    .default('catalog.json')
    .describe('Path of the model catalog file, relative to the function app root or absolute.'),
  MLOPS_STATE_CONTAINER: z
    .string()
    .trim()
    .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a valid blob container name')
    .default('mlops-state')
    .describe('Container in host storage for the trigger ledger, dedupe markers and run records.'),
  GITHUB_WEBHOOK_SECRET: optionalText.describe(
    'Secret of the GitHub webhook (X-Hub-Signature-256). Empty: the GitHub webhook answers 503 not configured.',
  ),
  AZURE_DEVOPS_WEBHOOK_USERNAME: optionalText.describe('Basic-auth user name the Azure DevOps service hook sends.'),
  AZURE_DEVOPS_WEBHOOK_PASSWORD: optionalText.describe(
    'Basic-auth password the Azure DevOps service hook sends. Empty: the Azure DevOps webhook answers 503 not configured.',
  ),
  GENERIC_WEBHOOK_SECRET: optionalText.describe(
    'HMAC secret for the generic/Jenkins webhook (X-Mlops-Signature). Empty: the generic webhook answers 503 not configured.',
  ),
  BATCH_POSTGRES_HOST: optionalText.describe(
    'Azure Database for PostgreSQL (Flexible Server) host that batch.table outputs write to, e.g. <server>.postgres.database.azure.com (local: 127.0.0.1). Empty: no table output (a model with batch.table then fails its runs).',
  ),
  BATCH_POSTGRES_PORT: z.coerce
    .number()
    .int()
    .min(1)
    .max(65535)
    .default(5432)
    .describe('PostgreSQL port of BATCH_POSTGRES_HOST.'),
  BATCH_POSTGRES_DATABASE: z
    .string()
    .trim()
    .min(1)
    .default('postgres')
    .describe('Database that holds the batch score tables.'),
  BATCH_POSTGRES_USER: optionalText.describe(
    "PostgreSQL role the app logs in as: in Azure the name of the Entra principal mapped to the app's managed identity (its password is an Entra token for https://ossrdbms-aad.database.windows.net). Required with BATCH_POSTGRES_HOST.",
  ),
  BATCH_POSTGRES_SSL: z
    .enum(['require', 'disable'])
    .default('require')
    .describe('TLS to PostgreSQL: require (Azure, which refuses plain connections) or disable (a local server).'),
});

export type Settings = z.infer<typeof settingsSchema>;

/** Names of all settings, for documentation and the infra consistency check. */
export const settingNames = Object.keys(settingsSchema.shape) as (keyof Settings)[];

/** Settings that must be present (no default) for the app to start. */
export const requiredSettingNames = settingNames.filter(
  (name) => !settingsSchema.shape[name].safeParse(undefined).success,
);

/** Settings that hold secrets: never logged, never sent to telemetry. */
export const secretSettingNames: readonly (keyof Settings)[] = [
  'AzureWebJobsStorage',
  'LAKE_STORAGE',
  'AZURE_CLIENT_SECRET',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'GITHUB_WEBHOOK_SECRET',
  'AZURE_DEVOPS_WEBHOOK_PASSWORD',
  'GENERIC_WEBHOOK_SECRET',
];
